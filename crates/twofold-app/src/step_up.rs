//! Step-up re-authentication: a fresh proof opens a short privileged window
//! on this session; every security change requires it to be open.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::Timestamp;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::password::Verification;
use twofold_core::session::is_privileged;
use twofold_core::throttle::limits;
use twofold_store::{Session, Tx};

use crate::audit::{Counted, password_keys};
use crate::sessions::code_keys;
use crate::totp::CodeCheck;
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
    fn method(&self) -> &'static str {
        match self {
            Proof::Password(_) => "password",
            Proof::Totp(_) => "totp",
            Proof::Webauthn { .. } => "webauthn",
        }
    }
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
    /// does not change. Wrong proofs are counted per session (and per
    /// account: as passwords, or as codes).
    pub async fn reauthenticate(
        &self,
        session: &Session,
        proof: Proof,
        ctx: &RequestContext,
    ) -> AppResult<Timestamp> {
        let method = proof.method();
        let account = session.account_id;
        let session_key = (
            format!("reauth:session:{}", session.id),
            limits::STEP_UP_PER_SESSION,
        );
        // On success, the transaction the window is opened in.
        let accepted: Option<Box<dyn Tx>> = match proof {
            Proof::Webauthn {
                ceremony_id,
                credential,
            } => {
                self.check_limits(&[session_key]).await?;
                let verified = self
                    .verify_account_assertion(
                        true,
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
                        Some(tx)
                    }
                    Err(AppError::PasskeyRejected) => {
                        let event = self.event(
                            EventKind::ReauthFailed,
                            Some(account),
                            Actor::Myself,
                            ctx,
                            json!({ "method": method }),
                        );
                        let session_only = [(
                            format!("reauth:session:{}", session.id),
                            limits::STEP_UP_PER_SESSION,
                        )];
                        self.record_failure(&session_only, event).await?;
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
            Proof::Password(password) => {
                let keys = self.step_up_keys(session, ctx);
                self.check_limits(&keys).await?;
                // Never hold the write lock while hashing.
                if self.password_matches(session, password).await? {
                    Some(self.store.begin().await?)
                } else {
                    let event = self.event(
                        EventKind::ReauthFailed,
                        Some(account),
                        Actor::Myself,
                        ctx,
                        json!({ "method": method }),
                    );
                    self.record_failure(&keys, event).await?;
                    None
                }
            }
            Proof::Totp(code) => {
                let mut keys = code_keys(account);
                keys.push(session_key);
                self.check_limits(&keys).await?;
                if self.store.totp_failures(account).await? >= limits::TOTP_CONSECUTIVE_FAILURES {
                    return Err(AppError::TotpLocked);
                }
                let mut tx = self.store.begin().await?;
                match self.check_totp(&mut *tx, account, &code).await? {
                    CodeCheck::Accepted => {
                        tx.reset_totp_failures(account).await?;
                        Some(tx)
                    }
                    outcome => {
                        drop(tx);
                        let replayed = matches!(outcome, CodeCheck::Replayed);
                        self.record_code_failure(account, None, replayed, method, ctx)
                            .await?;
                        let event = self.event(
                            EventKind::ReauthFailed,
                            Some(account),
                            Actor::Myself,
                            ctx,
                            json!({ "method": method }),
                        );
                        let session_only = [(
                            format!("reauth:session:{}", session.id),
                            limits::STEP_UP_PER_SESSION,
                        )];
                        self.record_failure(&session_only, event).await?;
                        None
                    }
                }
            }
        };
        let Some(mut tx) = accepted else {
            return Err(AppError::WrongProof);
        };
        let until = self.clock.now().plus(self.policy.step_up_window);
        tx.set_privileged_until(session.id, until).await?;
        let event = self.event(
            EventKind::ReauthSucceeded,
            Some(account),
            Actor::Myself,
            ctx,
            json!({ "method": method }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(until)
    }

    /// Throttle keys for a password proof made on this session.
    pub(crate) fn step_up_keys(&self, session: &Session, ctx: &RequestContext) -> Vec<Counted> {
        let mut keys = vec![(
            format!("reauth:session:{}", session.id),
            limits::STEP_UP_PER_SESSION,
        )];
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
