//! Signing in: with email and password, with a passkey alone, and the
//! owner's first sign-in at setup.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::email::Email;
use twofold_core::password::Verification;
use twofold_core::session::{Aal, Amr};
use twofold_core::throttle::Counter;
use webauthn_rs::prelude::PublicKeyCredential;

use super::{DISABLED, IssuedSession, SignInOutcome, SignedInWith};
use crate::audit::password_keys;
use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Email + password sign-in. Unknown email and wrong password give the
    /// same error after the same work (a dummy hash is verified), and both
    /// count against the limits of that email and of the client address:
    /// the attempt is reserved before the hashing queue is even joined.
    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        remember_me: bool,
        ctx: &RequestContext,
    ) -> AppResult<SignInOutcome> {
        let parsed = Email::parse(email);
        let email_key = match &parsed {
            Ok(email) => email.normalized().to_owned(),
            Err(_) => email.trim().to_lowercase(),
        };
        // A malformed email cannot name an account: it is answered as a
        // wrong password, after the same work.
        let account = match &parsed {
            Ok(email) => self.store.account_by_email(email.normalized()).await?,
            Err(_) => None,
        };
        let account_id = account.as_ref().map(|a| a.id);
        let refusal = Refusal {
            kind: EventKind::SignInThrottled,
            account: account_id,
            actor: Actor::Anonymous,
        };
        let attempt = self
            .reserve(
                Reserve {
                    keys: password_keys(&email_key, ctx),
                    ..Reserve::default()
                },
                refusal,
                ctx,
            )
            .await?;
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let verified = self.passwords.verify(stored, password.clone()).await;
        let (attempt, verification) = self.unless_failed(attempt, verified).await?;
        let (account, needs_rehash) = match (account, verification) {
            (Some(account), Verification::Valid { needs_rehash }) if !account.is_disabled() => {
                (account, needs_rehash)
            }
            (account, verification) => {
                // The reservation stays as the failure. No email in the
                // detail: people type passwords into it. A disabled account
                // gets the wrong password's answer, after the same work;
                // only the audit row tells the admins why.
                let detail = match (account, verification) {
                    (Some(_), Verification::Valid { .. }) => json!({ "reason": DISABLED }),
                    _ => json!({}),
                };
                let event = self.event(
                    EventKind::SignInFailed,
                    account_id,
                    Actor::Anonymous,
                    ctx,
                    detail,
                );
                self.record_event(event).await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        // An old password outside today's rules keeps its old hash.
        let mut rehashed = None;
        let attempt = if needs_rehash
            && let Ok(new) = twofold_core::password::NewPassword::from_verified(password)
        {
            let hashed = self.passwords.hash(new).await;
            let (attempt, phc) = self.unless_failed(attempt, hashed).await?;
            rehashed = Some(phc);
            attempt
        } else {
            attempt
        };

        let mfa = self.mfa_overview(account.id).await?;
        let mut tx = self.store.begin().await?;
        self.release(&mut *tx, attempt).await?;
        if let Some(phc) = &rehashed {
            tx.set_password_hash(account.id, phc).await?;
        }
        if mfa.enabled() {
            let challenge = self
                .open_challenge(&mut *tx, account.id, remember_me, mfa.methods())
                .await?;
            tx.commit().await?;
            return Ok(SignInOutcome::MfaRequired(challenge));
        }
        let how = SignedInWith::password(remember_me);
        let issued = self.finish_sign_in(tx, &account, how, ctx).await?;
        Ok(SignInOutcome::Active(issued))
    }

    /// Signs in with a passkey alone: a user-verified passkey is multi-factor
    /// on its own, so the session is aal 2 with amr `["hwk"]`. A passkey
    /// cannot be guessed, so no account's code limit refuses a valid one
    /// (whoever knows only the password cannot lock its owner out of
    /// phishing-resistant sign-in); refused assertions count per address.
    pub async fn sign_in_with_passkey(
        &self,
        ceremony_id: &str,
        credential: &PublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<crate::IssuedSession> {
        let reserve = Reserve::per_address(Counter::PasskeyFailuresPerAddress, ctx);
        let attempt = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
        let (account_id, record, result) = self
            .verify_passwordless(ceremony_id, credential, ctx)
            .await?;
        let account = self.account(account_id).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        self.release(&mut *tx, attempt).await?;
        self.record_passkey_use(&mut *tx, &record, &result, now)
            .await?;
        tx.reset_totp_failures(account_id).await?;
        let how = SignedInWith {
            aal: Aal::Two,
            amr: vec![Amr::Hwk],
            remember: false,
            passkey: Some(record.id),
        };
        self.finish_sign_in(tx, &account, how, ctx).await
    }

    /// Creates the owner of an empty instance and signs them in (setup page).
    pub async fn set_up_owner(
        &self,
        email: &str,
        password: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let account = self.register(email, password, false, ctx).await?;
        let tx = self.store.begin().await?;
        self.finish_sign_in(tx, &account, SignedInWith::password(false), ctx)
            .await
    }
}
