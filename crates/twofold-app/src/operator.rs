//! Operator tools: what an owner (through the API) or the operator (through
//! the break-glass CLI) does to someone else's account. They need only the
//! store and the clock, not the server key: the CLI may have nothing but the
//! database settings when every owner is locked out.

use std::sync::Arc;

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::email::Email;
use twofold_core::{AccountId, Clock};
use twofold_store::{Account, Session, Store};

use crate::audit::{new_event, write_event};
use crate::{App, AppError, AppResult, RequestContext};

/// Whose MFA to reset.
#[derive(Debug, Clone)]
pub enum ResetTarget {
    Id(AccountId),
    Email(String),
}

/// What a reset removed, for the operator's confirmation and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MfaReset {
    /// Authenticator apps (pending ones included).
    pub totp: u64,
    pub passkeys: u64,
    /// Unused codes of the recovery sheet.
    pub recovery_codes: u64,
    /// Sessions ended, on every instance (they live in the database).
    pub sessions: u64,
    /// Personal access tokens revoked.
    pub tokens: u64,
}

/// The operator's use cases.
#[derive(Clone)]
pub struct Operator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Operator {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The account a target names, or `NotFound`.
    pub(crate) async fn account(&self, target: &ResetTarget) -> AppResult<Account> {
        let found = match target {
            ResetTarget::Id(id) => self.store.account_by_id(*id).await?,
            ResetTarget::Email(typed) => match Email::parse(typed) {
                Ok(email) => self.store.account_by_email(email.normalized()).await?,
                Err(_) => None,
            },
        };
        found.ok_or(AppError::NotFound("no such account"))
    }

    /// Turns off two-factor authentication for someone locked out: in one
    /// transaction under the account lock, removes their authenticator apps,
    /// passkeys and recovery sheet, ends their MFA challenges and every
    /// session, and clears the wrong-code counter. `os_user` is the system
    /// account behind the CLI, recorded in the audit row beside `actor`.
    ///
    /// An account without any factor or recovery code is refused with
    /// `NothingToReset` and nothing changes: the operator likely named the wrong
    /// person, and a reset that did nothing should not look like one that did.
    pub async fn reset_mfa(
        &self,
        target: ResetTarget,
        actor: Actor,
        ctx: &RequestContext,
        os_user: Option<String>,
    ) -> AppResult<(Account, MfaReset)> {
        let account = self.account(&target).await?;
        if actor == Actor::Account(account.id) {
            return Err(AppError::OwnAccount);
        }
        let mut tx = self.store.begin().await?;
        tx.lock_account(account.id).await?;
        let recovery_codes = tx
            .recovery_status_in_tx(account.id)
            .await?
            .map_or(0, |status| u64::try_from(status.remaining).unwrap_or(0));
        let totp = tx.delete_all_totp(account.id).await?;
        let passkeys = tx.delete_all_passkeys(account.id).await?;
        if totp + passkeys + recovery_codes == 0 {
            // Dropping `tx` rolls back: nothing was there to delete anyway.
            return Err(AppError::NothingToReset(account.email));
        }
        tx.delete_recovery_codes(account.id).await?;
        tx.delete_mfa_challenges_of(account.id).await?;
        tx.reset_totp_failures(account.id).await?;
        let sessions = tx.delete_all_sessions(account.id).await?;
        let tokens = tx.delete_all_access_tokens(account.id).await?;
        let removed = MfaReset {
            totp,
            passkeys,
            recovery_codes,
            sessions,
            tokens,
        };
        let mut detail = json!({ "removed": removed });
        if let Some(os_user) = os_user {
            detail["os_user"] = json!(os_user);
        }
        let event = new_event(
            self.clock.as_ref(),
            EventKind::MfaReset,
            Some(account.id),
            actor,
            ctx,
            detail,
        );
        write_event(&mut *tx, event).await?;
        tx.commit().await?;
        Ok((account, removed))
    }
}

impl App {
    /// The owner's "Disable MFA" for a locked-out user (owner only, step-up
    /// required; an owner's own account goes through Settings → Security).
    pub async fn reset_mfa_of(
        &self,
        session: &Session,
        target: AccountId,
        ctx: &RequestContext,
    ) -> AppResult<(Account, MfaReset)> {
        if session.account_role != twofold_core::Role::Owner {
            return Err(AppError::Forbidden(
                "only owners can reset someone's two-factor authentication",
            ));
        }
        self.require_step_up(session)?;
        if session.account_id == target {
            return Err(AppError::OwnAccount);
        }
        self.operator()
            .reset_mfa(
                ResetTarget::Id(target),
                Actor::Account(session.account_id),
                ctx,
                None,
            )
            .await
    }
}
