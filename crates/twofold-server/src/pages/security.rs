//! Settings → Security: the account and its sign-in protections.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{render, see_other};
use crate::error::ApiError;
use crate::extract::PageSession;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    email: String,
    role: String,
    created_at: String,
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession) -> Response {
    let Some(session) = session else {
        return see_other("/login");
    };
    match state.app.account(session.account_id).await {
        Ok(account) => render(
            StatusCode::OK,
            &SecurityPage {
                email: account.email,
                role: account.role.to_string(),
                created_at: account.created_at.to_human(),
            },
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}
