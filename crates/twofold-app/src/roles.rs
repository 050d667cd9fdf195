//! Changing an account's role, with the rule that the instance always keeps
//! an owner.

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::{AccountId, Role};
use twofold_store::{Account, Session};

use crate::audit::{new_event, write_event};
use crate::{App, AppError, AppResult, Operator, RequestContext, ResetTarget};

impl Operator {
    /// Gives the target `role`. Setting the role it already has changes
    /// nothing and writes no audit row, so a retried request is harmless.
    /// Demoting the last owner is refused with `LastOwner`: the owners are
    /// counted under the role lock after the write, so two owners demoting each other at
    /// once on two instances leave one owner. `os_user` is the system
    /// account behind the CLI, recorded beside `actor`.
    pub async fn set_role(
        &self,
        target: ResetTarget,
        role: Role,
        actor: Actor,
        ctx: &RequestContext,
        os_user: Option<String>,
    ) -> AppResult<Account> {
        let account = self.account(&target).await?;
        let from = account.role;
        if from == role {
            return Ok(account);
        }
        let mut tx = self.store().begin().await?;
        tx.lock_roles().await?;
        if !tx.set_role(account.id, role).await? {
            return Err(AppError::NotFound("no such account"));
        }
        // Counted after the write, under the lock: whatever changed since
        // `account` was read, the instance is left with an owner or nothing
        // is written (dropping `tx` rolls back).
        if tx.count_active_owners().await? == 0 {
            return Err(AppError::LastOwner);
        }
        // A set-password link was issued by someone allowed to act on the
        // old role (an admin, for a member): it does not outlive the change.
        tx.delete_password_links(account.id).await?;
        let mut detail = json!({ "from": from.as_str(), "to": role.as_str() });
        if let Some(os_user) = os_user {
            detail["os_user"] = json!(os_user);
        }
        let event = new_event(
            self.clock(),
            EventKind::RoleChanged,
            Some(account.id),
            actor,
            ctx,
            detail,
        );
        write_event(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Account { role, ..account })
    }
}

impl App {
    /// Administration → Users → change role. Only owners, in this slice,
    /// change roles at all (admins included), after step-up.
    pub async fn set_role_of(
        &self,
        session: &Session,
        target: AccountId,
        role: Role,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        if session.account_role != Role::Owner {
            return Err(AppError::Forbidden("only owners can change roles"));
        }
        self.require_step_up(session)?;
        self.operator()
            .set_role(
                ResetTarget::Id(target),
                role,
                Actor::Account(session.account_id),
                ctx,
                None,
            )
            .await
    }
}
