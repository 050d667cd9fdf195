//! The answers that start a browser sign-in or finish one, with the cookie
//! each sets, and reading the MFA challenge back from its cookie: shared by
//! the password, passkey and second-factor sign-ins.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Serialize;
use twofold_app::{IssuedChallenge, IssuedSession};
use utoipa::ToSchema;

use super::views::SessionView;
use crate::cookies;
use crate::error::ApiError;
use crate::state::AppState;

/// A session is active: its token (shown once) and its details.
#[derive(Serialize, ToSchema)]
pub struct ActiveSession {
    /// Always `active`.
    #[schema(example = "active")]
    state: &'static str,
    /// Bearer token for API use; the browser also gets it as a cookie.
    token: String,
    session: SessionView,
    /// After a sign-in with a recovery code: how many codes are left
    /// (generate a new sheet when few or none are).
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes_remaining: Option<i64>,
    /// Two-factor authentication is required of the account and not on
    /// yet: set it up before this time (RFC 3339; the session ends then).
    /// When it has passed, `session.enrolment_only` is true: the session may
    /// only enrol a factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_enrollment_due: Option<String>,
}

/// `201 {state:"active", token, session}` with the session cookie.
pub fn active_session(state: &AppState, issued: IssuedSession) -> Response {
    let cookie = cookies::session_cookie(&state.web, &issued);
    let body = ActiveSession {
        state: "active",
        token: issued.token.expose().to_owned(),
        session: SessionView::from(&issued.session),
        recovery_codes_remaining: issued.recovery_codes_left,
        mfa_enrollment_due: issued.mfa_enrollment_due.map(|t| t.to_rfc3339()),
    };
    (
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response()
}

/// The password was right and MFA is on.
#[derive(Serialize, ToSchema)]
pub struct MfaRequired {
    /// Always `mfa_required`.
    #[schema(example = "mfa_required")]
    state: &'static str,
    /// Pass to `POST /sessions/mfa`. Single use; the browser also gets it
    /// as a short-lived cookie.
    challenge_id: String,
    /// The methods that can meet the challenge: `totp`, later
    /// `recovery_code` and `webauthn`.
    methods: Vec<&'static str>,
    expires_at: String,
}

/// `200 {state:"mfa_required", …}` with the challenge cookie.
pub fn mfa_required(state: &AppState, challenge: IssuedChallenge) -> Response {
    let cookies = cookies::challenge_cookies(&state.web, &challenge.id);
    let body = MfaRequired {
        state: "mfa_required",
        challenge_id: challenge.id.expose().to_owned(),
        methods: challenge.methods.iter().map(|m| m.as_str()).collect(),
        expires_at: challenge.expires_at.to_rfc3339(),
    };
    (
        StatusCode::OK,
        AppendHeaders(cookies.map(|cookie| (header::SET_COOKIE, cookie))),
        Json(body),
    )
        .into_response()
}

/// The challenge from the body, else from the browser's challenge cookie.
pub fn challenge_from(
    state: &AppState,
    headers: &HeaderMap,
    given: Option<String>,
) -> Result<String, ApiError> {
    given
        .or_else(|| {
            CookieJar::from_headers(headers)
                .get(state.web.challenge_cookie())
                .map(|c| c.value().to_owned())
        })
        .ok_or_else(|| twofold_app::AppError::ChallengeExpired.into())
}
