//! The caller's own account.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::views::AccountView;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiSession;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct MfaSummary {
    /// True exactly when the account has a verified authenticator or passkey.
    enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    account: AccountView,
    mfa: MfaSummary,
}

/// The signed-in account.
#[utoipa::path(
    get, path = "/me", tag = "account",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = Me),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Me>, ApiError> {
    let account = state.app.account(session.account_id).await?;
    Ok(Json(Me {
        account: AccountView::from(&account),
        // No second factors exist yet; the factor issues derive this.
        mfa: MfaSummary { enabled: false },
    }))
}
