//! Signing in and out, and recognising a session on each request.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::email::Email;
use twofold_core::factor::Method;
use twofold_core::password::Verification;
use twofold_core::session::{Aal, Amr, TOUCH_INTERVAL, should_touch};
use twofold_core::token::{SessionToken, TokenHash};
use twofold_core::{AccountId, Timestamp};
use twofold_store::{Account, MfaChallenge, NewSession, Session, Tx};
use uuid::Uuid;

use crate::audit::{code_keys, password_keys};
use crate::mfa::MfaMethod;
use crate::passkeys::Kind;
use crate::throttle::{Attempt, Refusal, Reserve};
use crate::totp::CodeCheck;
use crate::{App, AppError, AppResult, RequestContext};

/// A wrong or replayed code, as the audit log records it.
pub(crate) struct CodeFailure {
    pub kind: EventKind,
    pub actor: Actor,
    pub method: Method,
    pub replayed: bool,
}

/// How a sign-in was made: what its new session records.
pub(crate) struct SignedInWith {
    pub aal: Aal,
    pub amr: Vec<Amr>,
    pub remember: bool,
    /// The passkey that signed in on its own, named in the audit detail.
    pub passkey: Option<Uuid>,
}

impl SignedInWith {
    /// A password alone: assurance level 1.
    fn password(remember: bool) -> Self {
        Self {
            aal: Aal::One,
            amr: vec![Amr::Pwd],
            remember,
            passkey: None,
        }
    }
}

/// A new session and the token that names it; the token is shown once.
#[derive(Debug)]
pub struct IssuedSession {
    pub token: SessionToken,
    pub session: Session,
    /// "Remember me" applied: the browser cookie should outlive the browser
    /// session.
    pub persistent: bool,
    /// After a sign-in with a recovery code: how many codes are left.
    pub recovery_codes_left: Option<i64>,
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// Signed in.
    Active(IssuedSession),
    /// MFA is on: a challenge any enrolled method can meet.
    MfaRequired(IssuedChallenge),
}

/// An MFA challenge: its id (a secret the client holds; only its hash is
/// stored), the methods that can meet it, and when it expires.
#[derive(Debug)]
pub struct IssuedChallenge {
    pub id: SessionToken,
    pub methods: Vec<MfaMethod>,
    pub expires_at: Timestamp,
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

    fn method(&self) -> Method {
        match self {
            MfaProof::Totp(_) => Method::Totp,
            MfaProof::RecoveryCode(_) => Method::RecoveryCode,
            MfaProof::Webauthn(_) => Method::Webauthn,
        }
    }
}

