//! The page that asks for two-factor authentication when the account's role
//! requires it: after a sign-in in the grace period ("Set it up now" or
//! "Later"), and the only page of a session past its deadline (which every
//! other page sends here), with the form that starts adding an
//! authenticator app (the step-up screen asks for the password first).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use twofold_app::MfaStanding;

use super::paths;
use super::respond::{failed, render, see_other};
use crate::extract::EnrollingSignedIn;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(paths::MFA_REQUIRED, get(page))
}

#[derive(Template)]
#[template(path = "mfa_required.html")]
struct MfaRequiredPage {
    email: String,
    /// The deadline, as the page shows dates.
    due: String,
    /// Still in the grace period: "Later" goes home.
    later: bool,
    /// Where "Set it up now" goes in the grace period: the Security page's
    /// two-factor card.
    set_up: String,
}

async fn page(
    State(state): State<AppState>,
    EnrollingSignedIn(session): EnrollingSignedIn,
) -> Response {
    let (due, later) = match state.app.mfa_standing(&session).await {
        Ok(MfaStanding::Compliant) => return see_other(paths::HOME),
        Ok(MfaStanding::Grace { due }) => (due, true),
        Ok(MfaStanding::Overdue { since }) => (since, false),
        Err(e) => return failed("Two-factor authentication", e),
    };
    render(
        StatusCode::OK,
        &MfaRequiredPage {
            email: session.account_email,
            due: due.to_human(),
            later,
            set_up: format!("{}#two-factor", paths::SECURITY),
        },
    )
}
