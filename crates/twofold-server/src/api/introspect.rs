//! Token introspection (RFC 7662) for other applications.

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use twofold_app::{AppError, LiveToken};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::Client;
use crate::state::AppState;

/// The form an application posts (`application/x-www-form-urlencoded`).
#[derive(Deserialize, ToSchema)]
pub struct IntrospectionRequest {
    /// The token to check: a session token or a personal access token.
    token: String,
    /// Ignored: every kind of token is looked up.
    #[serde(default)]
    token_type_hint: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

/// RFC 7662's answer. Only `active` when the token is not live.
#[derive(Serialize, ToSchema)]
pub struct Introspection {
    active: bool,
    /// The account's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// A personal access token's scopes, space-separated; absent for a session.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    /// Issue time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u8>)]
    aal: Option<twofold_core::session::Aal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    amr: Option<Vec<twofold_core::session::Amr>>,
    /// `session` or `personal_access_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
}

impl From<Option<LiveToken>> for Introspection {
    fn from(live: Option<LiveToken>) -> Self {
        match live {
            None => Self {
                active: false,
                sub: None,
                email: None,
                scope: None,
                exp: None,
                iat: None,
                aal: None,
                amr: None,
                token_type: None,
            },
            Some(t) => Self {
                active: true,
                sub: Some(t.account.to_string()),
                email: Some(t.email),
                scope: t.scopes.map(|s| s.to_text()),
                exp: Some(t.expires_at.unix()),
                iat: Some(t.issued_at.unix()),
                aal: Some(t.aal),
                amr: Some(t.amr),
                token_type: Some(t.token_type.as_str()),
            },
        }
    }
}

/// Is this token live, and whose? For applications registered with
/// `twofold app create`, authenticated with HTTP Basic (client id and
/// secret) or `client_id` and `client_secret` in the form. Anything not live
/// is `{"active": false}`, whatever the reason. Wrong application
/// credentials count per address, inactive answers per application (`429`
/// past either limit).
#[utoipa::path(
    post, path = "/introspect", tag = "introspection",
    request_body(content = IntrospectionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Introspection),
        (status = 400, description = "No `token` in the form (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "Unknown application or wrong secret (`invalid_client`)", body = ErrorBody),
        (status = 415, description = "Not a form body (`unsupported_media_type`)", body = ErrorBody),
        (status = 429, description = "Too many wrong credentials or inactive answers (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn introspect(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    form: Result<Form<IntrospectionRequest>, FormRejection>,
) -> Result<Json<Introspection>, Response> {
    let Form(form) = form.map_err(|r| form_rejection(&r))?;
    let _ = form.token_type_hint;
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some(pair) => pair,
        None => (
            form.client_id.unwrap_or_default(),
            form.client_secret.unwrap_or_default(),
        ),
    };
    let live = state
        .app
        .introspect(&client_id, &client_secret, &form.token, &ctx)
        .await
        .map_err(refusal)?;
    Ok(Json(live.into()))
}

/// `Authorization: Basic base64(id:secret)`, if present and readable.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// A refused application is told how to authenticate (RFC 6749 §5.2).
fn refusal(e: AppError) -> Response {
    let basic = matches!(e, AppError::InvalidClient);
    let mut response = ApiError::from(e).into_response();
    if basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"twofold\""),
        );
    }
    response
}

fn form_rejection(rejection: &FormRejection) -> Response {
    let status = rejection.status();
    let (code, message) = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send a form body with Content-Type: application/x-www-form-urlencoded".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than 64 KiB".to_owned(),
        ),
        _ => ("invalid_request", rejection.body_text()),
    };
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    ApiError::new(status, code, message).into_response()
}
