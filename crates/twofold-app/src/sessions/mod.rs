//! Sessions: every way of signing in ends here (a new session and its
//! audit row), and a session is recognised, listed and ended here.
//!
//! Signing in uses the passkey verification in `crate::passkeys`; nothing
//! there calls back into sessions.

mod challenge;
mod manage;
mod sign_in;

pub(crate) use challenge::CodeFailure;
pub use challenge::{CHALLENGE_LIFETIME, MfaProof};

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::mfa_policy::MfaStanding;
use twofold_core::session::{Aal, Amr};
use twofold_core::token::{ChallengeId, SessionToken};
use twofold_core::{PasskeyId, SessionId, Timestamp};
use twofold_store::{Account, NewSession, Session, Tx};

use crate::mfa::MfaMethod;

/// The `reason` of a `sign_in.failed` row refused because the account is
/// disabled (the caller sees a wrong password's answer).
pub(crate) const DISABLED: &str = "account_disabled";
use crate::{App, AppError, AppResult, RequestContext};

/// How a sign-in was made: what its new session records.
pub(crate) struct SignedInWith {
    pub aal: Aal,
    pub amr: Vec<Amr>,
    pub remember: bool,
    /// The passkey that signed in on its own, named in the audit detail.
    pub passkey: Option<PasskeyId>,
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
    /// Two-factor authentication is required of the account and not on yet:
    /// its deadline (the session ends then), or, past it, when it passed
    /// (the session is `enrolment_only`).
    pub mfa_enrollment_due: Option<Timestamp>,
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
    pub id: ChallengeId,
    pub methods: Vec<MfaMethod>,
    pub expires_at: Timestamp,
}

impl App {
    /// The close of every sign-in: a new session inside `tx`, the
    /// `SignInSucceeded` row naming it and how it was proven, and the commit.
    pub(crate) async fn finish_sign_in(
        &self,
        mut tx: Box<dyn Tx>,
        account: &Account,
        how: SignedInWith,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        // The last guard of every way in: read under the account lock, which
        // disabling also takes, so a session is never made for an account
        // disabled before this commit (and one made just before is ended by it).
        tx.lock_account(account.id).await?;
        let active = tx
            .account_in_tx(account.id)
            .await?
            .is_some_and(|current| !current.is_disabled());
        if !active {
            drop(tx);
            let event = self.event(
                EventKind::SignInFailed,
                Some(account.id),
                Actor::Anonymous,
                ctx,
                json!({ "reason": DISABLED }),
            );
            self.record_event(event).await?;
            return Err(AppError::InvalidCredentials);
        }
        let standing = self.mfa_standing_at_sign_in(&mut *tx, account).await?;
        let issued = self
            .issue_session(&mut *tx, account, &how, standing, ctx)
            .await?;
        let enrolment_only = issued.session.enrolment_only;
        let mut detail = json!({ "amr": issued.session.amr, "session_id": issued.session.id });
        if let Some(passkey) = how.passkey {
            detail["passkey_id"] = json!(passkey);
        }
        if enrolment_only {
            detail["enrolment_only"] = json!(true);
        }
        self.audit_own(
            &mut *tx,
            account.id,
            EventKind::SignInSucceeded,
            ctx,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    pub(crate) async fn issue_session(
        &self,
        tx: &mut dyn Tx,
        account: &Account,
        how: &SignedInWith,
        standing: MfaStanding,
        ctx: &RequestContext,
    ) -> AppResult<IssuedSession> {
        let (aal, amr, remember_me) = (how.aal, how.amr.clone(), how.remember);
        let now = self.clock.now();
        let mut expires_at = self.policy.sessions.expires_at(now, remember_me);
        // In the grace period a session ends at the deadline, so the next
        // sign-in after it meets the requirement; past it, the session may
        // only enrol a factor.
        let (enrolment_only, mfa_enrollment_due) = match standing {
            MfaStanding::Compliant => (false, None),
            MfaStanding::Grace { due } => {
                expires_at = expires_at.min(due);
                (false, Some(due))
            }
            MfaStanding::Overdue { since } => (true, Some(since)),
        };
        let token = SessionToken::generate().map_err(AppError::internal)?;
        let user_agent = ctx.stored_user_agent();
        let new = NewSession {
            id: SessionId::from_uuid(self.new_id()),
            token_hash: token.hash(),
            account_id: account.id,
            aal,
            amr,
            created_at: now,
            expires_at,
            remembered: remember_me,
            ip: ctx.ip.clone(),
            user_agent,
            enrolment_only,
        };
        tx.insert_session(&new).await?;
        Ok(IssuedSession {
            token,
            persistent: remember_me,
            recovery_codes_left: None,
            mfa_enrollment_due,
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
                enrolment_only,
            },
        })
    }
}
