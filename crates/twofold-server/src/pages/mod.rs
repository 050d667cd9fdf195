//! The pages a person uses: setup, sign-in, Settings → Security,
//! Administration → Users. Server-side rendered (askama), plain forms, no
//! inline script (the CSP forbids it).

mod action;
mod admin;
mod auth;
mod mfa;
mod mfa_required;
mod passkeys;
mod paths;
mod pending;
mod recovery;
mod respond;
mod security;
mod set_password;
mod stash;
mod step_up;
mod tokens;
mod totp;

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use self::respond::not_found;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(mfa::router())
        .merge(mfa_required::router())
        .merge(security::router())
        .merge(step_up::router())
        .merge(totp::router())
        .merge(recovery::router())
        .merge(passkeys::router())
        .merge(set_password::router())
        .merge(admin::router())
        .merge(tokens::router())
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
