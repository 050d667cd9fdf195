//! One-time set-password links: an admin creates a user (or helps one who
//! forgot their password) and hands the link over; the link's holder sets
//! the password once, without a session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use twofold_app::IssuedLink;
use twofold_core::Role;
use utoipa::ToSchema;

use super::views::AccountView;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiSession, Client};
use crate::state::AppState;

/// The account to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(example = "sam@example.com", format = Email)]
    email: String,
    /// Admins create members only.
    #[schema(value_type = super::views::RoleName, example = "member")]
    role: String,
}

/// A link to hand over: whoever opens it may set the password once.
#[derive(Serialize, ToSchema)]
pub struct PasswordLinkView {
    /// `{public origin}/set-password?token=…`: shown once, stored only as a hash.
    set_password_url: String,
    /// RFC 3339; 24 hours after issue.
    expires_at: String,
}

/// The new account and its set-password link.
#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    user: AccountView,
    /// `{public origin}/set-password?token=…`: shown once, stored only as a hash.
    set_password_url: String,
    /// RFC 3339; 24 hours after issue.
    expires_at: String,
}

fn link_view(state: &AppState, issued: &IssuedLink) -> PasswordLinkView {
    PasswordLinkView {
        set_password_url: issued.url(&state.web.origin),
        expires_at: issued.expires_at.to_rfc3339(),
    }
}

/// Create a user with no password yet (owners: any role; admins: members
/// only; step-up). The answer carries a one-time set-password link, valid
/// 24 hours, to hand to the user. Audited `account.created` and
/// `password.link_issued`.
#[utoipa::path(
    post, path = "/admin/users", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created, with the link to hand over", body = CreatedUser),
        (status = 400, description = "Malformed request or unknown role (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed to create this role (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 409, description = "The email already has an account (`conflict`)", body = ErrorBody),
        (status = 422, description = "Invalid email (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let role = new
        .role
        .parse::<Role>()
        .map_err(|_| ApiError::invalid_request(format!("unknown role {:?}", new.role)))?;
    let issued = state
        .app
        .create_user(&session, &new.email, role, &ctx)
        .await?;
    let link = link_view(&state, &issued);
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: AccountView::from(&issued.account),
            set_password_url: link.set_password_url,
            expires_at: link.expires_at,
        }),
    ))
}

/// Issue a one-time set-password link for a user who forgot their password
/// (owners: anyone else; admins: members only; step-up). It replaces any
/// earlier link of theirs; their password, factors and sessions stay until
/// it is used. Audited `password.link_issued`. The same link as `twofold
/// user reset-password`.
#[utoipa::path(
    post, path = "/admin/users/{id}/password-link", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 201, description = "The link to hand over", body = PasswordLinkView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed for this user (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "Your own account: change your password in your settings (`own_account`)", body = ErrorBody),
    )
)]
pub async fn issue_link(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
) -> Result<(StatusCode, Json<PasswordLinkView>), ApiError> {
    let issued = state
        .app
        .issue_password_link_for(&session, id, &ctx)
        .await?;
    Ok((StatusCode::CREATED, Json(link_view(&state, &issued))))
}

/// The link's token and the new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The `token` of the set-password link.
    #[schema(value_type = String, format = Password)]
    token: SecretString,
    /// At least 8 characters, at most 1024 bytes, and not easily guessed.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

/// Set a password with a one-time link (no session). The link is used up,
/// every session of the account ends, and its second factors stay: the next
/// sign-in still asks for one. Wrong links count against the client address
/// (with failed passwords). Audited `password.reset`.
#[utoipa::path(
    post, path = "/password/set", tag = "accounts",
    request_body = SetPassword,
    responses(
        (status = 204, description = "Password set; sign in with it"),
        (status = 400, description = "Malformed request (`invalid_request`); the link is malformed, unknown, expired, used or replaced (`invalid_link`)", body = ErrorBody),
        (status = 422, description = "The password breaks a rule (`invalid_request`)", body = ErrorBody),
        (status = 429, description = "Too many wrong links or passwords from this address (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "The server is busy (`busy`)", body = ErrorBody),
    )
)]
pub async fn set_password(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<SetPassword>,
) -> Result<StatusCode, ApiError> {
    use secrecy::ExposeSecret as _;
    state
        .app
        .set_password_with_link(req.token.expose_secret(), req.password, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
