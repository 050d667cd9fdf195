//! Step-up re-authentication: a fresh proof opens a short privileged window
//! on this session; every security change requires it to be open.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::Timestamp;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::password::Verification;
use twofold_core::session::is_privileged;
use twofold_core::throttle::limits;
use twofold_store::Session;

use crate::audit::{Counted, password_keys};
use crate::{App, AppError, AppResult, RequestContext};

/// A proof of presence. The factor issues add `Totp` and `Webauthn`.
pub enum Proof {
    Password(SecretString),
}

impl Proof {
    fn method(&self) -> &'static str {
        match self {
            Proof::Password(_) => "password",
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
    /// does not change. Wrong proofs are counted per session and account.
    pub async fn reauthenticate(
        &self,
        session: &Session,
        proof: Proof,
        ctx: &RequestContext,
    ) -> AppResult<Timestamp> {
        let method = proof.method();
        let keys = self.step_up_keys(session, ctx);
        self.check_limits(&keys).await?;
        let ok = match proof {
            Proof::Password(password) => self.password_matches(session, password).await?,
        };
        if !ok {
            let event = self.event(
                EventKind::ReauthFailed,
                Some(session.account_id),
                Actor::Myself,
                ctx,
                json!({ "method": method }),
            );
            self.record_failure(&keys, event).await?;
            return Err(AppError::WrongProof);
        }
        let until = self.clock.now().plus(self.policy.step_up_window);
        let mut tx = self.store.begin().await?;
        tx.set_privileged_until(session.id, until).await?;
        let event = self.event(
            EventKind::ReauthSucceeded,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({ "method": method }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(until)
    }

    /// Throttle keys for a proof made on this session.
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
