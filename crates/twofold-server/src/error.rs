//! API errors: the status, a stable snake_case code, and a message, as
//! `{"error":{"code":"…","message":"…"}}`. Internal causes are logged here,
//! never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use twofold_app::AppError;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_request`, `invalid_credentials`,
    /// `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `rate_limited`, `payload_too_large`, `method_not_allowed`, …
    code: String,
    /// For people; may change.
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::InvalidInput { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
            }
            AppError::InvalidCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            AppError::BadCode(_) => Self::new(StatusCode::BAD_REQUEST, "invalid_code", message),
            AppError::WrongCode => Self::new(StatusCode::UNAUTHORIZED, "invalid_code", message),
            AppError::ChallengeExpired => {
                Self::new(StatusCode::UNAUTHORIZED, "challenge_expired", message)
            }
            AppError::TotpLocked => Self::new(StatusCode::FORBIDDEN, "totp_locked", message),
            AppError::LastFactor => Self::new(StatusCode::CONFLICT, "last_factor", message),
            AppError::CeremonyExpired => {
                Self::new(StatusCode::BAD_REQUEST, "ceremony_expired", message)
            }
            AppError::PasskeyRejected => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            AppError::UnknownCredential => {
                Self::new(StatusCode::UNAUTHORIZED, "unknown_credential", message)
            }
            AppError::NoStrongFactor => {
                Self::new(StatusCode::CONFLICT, "no_strong_factor", message)
            }
            AppError::WrongProof => {
                Self::new(StatusCode::FORBIDDEN, "invalid_credentials", message)
            }
            AppError::ReauthRequired => {
                Self::new(StatusCode::FORBIDDEN, "reauth_required", message)
            }
            AppError::Unauthenticated => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            AppError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            AppError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            AppError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", message),
            AppError::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            AppError::Busy => Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message),
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
