//! Recovery codes on the Security page: the sheet (shown once), a new
//! sheet, and turning two-factor authentication off.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use twofold_app::{AppError, RecoverySheet, Session};

use super::stash::ActionForm;
use super::{explain, message, render, see_other};
use crate::extract::{Client, PageSession};
use crate::state::AppState;

pub const FILENAME: &str = "twofold-recovery-codes.txt";

#[derive(Template)]
#[template(path = "recovery_sheet.html")]
struct SheetPage {
    intro: Option<&'static str>,
    codes: Vec<String>,
    codes_text: String,
    filename: &'static str,
    file_text: String,
}

/// The sheet, shown this once. `intro` says why it appears.
pub fn sheet_page(
    state: &AppState,
    session: &Session,
    sheet: &RecoverySheet,
    intro: Option<&'static str>,
) -> Response {
    let codes: Vec<String> = sheet.codes.iter().map(|c| c.display()).collect();
    let codes_text = codes.join("\n");
    let file_text = format!(
        "{issuer} recovery codes\nAccount: {account}\nGenerated: {date}\n\n{codes_text}\n\n\
         Each code signs you in once if you lose your authenticator. Keep this file somewhere safe, apart from your devices.\n",
        issuer = state.app.policy().issuer,
        account = session.account_email,
        date = sheet.generated_at.to_human(),
    );
    render(
        StatusCode::OK,
        &SheetPage {
            intro,
            codes,
            codes_text,
            filename: FILENAME,
            file_text,
        },
    )
}

pub async fn generate(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    match state.app.generate_recovery_codes(&session, &ctx).await {
        Ok(sheet) => sheet_page(
            &state,
            &session,
            &sheet,
            Some("New recovery codes generated. Your old codes no longer work."),
        ),
        Err(AppError::ReauthRequired) => form.step_up(&state, &session).await,
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "No new recovery codes", &error)
        }
    }
}

pub async fn disable(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    form: ActionForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let confirmed = form.get("confirm") == Some("true");
    if !confirmed {
        return message(
            StatusCode::BAD_REQUEST,
            "Two-factor authentication is still on",
            "Tick \"I understand\" to turn it off.",
        );
    }
    match state.app.disable_mfa(&session, &ctx).await {
        Ok(()) => see_other(&format!("{}?notice=mfa_disabled", super::security::PATH)),
        Err(AppError::ReauthRequired) => form.step_up(&state, &session).await,
        Err(e) => {
            let (status, error) = explain(e);
            message(status, "Two-factor authentication is still on", &error)
        }
    }
}
