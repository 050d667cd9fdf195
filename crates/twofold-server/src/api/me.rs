//! The caller's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::{AccountView, EventPage, EventPaging, EventView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AnyCaller, ApiCaller, ApiJson, ApiQuery, Client, RequireStepUp};
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
    AnyCaller(session): AnyCaller,
) -> Result<Json<Me>, ApiError> {
    let account = state.app.account(session.account_id).await?;
    let mfa = state.app.mfa_overview(session.account_id).await?;
    Ok(Json(Me {
        account: AccountView::from(&account),
        mfa: MfaSummary {
            enabled: mfa.enabled(),
        },
    }))
}

/// The caller's own recent security activity, newest first.
#[utoipa::path(
    get, path = "/me/events", tag = "account",
    security(("bearer" = []), ("cookie" = [])),
    params(EventPaging),
    responses(
        (status = 200, body = EventPage),
        (status = 400, description = "Bad paging parameters (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    ApiCaller(session): ApiCaller,
    ApiQuery(paging): ApiQuery<EventPaging>,
) -> Result<Json<EventPage>, ApiError> {
    let events = state
        .app
        .my_events(&session, paging.before, paging.limit)
        .await?;
    Ok(Json(EventPage {
        events: events.iter().map(EventView::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    /// At least 8 characters, at most 1024 bytes.
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

/// Change the password (step-up). Signs out the account's other sessions.
#[utoipa::path(
    put, path = "/me/password", tag = "account",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed; other sessions signed out"),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "No open step-up window (`reauth_required`), or a wrong current password (`invalid_credentials`)", body = ErrorBody),
        (status = 422, description = "The new password breaks the rules (`invalid_request`)", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
    ApiJson(req): ApiJson<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .change_password(&session, req.current_password, req.new_password, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
