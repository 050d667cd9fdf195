//! Recovery codes on the Security page: the sheet (shown once), a new
//! sheet, and turning two-factor authentication off.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use twofold_app::{RecoverySheet, Session};

use super::action::{NoFields, PageAction};
use super::paths;
use super::respond::{message, render};
use crate::state::AppState;

pub const FILENAME: &str = "twofold-recovery-codes.txt";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::RECOVERY_GENERATE, post(generate))
        .route(paths::MFA_DISABLE, post(disable))
}

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

async fn generate(State(state): State<AppState>, a: PageAction<NoFields>) -> Response {
    match state.app.generate_recovery_codes(&a.session, &a.ctx).await {
        Ok(sheet) => sheet_page(
            &state,
            &a.session,
            &sheet,
            Some("New recovery codes generated. Your old codes no longer work."),
        ),
        Err(e) => a.refused(&state, "No new recovery codes", e).await,
    }
}

/// "I understand" ticked: `confirm=true`.
#[derive(Deserialize)]
struct DisableForm {
    confirm: Option<String>,
}

async fn disable(State(state): State<AppState>, a: PageAction<DisableForm>) -> Response {
    const TITLE: &str = "Two-factor authentication is still on";
    if a.form.confirm.as_deref() != Some("true") {
        return message(
            StatusCode::BAD_REQUEST,
            TITLE,
            "Tick \"I understand\" to turn it off.",
        );
    }
    let result = state.app.disable_mfa(&a.session, &a.ctx).await;
    a.answer(&state, result, "mfa_disabled", TITLE).await
}
