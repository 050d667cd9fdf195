//! Self-service sign-up.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use twofold_app::SignUp;
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

/// The answer to an open sign-up, the same whether the email was new or
/// already had an account.
#[derive(Serialize, ToSchema)]
pub struct SignUpRequested {
    /// Always `"requested"`.
    status: &'static str,
    message: &'static str,
}

/// Create an account. The first account of an empty instance is always
/// allowed and becomes the owner (`201` with the account); later ones only
/// when sign-up is open (`signup = "open"`), as members, answered `202`
/// with the same body whether the email was new or taken (sign-up never
/// tells who has an account), and limited per client address.
#[utoipa::path(
    post, path = "/accounts", tag = "accounts",
    request_body = SignUpRequest,
    responses(
        (status = 201, description = "The instance's first account (its owner)", body = CreatedAccount),
        (status = 202, description = "Open sign-up: the account exists now if the email was new", body = SignUpRequested),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Sign-up is closed (`forbidden`)", body = ErrorBody),
        (status = 422, description = "Invalid email or password (`invalid_request`)", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<Response, ApiError> {
    Ok(
        match state.app.sign_up(&req.email, req.password, &ctx).await? {
            SignUp::Owner(account) => (
                StatusCode::CREATED,
                Json(CreatedAccount {
                    account: AccountView::from(&account),
                }),
            )
                .into_response(),
            SignUp::Requested => (
                StatusCode::ACCEPTED,
                Json(SignUpRequested {
                    status: "requested",
                    message: "if this email had no account, it has one now: sign in to continue",
                }),
            )
                .into_response(),
        },
    )
}
