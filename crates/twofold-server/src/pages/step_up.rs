//! The step-up screen. A protected form that finds the window closed shows
//! this screen, carrying what the person typed as hidden fields; a correct
//! proof answers `307 Temporary Redirect` to the original action, so the
//! browser posts the same fields again and the change goes through.

use askama::Template;
use axum::extract::{Query, RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;
use twofold_app::{AppError, Proof};
use twofold_store::Session;

use super::{explain, render, see_other};
use crate::extract::{Client, PageSession};
use crate::state::AppState;

/// Fields of the step-up form itself, never carried over.
const OWN_FIELDS: [&str; 4] = ["return_to", "reauth_password", "reauth_code", "username"];
/// Actions (form posts) live below this path; the page itself is a GET.
const ACTIONS: &str = "/settings/security/";

#[derive(Template)]
#[template(path = "reauth.html")]
struct ReauthPage<'a> {
    email: &'a str,
    return_to: &'a str,
    stash: Vec<(String, String)>,
    window_minutes: u64,
    has_totp: bool,
    has_passkey: bool,
    /// How the passkey path continues to `return_to`: `post` for an action.
    continue_method: &'static str,
    error: Option<String>,
}

/// The fields of a form, kept to be posted again after the step-up.
pub struct StashedForm(Vec<(String, String)>);

impl StashedForm {
    pub fn from_body(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .filter(|(name, _)| !OWN_FIELDS.contains(&name.as_ref()))
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
        )
    }
}

/// Renders the step-up screen for an action at `return_to`.
pub async fn screen(
    state: &AppState,
    session: &Session,
    return_to: &str,
    stash: StashedForm,
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
            return_to,
            stash: stash.0,
            window_minutes: state.app.policy().step_up_window.as_secs().div_ceil(60),
            has_totp,
            has_passkey,
            continue_method: if return_to.starts_with(ACTIONS) {
                "post"
            } else {
                "get"
            },
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct ReturnTo {
    return_to: Option<String>,
}

/// `GET /reauth?return_to=…`: the screen on its own (no form to carry).
pub async fn page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<ReturnTo>,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let return_to = query.return_to.as_deref().unwrap_or(super::security::PATH);
    let return_to = safe_return(return_to).unwrap_or(super::security::PATH);
    let mut response = screen(&state, &session, return_to, StashedForm(Vec::new()), None).await;
    *response.status_mut() = StatusCode::OK;
    response
}

/// `POST /reauth`: checks the password, then sends the browser back.
pub async fn confirm(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Client(ctx): Client,
    RawForm(body): RawForm,
) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let return_to = field("return_to").unwrap_or_default();
    let proof = match field("reauth_code").filter(|c| !c.trim().is_empty()) {
        Some(code) => Proof::Totp(code),
        None => Proof::Password(SecretString::from(
            field("reauth_password").unwrap_or_default(),
        )),
    };
    let stash = StashedForm::from_body(&body);
    let Some(return_to) = safe_return(&return_to) else {
        return see_other(super::security::PATH);
    };
    match state.app.reauthenticate(&session, proof, &ctx).await {
        // 307 keeps the method and body: the original form is posted again.
        Ok(_) if return_to.starts_with(ACTIONS) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, return_to)],
        )
            .into_response(),
        Ok(_) => see_other(return_to),
        Err(
            e @ (AppError::WrongProof
            | AppError::RateLimited { .. }
            | AppError::BadCode(_)
            | AppError::TotpLocked),
        ) => screen(&state, &session, return_to, stash, Some(explain(e))).await,
        Err(e) => {
            let (status, error) = explain(e);
            super::message(status, "Not confirmed", &error)
        }
    }
}

/// Only our own pages: a path under /settings/, never another host.
fn safe_return(path: &str) -> Option<&str> {
    let local = path.starts_with("/settings/")
        && !path.contains("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic());
    local.then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_settings_paths_are_returned_to() {
        assert_eq!(
            safe_return("/settings/security"),
            Some("/settings/security")
        );
        for bad in [
            "//evil.example/settings/",
            "https://evil.example",
            "/settings//x",
            "/login",
            "/settings/\\evil",
            "/settings/a b",
        ] {
            assert_eq!(safe_return(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_step_up_form_is_not_carried_over() {
        let stash = StashedForm::from_body(
            b"current_password=a&new_password=b&reauth_password=c&return_to=x",
        );
        assert_eq!(
            stash.0,
            vec![
                ("current_password".into(), "a".into()),
                ("new_password".into(), "b".into())
            ]
        );
    }
}
