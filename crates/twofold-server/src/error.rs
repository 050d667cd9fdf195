//! API errors: the status, a stable snake_case code, and a message, as
//! `{"error":{"code":"…","message":"…"}}`. Internal causes are never sent:
//! they are logged once per request (see `internal_causes::log_internal_causes`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use twofold_app::AppError;
use utoipa::ToSchema;

use crate::internal_causes;

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

/// Each use-case error's status and stable code: the one table, read by the
/// API's answers and by the pages alike.
pub fn status_and_code(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::InvalidInput { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        AppError::InvalidCredentials | AppError::PasskeyRejected => {
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        }
        AppError::WrongProof => (StatusCode::FORBIDDEN, "invalid_credentials"),
        AppError::BadCode(_) => (StatusCode::BAD_REQUEST, "invalid_code"),
        AppError::WrongCode => (StatusCode::UNAUTHORIZED, "invalid_code"),
        AppError::ChallengeExpired => (StatusCode::UNAUTHORIZED, "challenge_expired"),
        AppError::TotpLocked => (StatusCode::FORBIDDEN, "totp_locked"),
        AppError::LastFactor => (StatusCode::CONFLICT, "last_factor"),
        AppError::CeremonyExpired => (StatusCode::BAD_REQUEST, "ceremony_expired"),
        AppError::UnknownCredential => (StatusCode::UNAUTHORIZED, "unknown_credential"),
        AppError::NoStrongFactor => (StatusCode::CONFLICT, "no_strong_factor"),
        AppError::ReauthRequired => (StatusCode::FORBIDDEN, "reauth_required"),
        AppError::MfaEnrollmentRequired => (StatusCode::FORBIDDEN, "mfa_enrollment_required"),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
        AppError::TokenNotAllowed => (StatusCode::FORBIDDEN, "token_not_allowed"),
        AppError::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::OwnAccount => (StatusCode::CONFLICT, "own_account"),
        AppError::NothingToReset(_) => (StatusCode::CONFLICT, "nothing_to_reset"),
        AppError::LastOwner => (StatusCode::CONFLICT, "last_owner"),
        AppError::InvalidLink => (StatusCode::BAD_REQUEST, "invalid_link"),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code) = status_and_code(&e);
        let mut error = Self::new(status, code, e.to_string());
        match e {
            AppError::RateLimited { retry_after } => {
                error.retry_after = Some(retry_after.as_secs().max(1));
            }
            AppError::Internal(cause) => internal_causes::keep_internal_cause(cause),
            _ => {}
        }
        error
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
