//! The step-up screen. A protected form that finds the window closed shows
//! this screen, naming the change and carrying the form sealed (see
//! [`super::stash`]); a correct proof answers `307 Temporary Redirect` to
//! the original action, so the browser posts the sealed form again and the
//! change goes through. The screen opened any other way (`GET /reauth`, a
//! link) carries no change: after the proof it goes to the Security page.

use askama::Template;
use axum::Router;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::SecretString;
use twofold_app::{AppError, Proof, Session};

use super::paths;
use super::respond::{explain, failed, render, see_other};
use super::stash::{Fields, Pending, stale_page};
use crate::extract::{Client, EnrollingSignedIn};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/reauth", get(page).post(confirm))
}

#[derive(Template)]
#[template(path = "reauth.html")]
struct ReauthPage<'a> {
    email: &'a str,
    /// The change the proof is for, with its sealed form.
    pending: Option<Pending>,
    window_minutes: u64,
    has_totp: bool,
    has_passkey: bool,
    error: Option<String>,
}

/// Renders the step-up screen, for `pending` if an action showed it.
pub async fn screen(
    state: &AppState,
    session: &Session,
    pending: Option<Pending>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::FORBIDDEN, None),
    };
    let mfa = state.app.mfa_overview(session.account_id).await.ok();
    let has_totp = mfa.as_ref().is_some_and(|m| !m.totp.is_empty());
    let has_passkey = mfa.as_ref().is_some_and(|m| !m.passkeys.is_empty());
    render(
        status,
        &ReauthPage {
            email: &session.account_email,
            pending,
            window_minutes: state.app.policy().step_up_window.as_secs().div_ceil(60),
            has_totp,
            has_passkey,
            error,
        },
    )
}

/// `GET /reauth`: the screen on its own. Whatever the query says, it
/// carries no change (a link must not choose one).
async fn page(
    State(state): State<AppState>,
    EnrollingSignedIn(session): EnrollingSignedIn,
) -> Response {
    let mut response = screen(&state, &session, None, None).await;
    *response.status_mut() = StatusCode::OK;
    response
}

/// `POST /reauth`: checks the proof, then sends the browser back to the
/// sealed action, or to the Security page when there is none.
async fn confirm(
    State(state): State<AppState>,
    EnrollingSignedIn(session): EnrollingSignedIn,
    Client(ctx): Client,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let fields = Fields::parse(&body);
    // Before the proof: a confirmation that cannot continue changes nothing.
    let Ok(pending) = Pending::carried(&state, &headers, &fields) else {
        return stale_page();
    };
    let proof = match fields.get("reauth_code").filter(|c| !c.trim().is_empty()) {
        Some(code) => Proof::Totp(code.to_owned()),
        None => Proof::Password(SecretString::from(
            fields.get("reauth_password").unwrap_or_default(),
        )),
    };
    match state.app.reauthenticate(&session, proof, &ctx).await {
        // 307 keeps the method and body: the sealed form is posted again.
        Ok(_) => match &pending {
            Some(pending) => (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, pending.change.path())],
            )
                .into_response(),
            None => see_other(paths::SECURITY),
        },
        Err(
            e @ (AppError::WrongProof
            | AppError::RateLimited { .. }
            | AppError::BadCode(_)
            | AppError::TotpLocked),
        ) => screen(&state, &session, pending, Some(explain(e))).await,
        Err(e) => failed("Not confirmed", e),
    }
}
