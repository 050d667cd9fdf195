//! The second step of a browser sign-in: the MFA page.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use twofold_app::{AppError, MfaProof};

use super::paths::HOME;
use super::respond::{explain, render, see_other};
use crate::cookies;
use crate::extract::{Client, PageForm};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/login/mfa", get(page).post(submit))
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage {
    /// Show the recovery-code form instead of the authenticator one.
    recovery: bool,
    /// The account has a passkey or security key to offer.
    passkeys: bool,
    error: Option<String>,
}

async fn has_passkeys(state: &AppState, challenge_id: &str) -> bool {
    state
        .app
        .challenge_methods(challenge_id)
        .await
        .is_ok_and(|m| m.contains(&twofold_app::MfaMethod::Webauthn))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    method: String,
}

#[derive(Deserialize)]
pub struct Method {
    method: Option<String>,
}

fn challenge(state: &AppState, headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(state.web.challenge_cookie())
        .map(|c| c.value().to_owned())
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(method): Query<Method>,
) -> Response {
    let Some(challenge_id) = challenge(&state, &headers) else {
        return see_other("/login");
    };
    let recovery = method.method.as_deref() == Some("recovery_code");
    let passkeys = has_passkeys(&state, &challenge_id).await;
    render(
        StatusCode::OK,
        &MfaPage {
            recovery,
            passkeys,
            error: None,
        },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    Client(ctx): Client,
    headers: HeaderMap,
    PageForm(form): PageForm<CodeForm>,
) -> Response {
    let Some(challenge_id) = challenge(&state, &headers) else {
        return see_other("/login");
    };
    let form = form.unwrap_or(CodeForm {
        code: String::new(),
        method: String::new(),
    });
    let recovery = form.method == "recovery_code";
    let proof = if recovery {
        MfaProof::RecoveryCode(form.code)
    } else {
        MfaProof::Totp(form.code)
    };
    match state.app.complete_mfa(&challenge_id, proof, &ctx).await {
        Ok(issued) => {
            // Several cookies: `AppendHeaders`, as a plain header array
            // would keep only the last one.
            let session = cookies::session_cookie(&state.web, &issued);
            let set = std::iter::once(session).chain(cookies::clear_challenge_cookies(&state.web));
            (
                AppendHeaders(set.map(|cookie| (header::SET_COOKIE, cookie))),
                // A recovery-code sign-in's notice comes from the session
                // itself (see the Security page), not from the URL.
                see_other(HOME),
            )
                .into_response()
        }
        Err(AppError::ChallengeExpired) => (
            AppendHeaders(
                cookies::clear_challenge_cookies(&state.web)
                    .map(|cookie| (header::SET_COOKIE, cookie)),
            ),
            see_other("/login?expired=1"),
        )
            .into_response(),
        Err(e) => {
            let (status, error) = explain(e);
            let passkeys = has_passkeys(&state, &challenge_id).await;
            render(
                status,
                &MfaPage {
                    recovery,
                    passkeys,
                    error: Some(error),
                },
            )
        }
    }
}
