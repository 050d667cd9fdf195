//! Signing in and out, and recognising a session on each request.

use secrecy::SecretString;
use twofold_core::email::Email;
use twofold_core::password::Verification;
use twofold_core::session::{Aal, Amr, TOUCH_INTERVAL, should_touch};
use twofold_core::token::SessionToken;
use twofold_store::{Account, NewSession, Session};
use uuid::Uuid;

use crate::{App, AppError, AppResult, RequestContext};

/// A new session and the token that names it; the token is shown once.
#[derive(Debug)]
pub struct IssuedSession {
    pub token: SessionToken,
    pub session: Session,
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// Signed in.
    Active(IssuedSession),
}

/// User agents are stored for the session list, not kept whole.
const MAX_USER_AGENT: usize = 512;

impl App {
    /// Email + password sign-in. Unknown email and wrong password give the
    /// same error after the same work (a dummy hash is verified).
    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        remember_me: bool,
        ctx: &RequestContext,
    ) -> AppResult<SignInOutcome> {
        // A malformed email cannot name an account: answer as for a wrong
        // password, after the same work.
        let account = match Email::parse(email) {
            Ok(email) => self.store.account_by_email(email.normalized()).await?,
            Err(_) => None,
        };
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let verification = self.passwords.verify(stored, password.clone()).await?;
        let (account, needs_rehash) = match (account, verification) {
            (Some(account), Verification::Valid { needs_rehash }) => (account, needs_rehash),
            _ => {
                tracing::info!(target: "security", "sign-in failed");
                return Err(AppError::InvalidCredentials);
            }
        };
        let rehashed = if needs_rehash {
            match twofold_core::password::NewPassword::parse(password) {
                Ok(p) => Some(self.passwords.hash(p).await?),
                Err(_) => None, // an old password outside today's rules stays as it is
            }
        } else {
            None
        };

        let mut tx = self.store.begin().await?;
        if let Some(phc) = &rehashed {
            tx.set_password_hash(account.id, phc).await?;
        }
        let issued = self
            .issue_session(
                &mut *tx,
                &account,
                Aal::One,
                vec![Amr::Pwd],
                remember_me,
                ctx,
            )
            .await?;
        tx.commit().await?;
        tracing::info!(target: "security", account_id = %account.id, "signed in");
        Ok(SignInOutcome::Active(issued))
    }

    /// Creates the owner of an empty instance and signs them in (setup page).
    pub async fn set_up_owner(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let account = self.register(email, password, false).await?;
        let mut tx = self.store.begin().await?;
        let issued = self
            .issue_session(&mut *tx, &account, Aal::One, vec![Amr::Pwd], false, ctx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// The live session a token names. Writes `last_seen_at` at most once a
    /// minute, so this is nearly always a single read.
    pub async fn authenticate(&self, token: &str) -> AppResult<Session> {
        let token = SessionToken::parse(token).ok_or(AppError::Unauthenticated)?;
        let now = self.clock.now();
        let session = self
            .store
            .session_by_token(&token.hash(), now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if should_touch(session.last_seen_at, now) {
            self.store
                .touch_session(session.id, now, now.minus(TOUCH_INTERVAL))
                .await?;
        }
        Ok(session)
    }

    /// Ends this session.
    pub async fn sign_out(&self, session: &Session) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_session(session.account_id, session.id).await?;
        tx.commit().await?;
        tracing::info!(target: "security", account_id = %session.account_id, "signed out");
        Ok(())
    }

    async fn issue_session(
        &self,
        tx: &mut dyn twofold_store::Tx,
        account: &Account,
        aal: Aal,
        amr: Vec<Amr>,
        remember_me: bool,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let token = SessionToken::generate().map_err(AppError::internal)?;
        let now = self.clock.now();
        let user_agent = ctx
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect::<String>());
        let new = NewSession {
            id: Uuid::now_v7(),
            token_hash: token.hash(),
            account_id: account.id,
            aal,
            amr,
            created_at: now,
            expires_at: self.policy.sessions.expires_at(now, remember_me),
            ip: ctx.ip.clone(),
            user_agent,
        };
        tx.insert_session(&new).await?;
        Ok(IssuedSession {
            token,
            session: Session {
                id: new.id,
                account_id: account.id,
                account_email: account.email.clone(),
                account_role: account.role,
                aal: new.aal,
                amr: new.amr,
                created_at: now,
                last_seen_at: now,
                expires_at: new.expires_at,
                privileged_until: None,
                ip: new.ip,
                user_agent: new.user_agent,
            },
        })
    }
}
