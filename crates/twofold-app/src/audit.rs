//! The one audit writer and the one throttle: every use case records its
//! events and counts its failures through these.

use serde_json::Value;
use twofold_core::AccountId;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::throttle::Limit;
use twofold_store::{AuditEvent, Tx};
use uuid::Uuid;

use crate::{App, AppError, AppResult, RequestContext};

/// A throttle key and the limit that applies to it.
pub(crate) type Counted = (String, Limit);

impl App {
    /// An audit event at the current time. `detail` must hold no secret.
    pub(crate) fn event(
        &self,
        kind: EventKind,
        account: Option<AccountId>,
        actor: Actor,
        ctx: &RequestContext,
        detail: Value,
    ) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            at: self.clock.now(),
            account_id: account,
            actor,
            kind,
            ip: ctx.ip.clone(),
            user_agent: ctx.user_agent.clone(),
            detail: detail.to_string(),
        }
    }

    /// Writes `event` inside the use case's transaction: it commits or rolls
    /// back with the change it records.
    pub(crate) async fn audit(&self, tx: &mut dyn Tx, event: AuditEvent) -> AppResult<()> {
        tracing::info!(
            target: "security",
            kind = event.kind.as_str(),
            account_id = ?event.account_id,
            "audit"
        );
        Ok(tx.insert_event(&event).await?)
    }

    /// Refuses with `RateLimited` if any key is over its limit.
    pub(crate) async fn check_limits(&self, keys: &[Counted]) -> AppResult<()> {
        let now = self.clock.now();
        let mut wait = None;
        for (key, limit) in keys {
            let failures = self.store.failures(key, limit.window_start(now)).await?;
            if let Err(retry_after) = limit.check(failures, now) {
                wait = wait.max(Some(retry_after));
            }
        }
        match wait {
            Some(retry_after) => Err(AppError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt under every key and records `event`, in a
    /// transaction of its own: the failure stays counted even though the use
    /// case that saw it fails.
    pub(crate) async fn record_failure(
        &self,
        keys: &[Counted],
        event: AuditEvent,
    ) -> AppResult<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        for (key, limit) in keys {
            tx.record_failure(key, now, limit.window_start(now)).await?;
        }
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a standalone event (e.g. a refused, throttled attempt).
    pub(crate) async fn record_event(&self, event: AuditEvent) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Throttle keys for password attempts: the account (by the email as typed,
/// so unknown emails are counted the same way) and the client address.
pub(crate) fn password_keys(email_key: &str, ctx: &RequestContext) -> Vec<Counted> {
    use twofold_core::throttle::limits;
    let mut keys = vec![(
        format!("pwd:acct:{email_key}"),
        limits::PASSWORD_PER_ACCOUNT,
    )];
    if let Some(ip) = &ctx.ip {
        keys.push((format!("pwd:ip:{ip}"), limits::PASSWORD_PER_ADDRESS));
    }
    keys
}
