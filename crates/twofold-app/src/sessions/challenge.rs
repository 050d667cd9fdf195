//! The second step of a sign-in: the MFA challenge a correct password
//! opens, and meeting it with a code or a passkey.

use serde_json::json;
use twofold_core::AccountId;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::Method;
use twofold_core::session::{Aal, Amr};
use twofold_core::token::{ChallengeId, TokenHash};
use twofold_store::{MfaChallenge, Tx};

use super::{IssuedChallenge, IssuedSession, SignedInWith};
use crate::audit::code_keys;
use crate::mfa::MfaMethod;
use crate::throttle::{Attempt, Refusal, Reserve};
use crate::totp::CodeCheck;
use crate::{App, AppError, AppResult, RequestContext};
use twofold_core::ceremony::CeremonyKind;

/// A wrong or replayed code, as the audit log records it.
pub(crate) struct CodeFailure {
    pub kind: EventKind,
    pub actor: Actor,
    pub method: Method,
    pub replayed: bool,
}

/// A second factor presented to meet a challenge.
pub enum MfaProof {
    Totp(String),
    RecoveryCode(String),
    /// The browser's assertion for the options of `start_mfa_passkey`.
    Webauthn(Box<webauthn_rs::prelude::PublicKeyCredential>),
}

impl MfaProof {
    /// A malformed code is refused before any try is counted.
    fn validate(&self) -> AppResult<()> {
        match self {
            MfaProof::Totp(code) => crate::totp::validate_code(code),
            MfaProof::RecoveryCode(code) => crate::recovery::parse_code(code).map(drop),
            MfaProof::Webauthn(_) => Ok(()),
        }
    }

    /// What this proof reserves: one of the challenge's tries, and for codes
    /// one of the account's (a passkey cannot be guessed).
    fn reserve<'a>(&self, account: AccountId, challenge: &'a TokenHash) -> Reserve<'a> {
        Reserve {
            keys: match self {
                MfaProof::Webauthn(_) => Vec::new(),
                _ => code_keys(account),
            },
            challenge: Some(challenge),
            consecutive_totp: matches!(self, MfaProof::Totp(_)).then_some(account),
        }
    }

    /// How the new session records this proof.
    fn amr(&self) -> Amr {
        match self {
            MfaProof::Totp(_) => Amr::Otp,
            MfaProof::RecoveryCode(_) => Amr::Rc,
            MfaProof::Webauthn(_) => Amr::Hwk,
        }
    }

    fn method(&self) -> Method {
        match self {
            MfaProof::Totp(_) => Method::Totp,
            MfaProof::RecoveryCode(_) => Method::RecoveryCode,
            MfaProof::Webauthn(_) => Method::Webauthn,
        }
    }
}

/// How long a sign-in waits for its second factor. Public so the browser's
/// challenge cookie lives exactly as long.
pub const CHALLENGE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);

impl App {
    /// Opens an MFA challenge inside `tx` (the password was right and MFA
    /// is on); the challenge remembers "remember me" for the session it leads
    /// to.
    pub(super) async fn open_challenge(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        remember_me: bool,
        methods: Vec<MfaMethod>,
    ) -> AppResult<IssuedChallenge> {
        let id = ChallengeId::generate().map_err(AppError::internal)?;
        let now = self.clock.now();
        let challenge = MfaChallenge {
            account_id: account,
            created_at: now,
            expires_at: now.plus(CHALLENGE_LIFETIME),
            failures: 0,
            remember_me,
        };
        tx.insert_mfa_challenge(&id.hash(), &challenge).await?;
        Ok(IssuedChallenge {
            id,
            methods,
            expires_at: challenge.expires_at,
        })
    }

