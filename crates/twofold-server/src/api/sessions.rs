//! Signing in and out, and the current session.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use twofold_app::{MfaProof, MfaStanding, Proof, SignInOutcome};
use utoipa::ToSchema;

use super::sign_in::{ActiveSession, MfaRequired, active_session, challenge_from, mfa_required};
use super::views::{SessionListItem, SessionView};
use crate::cookies;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AnyCaller, ApiJson, ApiPath, ApiSession, Client, EnrollingSession};
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

#[derive(Serialize, ToSchema)]
pub struct CurrentSession {
    session: SessionView,
    /// Two-factor authentication is required of the account and not on yet:
    /// the deadline (RFC 3339), or when it passed (then the session is
    /// `enrolment_only`). Absent when nothing is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa_enrollment_due: Option<String>,
}

/// The deadline a standing names, for the API's answers.
pub fn mfa_enrollment_due(standing: MfaStanding) -> Option<String> {
    match standing {
        MfaStanding::Compliant => None,
        MfaStanding::Grace { due } => Some(due.to_rfc3339()),
        MfaStanding::Overdue { since } => Some(since.to_rfc3339()),
    }
}

/// Sign in with email and password.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in (MFA off); also sets the session cookie", body = ActiveSession),
        (status = 200, description = "Password accepted, MFA on: meet the challenge at `POST /sessions/mfa`", body = MfaRequired),
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
        SignInOutcome::Active(issued) => Ok(active_session(&state, issued)),
        SignInOutcome::MfaRequired(challenge) => Ok(mfa_required(&state, challenge)),
    }
}

/// The second step of a sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum MfaRequest {
    /// `{"method":"totp","challenge_id":"…","code":"123456"}`
    Totp { challenge_id: String, code: String },
    /// `{"method":"recovery_code","challenge_id":"…","code":"k7m2q-x9vfd"}`
    RecoveryCode { challenge_id: String, code: String },
    /// `{"method":"webauthn","challenge_id":"…","credential":{…}}`, after
    /// `POST /sessions/mfa/webauthn/options`. A browser may leave out
    /// `challenge_id` (its cookie has it).
    Webauthn {
        challenge_id: Option<String>,
        #[schema(value_type = Object)]
        credential: Box<webauthn_rs::prelude::PublicKeyCredential>,
    },
}

/// Complete a sign-in with a second factor.
#[utoipa::path(
    post, path = "/sessions/mfa", tag = "sessions",
    request_body = MfaRequest,
    responses(
        (status = 201, description = "Signed in (aal 2); sets the session cookie", body = ActiveSession),
        (status = 400, description = "Malformed request or code (`invalid_request`, `invalid_code`)", body = ErrorBody),
        (status = 401, description = "Wrong code (`invalid_code`), or the challenge is unknown, expired or spent (`challenge_expired`)", body = ErrorBody),
        (status = 403, description = "TOTP blocked after 100 consecutive wrong codes (`totp_locked`)", body = ErrorBody),
        (status = 429, description = "Too many wrong codes (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn complete_mfa(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<MfaRequest>,
) -> Result<Response, ApiError> {
    let (challenge_id, proof) = match req {
        MfaRequest::Totp { challenge_id, code } => (challenge_id, MfaProof::Totp(code)),
        MfaRequest::RecoveryCode { challenge_id, code } => {
            (challenge_id, MfaProof::RecoveryCode(code))
        }
        MfaRequest::Webauthn {
            challenge_id,
            credential,
        } => (
            challenge_from(&state, &headers, challenge_id)?,
            MfaProof::Webauthn(credential),
        ),
    };
    let issued = state.app.complete_mfa(&challenge_id, proof, &ctx).await?;
    let mut response = active_session(&state, issued);
    for cookie in cookies::clear_challenge_cookies(&state.web) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
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
pub async fn current(
    State(state): State<AppState>,
    AnyCaller(session): AnyCaller,
) -> Result<Json<CurrentSession>, ApiError> {
    let standing = state.app.mfa_standing(&session).await?;
    Ok(Json(CurrentSession {
        session: SessionView::from(&session),
        mfa_enrollment_due: mfa_enrollment_due(standing),
    }))
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
    EnrollingSession(session): EnrollingSession,
) -> Result<Response, ApiError> {
    state.app.sign_out(&session).await?;
    let cookie = cookies::clear_session_cookie(&state.web);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    sessions: Vec<SessionListItem>,
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = SessionList),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "This session may only enrol a factor (`mfa_enrollment_required`)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = state.app.sessions(&session).await?;
    Ok(Json(SessionList {
        sessions: sessions
            .iter()
            .map(|s| SessionListItem::new(s, session.id))
            .collect(),
    }))
}

/// Sign out every other session of the caller.
#[utoipa::path(
    delete, path = "/sessions", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "All other sessions revoked"),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn revoke_others(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
) -> Result<StatusCode, ApiError> {
    state.app.revoke_other_sessions(&session, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke one of the caller's sessions.
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Revoked; refused on its next request by every instance"),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 404, description = "No such session of yours (`not_found`)", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::SessionId>,
) -> Result<StatusCode, ApiError> {
    state.app.revoke_session(&session, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh proof for step-up. More methods come with the factors.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ReauthRequest {
    /// `{"method":"password","password":"…"}`
    Password {
        #[schema(value_type = String, format = Password)]
        password: SecretString,
    },
    /// `{"method":"totp","code":"123456"}`
    Totp { code: String },
    /// `{"method":"webauthn","ceremony_id":"…","credential":{…}}`, after
    /// `POST /sessions/current/reauth/webauthn/options`.
    Webauthn {
        ceremony_id: String,
        #[schema(value_type = Object)]
        credential: Box<webauthn_rs::prelude::PublicKeyCredential>,
    },
}

#[derive(Serialize, ToSchema)]
pub struct Privileged {
    /// Security changes are allowed on this session until then (RFC 3339).
    privileged_until: String,
}

/// Step up: prove it is you again to open a short window (default 5
/// minutes) for security changes on this session. The token does not change.
#[utoipa::path(
    post, path = "/sessions/current/reauth", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ReauthRequest,
    responses(
        (status = 200, body = Privileged),
        (status = 400, description = "Malformed request or unknown method", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Wrong proof (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many wrong proofs (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn reauth(
    State(state): State<AppState>,
    EnrollingSession(session): EnrollingSession,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ReauthRequest>,
) -> Result<Json<Privileged>, ApiError> {
    let proof = match req {
        ReauthRequest::Password { password } => Proof::Password(password),
        ReauthRequest::Totp { code } => Proof::Totp(code),
        ReauthRequest::Webauthn {
            ceremony_id,
            credential,
        } => Proof::Webauthn {
            ceremony_id,
            credential,
        },
    };
    let until = state.app.reauthenticate(&session, proof, &ctx).await?;
    Ok(Json(Privileged {
        privileged_until: until.to_rfc3339(),
    }))
}
