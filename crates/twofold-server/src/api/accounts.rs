//! Self-service sign-up.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::AccountView;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Client};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    email: String,
    /// At least 8 characters, at most 1024 bytes.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedAccount {
    account: AccountView,
}

/// Create an account. The first account of an empty instance is always
/// allowed and becomes the owner; later ones only when sign-up is open
/// (`signup = "open"`), as members.
#[utoipa::path(
    post, path = "/accounts", tag = "accounts",
    request_body = SignUpRequest,
    responses(
        (status = 201, body = CreatedAccount),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Sign-up is closed (`forbidden`)", body = ErrorBody),
        (status = 409, description = "Email already in use (`conflict`)", body = ErrorBody),
        (status = 422, description = "Invalid email or password (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<(StatusCode, Json<CreatedAccount>), ApiError> {
    let account = state.app.sign_up(&req.email, req.password, &ctx).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAccount {
            account: AccountView::from(&account),
        }),
    ))
}
