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
use webauthn_rs::prelude::PublicKeyCredential;

use crate::audit::{code_keys, password_keys};
use crate::sessions::CodeFailure;
use crate::throttle::{Attempt, Refusal, Reserve};
use crate::totp::{CodeCheck, validate_code};
use crate::{App, AppError, AppResult, RequestContext};
use twofold_core::ceremony::CeremonyKind;

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

/// What checking a proof found; the reserved attempt travels with it.
enum Checked {
    /// The proof holds: the window opens in `tx`.
    Held { tx: Box<dyn Tx>, attempt: Attempt },
    /// A wrong proof (or a replayed code), already counted by `attempt`.
    Failed { attempt: Attempt, replayed: bool },
}

/// The session's count of step-up tries.
fn session_key(session: &Session) -> CounterKey {
    Counter::StepUpPerSession.key(session.id)
}

impl App {
    /// Fails with `ReauthRequired` unless the session's window is open, and
    /// with `TokenNotAllowed` for an access token, which has no window.
    pub fn require_step_up(&self, session: &Session) -> AppResult<()> {
        self.require_signed_in(session)?;
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
        self.require_signed_in(session)?;
        let method = proof.method();
        if let Proof::Totp(code) = &proof {
            validate_code(code)?;
        }
        let refusal = Refusal::signed_in(session.account_id);
        let reserve = self.step_up_reserve(session, &proof, ctx);
        let attempt = self.reserve(reserve, refusal, ctx).await?;
        let checked = match proof {
            Proof::Password(password) => self.check_password(session, password, attempt).await?,
            Proof::Totp(code) => self.check_step_up_code(session, &code, attempt).await?,
            Proof::Webauthn {
                ceremony_id,
                credential,
            } => {
                self.check_step_up_passkey(session, &ceremony_id, &credential, attempt, ctx)
                    .await?
            }
        };
        match checked {
            Checked::Held { mut tx, attempt } => {
                self.release(&mut *tx, attempt).await?;
                self.window_opened(tx, session, method, ctx).await
            }
            Checked::Failed { attempt, replayed } => {
                let failure = CodeFailure {
                    kind: EventKind::ReauthFailed,
                    actor: Actor::Myself,
                    method,
                    replayed,
                };
                self.code_failed(session.account_id, None, attempt, failure, ctx)
                    .await?;
                Err(AppError::WrongProof)
            }
        }
    }

    /// What a proof reserves: the session's count, plus the account's
    /// password or code counts (a passkey cannot be guessed).
    fn step_up_reserve(
        &self,
        session: &Session,
        proof: &Proof,
        ctx: &RequestContext,
    ) -> Reserve<'static> {
        match proof {
            Proof::Password(_) => Reserve {
                keys: self.step_up_keys(session, ctx),
                ..Reserve::default()
            },
            Proof::Totp(_) => {
                let mut keys = code_keys(session.account_id);
                keys.push(session_key(session));
                Reserve {
                    keys,
                    consecutive_totp: Some(session.account_id),
                    ..Reserve::default()
                }
            }
            Proof::Webauthn { .. } => Reserve {
                keys: vec![session_key(session)],
                ..Reserve::default()
            },
        }
    }

    async fn check_password(
        &self,
        session: &Session,
        password: SecretString,
        attempt: Attempt,
    ) -> AppResult<Checked> {
        let matched = self.password_matches(session, password).await;
        let (attempt, matched) = self.unless_failed(attempt, matched).await?;
        if !matched {
            return Ok(Checked::Failed {
                attempt,
                replayed: false,
            });
        }
        let tx = self.store.begin().await?;
        Ok(Checked::Held { tx, attempt })
    }

    /// A code from any of the account's authenticator apps; its step is used
    /// up in the transaction the window opens in.
    async fn check_step_up_code(
        &self,
        session: &Session,
        code: &str,
        attempt: Attempt,
    ) -> AppResult<Checked> {
        let account = session.account_id;
        let authenticators = self.confirmed_totp(account).await?;
        let mut tx = self.store.begin().await?;
        match self
            .check_totp(&mut *tx, account, &authenticators, code)
            .await?
        {
            CodeCheck::Accepted => {
                tx.reset_totp_failures(account).await?;
                Ok(Checked::Held { tx, attempt })
            }
            outcome => Ok(Checked::Failed {
                attempt,
                replayed: matches!(outcome, CodeCheck::Replayed),
            }),
        }
    }

    /// A passkey assertion for this session's step-up ceremony. Only a
    /// rejected assertion is a failed proof; an expired ceremony or an
    /// unknown credential is answered as such.
    async fn check_step_up_passkey(
        &self,
        session: &Session,
        ceremony_id: &str,
        credential: &PublicKeyCredential,
        attempt: Attempt,
        ctx: &RequestContext,
    ) -> AppResult<Checked> {
        let verified = self
            .verify_account_assertion(
                CeremonyKind::Reauth,
                ceremony_id,
                session.account_id,
                Some(session.id),
                credential,
                ctx,
            )
            .await;
        match verified {
            Ok((record, result)) => {
                let mut tx = self.store.begin().await?;
                self.record_passkey_use(&mut *tx, &record, &result, self.clock.now())
                    .await?;
                Ok(Checked::Held { tx, attempt })
            }
            Err(AppError::PasskeyRejected) => Ok(Checked::Failed {
                attempt,
                replayed: false,
            }),
            Err(e) => Err(e),
        }
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
        self.audit_own(
            &mut *tx,
            session.account_id,
            EventKind::ReauthSucceeded,
            ctx,
            json!({ "method": method.as_str() }),
        )
        .await?;
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
