//! MFA required by role (`mfa_required_roles`), with a grace period
//! (`mfa_grace_period`): each sign-in of an account the requirement applies
//! to starts its deadline (once) and, past it, gets a session that may only
//! enrol a strong factor; enrolling one lets that session do everything.
//! The standing itself is the core's rule (`twofold_core::mfa_policy`).

use std::collections::BTreeMap;

use twofold_core::mfa_policy::{MfaRequirement, MfaStanding};
use twofold_core::{AccountId, Timestamp};
use twofold_store::{Account, AccountSummary, Session, Tx};

use crate::{App, AppError, AppResult, Policy};

impl Policy {
    /// The requirement these settings make.
    pub fn mfa_requirement(&self) -> MfaRequirement<'_> {
        MfaRequirement {
            roles: &self.mfa_required_roles,
            grace: self.mfa_grace_period,
        }
    }
}

/// What the administration list shows of the requirement for one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserMfaRequirement {
    /// The account's role must use two-factor authentication.
    pub required: bool,
    /// Required and not on: the account's deadline, once its first sign-in
    /// without a factor started it (`None` until then, and when compliant).
    pub due: Option<Timestamp>,
}

/// The requirement for each account of a list page, by id.
pub type UserMfaRequirements = BTreeMap<AccountId, UserMfaRequirement>;

impl App {
    /// Inside a sign-in's transaction: where `account` stands. When the
    /// requirement applies to it, its deadline starts now unless it already
    /// has one (which never moves).
    pub(crate) async fn mfa_standing_at_sign_in(
        &self,
        tx: &mut dyn Tx,
        account: &Account,
    ) -> AppResult<MfaStanding> {
        let requirement = self.policy.mfa_requirement();
        if !requirement.requires(account.role) {
            return Ok(MfaStanding::Compliant);
        }
        let factors = tx.strong_factors(account.id).await?;
        if !requirement.applies(account.role, factors) {
            return Ok(MfaStanding::Compliant);
        }
        let now = self.clock.now();
        let due = tx
            .start_mfa_deadline(account.id, requirement.first_deadline(now))
            .await?;
        Ok(requirement.standing(account.role, factors, Some(due), now))
    }

    /// Where the session's account stands now (for the current session and
    /// the page after sign-in). An enrolment-only session is overdue until
    /// it enrols, whatever the settings say since.
    pub async fn mfa_standing(&self, session: &Session) -> AppResult<MfaStanding> {
        let now = self.clock.now();
        let deadline = self.store.mfa_deadline(session.account_id).await?;
        if session.enrolment_only {
            return Ok(MfaStanding::Overdue {
                since: deadline.unwrap_or(session.created_at),
            });
        }
        let requirement = self.policy.mfa_requirement();
        if !requirement.requires(session.account_role) {
            return Ok(MfaStanding::Compliant);
        }
        let factors = self
            .mfa_overview(session.account_id)
            .await?
            .strong_factors();
        Ok(requirement.standing(session.account_role, factors, deadline, now))
    }

    /// Refuses a session that may only enrol a strong factor: every route
    /// but the few that enrol one (and reading the session, stepping up and
    /// signing out) calls this.
    pub fn require_full_session(&self, session: &Session) -> AppResult<()> {
        if session.enrolment_only {
            Err(AppError::MfaEnrollmentRequired)
        } else {
            Ok(())
        }
    }

    /// Inside the transaction that added a strong factor from `session`:
    /// an enrolment-only session may do everything again.
    pub(crate) async fn factor_enrolled(
        &self,
        tx: &mut dyn Tx,
        session: &Session,
    ) -> AppResult<()> {
        if session.enrolment_only {
            tx.clear_enrolment_only(session.id).await?;
        }
        Ok(())
    }

    /// The requirement for each account of a list page: whether its role
    /// requires MFA, and the deadline of those without it.
    pub(crate) async fn user_mfa_requirements(
        &self,
        users: &[AccountSummary],
    ) -> AppResult<UserMfaRequirements> {
        let requirement = self.policy.mfa_requirement();
        let mut out = UserMfaRequirements::new();
        for user in users {
            let required = requirement.requires(user.role);
            // Only the accounts out of compliance have a deadline to read.
            let due = if required && !user.mfa() {
                self.store.mfa_deadline(user.id).await?
            } else {
                None
            };
            out.insert(user.id, UserMfaRequirement { required, due });
        }
        Ok(out)
    }
}
