//! Disabling and enabling an account: a disabled account has no session on
//! any instance and cannot sign in, and the instance always keeps an active
//! owner.

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::{AccountId, Role};
use twofold_store::{Account, Session};

use crate::audit::{new_event, write_event};
use crate::{App, AppError, AppResult, Operator, RequestContext, ResetTarget};

/// Which accounts the one disabling or enabling may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Owners and the CLI: anyone (the last active owner stays protected).
    Anyone,
    /// Admins: members only.
    MembersOnly,
}

impl Operator {
    /// Disables (`disabled`) or enables the target. In one transaction under
    /// the role lock and the account lock: disabling records the time, ends
    /// every session and MFA challenge of the account (on every instance:
    /// they live in the database) and writes `account.disabled`; enabling
    /// clears it and writes `account.enabled`. An account already in that
    /// state is returned unchanged, with no audit row. Disabling the last
    /// active owner is refused with `LastOwner` (counted after the write,
    /// under the lock, so two owners disabling each other at once leave
    /// one). `os_user` is the system account behind the CLI.
    pub async fn set_disabled(
        &self,
        target: ResetTarget,
        disabled: bool,
        actor: Actor,
        ctx: &RequestContext,
        os_user: Option<String>,
    ) -> AppResult<Account> {
        let account = self.account(&target).await?;
        self.set_disabled_within(account.id, disabled, actor, ctx, os_user, Reach::Anyone)
            .await
    }

    async fn set_disabled_within(
        &self,
        id: AccountId,
        disabled: bool,
        actor: Actor,
        ctx: &RequestContext,
        os_user: Option<String>,
        reach: Reach,
    ) -> AppResult<Account> {
        if actor == Actor::Account(id) {
            return Err(AppError::OwnAccount);
        }
        let mut tx = self.store().begin().await?;
        tx.lock_roles().await?;
        // An account acting is read again under the role lock: one disabled
        // (or demoted) while its request was in flight acts no more, so two
        // owners disabling each other at once leave one of them active.
        let reach = match actor.account() {
            None => reach,
            Some(actor_id) => match tx.account_in_tx(actor_id).await? {
                Some(me) if !me.is_disabled() => match me.role {
                    Role::Owner => reach,
                    Role::Admin => Reach::MembersOnly,
                    Role::Member => {
                        return Err(AppError::Forbidden(
                            "only owners and admins can disable or enable accounts",
                        ));
                    }
                },
                _ => return Err(AppError::Unauthenticated),
            },
        };
        tx.lock_account(id).await?;
        // Read under both locks: neither its role nor its status can change
        // before this transaction ends.
        let account = tx
            .account_in_tx(id)
            .await?
            .ok_or(AppError::NotFound("no such account"))?;
        if reach == Reach::MembersOnly && account.role != Role::Member {
            return Err(AppError::Forbidden(
                "admins can disable and enable members only",
            ));
        }
        if account.is_disabled() == disabled {
            // Dropping `tx` rolls back: nothing was written.
            return Ok(account);
        }
        let disabled_at = disabled.then(|| self.clock().now());
        if !tx.set_disabled(id, disabled_at).await? {
            return Err(AppError::NotFound("no such account"));
        }
        let (kind, mut detail) = if disabled {
            tx.delete_mfa_challenges_of(id).await?;
            let sessions = tx.delete_all_sessions(id).await?;
            let tokens = tx.delete_all_access_tokens(id).await?;
            // Counted after the write, under the lock: the instance keeps an
            // active owner or nothing is written.
            if tx.count_active_owners().await? == 0 {
                return Err(AppError::LastOwner);
            }
            (
                EventKind::AccountDisabled,
                json!({ "sessions": sessions, "tokens": tokens }),
            )
        } else {
            (EventKind::AccountEnabled, json!({}))
        };
        if let Some(os_user) = os_user {
            detail["os_user"] = json!(os_user);
        }
        let event = new_event(self.clock(), kind, Some(id), actor, ctx, detail);
        write_event(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Account {
            disabled_at,
            ..account
        })
    }
}

impl App {
    /// Administration → Users → disable: step-up required; owners disable
    /// anyone but themselves, admins members only.
    pub async fn disable_user(
        &self,
        session: &Session,
        target: AccountId,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        self.set_disabled_of(session, target, true, ctx).await
    }

    /// Administration → Users → enable: the same rules as [`Self::disable_user`].
    pub async fn enable_user(
        &self,
        session: &Session,
        target: AccountId,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        self.set_disabled_of(session, target, false, ctx).await
    }

    async fn set_disabled_of(
        &self,
        session: &Session,
        target: AccountId,
        disabled: bool,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        let reach = match session.account_role {
            Role::Owner => Reach::Anyone,
            Role::Admin => Reach::MembersOnly,
            Role::Member => {
                return Err(AppError::Forbidden(
                    "only owners and admins can disable or enable accounts",
                ));
            }
        };
        self.require_step_up(session)?;
        if session.account_id == target {
            return Err(AppError::OwnAccount);
        }
        self.operator()
            .set_disabled_within(
                target,
                disabled,
                Actor::Account(session.account_id),
                ctx,
                None,
                reach,
            )
            .await
    }
}