/// How long a sign-in waits for its second factor.
const CHALLENGE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);

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
            (Some(account), Verification::Valid { needs_rehash }) => (account, needs_rehash),
            _ => {
                // The reservation stays as the failure. No email in the
                // detail: people type passwords into it.
                let event = self.event(
                    EventKind::SignInFailed,
                    account_id,
                    Actor::Anonymous,
                    ctx,
                    json!({}),
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
            let id = SessionToken::generate().map_err(AppError::internal)?;
            let now = self.clock.now();
            let challenge = MfaChallenge {
                account_id: account.id,
                created_at: now,
                expires_at: now.plus(CHALLENGE_LIFETIME),
                failures: 0,
                remember_me,
            };
            tx.insert_mfa_challenge(&id.hash(), &challenge).await?;
            tx.commit().await?;
            return Ok(SignInOutcome::MfaRequired(IssuedChallenge {
                id,
                methods: mfa.methods(),
                expires_at: challenge.expires_at,
            }));
        }
        let how = SignedInWith::password(remember_me);
        let issued = self.finish_sign_in(tx, &account, how, ctx).await?;
        Ok(SignInOutcome::Active(issued))
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
        let challenge_id = SessionToken::parse(challenge_id).ok_or(AppError::ChallengeExpired)?;
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
        let method = proof.method();
        let reserve = Reserve {
            keys: match proof {
                MfaProof::Webauthn(_) => Vec::new(),
                _ => code_keys(account.id),
            },
            challenge: Some(&hash),
            consecutive_totp: matches!(proof, MfaProof::Totp(_)).then_some(account.id),
        };
        let refusal = Refusal {
            kind: EventKind::AttemptsThrottled,
            account: Some(account.id),
            actor: Actor::Anonymous,
        };
        let attempt = self.reserve(reserve, refusal, ctx).await?;
        // Everything read from the pool is read before the transaction.
        let authenticators = match proof {
            MfaProof::Totp(_) => self.confirmed_totp(account.id).await?,
            _ => Vec::new(),
        };
        let passkey = match &proof {
            MfaProof::Webauthn(credential) => {
                let verified = self
                    .verify_account_assertion(
                        Kind::Mfa,
                        challenge_id.expose(),
                        account.id,
                        None,
                        credential,
                        ctx,
                    )
                    .await;
                match verified {
                    Ok(verified) => Some(verified),
                    Err(e) => {
                        self.end_spent_challenge(&attempt, &hash).await?;
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        let (outcome, amr) = match &proof {
            MfaProof::Webauthn(_) => {
                if let Some((record, result)) = &passkey {
                    self.record_passkey_use(&mut *tx, record, result, now)
                        .await?;
                }
                (CodeCheck::Accepted, Amr::Hwk)
            }
            MfaProof::Totp(code) => (
                self.check_totp(&mut *tx, account.id, &authenticators, code)
                    .await?,
                Amr::Otp,
            ),
            MfaProof::RecoveryCode(code) => {
                let used = self.use_recovery_code(&mut *tx, account.id, code).await?;
                let outcome = if used {
                    CodeCheck::Accepted
                } else {
                    CodeCheck::Wrong
                };
                (outcome, Amr::Rc)
            }
        };
        if !matches!(outcome, CodeCheck::Accepted) {
            drop(tx);
            let failure = CodeFailure {
                kind: EventKind::MfaChallengeFailed,
                actor: Actor::Anonymous,
                method,
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
        let recovery_codes_left = if amr == Amr::Rc {
            let left = tx
                .recovery_status_in_tx(account.id)
                .await?
                .map_or(0, |s| s.remaining);
            let event = self.event(
                EventKind::RecoveryCodeUsed,
                Some(account.id),
                Actor::Myself,
                ctx,
                json!({ "remaining": left }),
            );
            self.audit(&mut *tx, event).await?;
            Some(left)
        } else {
            None
        };
        let how = SignedInWith {
            aal: Aal::Two,
            amr: vec![Amr::Pwd, amr],
            remember: challenge.remember_me && self.policy.remember_me_with_mfa,
            passkey: None,
        };
        let issued = self.finish_sign_in(tx, &account, how, ctx).await?;
        Ok(IssuedSession {
            recovery_codes_left,
            ..issued
        })
    }

    /// The close of every sign-in: a new session inside `tx`, the
    /// `SignInSucceeded` row naming it and how it was proven, and the commit.
    pub(crate) async fn finish_sign_in(
        &self,
        mut tx: Box<dyn Tx>,
        account: &Account,
        how: SignedInWith,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let issued = self
            .issue_session(&mut *tx, account, how.aal, how.amr, how.remember, ctx)
            .await?;
        let mut detail = json!({ "amr": issued.session.amr, "session_id": issued.session.id });
        if let Some(passkey) = how.passkey {
            detail["passkey_id"] = json!(passkey);
        }
        let event = self.event(
            EventKind::SignInSucceeded,
            Some(account.id),
            Actor::Myself,
            ctx,
            detail,
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(issued)
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
        let lifetimes = &self.policy.sessions;
        if lifetimes.is_idle(session.remembered, session.last_seen_at, now) {
            return Err(AppError::Unauthenticated);
        }
        if should_touch(session.last_seen_at, now) {
            self.store
                .touch_session(session.id, now, now.minus(TOUCH_INTERVAL))
                .await?;
        }
        Ok(session)
    }

    /// Ends this session (signing out is not a revocation: no audit row).
    pub async fn sign_out(&self, session: &Session) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_session(session.account_id, session.id).await?;
        tx.commit().await?;
        tracing::info!(target: "security", account_id = %session.account_id, "signed out");
        Ok(())
    }

    /// Deletes rows that can never be used again (expired sessions,
    /// challenges, ceremonies, pending authenticators, day-old failures,
    /// ended lockouts) and audit events older than the retention period:
    /// the one way rows ever leave the audit log.
    pub async fn sweep_expired(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let audit_before = now.minus(self.policy.audit_retention);
        let mut tx = self.store.begin().await?;
        let deleted = tx.sweep_expired(now, audit_before).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// The account's live sessions, newest first.
    pub async fn sessions(&self, session: &Session) -> AppResult<Vec<Session>> {
        let now = self.clock.now();
        let mut sessions = self.store.sessions_of(session.account_id, now).await?;
        let lifetimes = &self.policy.sessions;
        sessions.retain(|s| !lifetimes.is_idle(s.remembered, s.last_seen_at, now));
        Ok(sessions)
    }

    /// Revokes one of the caller's sessions (possibly this one).
    pub async fn revoke_session(
        &self,
        session: &Session,
        id: Uuid,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_session(session.account_id, id).await? {
            return Err(AppError::NotFound("no such session"));
        }
        let event = self.event(
            EventKind::SessionRevoked,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({ "session_id": id }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every session of the caller but this one; returns how many.
    pub async fn revoke_other_sessions(
        &self,
        session: &Session,
        ctx: &RequestContext,
    ) -> AppResult<u64> {
        let mut tx = self.store.begin().await?;
        let count = tx
            .delete_other_sessions(session.account_id, session.id)
            .await?;
        if count > 0 {
            let event = self.event(
                EventKind::SessionRevoked,
                Some(session.account_id),
                Actor::Myself,
                ctx,
                json!({ "others": count }),
            );
            self.audit(&mut *tx, event).await?;
        }
        tx.commit().await?;
        Ok(count)
    }

    pub(crate) async fn issue_session(
        &self,
        tx: &mut dyn Tx,
        account: &Account,
        aal: Aal,
        amr: Vec<Amr>,
        remember_me: bool,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let token = SessionToken::generate().map_err(AppError::internal)?;
        let now = self.clock.now();
        let user_agent = ctx.stored_user_agent();
        let new = NewSession {
            id: Uuid::now_v7(),
            token_hash: token.hash(),
            account_id: account.id,
            aal,
            amr,
            created_at: now,
            expires_at: self.policy.sessions.expires_at(now, remember_me),
            remembered: remember_me,
            ip: ctx.ip.clone(),
            user_agent,
        };
        tx.insert_session(&new).await?;
        Ok(IssuedSession {
            token,
            persistent: remember_me,
            recovery_codes_left: None,
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
                remembered: remember_me,
                privileged_until: None,
                ip: new.ip,
                user_agent: new.user_agent,
            },
        })
    }
}