    /// Meets an MFA challenge with a second factor. Success consumes the
    /// challenge (once, whatever the concurrency) and issues a new session
    /// of assurance level 2. Each try is reserved first: one of the
    /// challenge's five, and for codes one of the account's ten per 15
    /// minutes (and for TOTP one of its consecutive hundred). A passkey
    /// cannot be guessed, so the account's code limit never refuses one.
    pub async fn complete_mfa(
        &self,
        challenge_id: &str,
        proof: MfaProof,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let challenge_id = ChallengeId::parse(challenge_id).ok_or(AppError::ChallengeExpired)?;
        let hash = challenge_id.hash();
        let now = self.clock.now();
        let challenge = self
            .store
            .mfa_challenge(&hash, now)
            .await?
            .ok_or(AppError::ChallengeExpired)?;
        let account = self.account(challenge.account_id).await?;
        // A malformed code is a typing error, not a try.
        proof.validate()?;
        let refusal = Refusal {
            kind: EventKind::AttemptsThrottled,
            account: Some(account.id),
            actor: Actor::Anonymous,
        };
        let attempt = self
            .reserve(proof.reserve(account.id, &hash), refusal, ctx)
            .await?;
        let (mut tx, outcome) = self
            .check_second_factor(&proof, &challenge_id, account.id, &attempt, ctx)
            .await?;
        if !matches!(outcome, CodeCheck::Accepted) {
            drop(tx);
            let failure = CodeFailure {
                kind: EventKind::MfaChallengeFailed,
                actor: Actor::Anonymous,
                method: proof.method(),
                replayed: matches!(outcome, CodeCheck::Replayed),
            };
            self.code_failed(account.id, Some(&hash), attempt, failure, ctx)
                .await?;
            return Err(AppError::WrongCode);
        }
        if tx.consume_mfa_challenge(&hash, now).await?.is_none() {
            // Another request met this challenge first; this one changes nothing.
            return Err(AppError::ChallengeExpired);
        }
        self.release(&mut *tx, attempt).await?;
        // Any method succeeding lifts the consecutive TOTP count.
        tx.reset_totp_failures(account.id).await?;
        let recovery_codes_left = match proof {
            MfaProof::RecoveryCode(_) => {
                Some(self.recovery_code_used(&mut *tx, account.id, ctx).await?)
            }
            _ => None,
        };
        let how = SignedInWith {
            aal: Aal::Two,
            amr: vec![Amr::Pwd, proof.amr()],
            remember: challenge.remember_me && self.policy.remember_me_with_mfa,
            passkey: None,
        };
        let issued = self.finish_sign_in(tx, &account, how, ctx).await?;
        Ok(IssuedSession {
            recovery_codes_left,
            ..issued
        })
    }

    /// Checks the second factor; on success its use (a TOTP step, a recovery
    /// code, a passkey's counter) is recorded in the returned transaction.
    /// Everything read from the pool is read before that transaction begins.
    async fn check_second_factor(
        &self,
        proof: &MfaProof,
        challenge_id: &ChallengeId,
        account: AccountId,
        attempt: &Attempt,
        ctx: &RequestContext,
    ) -> AppResult<(Box<dyn Tx>, CodeCheck)> {
        match proof {
            MfaProof::Webauthn(credential) => {
                let verified = self
                    .verify_account_assertion(
                        CeremonyKind::Mfa,
                        challenge_id.expose(),
                        account,
                        None,
                        credential,
                        ctx,
                    )
                    .await;
                let (record, result) = match verified {
                    Ok(verified) => verified,
                    Err(e) => {
                        self.end_spent_challenge(attempt, &challenge_id.hash())
                            .await?;
                        return Err(e);
                    }
                };
                let mut tx = self.store.begin().await?;
                self.record_passkey_use(&mut *tx, &record, &result, self.clock.now())
                    .await?;
                Ok((tx, CodeCheck::Accepted))
            }
            MfaProof::Totp(code) => {
                let authenticators = self.confirmed_totp(account).await?;
                let mut tx = self.store.begin().await?;
                let outcome = self
                    .check_totp(&mut *tx, account, &authenticators, code)
                    .await?;
                Ok((tx, outcome))
            }
            MfaProof::RecoveryCode(code) => {
                let mut tx = self.store.begin().await?;
                let outcome = if self.use_recovery_code(&mut *tx, account, code).await? {
                    CodeCheck::Accepted
                } else {
                    CodeCheck::Wrong
                };
                Ok((tx, outcome))
            }
        }
    }

    /// Audits a recovery code just used inside `tx`; how many are left.
    async fn recovery_code_used(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        ctx: &RequestContext,
    ) -> AppResult<i64> {
        let left = tx
            .recovery_status_in_tx(account)
            .await?
            .map_or(0, |s| s.remaining);
        self.audit_own(
            tx,
            account,
            EventKind::RecoveryCodeUsed,
            ctx,
            json!({ "remaining": left }),
        )
        .await?;
        Ok(left)
    }

    /// A failed try used the challenge's last attempt: the challenge ends.
    async fn end_spent_challenge(&self, attempt: &Attempt, challenge: &TokenHash) -> AppResult<()> {
        if attempt.spends_challenge {
            let mut tx = self.store.begin().await?;
            tx.delete_mfa_challenge(challenge).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Records a wrong or replayed code whose try was reserved (so it is
    /// already counted): ends a spent challenge and writes the audit rows.
    pub(crate) async fn code_failed(
        &self,
        account: AccountId,
        challenge: Option<&TokenHash>,
        attempt: Attempt,
        failure: CodeFailure,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        if attempt.spends_challenge
            && let Some(hash) = challenge
        {
            tx.delete_mfa_challenge(hash).await?;
        }
        if failure.replayed {
            let event = self.event(
                EventKind::TotpReplayRejected,
                Some(account),
                failure.actor,
                ctx,
                json!({}),
            );
            self.audit(&mut *tx, event).await?;
        }
        let event = self.event(
            failure.kind,
            Some(account),
            failure.actor,
            ctx,
            json!({ "method": failure.method.as_str(), "replay": failure.replayed }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
