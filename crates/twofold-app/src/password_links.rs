//! One-time set-password links: how a new user chooses their first password
//! (no mail is sent: the admin hands the link over), and how a user who
//! forgot theirs gets a new one from an administrator or the operator.
//!
//! A link is 256 random bits, stored as their hash, one per account (a new
//! link replaces the old one), valid for [`LINK_LIFETIME`] and used once.
//! Setting a password through it ends every session of the account; its
//! second factors stay, so the next sign-in still asks for one.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::email::Email;
use twofold_core::password::NewPassword;
use twofold_core::throttle::Counter;
use twofold_core::token::PasswordLinkToken;
use twofold_core::{AccountId, Clock, Role, Timestamp};
use twofold_store::{Account, PasswordLink, Session, Tx};

use crate::accounts::email_taken;
use crate::audit::{new_event, write_event};
use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, Operator, RequestContext, ResetTarget};

/// How long a set-password link stays valid.
pub const LINK_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A link just issued: the account, the secret (shown once, never stored)
/// and when it stops working.
#[derive(Debug)]
pub struct IssuedLink {
    pub account: Account,
    pub token: PasswordLinkToken,
    pub expires_at: Timestamp,
}

impl IssuedLink {
    /// The link to hand over: the set-password page of the instance at
    /// `origin` (the public URL's origin, e.g. `https://auth.example.com`).
    pub fn url(&self, origin: &str) -> String {
        let origin = origin.trim_end_matches('/');
        format!("{origin}/set-password?token={}", self.token.expose())
    }
}

/// Who may create an account of `target` role or issue a link for an
/// account of that role: owners for any role, admins for members only.
fn may_manage(actor: Role, target: Role) -> AppResult<()> {
    match (actor, target) {
        (Role::Owner, _) | (Role::Admin, Role::Member) => Ok(()),
        (Role::Admin, _) => Err(AppError::Forbidden(
            "admins can only manage members: ask an owner",
        )),
        (Role::Member, _) => Err(AppError::Forbidden(
            "only owners and admins can manage users",
        )),
    }
}

/// Gives `account` a fresh link inside `tx` (replacing any it had) and
/// audits `password.link_issued`, never with the token. `os_user` is the
/// system account behind the CLI.
async fn issue_in(
    tx: &mut dyn Tx,
    clock: &dyn Clock,
    account: AccountId,
    actor: Actor,
    ctx: &RequestContext,
    os_user: Option<String>,
) -> AppResult<(PasswordLinkToken, Timestamp)> {
    let token = PasswordLinkToken::generate().map_err(AppError::internal)?;
    let now = clock.now();
    let expires_at = now.plus(LINK_LIFETIME);
    let link = PasswordLink {
        account_id: account,
        created_at: now,
        expires_at,
    };
    tx.replace_password_link(&token.hash(), &link).await?;
    let mut detail = json!({ "expires_at": expires_at.to_rfc3339() });
    if let Some(os_user) = os_user {
        detail["os_user"] = json!(os_user);
    }
    let event = new_event(
        clock,
        EventKind::PasswordLinkIssued,
        Some(account),
        actor,
        ctx,
        detail,
    );
    write_event(tx, event).await?;
    Ok((token, expires_at))
}

impl Operator {
    /// Issues a one-time set-password link for the target, valid 24 hours,
    /// replacing any link it had. The account's password, factors and
    /// sessions are untouched until the link is used. Audited
    /// `password.link_issued` with `actor` (and `os_user` for the CLI).
    pub async fn issue_password_link(
        &self,
        target: ResetTarget,
        actor: Actor,
        ctx: &RequestContext,
        os_user: Option<String>,
    ) -> AppResult<IssuedLink> {
        let account = self.account(&target).await?;
        if actor == Actor::Account(account.id) {
            return Err(AppError::OwnAccount);
        }
        let mut tx = self.store().begin().await?;
        let (token, expires_at) =
            issue_in(&mut *tx, self.clock(), account.id, actor, ctx, os_user).await?;
        tx.commit().await?;
        Ok(IssuedLink {
            account,
            token,
            expires_at,
        })
    }
}

impl App {
    /// Administration → Users → new user: an account with no password yet,
    /// and its set-password link, in one transaction. Step-up required;
    /// owners create any role, admins members only. A taken email is the
    /// usual `Conflict`.
    pub async fn create_user(
        &self,
        session: &Session,
        email: &str,
        role: Role,
        ctx: &RequestContext,
    ) -> AppResult<IssuedLink> {
        may_manage(session.account_role, Role::Member)?;
        self.require_step_up(session)?;
        may_manage(session.account_role, role)?;
        let email = Email::parse(email)?;
        let new = self.new_account(email, None, role).await?;
        let actor = Actor::Account(session.account_id);
        let mut tx = self.store.begin().await?;
        tx.insert_account(&new).await.map_err(email_taken)?;
        let created = self.event(
            EventKind::AccountCreated,
            Some(new.id),
            actor,
            ctx,
            json!({ "role": new.role }),
        );
        self.audit(&mut *tx, created).await?;
        let (token, expires_at) =
            issue_in(&mut *tx, self.clock.as_ref(), new.id, actor, ctx, None).await?;
        tx.commit().await?;
        Ok(IssuedLink {
            account: self.created(new),
            token,
            expires_at,
        })
    }

