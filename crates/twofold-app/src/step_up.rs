//! Step-up re-authentication: a fresh proof opens a short privileged window
//! on this session; every security change requires it to be open.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::Timestamp;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::Method;
use twofold_core::password::Verification;
use twofold_core::session::is_privileged;
use twofold_core::throttle::{Counter, CounterKey};
use twofold_store::{Session, Tx};

use crate::audit::{code_keys, password_keys};
use crate::passkeys::Kind;
use crate::sessions::CodeFailure;
use crate::throttle::{Attempt, Refusal, Reserve};
use crate::totp::{CodeCheck, validate_code};
use crate::{App, AppError, AppResult, RequestContext};

/// A proof of presence. Passkeys add `Webauthn`.
pub enum Proof {
    Password(SecretString),
    /// A code from any of the account's authenticator apps.
    Totp(String),
    /// A passkey assertion for the options of `start_reauth_passkey`.
    Webauthn {
        ceremony_id: String,
        credential: Box<webauthn_rs::prelude::PublicKeyCredential>,
    },
}

impl Proof {
    fn method(&self) -> Method {
        match self {
            Proof::Password(_) => Method::Password,
            Proof::Totp(_) => Method::Totp,
            Proof::Webauthn { .. } => Method::Webauthn,
        }
    }
}

/// The session's count of step-up tries.
fn session_key(session: &Session) -> CounterKey {
    Counter::StepUpPerSession.key(session.id)
}

impl App {
    /// Fails with `ReauthRequired` unless the session's window is open.
    pub fn require_step_up(&self, session: &Session) -> AppResult<()> {
        if is_privileged(session.privileged_until, self.clock.now()) {
            Ok(())
        } else {
            Err(AppError::ReauthRequired)
        }
    }

    /// Checks `proof` and opens the window until the returned time. The token
    /// does not change. Each proof is reserved first: one of the session's
    /// five tries, and one of the account's password or code tries (a
    /// passkey cannot be guessed: only the session's count applies).
    pub async fn reauthenticate(
        &self,
        session: &Session,
        proof: Proof,
        ctx: &RequestContext,
    ) -> AppResult<Timestamp> {
        let method = proof.method();
        let account = session.account_id;
        if let Proof::Totp(code) = &proof {
            validate_code(code)?;
        }
        let reserve = match &proof {
            Proof::Password(_) => Reserve {
                keys: self.step_up_keys(session, ctx),
                ..Reserve::default()
            },
            Proof::Totp(_) => {
                let mut keys = code_keys(account);
                keys.push(session_key(session));
                Reserve {
                    keys,
                    consecutive_totp: Some(account),
                    ..Reserve::default()
                }
            }
            Proof::Webauthn { .. } => Reserve {
                keys: vec![session_key(session)],
                ..Reserve::default()
            },
        };
        let refusal = Refusal {
            kind: EventKind::AttemptsThrottled,
            account: Some(account),
            actor: Actor::Myself,
        };
        let attempt = self.reserve(reserve, refusal, ctx).await?;
        let failed = |replayed: bool| CodeFailure {
            kind: EventKind::ReauthFailed,
            actor: Actor::Myself,
            method,
            replayed,
        };
        // On success, the transaction the window is opened in.
        let mut tx = match proof {
            Proof::Webauthn {
                ceremony_id,
                credential,
            } => {
                let verified = self
                    .verify_account_assertion(
                        Kind::Reauth,
                        &ceremony_id,
                        account,
                        Some(session.id),
                        &credential,
                        ctx,
                    )
                    .await;
                match verified {
                    Ok((record, result)) => {
                        let mut tx = self.store.begin().await?;
                        self.record_passkey_use(&mut *tx, &record, &result, self.clock.now())
                            .await?;
                        tx
                    }
                    Err(AppError::PasskeyRejected) => {
                        self.code_failed(account, None, attempt, failed(false), ctx)
                            .await?;
                        return Err(AppError::WrongProof);
                    }
                    Err(e) => return Err(e),
                }
            }
            Proof::Password(password) => {
                let matched = self.password_matches(session, password).await;
                let (attempt_back, matched) = self.unless_failed(attempt, matched).await?;
                if !matched {
                    self.code_failed(account, None, attempt_back, failed(false), ctx)
                        .await?;
                    return Err(AppError::WrongProof);
                }
                return self.open_window(session, attempt_back, method, ctx).await;
            }
            Proof::Totp(code) => {
                let authenticators = self.confirmed_totp(account).await?;
                let mut tx = self.store.begin().await?;
                match self
                    .check_totp(&mut *tx, account, &authenticators, &code)
                    .await?
                {
                    CodeCheck::Accepted => {
                        tx.reset_totp_failures(account).await?;
                        tx
                    }
                    outcome => {
                        drop(tx);
                        let replayed = matches!(outcome, CodeCheck::Replayed);
                        self.code_failed(account, None, attempt, failed(replayed), ctx)
                            .await?;
                        return Err(AppError::WrongProof);
                    }
                }
            }
        };
        self.release(&mut *tx, attempt).await?;
        self.window_opened(tx, session, method, ctx).await
    }

    /// Opens the window after a proof checked outside any transaction.
    async fn open_window(
        &self,
        session: &Session,
        attempt: Attempt,
        method: Method,
        ctx: &RequestContext,
    ) -> AppResult<Timestamp> {
        let mut tx = self.store.begin().await?;
        self.release(&mut *tx, attempt).await?;
        self.window_opened(tx, session, method, ctx).await
    }

    /// Opens the window inside `tx`, audits it and commits.
    async fn window_opened(
        &self,
        mut tx: Box<dyn Tx>,
        session: &Session,
        method: Method,
        ctx: &RequestContext,
    ) -> AppResult<Timestamp> {
        let until = self.clock.now().plus(self.policy.step_up_window);
        tx.set_privileged_until(session.id, until).await?;
        let event = self.event(
            EventKind::ReauthSucceeded,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({ "method": method.as_str() }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(until)
    }

    /// Counter keys for a password proof made on this session: the
    /// session's step-up count and the account's password counts.
    pub(crate) fn step_up_keys(&self, session: &Session, ctx: &RequestContext) -> Vec<CounterKey> {
        let mut keys = vec![session_key(session)];
        keys.extend(password_keys(&session.account_email.to_lowercase(), ctx));
        keys
    }

    /// Whether `password` is the session account's password.
    pub(crate) async fn password_matches(
        &self,
        session: &Session,
        password: SecretString,
    ) -> AppResult<bool> {
        let account = self.account(session.account_id).await?;
        let verification = self
            .passwords
            .verify(account.password_hash, password)
            .await?;
        Ok(matches!(verification, Verification::Valid { .. }))
    }
}
