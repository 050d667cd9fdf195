//! The authenticator-app card of the Security page: add (with the QR code
//! and the key), confirm, rename, remove.

use askama::Template;
use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use twofold_app::{AppError, PendingTotp, Session};
use uuid::Uuid;

use super::stash::ActionForm;
use super::{explain, message, render, see_other};
use crate::extract::{Client, PageSession};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "totp_enroll.html")]
struct EnrollPage {
    id: Uuid,
    qr_svg: String,
    secret: String,
    secret_grouped: String,
    name: String,
    expires_at: String,
    error: Option<String>,
}

fn enroll_page(status: StatusCode, pending: PendingTotp, error: Option<String>) -> Response {
    render(
        status,
        &EnrollPage {
            id: pending.id,
            qr_svg: pending.qr_svg,
            secret: pending.secret.base32(),
            secret_grouped: pending.secret.base32_grouped(),
            name: pending.name,
            expires_at: pending.expires_at.to_human(),
            error,
        },
    )
}

#[derive(Deserialize, Default)]
struct NameForm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

fn read(body: &[u8]) -> NameForm {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// On `ReauthRequired`, the step-up screen that comes back to this action.
async fn or_step_up(
    state: &AppState,
    session: &Session,
    form: &ActionForm,
    e: AppError,
    title: &str,
) -> Response {
    match e {
        AppError::ReauthRequired => form.step_up(state, session).await,
        e => {
            let (status, error) = explain(e);
            message(status, title, &error)
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    match state.app.start_totp(&session, form.get("name")).await {
        Ok(pending) => enroll_page(StatusCode::OK, pending, None),
        Err(e) => or_step_up(&state, &session, &form, e, "Could not add an authenticator").await,
    }
}

pub async fn verify(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    Path(id): Path<Uuid>,
    RawForm(body): RawForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let form = read(&body);
    let code = form.code.unwrap_or_default();
    match state
        .app
        .confirm_totp(&session, id, &code, form.name.as_deref(), &ctx)
        .await
    {
        Ok(confirmed) => match &confirmed.recovery_codes {
            Some(sheet) => super::recovery::sheet_page(
                &state,
                &session,
                sheet,
                Some(
                    "Authenticator app added: two-factor authentication is on. Save your recovery codes now.",
                ),
            ),
            None => see_other(&format!("{}?notice=totp_added", super::security::PATH)),
        },
        Err(e @ (AppError::BadCode(_) | AppError::InvalidInput { .. })) => {
            let (status, error) = explain(e);
            match state.app.pending_totp(&session, id).await {
                Ok(pending) => enroll_page(status, pending, Some(error)),
                Err(e) => {
                    let (status, error) = explain(e);
                    message(status, "Authenticator not added", &error)
                }
            }
        }
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "Authenticator not added", &error)
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
    match state.app.rename_totp(&session, id, name, &ctx).await {
        Ok(_) => see_other(&format!("{}?notice=totp_renamed", super::security::PATH)),
        Err(e) => or_step_up(&state, &session, &form, e, "Authenticator not renamed").await,
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
        .remove_totp(&session, id, confirm_last, &ctx)
        .await
    {
        Ok(()) => see_other(&format!("{}?notice=totp_removed", super::security::PATH)),
        Err(e) => or_step_up(&state, &session, &form, e, "Authenticator not removed").await,
    }
}