    /// Administration → Users → one user → set-password link, for someone
    /// who forgot their password. Step-up required; owners for anyone but
    /// themselves (`OwnAccount`), admins for members only.
    pub async fn issue_password_link_for(
        &self,
        session: &Session,
        target: AccountId,
        ctx: &RequestContext,
    ) -> AppResult<IssuedLink> {
        may_manage(session.account_role, Role::Member)?;
        self.require_step_up(session)?;
        if session.account_id == target {
            return Err(AppError::OwnAccount);
        }
        let account = self.account(target).await?;
        may_manage(session.account_role, account.role)?;
        self.operator()
            .issue_password_link(
                ResetTarget::Id(target),
                Actor::Account(session.account_id),
                ctx,
                None,
            )
            .await
    }

    /// The account a live link would set the password of (the set-password
    /// page shows its email above the form); `InvalidLink` for a malformed,
    /// unknown, expired, used or replaced link alike. Changes nothing.
    pub async fn password_link_account(&self, token: &str) -> AppResult<Account> {
        let token = PasswordLinkToken::parse(token).ok_or(AppError::InvalidLink)?;
        let link = self
            .store
            .password_link(&token.hash(), self.clock.now())
            .await?
            .ok_or(AppError::InvalidLink)?;
        self.store
            .account_by_id(link.account_id)
            .await?
            .ok_or(AppError::InvalidLink)
    }

    /// Sets the password of the link's account (`POST /set-password`, no
    /// session). A malformed token is refused before any database work; an
    /// unknown, expired, used or replaced one gets the same `InvalidLink`,
    /// before any hashing. Wrong links count against the client address
    /// (the failed-password counter); a used one gives its count back. Of
    /// parallel uses of one link, exactly one consumes it, and the others
    /// change nothing. Every session and pending sign-in of the account
    /// ends; its second factors stay.
    pub async fn set_password_with_link(
        &self,
        token: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let token = PasswordLinkToken::parse(token).ok_or(AppError::InvalidLink)?;
        let hash = token.hash();
        // Obviously unusable passwords are refused before counting anything.
        NewPassword::from_verified(password.clone())?;
        let reserve = Reserve::per_address(Counter::PasswordPerAddress, ctx);
        let attempt = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
        // A wrong link keeps its reservation: it counts as a failed guess.
        let link = self
            .store
            .password_link(&hash, self.clock.now())
            .await?
            .ok_or(AppError::InvalidLink)?;
        let found = self.store.account_by_id(link.account_id).await;
        let (attempt, account) = self
            .unless_failed(attempt, found.map_err(Into::into))
            .await?;
        let account = account.ok_or(AppError::InvalidLink)?;
        let judged = self
            .judge_new_password(password, &account.email)
            .await
            .and_then(|rules| rules.map_err(AppError::from));
        let (attempt, new) = self.unless_failed(attempt, judged).await?;
        let hashed = self.passwords.hash(new).await;
        let (attempt, phc) = self.unless_failed(attempt, hashed).await?;
        let mut tx = self.store.begin().await?;
        // Single use: the losers of a race find no row, and dropping `tx`
        // rolls back (they changed nothing).
        match tx.consume_password_link(&hash, self.clock.now()).await? {
            Some(id) if id == account.id => {}
            _ => return Err(AppError::InvalidLink),
        }
        self.release(&mut *tx, attempt).await?;
        tx.set_password_hash(account.id, &phc).await?;
        let sessions = tx.delete_all_sessions(account.id).await?;
        // Sign-ins waiting for a second factor got past the old password.
        tx.delete_mfa_challenges_of(account.id).await?;
        // Tokens too: whoever knew the old password may have made one.
        let tokens = tx.delete_all_access_tokens(account.id).await?;
        self.audit_own(
            &mut *tx,
            account.id,
            EventKind::PasswordReset,
            ctx,
            json!({ "sessions_ended": sessions, "tokens_revoked": tokens }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_manage_anyone_admins_members_only() {
        for role in [Role::Owner, Role::Admin, Role::Member] {
            assert!(may_manage(Role::Owner, role).is_ok());
            assert!(matches!(
                may_manage(Role::Member, role),
                Err(AppError::Forbidden(_))
            ));
        }
        assert!(may_manage(Role::Admin, Role::Member).is_ok());
        assert!(may_manage(Role::Admin, Role::Admin).is_err());
        assert!(may_manage(Role::Admin, Role::Owner).is_err());
    }
}
