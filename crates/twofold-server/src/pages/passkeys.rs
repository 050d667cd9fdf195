//! The passkeys card of the Security page: starting a registration after a
//! step-up, finishing one the page's script started, rename and remove.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use twofold_core::PasskeyId;

use super::action::{EnrolAction, NameForm, NoFields, PageAction, RemoveForm};
use super::paths;
use super::recovery;
use super::respond::{failed, message, notice, see_other};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/security/passkeys", post(finish))
        .route(paths::PASSKEY_ADD, post(add))
        .route(paths::PASSKEY_RENAME, post(rename))
        .route(paths::PASSKEY_REMOVE, post(remove))
}

/// Where the page's script continues an "Add passkey" that waited for the
/// step-up (with the name it kept in the tab).
const RESUME_ADD: &str = "/settings/security#add-passkey";
const RESUME_ADD_REQUIRED: &str = "/settings/security/mfa-required#add-passkey";

/// The "Add passkey" form. The page's script posts it only when the step-up
/// window is closed (otherwise it runs the ceremony itself); the step-up
/// screen posts it again after the proof, and the browser goes back to the
/// Security page, whose script continues the registration.
async fn add(State(state): State<AppState>, a: EnrolAction<NoFields>) -> Response {
    match state.app.require_step_up(&a.session) {
        // A session that may only enrol continues on the one page it may use.
        Ok(()) if a.session.enrolment_only => see_other(RESUME_ADD_REQUIRED),
        Ok(()) => see_other(RESUME_ADD),
        Err(e) => a.refused(&state, "Passkey not added", e).await,
    }
}

/// What the script submits after `navigator.credentials.create()`.
#[derive(Deserialize)]
struct FinishForm {
    #[serde(default)]
    ceremony_id: String,
    name: Option<String>,
    #[serde(default)]
    credential: String,
}

async fn finish(State(state): State<AppState>, a: EnrolAction<FinishForm>) -> Response {
    let Ok(credential) = serde_json::from_str(&a.form.credential) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Passkey not added",
            "The browser's answer could not be read. Try again.",
        );
    };
    let (session, form) = (&a.session, &a.form);
    match state
        .app
        .finish_passkey_registration(
            session,
            &form.ceremony_id,
            form.name.as_deref(),
            &credential,
            &a.ctx,
        )
        .await
    {
        Ok(added) => match &added.recovery_codes {
            Some(sheet) => recovery::sheet_page(
                &state,
                session,
                sheet,
                Some(
                    "Passkey added: two-factor authentication is on. Save your recovery codes now.",
                ),
            ),
            None => notice("passkey_added"),
        },
        Err(e) => failed("Passkey not added", e),
    }
}

async fn rename(
    State(state): State<AppState>,
    Path(id): Path<PasskeyId>,
    a: PageAction<NameForm>,
) -> Response {
    let name = a.form.name.as_deref().unwrap_or_default();
    let result = state.app.rename_passkey(&a.session, id, name, &a.ctx).await;
    a.answer(&state, result, "passkey_renamed", "Passkey not renamed")
        .await
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<PasskeyId>,
    a: PageAction<RemoveForm>,
) -> Response {
    let confirm_last = a.form.confirm_last();
    let result = state
        .app
        .remove_passkey(&a.session, id, confirm_last, &a.ctx)
        .await;
    a.answer(&state, result, "passkey_removed", "Passkey not removed")
        .await
}
