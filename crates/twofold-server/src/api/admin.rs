//! Administration: owners and admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use twofold_app::{AccountSummary, AppError, MfaReset, UserDetail, UserQuery};
use twofold_core::Role;
use twofold_core::audit::EventKind;

use super::mfa::AuthenticatorView;
use super::passkeys::PasskeyView;
use super::views::{
    AccessTokenView, AccountStatus, AccountView, EventPage, EventView, RoleName, SessionListItem,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiCaller, ApiJson, ApiPath, ApiQuery, ApiSession, Client};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only events about this account.
    #[param(value_type = Option<Uuid>, nullable = false)]
    account_id: Option<twofold_core::AccountId>,
    /// Only events of this kind, e.g. `sign_in.failed`.
    #[param(schema_with = event_kind_schema)]
    kind: Option<String>,
    /// At most this many events (default 50); above 200 is taken as 200,
    /// 0 as 1.
    #[param(value_type = Option<u64>, nullable = false, minimum = 0, maximum = 4294967295_u64)]
    limit: Option<u32>,
    /// Only events older than the event with this id.
    #[param(value_type = Option<Uuid>, nullable = false)]
    before: Option<twofold_core::EventId>,
}

/// The event kinds, as a string enum: the one list in the core.
fn event_kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(EventKind::ALL.iter().map(|k| k.as_str())))
        .build()
}

/// The whole audit log, newest first (owners and admins).
#[utoipa::path(
    get, path = "/admin/events", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(EventFilter),
    responses(
        (status = 200, body = EventPage),
        (status = 400, description = "Bad filter (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner or admin (`forbidden`)", body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    ApiCaller(session): ApiCaller,
    ApiQuery(filter): ApiQuery<EventFilter>,
) -> Result<Json<EventPage>, ApiError> {
    let kind = match filter.kind.as_deref() {
        None => None,
        Some(text) => Some(
            EventKind::parse(text)
                .ok_or_else(|| ApiError::invalid_request(format!("unknown event kind {text:?}")))?,
        ),
    };
    let events = state
        .app
        .all_events(
            &session,
            filter.account_id,
            kind,
            filter.before,
            filter.limit,
        )
        .await?;
    Ok(Json(EventPage {
        events: events.iter().map(EventView::from).collect(),
    }))
}

/// What a reset removed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MfaResetView {
    /// Authenticator apps removed.
    totp: u64,
    passkeys: u64,
    /// Unused recovery codes removed.
    recovery_codes: u64,
    /// Sessions ended, on every instance.
    sessions: u64,
    /// Personal access tokens revoked.
    tokens: u64,
}

impl From<MfaReset> for MfaResetView {
    fn from(r: MfaReset) -> Self {
        Self {
            totp: r.totp,
            passkeys: r.passkeys,
            recovery_codes: r.recovery_codes,
            sessions: r.sessions,
            tokens: r.tokens,
        }
    }
}

/// Turn off two-factor authentication for a locked-out user (owners only,
/// step-up): their authenticator apps, passkeys and recovery codes go, and
/// every session of theirs ends, in one transaction. The same reset as
/// `twofold recover disable-2fa`.
#[utoipa::path(
    post, path = "/admin/users/{id}/mfa/disable", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "Removed; the user signs in with the password alone", body = MfaResetView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "Your own account: use your security settings (`own_account`); or nothing to remove (`nothing_to_reset`)", body = ErrorBody),
    )
)]
pub async fn disable_user_mfa(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
) -> Result<Json<MfaResetView>, ApiError> {
    let (_, removed) = state.app.reset_mfa_of(&session, id, &ctx).await?;
    Ok(Json(removed.into()))
}

/// The role to give.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    #[schema(value_type = RoleName, example = "admin")]
    role: String,
}

/// Change a user's role (owners only, step-up). Giving the role the user
/// already has changes nothing and is not audited; the last owner cannot be
/// demoted. Audited `role.changed`, in the user's own activity list too.
#[utoipa::path(
    post, path = "/admin/users/{id}/role", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The account with its role now", body = AccountView),
        (status = 400, description = "Unknown role (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "It would leave no owner (`last_owner`)", body = ErrorBody),
    )
)]
pub async fn set_user_role(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
    ApiJson(change): ApiJson<RoleChange>,
) -> Result<Json<AccountView>, ApiError> {
    let role = change
        .role
        .parse::<Role>()
        .map_err(|_| ApiError::invalid_request(format!("unknown role {:?}", change.role)))?;
    let account = state.app.set_role_of(&session, id, role, &ctx).await?;
    Ok(Json(AccountView::from(&account)))
}

