//! Reading the audit log: one's own activity, and (for admins) everyone's.

use twofold_core::AccountId;
use twofold_core::EventId;
use twofold_core::audit::EventKind;
use twofold_store::{AuditEvent, EventQuery, Session};

use crate::{App, AppError, AppResult};

/// The most events one page returns.
pub const MAX_PAGE: u32 = 200;
/// How many events a page returns when the caller does not say.
pub const DEFAULT_PAGE: u32 = 50;

/// The page size asked for, or the default, kept within 1..=MAX_PAGE.
fn page_size(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

impl App {
    /// The caller's own security events, newest first.
    pub async fn my_events(
        &self,
        session: &Session,
        before: Option<EventId>,
        limit: Option<u32>,
    ) -> AppResult<Vec<AuditEvent>> {
        Ok(self
            .store
            .events(&EventQuery {
                account_id: Some(session.account_id),
                kind: None,
                before,
                limit: page_size(limit),
            })
            .await?)
    }

    /// The whole audit log, for owners and admins.
    pub async fn all_events(
        &self,
        session: &Session,
        account_id: Option<AccountId>,
        kind: Option<EventKind>,
        before: Option<EventId>,
        limit: Option<u32>,
    ) -> AppResult<Vec<AuditEvent>> {
        if !session.account_role.is_admin() {
            return Err(AppError::Forbidden(
                "only owners and admins can read the audit log",
            ));
        }
        Ok(self
            .store
            .events(&EventQuery {
                account_id,
                kind,
                before,
                limit: page_size(limit),
            })
            .await?)
    }
}
