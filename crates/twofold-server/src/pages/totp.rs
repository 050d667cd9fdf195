//! The authenticator-app card of the Security page: add (with the QR code
//! and the key), confirm, rename, remove.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use twofold_app::{AppError, PendingTotp};
use twofold_core::TotpId;

use super::action::{EnrolAction, NameForm, PageAction, RemoveForm};
use super::paths;
use super::recovery;
use super::respond::{explain, failed, notice, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "totp_enroll.html")]
struct EnrollPage {
    id: TotpId,
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::TOTP_ADD, post(add))
        .route("/settings/security/totp/{id}/verify", post(verify))
        .route(paths::TOTP_RENAME, post(rename))
        .route(paths::TOTP_REMOVE, post(remove))
}

/// The code from the app, and the name chosen for it.
#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    code: String,
    name: Option<String>,
}

async fn add(State(state): State<AppState>, a: EnrolAction<NameForm>) -> Response {
    match state
        .app
        .start_totp(&a.session, a.form.name.as_deref())
        .await
    {
        Ok(pending) => enroll_page(StatusCode::OK, pending, None),
        Err(e) => a.refused(&state, "Could not add an authenticator", e).await,
    }
}

/// A wrong code shows the enrolment page again, with the same key.
async fn verify(
    State(state): State<AppState>,
    Path(id): Path<TotpId>,
    a: EnrolAction<ConfirmForm>,
) -> Response {
    let (session, form) = (&a.session, &a.form);
    match state
        .app
        .confirm_totp(session, id, &form.code, form.name.as_deref(), &a.ctx)
        .await
    {
        Ok(confirmed) => match &confirmed.recovery_codes {
            Some(sheet) => recovery::sheet_page(
                &state,
                session,
                sheet,
                Some(
                    "Authenticator app added: two-factor authentication is on. Save your recovery codes now.",
                ),
            ),
            None => notice("totp_added"),
        },
        Err(e @ (AppError::BadCode(_) | AppError::InvalidInput { .. })) => {
            match state.app.pending_totp(session, id).await {
                Ok(pending) => {
                    let (status, error) = explain(e);
                    enroll_page(status, pending, Some(error))
                }
                Err(e) => failed("Authenticator not added", e),
            }
        }
        Err(e) => failed("Authenticator not added", e),
    }
}

async fn rename(
    State(state): State<AppState>,
    Path(id): Path<TotpId>,
    a: PageAction<NameForm>,
) -> Response {
    let name = a.form.name.as_deref().unwrap_or_default();
    let result = state.app.rename_totp(&a.session, id, name, &a.ctx).await;
    a.answer(&state, result, "totp_renamed", "Authenticator not renamed")
        .await
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<TotpId>,
    a: PageAction<RemoveForm>,
) -> Response {
    let confirm_last = a.form.confirm_last();
    let result = state
        .app
        .remove_totp(&a.session, id, confirm_last, &a.ctx)
        .await;
    a.answer(&state, result, "totp_removed", "Authenticator not removed")
        .await
}
