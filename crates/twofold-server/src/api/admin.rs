//! Administration: owners and admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use twofold_app::MfaReset;
use twofold_core::audit::EventKind;

use super::views::{EventPage, EventView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, ApiSession, Client};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only events about this account.
    #[param(value_type = Option<Uuid>)]
    account_id: Option<twofold_core::AccountId>,
    /// Only events of this kind, e.g. `sign_in.failed`.
    kind: Option<String>,
    /// At most this many events (1–200, default 50).
    limit: Option<u32>,
    /// Only events older than the event with this id.
    #[param(value_type = Option<Uuid>)]
    before: Option<twofold_core::EventId>,
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
    ApiSession(session): ApiSession,
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
}

impl From<MfaReset> for MfaResetView {
    fn from(r: MfaReset) -> Self {
        Self {
            totp: r.totp,
            passkeys: r.passkeys,
            recovery_codes: r.recovery_codes,
            sessions: r.sessions,
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
