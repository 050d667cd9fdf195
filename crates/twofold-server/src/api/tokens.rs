//! Personal access tokens: the caller's own (create, list, revoke) and an
//! owner revoking someone's from their administration page. Every route
//! here refuses a token as the caller (`token_not_allowed`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use twofold_app::AccessTokenRequest;
use twofold_core::{AccessTokenId, AccountId};
use utoipa::ToSchema;

use super::views::AccessTokenView;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiSession, Client};
use crate::state::AppState;

/// What a new token asks for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1–64 characters, e.g. what the script is for.
    #[schema(value_type = super::views::NameText, example = "Nightly backup")]
    name: String,
    /// Seconds until it expires: required, from 60 to `token_max_lifetime`
    /// (365 days by default).
    #[schema(example = 2_592_000, minimum = 60, maximum = 31_536_000)]
    #[serde(deserialize_with = "whole_number")]
    expires_in: u64,
    /// `read` (GET routes) and/or `write` (the other routes tokens may use).
    #[schema(value_type = Vec<super::views::ScopeName>, example = json!(["read"]), min_items = 1)]
    scopes: Vec<String>,
}

/// A JSON number that is a whole number, written `3600` or `3600.0` (JSON
/// Schema's `integer` admits both).
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_u64() {
        return Ok(n);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&f) => Ok(f as u64),
        _ => Err(serde::de::Error::custom(format!(
            "expected a whole number of seconds, got {number}"
        ))),
    }
}

/// A new token: `token` is shown this once and never again.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// Use as `Authorization: Bearer tfp_…`.
    #[schema(example = "tfp_3kTq9Z…")]
    token: String,
    #[serde(flatten)]
    details: AccessTokenView,
}

/// The caller's live tokens.
#[derive(Serialize, ToSchema)]
pub struct TokenList {
    tokens: Vec<AccessTokenView>,
}

/// Create a personal access token (inside a step-up window). The token acts
/// as you on the routes tokens may use, never on a security route, and
/// cannot open a step-up window.
#[utoipa::path(
    post, path = "/me/tokens", tag = "tokens",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, description = "A body that is not the JSON described (`invalid_request`)", body = ErrorBody),
        (status = 422, description = "Bad name, lifetime or scopes (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "No fresh step-up (`reauth_required`), or called with a token (`token_not_allowed`)", body = ErrorBody),
        (status = 409, description = "The account holds the most tokens allowed (`conflict`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let request = AccessTokenRequest {
        name: body.name,
        expires_in: body.expires_in,
        scopes: body.scopes,
    };
    let created = state
        .app
        .create_access_token(&session, request, &ctx)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: created.token.expose().to_owned(),
            details: AccessTokenView::from(&created.record),
        }),
    ))
}

/// The caller's live personal access tokens, newest first.
#[utoipa::path(
    get, path = "/me/tokens", tag = "tokens",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = TokenList),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Called with a token (`token_not_allowed`)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.app.access_tokens(&session).await?;
    Ok(Json(TokenList {
        tokens: tokens.iter().map(AccessTokenView::from).collect(),
    }))
}

/// Revoke one of the caller's tokens: it stops working at once, on every
/// instance.
#[utoipa::path(
    delete, path = "/me/tokens/{id}", tag = "tokens",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Called with a token (`token_not_allowed`)", body = ErrorBody),
        (status = 404, description = "No such token of yours (`not_found`)", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<AccessTokenId>,
) -> Result<StatusCode, ApiError> {
    state.app.revoke_access_token(&session, id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke someone's token (owners only, step-up), audited with the owner
/// as actor.
#[utoipa::path(
    delete, path = "/admin/users/{id}/tokens/{token_id}", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("id" = Uuid, Path, description = "The account's id"),
        ("token_id" = Uuid, Path, description = "The token's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner (`forbidden`), no fresh step-up (`reauth_required`), or called with a token (`token_not_allowed`)", body = ErrorBody),
        (status = 404, description = "No such token of this account (`not_found`)", body = ErrorBody),
    )
)]
pub async fn revoke_of_user(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath((account, id)): ApiPath<(AccountId, AccessTokenId)>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_access_token_of(&session, account, id, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