/// Disable an account (step-up; owners: anyone but themselves, admins:
/// members only). Every session of theirs ends at once, on every instance,
/// and signing in is refused with the wrong password's answer. Already
/// disabled: `200`, no change, not audited. Audited `account.disabled`
/// with the sessions ended, in the user's own activity list too. The same
/// change as `twofold user disable`.
#[utoipa::path(
    post, path = "/admin/users/{id}/disable", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account, disabled", body = AccountView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "A member, an admin naming an owner or admin (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "Your own account (`own_account`), or the last active owner (`last_owner`)", body = ErrorBody),
    )
)]
pub async fn disable_user(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
) -> Result<Json<AccountView>, ApiError> {
    let account = state.app.disable_user(&session, id, &ctx).await?;
    Ok(Json(AccountView::from(&account)))
}

/// Enable a disabled account again (the same rules as disabling). Already
/// active: `200`, no change, not audited. Audited `account.enabled`, in the
/// user's own activity list too. The same change as `twofold user enable`.
#[utoipa::path(
    post, path = "/admin/users/{id}/enable", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account, active", body = AccountView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "A member, an admin naming an owner or admin (`forbidden`), or no fresh step-up (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "Your own account (`own_account`)", body = ErrorBody),
    )
)]
pub async fn enable_user(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
) -> Result<Json<AccountView>, ApiError> {
    let account = state.app.enable_user(&session, id, &ctx).await?;
    Ok(Json(AccountView::from(&account)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Only emails containing this text, whatever its case.
    #[param(nullable = false)]
    q: Option<String>,
    /// Only this role.
    #[param(value_type = Option<RoleName>, nullable = false)]
    role: Option<String>,
    /// Only users with (`true`) or without (`false`) two-factor authentication.
    #[param(nullable = false)]
    mfa: Option<bool>,
    /// Only `active` or only `disabled` users.
    #[param(value_type = Option<AccountStatus>, nullable = false)]
    status: Option<String>,
    /// At most this many users (1–200, default 50; above 200 is taken as
    /// 200, 0 as 1).
    #[param(value_type = Option<u64>, nullable = false, minimum = 0, maximum = 4294967295_u64)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[param(value_type = Option<Uuid>, nullable = false)]
    cursor: Option<twofold_core::AccountId>,
}

/// One row of the users list: counts and dates, never a secret.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserRow {
    #[schema(value_type = Uuid)]
    id: twofold_core::AccountId,
    email: String,
    #[schema(value_type = String, example = "member")]
    role: Role,
    /// RFC 3339.
    created_at: String,
    /// A confirmed authenticator app or a passkey exists.
    mfa: bool,
    /// Confirmed authenticator apps.
    totp: u64,
    passkeys: u64,
    recovery_codes_left: u64,
    /// The latest successful sign-in (RFC 3339), from the audit log.
    last_sign_in: Option<String>,
    /// The account's role must use two-factor authentication
    /// (`mfa_required_roles`); with `mfa` false, it is not compliant.
    mfa_required: bool,
    /// Not compliant: its deadline (RFC 3339; past it, sign-in allows only
    /// enrolling a factor). Null when compliant, or until its first sign-in
    /// since the requirement applied starts the deadline.
    mfa_due: Option<String>,
    /// `active` or `disabled`.
    status: AccountStatus,
    /// When it was disabled (RFC 3339); null while it is active.
    disabled_at: Option<String>,
}

impl UserRow {
    fn new(u: &AccountSummary, mfa: twofold_app::UserMfaRequirement) -> Self {
        Self {
            mfa_required: mfa.required,
            mfa_due: mfa.due.map(|at| at.to_rfc3339()),
            ..Self::from(u)
        }
    }
}

impl From<&AccountSummary> for UserRow {
    fn from(u: &AccountSummary) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            role: u.role,
            created_at: u.created_at.to_rfc3339(),
            mfa: u.mfa(),
            totp: u.totp,
            passkeys: u.passkeys,
            recovery_codes_left: u.recovery_codes_left,
            last_sign_in: u.last_sign_in.map(|at| at.to_rfc3339()),
            mfa_required: false,
            mfa_due: None,
            status: AccountStatus::of(u.disabled_at),
            disabled_at: u.disabled_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// A page of users, by email.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserPageView {
    users: Vec<UserRow>,
    /// Pass as `cursor` for the next page; null on the last one.
    #[schema(value_type = Option<Uuid>)]
    next_cursor: Option<twofold_core::AccountId>,
}

/// The users, by email, with their role and factor counts (owners and admins).
#[utoipa::path(
    get, path = "/admin/users", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(UserFilter),
    responses(
        (status = 200, body = UserPageView),
        (status = 400, description = "Bad filter or cursor (`invalid_request`)", body = ErrorBody),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner or admin (`forbidden`)", body = ErrorBody),
    )
)]
pub async fn users(
    State(state): State<AppState>,
    ApiCaller(session): ApiCaller,
    ApiQuery(filter): ApiQuery<UserFilter>,
) -> Result<Json<UserPageView>, ApiError> {
    let role = match filter.role.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<Role>()
                .map_err(|_| ApiError::invalid_request(format!("unknown role {text:?}")))?,
        ),
    };
    let disabled = match filter.status.as_deref() {
        None => None,
        Some("active") => Some(false),
        Some("disabled") => Some(true),
        Some(text) => {
            return Err(ApiError::invalid_request(format!(
                "unknown status {text:?}: active or disabled"
            )));
        }
    };
    let query = UserQuery {
        search: filter.q,
        role,
        mfa: filter.mfa,
        disabled,
        after: filter.cursor,
        limit: filter.limit,
    };
    // A bad cursor or search is a bad query string, like a bad role.
    let page = match state.app.list_users(&session, &query).await {
        Err(AppError::InvalidInput { message, .. }) => {
            return Err(ApiError::invalid_request(message));
        }
        other => other?,
    };
    Ok(Json(UserPageView {
        users: page
            .users
            .iter()
            .map(|u| UserRow::new(u, page.mfa_required_of(u.id)))
            .collect(),
        next_cursor: page.next,
    }))
}

