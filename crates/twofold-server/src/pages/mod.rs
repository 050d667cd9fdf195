//! The pages a person uses: setup, sign-in, Settings → Security. Server-side
//! rendered (askama), plain forms, no inline script (the CSP forbids it).

mod action;
mod auth;
mod mfa;
mod passkeys;
mod pending;
mod recovery;
mod security;
mod stash;
mod step_up;
mod totp;

/// Where a signed-in person lands.
pub const HOME: &str = "/settings/security";

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use twofold_app::AppError;

use crate::error::status_and_code;
use crate::middleware;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(mfa::router())
        .merge(security::router())
        .merge(step_up::router())
        .merge(totp::router())
        .merge(recovery::router())
        .merge(passkeys::router())
        .route("/assets/app.js", get(script))
        .route("/assets/app.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.js"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// Any unknown path outside the API.
pub async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is no page here.")
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &MessagePage { title, message })
}

/// Pages send `Referrer-Policy: same-origin` where every other response
/// sends `no-referrer`: under `no-referrer` a browser sends `Origin: null`
/// with our own form posts, which the origin check must refuse (a page of
/// any site can produce `Origin: null`). `same-origin` still never sends a
/// referrer to another site.
const PAGE_REFERRER_POLICY: &str = "same-origin";

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::REFERRER_POLICY, PAGE_REFERRER_POLICY)],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A use-case error as a sentence for a form, with the status to answer
/// (the API's, from the one table).
fn explain(e: AppError) -> (StatusCode, String) {
    let (status, _) = status_and_code(&e);
    (status, page_wording(e))
}

/// The page's own wording where the API's message reads badly on a form;
/// otherwise that message as a sentence.
fn page_wording(e: AppError) -> String {
    match e {
        AppError::InvalidCredentials => "Email or password is incorrect.".to_owned(),
        AppError::WrongProof => "That password or code is incorrect.".to_owned(),
        AppError::WrongCode => {
            "That code is incorrect. Enter the newest code from your app.".to_owned()
        }
        AppError::ChallengeExpired => "This sign-in has expired. Sign in again.".to_owned(),
        AppError::RateLimited { retry_after } => format!(
            "Too many attempts. Try again in {} minutes.",
            retry_after.as_secs().div_ceil(60).max(1)
        ),
        AppError::Busy => "The server is busy. Try again in a moment.".to_owned(),
        AppError::Internal(cause) => {
            middleware::keep_internal_cause(cause);
            "Something went wrong on our side. Try again.".to_owned()
        }
        other => capitalise(&other.to_string()),
    }
}

/// A refused page action: the message page titled `title`.
fn failed(title: &str, e: AppError) -> Response {
    let (status, error) = explain(e);
    message(status, title, &error)
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}
