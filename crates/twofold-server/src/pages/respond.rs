//! The answers page handlers share: a rendered template, the message page,
//! a use-case error in the page's words, and the redirects.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use twofold_app::AppError;

use super::paths;
use crate::error::status_and_code;
use crate::internal_causes;

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

pub fn message(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &MessagePage { title, message })
}

/// Pages send `Referrer-Policy: same-origin` where every other response
/// sends `no-referrer`: under `no-referrer` a browser sends `Origin: null`
/// with our own form posts, which the origin check must refuse (a page of
/// any site can produce `Origin: null`). `same-origin` still never sends a
/// referrer to another site.
const PAGE_REFERRER_POLICY: &str = "same-origin";

pub fn render(status: StatusCode, page: &impl Template) -> Response {
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
pub fn explain(e: AppError) -> (StatusCode, String) {
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
            internal_causes::keep_internal_cause(cause);
            "Something went wrong on our side. Try again.".to_owned()
        }
        other => capitalise(&other.to_string()),
    }
}

/// A refused page action: the message page titled `title`.
pub fn failed(title: &str, e: AppError) -> Response {
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

pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// Back to the Security page, showing the notice `key`.
pub fn notice(key: &str) -> Response {
    notice_at(paths::SECURITY, key)
}

/// Back to the page at `path`, showing its notice `key` (a key of the
/// page's own fixed set: the page writes the text, never the query).
pub fn notice_at(path: &str, key: &str) -> Response {
    see_other(&format!("{path}?notice={key}"))
}
