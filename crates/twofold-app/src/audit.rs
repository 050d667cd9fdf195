//! The one audit writer: every use case records its events through these.

use serde_json::Value;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::throttle::{Counter, CounterKey};
use twofold_core::{AccountId, Clock};
use twofold_store::{AuditEvent, Tx};

use crate::{App, AppResult, RequestContext};

/// Request-supplied text is stored capped: a 400 KB `User-Agent` must not
/// become a 400 KB audit row (the log cannot be shrunk by hand).
pub(crate) const MAX_USER_AGENT: usize = 512;
const MAX_IP: usize = 64;

fn capped(text: &Option<String>, max: usize) -> Option<String> {
    text.as_ref().map(|t| t.chars().take(max).collect())
}

impl RequestContext {
    /// The user agent as stored (sessions and audit rows).
    pub(crate) fn stored_user_agent(&self) -> Option<String> {
        capped(&self.user_agent, MAX_USER_AGENT)
    }

    /// The client address, parsed (the HTTP layer hands over a canonical
    /// address; anything else is not counted per address).
    fn address(&self) -> Option<std::net::IpAddr> {
        self.ip.as_deref().and_then(|ip| ip.parse().ok())
    }

    /// The key of an address counter for this client, if it has an address.
    pub(crate) fn address_key(&self, counter: Counter) -> Option<CounterKey> {
        self.address().map(|ip| counter.address_key(ip))
    }
}

/// An audit event at `clock`'s time. `detail` must hold no secret. Free of
/// `App` so the operator tools, which have no server key, record the same way.
pub(crate) fn new_event(
    clock: &dyn Clock,
    kind: EventKind,
    account: Option<AccountId>,
    actor: Actor,
    ctx: &RequestContext,
    detail: Value,
) -> AuditEvent {
    AuditEvent {
        id: twofold_core::EventId::from_uuid(crate::time_ordered_id(clock)),
        at: clock.now(),
        account_id: account,
        actor,
        kind,
        ip: capped(&ctx.ip, MAX_IP),
        user_agent: ctx.stored_user_agent(),
        detail: detail.to_string(),
    }
}

/// Writes `event` inside the use case's transaction: it commits or rolls
/// back with the change it records.
pub(crate) async fn write_event(tx: &mut dyn Tx, event: AuditEvent) -> AppResult<()> {
    tracing::info!(
        target: "security",
        kind = event.kind.as_str(),
        account_id = ?event.account_id,
        "audit"
    );
    Ok(tx.insert_event(&event).await?)
}

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
        new_event(self.clock.as_ref(), kind, account, actor, ctx, detail)
    }

    /// Writes `event` inside the use case's transaction.
    pub(crate) async fn audit(&self, tx: &mut dyn Tx, event: AuditEvent) -> AppResult<()> {
        write_event(tx, event).await
    }

    /// Audits, inside `tx`, a change the account's own person made.
    pub(crate) async fn audit_own(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        kind: EventKind,
        ctx: &RequestContext,
        detail: Value,
    ) -> AppResult<()> {
        let event = self.event(kind, Some(account), Actor::Myself, ctx, detail);
        self.audit(tx, event).await
    }

    /// Records a standalone event (e.g. a failed attempt, whose count the
    /// reservation already holds) in a transaction of its own.
    pub(crate) async fn record_event(&self, event: AuditEvent) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Counter keys for password attempts: the account (by the email as typed,
/// so unknown emails are counted the same way) and the client address.
pub(crate) fn password_keys(email_key: &str, ctx: &RequestContext) -> Vec<CounterKey> {
    let mut keys = vec![Counter::PasswordPerAccount.key(email_key)];
    keys.extend(ctx.address_key(Counter::PasswordPerAddress));
    keys
}

/// The counter key for wrong codes of every kind on one account.
pub(crate) fn code_keys(account: AccountId) -> Vec<CounterKey> {
    vec![Counter::CodesPerAccount.account_key(account)]
}
