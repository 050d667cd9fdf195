//! Administration: owners and admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use twofold_core::audit::EventKind;

use super::views::{EventPage, EventView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, ApiSession};
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
            filter.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(EventPage {
        events: events.iter().map(EventView::from).collect(),
    }))
}
