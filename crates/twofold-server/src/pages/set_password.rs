//! `/set-password?token=…`: the page a one-time set-password link opens.
//! No session: the link's token, kept in a hidden field, is the credential.
//!
//! The token is in the address, so these answers send `Referrer-Policy:
//! no-referrer` (not the pages' usual `same-origin`) and `Cache-Control:
//! no-store`: the address never leaves in a `Referer`, not even to this
//! server's own logs. Under `no-referrer` a browser posts the form with
//! `Origin: null`; the origin check lets that through for this one path,
//! which reads no cookie (see `middleware::origin_check`).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use secrecy::SecretString;
use serde::Deserialize;
use twofold_app::AppError;

use super::respond::{explain, message, render};
use crate::extract::{Client, PageForm};
use crate::state::AppState;

/// The page's path: the links point here (`IssuedLink::url`).
pub const PATH: &str = "/set-password";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(page).post(submit))
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    /// The password is set: the page says so and links to sign-in.
    done: bool,
    token: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    token: String,
    #[serde(default = "empty_secret")]
    password: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

/// Keeps the token out of any `Referer` and any cache.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn invalid_link(e: AppError) -> Response {
    let (status, text) = explain(e);
    message(status, "This link does not work", &text)
}

pub async fn page(State(state): State<AppState>, Query(query): Query<LinkQuery>) -> Response {
    private(match state.app.password_link_account(&query.token).await {
        Ok(account) => render(
            StatusCode::OK,
            &SetPasswordPage {
                done: false,
                token: query.token,
                email: account.email,
                error: None,
            },
        ),
        Err(e) => invalid_link(e),
    })
}

pub async fn submit(
    State(state): State<AppState>,
    Client(ctx): Client,
    PageForm(form): PageForm<SetPasswordForm>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(e) => return private(message(e.status, "This link does not work", &e.message)),
    };
    let answer = match state
        .app
        .set_password_with_link(&form.token, form.password, &ctx)
        .await
    {
        Ok(()) => render(
            StatusCode::OK,
            &SetPasswordPage {
                done: true,
                token: String::new(),
                email: String::new(),
                error: None,
            },
        ),
        Err(e @ AppError::InvalidLink) => invalid_link(e),
        // A refused password: the form again, the link still unused.
        Err(e) => {
            let email = state
                .app
                .password_link_account(&form.token)
                .await
                .map(|account| account.email);
            match email {
                Ok(email) => {
                    let (status, error) = explain(e);
                    render(
                        status,
                        &SetPasswordPage {
                            done: false,
                            token: form.token,
                            email,
                            error: Some(error),
                        },
                    )
                }
                Err(gone) => invalid_link(gone),
            }
        }
    };
    private(answer)
}