/// The second factors of a user: names and dates only.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserFactorsView {
    /// A confirmed authenticator app or a passkey exists.
    enabled: bool,
    totp: Vec<AuthenticatorView>,
    passkeys: Vec<PasskeyView>,
    recovery_codes_left: i64,
}

/// One user, as an admin sees them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserDetailView {
    account: AccountView,
    factors: UserFactorsView,
    /// Live sessions, on every instance.
    sessions: Vec<SessionListItem>,
    /// Live personal access tokens (never the tokens themselves).
    tokens: Vec<AccessTokenView>,
    /// The latest security events (at most 20), newest first.
    events: Vec<EventView>,
}

/// One user's factors, sessions and latest security events (owners and admins).
#[utoipa::path(
    get, path = "/admin/users/{id}", tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, body = UserDetailView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an owner or admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
    )
)]
pub async fn user(
    State(state): State<AppState>,
    ApiCaller(session): ApiCaller,
    ApiPath(id): ApiPath<twofold_core::AccountId>,
) -> Result<Json<UserDetailView>, ApiError> {
    let UserDetail {
        account,
        mfa,
        sessions,
        tokens,
        events,
    } = state.app.user_detail(&session, id).await?;
    Ok(Json(UserDetailView {
        account: AccountView::from(&account),
        factors: UserFactorsView {
            enabled: mfa.enabled(),
            totp: mfa.totp.iter().map(AuthenticatorView::from).collect(),
            passkeys: mfa.passkeys.iter().map(PasskeyView::from).collect(),
            recovery_codes_left: mfa.recovery.map_or(0, |r| r.remaining),
        },
        // `current` marks the admin's own session when they look at themselves.
        sessions: sessions
            .iter()
            .map(|s| SessionListItem::new(s, session.id))
            .collect(),
        tokens: tokens.iter().map(AccessTokenView::from).collect(),
        events: events.iter().map(EventView::from).collect(),
    }))
}
