//! The passkeys card of the Security page: starting a registration after a
//! step-up, finishing one the page's script started, rename and remove.

use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::stash::ActionForm;
use super::{explain, message, see_other};
use crate::extract::{Client, PageSession};
use crate::state::AppState;

fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Where the page's script continues an "Add passkey" that waited for the
/// step-up (with the name it kept in the tab).
const RESUME_ADD: &str = "/settings/security#add-passkey";

/// The "Add passkey" form. The page's script posts it only when the step-up
/// window is closed (otherwise it runs the ceremony itself); the step-up
/// screen posts it again after the proof, and the browser goes back to the
/// Security page, whose script continues the registration.
pub async fn add(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    match state.app.require_step_up(&session) {
        Ok(()) => see_other(RESUME_ADD),
        Err(_) => form.step_up(&state, &session).await,
    }
}

/// The form the script submits after `navigator.credentials.create()`.
pub async fn finish(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    RawForm(body): RawForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let ceremony_id = field(&body, "ceremony_id").unwrap_or_default();
    let name = field(&body, "name");
    let credential = match serde_json::from_str(&field(&body, "credential").unwrap_or_default()) {
        Ok(credential) => credential,
        Err(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "Passkey not added",
                "The browser's answer could not be read. Try again.",
            );
        }
    };
    match state
        .app
        .finish_passkey_registration(&session, &ceremony_id, name.as_deref(), &credential, &ctx)
        .await
    {
        Ok(added) => match &added.recovery_codes {
            Some(sheet) => super::recovery::sheet_page(
                &state,
                &session,
                sheet,
                Some(
                    "Passkey added: two-factor authentication is on. Save your recovery codes now.",
                ),
            ),
            None => see_other(&format!("{}?notice=passkey_added", super::security::PATH)),
        },
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "Passkey not added", &error)
        }
    }
}

pub async fn rename(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    Path(id): Path<Uuid>,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let name = form.get("name").unwrap_or_default();
    match state.app.rename_passkey(&session, id, name, &ctx).await {
        Ok(_) => see_other(&format!("{}?notice=passkey_renamed", super::security::PATH)),
        Err(twofold_app::AppError::ReauthRequired) => form.step_up(&state, &session).await,
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "Passkey not renamed", &error)
        }
    }
}

pub async fn remove(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    Path(id): Path<Uuid>,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let confirm_last = form.get("confirm_last").is_some();
    match state
        .app
        .remove_passkey(&session, id, confirm_last, &ctx)
        .await
    {
        Ok(()) => see_other(&format!("{}?notice=passkey_removed", super::security::PATH)),
        Err(twofold_app::AppError::ReauthRequired) => form.step_up(&state, &session).await,
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "Passkey not removed", &error)
        }
    }
}
