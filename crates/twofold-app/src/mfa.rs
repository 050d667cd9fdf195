//! The account's second factors taken together: whether MFA is on, and the
//! methods an MFA challenge can be met with. MFA is on exactly when a
//! confirmed authenticator app or a passkey exists: derived, never stored as
//! a flag that could disagree.

use twofold_core::AccountId;
use twofold_core::factor::{LastFactor, Removal, StrongFactors};
use twofold_core::session::Aal;
use twofold_store::{PasskeyRecord, RecoveryStatus, Session, TotpAuthenticator, Tx};

use crate::{App, AppError, AppResult};

/// A way to meet an MFA challenge: the core's one vocabulary of methods.
pub use twofold_core::factor::Method as MfaMethod;

/// What the Security page and `GET /me/mfa` show.
#[derive(Debug, Clone)]
pub struct MfaOverview {
    /// Confirmed authenticator apps, oldest first.
    pub totp: Vec<TotpAuthenticator>,
    /// Passkeys and security keys, oldest first.
    pub passkeys: Vec<PasskeyRecord>,
    /// The recovery sheet, if there is one.
    pub recovery: Option<RecoveryStatus>,
}

impl MfaOverview {
    pub fn strong_factors(&self) -> StrongFactors {
        StrongFactors {
            totp: self.totp.len() as u64,
            passkeys: self.passkeys.len() as u64,
        }
    }

    pub fn enabled(&self) -> bool {
        self.strong_factors().mfa_on()
    }

    pub fn methods(&self) -> Vec<MfaMethod> {
        let mut methods = Vec::new();
        if !self.totp.is_empty() {
            methods.push(MfaMethod::Totp);
        }
        if !self.passkeys.is_empty() {
            methods.push(MfaMethod::Webauthn);
        }
        if self.enabled() && self.recovery.is_some_and(|r| r.remaining > 0) {
            methods.push(MfaMethod::RecoveryCode);
        }
        methods
    }
}

impl App {
    pub async fn mfa_overview(&self, account: AccountId) -> AppResult<MfaOverview> {
        let totp = self
            .store
            .totp_authenticators(account)
            .await?
            .into_iter()
            .filter(|t| t.confirmed_at.is_some())
            .collect();
        let passkeys = self.store.passkeys(account).await?;
        let recovery = self.store.recovery_status(account).await?;
        Ok(MfaOverview {
            totp,
            passkeys,
            recovery,
        })
    }
}

impl App {
    /// MFA has just turned on with the account's first strong factor: the
    /// account's other sessions signed in with less (assurance level 1: a
    /// password alone, perhaps a stolen one, which could step up and undo
    /// the factor) end; `session`, which added it, stays. Returns how many
    /// ended.
    pub(crate) async fn end_weaker_sessions(
        &self,
        tx: &mut dyn Tx,
        session: &Session,
    ) -> AppResult<u64> {
        Ok(tx
            .delete_other_sessions_below_aal(session.account_id, session.id, Aal::Two)
            .await?)
    }

    /// One of the strong factors in `before` has just been removed inside
    /// `tx`. The last one needs `confirm_last`, and takes the recovery sheet
    /// with it (MFA is off: its fallback goes too). Returns whether MFA
    /// turned off.
    pub(crate) async fn strong_factor_removed(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        before: StrongFactors,
        confirm_last: bool,
    ) -> AppResult<bool> {
        match before.removal(confirm_last) {
            Err(LastFactor) => Err(AppError::LastFactor),
            Ok(Removal::Keeps) => Ok(false),
            Ok(Removal::TurnsMfaOff) => {
                tx.delete_recovery_codes(account).await?;
                Ok(true)
            }
        }
    }

    /// The methods that can meet a sign-in challenge (for the MFA page).
    pub async fn challenge_methods(&self, challenge_id: &str) -> AppResult<Vec<MfaMethod>> {
        let token = twofold_core::token::ChallengeId::parse(challenge_id)
            .ok_or(crate::AppError::ChallengeExpired)?;
        let challenge = self
            .store
            .mfa_challenge(&token.hash(), self.clock.now())
            .await?
            .ok_or(crate::AppError::ChallengeExpired)?;
        Ok(self.mfa_overview(challenge.account_id).await?.methods())
    }

    /// The account's WebAuthn user handle, if it has one (for the page's
    /// signals to password managers).
    pub async fn webauthn_user_handle(&self, account: AccountId) -> AppResult<Option<uuid::Uuid>> {
        Ok(self.store.webauthn_user_id(account).await?)
    }

    /// The relying-party id passkeys are bound to.
    pub fn rp_id(&self) -> Option<String> {
        self.webauthn.as_ref().map(|rp| {
            rp.get_allowed_origins()
                .first()
                .and_then(|o| o.host_str())
                .unwrap_or_default()
                .to_owned()
        })
    }
}
