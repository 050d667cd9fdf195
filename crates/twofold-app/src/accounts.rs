//! Creating accounts: the setup page's first owner, open sign-up, and the
//! operator's `user create`.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::email::Email;
use twofold_core::password::{NewPassword, PasswordError};
use twofold_core::throttle::Counter;
use twofold_core::{AccountId, Role};
use twofold_store::{Account, NewAccount, StoreError};

use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, RequestContext, Signup};

/// What a self-service sign-up answers.
#[derive(Debug)]
pub enum SignUp {
    /// The first account of the instance: its owner.
    Owner(Account),
    /// A member account was created, or the email already had one: the
    /// two are indistinguishable to the caller.
    Requested,
}

/// An operator's or admin's request for a new account.
pub struct NewAccountRequest {
    pub email: String,
    /// `None` makes an account that cannot sign in with a password.
    pub password: Option<SecretString>,
    pub role: Role,
}

impl App {
    /// True until the instance has its first account.
    pub async fn needs_setup(&self) -> AppResult<bool> {
        Ok(self.store.count_accounts().await? == 0)
    }

    /// Creates an account with any role, on behalf of `actor` (the CLI, or
    /// an administrator).
    pub async fn create_account(
        &self,
        request: NewAccountRequest,
        actor: Actor,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        let email = Email::parse(&request.email)?;
        let password = match request.password {
            Some(p) => Some(self.judge_new_password(p, email.as_str()).await??),
            None => None,
        };
        let new = self.new_account(email, password, request.role).await?;
        let mut tx = self.store.begin().await?;
        tx.insert_account(&new).await.map_err(email_taken)?;
        let event = self.event(
            EventKind::AccountCreated,
            Some(new.id),
            actor,
            ctx,
            json!({ "role": new.role }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(self.created(new))
    }

    /// Self-service sign-up (`POST /api/v1/accounts`): the first account of
    /// an empty instance becomes its owner, whatever the sign-up setting;
    /// later ones are members, and only when sign-up is open. Open sign-up
    /// is limited per client address, and answers a taken email exactly as
    /// a new one (same work, same answer): it must not tell who has an
    /// account.
    pub async fn sign_up(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<SignUp> {
        let open = self.policy.signup == Signup::Open;
        if !open {
            if !self.needs_setup().await? {
                return Err(AppError::Forbidden("sign-up is closed on this instance"));
            }
            return Ok(SignUp::Owner(
                self.register(email, password, false, ctx).await?,
            ));
        }
        // Malformed requests are answered at once and count nothing (the
        // full password rules wait in the hashing queue: after counting).
        Email::parse(email)?;
        NewPassword::from_verified(password.clone())?;
        let reserve = Reserve::per_address(Counter::SignUpsPerAddress, ctx);
        // Every sign-up counts, whatever its outcome: the reservation is kept.
        let _counted = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
        match self.register(email, password, true, ctx).await {
            Ok(account) if account.role == Role::Owner => Ok(SignUp::Owner(account)),
            Ok(_) | Err(AppError::Conflict(_)) => Ok(SignUp::Requested),
            Err(e) => Err(e),
        }
    }

    /// Creates the first account, as owner; when the instance already has
    /// one, creates a member if `members_allowed`, else refuses.
    pub(crate) async fn register(
        &self,
        email: &str,
        password: SecretString,
        members_allowed: bool,
        ctx: &RequestContext,
    ) -> AppResult<Account> {
        let email = Email::parse(email)?;
        // The first `?` is for the queue (busy), the second for the rules.
        let password = self.judge_new_password(password, email.as_str()).await??;
        let mut new = self.new_account(email, Some(password), Role::Owner).await?;
        let mut tx = self.store.begin().await?;
        // The empty-instance check happens inside the insert, so two racing
        // first sign-ups cannot both become owner.
        if !tx.insert_first_account(&new).await.map_err(email_taken)? {
            if !members_allowed {
                return Err(AppError::Forbidden("this instance already has an owner"));
            }
            new.role = Role::Member;
            tx.insert_account(&new).await.map_err(email_taken)?;
        }
        self.audit_own(
            &mut *tx,
            new.id,
            EventKind::AccountCreated,
            ctx,
            json!({ "role": new.role }),
        )
        .await?;
        tx.commit().await?;
        Ok(self.created(new))
    }

    /// Judges a new password for the account with `email` by every rule of
    /// [`NewPassword::parse`], with this instance's issuer, in the hashing
    /// queue (the strength estimate is too slow for an async thread).
    pub(crate) async fn judge_new_password(
        &self,
        candidate: SecretString,
        email: &str,
    ) -> AppResult<Result<NewPassword, PasswordError>> {
        self.passwords
            .judge(candidate, email.to_owned(), self.policy.issuer.clone())
            .await
    }

    /// The account behind an id, if it still exists.
    pub async fn account(&self, id: AccountId) -> AppResult<Account> {
        self.store
            .account_by_id(id)
            .await?
            .ok_or(AppError::NotFound("no such account"))
    }

    pub(crate) async fn new_account(
        &self,
        email: Email,
        password: Option<NewPassword>,
        role: Role,
    ) -> AppResult<NewAccount> {
        let password_hash = match password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        Ok(NewAccount {
            id: AccountId::from_uuid(self.new_id()),
            email,
            role,
            password_hash,
            created_at: self.clock.now(),
        })
    }

    pub(crate) fn created(&self, new: NewAccount) -> Account {
        Account {
            id: new.id,
            email: new.email.as_str().to_owned(),
            role: new.role,
            password_hash: new.password_hash,
            created_at: new.created_at,
            disabled_at: None,
        }
    }
}

pub(crate) fn email_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict => {
            AppError::Conflict("an account with this email already exists".into())
        }
        other => other.into(),
    }
}
