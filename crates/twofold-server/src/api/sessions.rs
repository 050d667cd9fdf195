//! Signing in and out, and the current session.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use twofold_app::{IssuedSession, SignInOutcome};
use utoipa::ToSchema;

use super::views::SessionView;
use crate::cookies;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiSession, Client};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// Keep the browser signed in beyond this browser session.
    #[serde(default)]
    remember_me: bool,
}

/// A session is active: its token (shown once) and its details.
#[derive(Serialize, ToSchema)]
pub struct ActiveSession {
    /// Always `active`.
    #[schema(example = "active")]
    state: &'static str,
    /// Bearer token for API use; the browser also gets it as a cookie.
    token: String,
    session: SessionView,
}

#[derive(Serialize, ToSchema)]
pub struct CurrentSession {
    session: SessionView,
}

/// Sign in with email and password.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in; also sets the session cookie", body = ActiveSession),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Wrong email or password (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many attempts (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    match state
        .app
        .sign_in(&req.email, req.password, req.remember_me, &ctx)
        .await?
    {
        SignInOutcome::Active(issued) => Ok(active_session(&state, issued, req.remember_me)),
    }
}

/// `201 {state:"active", token, session}` with the session cookie.
pub fn active_session(state: &AppState, issued: IssuedSession, remember_me: bool) -> Response {
    let persist = remember_me.then_some((issued.session.created_at, issued.session.expires_at));
    let cookie = cookies::session_cookie(&state.web, &issued.token, persist);
    let body = ActiveSession {
        state: "active",
        token: issued.token.expose().to_owned(),
        session: SessionView::from(&issued.session),
    };
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response()
}

/// The caller's session.
#[utoipa::path(
    get, path = "/sessions/current", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = CurrentSession),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn current(ApiSession(session): ApiSession) -> Json<CurrentSession> {
    Json(CurrentSession {
        session: SessionView::from(&session),
    })
}

/// Sign out: ends the caller's session.
#[utoipa::path(
    delete, path = "/sessions/current", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Response, ApiError> {
    state.app.sign_out(&session).await?;
    let cookie = cookies::clear_session_cookie(&state.web);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
