//! Two-factor authentication required by role, with a grace period: where
//! an account stands against the requirement at a given time.
//!
//! The deadline is per account and starts the first time the requirement
//! applies to it (a sign-in without a factor), so turning the requirement on
//! does not lock existing accounts out at once.

use std::time::Duration;

use crate::Role;
use crate::Timestamp;
use crate::factor::StrongFactors;

/// The roles that must use two-factor authentication, and how long an
/// account of such a role may go on without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaRequirement<'a> {
    pub roles: &'a [Role],
    pub grace: Duration,
}

/// Where an account stands against the requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaStanding {
    /// Not required of its role, or it has a strong factor.
    Compliant,
    /// Required, no strong factor yet, and the deadline is still ahead.
    Grace { due: Timestamp },
    /// Required, no strong factor, and the deadline has passed: the account
    /// may only enrol a factor.
    Overdue { since: Timestamp },
}

impl MfaRequirement<'_> {
    /// Whether the account's role requires two-factor authentication.
    pub fn requires(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the requirement applies to an account of `role` with these
    /// factors: its role requires MFA and MFA is off.
    pub fn applies(&self, role: Role, factors: StrongFactors) -> bool {
        self.requires(role) && !factors.mfa_on()
    }

    /// The deadline of an account the requirement applies to for the first
    /// time at `now`.
    pub fn first_deadline(&self, now: Timestamp) -> Timestamp {
        now.plus(self.grace)
    }

    /// Where an account of `role` with `factors` stands at `now`, given its
    /// stored deadline (`None`: the requirement never applied to it yet, so
    /// its deadline would start now).
    pub fn standing(
        &self,
        role: Role,
        factors: StrongFactors,
        deadline: Option<Timestamp>,
        now: Timestamp,
    ) -> MfaStanding {
        if !self.applies(role, factors) {
            return MfaStanding::Compliant;
        }
        let due = deadline.unwrap_or_else(|| self.first_deadline(now));
        if now < due {
            MfaStanding::Grace { due }
        } else {
            MfaStanding::Overdue { since: due }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_700_000_000);
    const WEEK: Duration = Duration::from_secs(7 * 86_400);
    const NONE: StrongFactors = StrongFactors {
        totp: 0,
        passkeys: 0,
    };

    fn admins() -> MfaRequirement<'static> {
        MfaRequirement {
            roles: &[Role::Owner, Role::Admin],
            grace: WEEK,
        }
    }

    #[test]
    fn a_role_not_required_is_compliant_without_a_factor() {
        assert_eq!(
            admins().standing(Role::Member, NONE, None, NOW),
            MfaStanding::Compliant
        );
        let nobody = MfaRequirement {
            roles: &[],
            grace: WEEK,
        };
        assert_eq!(
            nobody.standing(Role::Owner, NONE, None, NOW),
            MfaStanding::Compliant
        );
    }

    #[test]
    fn a_strong_factor_is_compliant() {
        for factors in [
            StrongFactors {
                totp: 1,
                passkeys: 0,
            },
            StrongFactors {
                totp: 0,
                passkeys: 2,
            },
        ] {
            let past = Some(NOW.minus(WEEK));
            assert_eq!(
                admins().standing(Role::Admin, factors, past, NOW),
                MfaStanding::Compliant
            );
        }
    }

    #[test]
    fn the_first_time_starts_the_grace_period() {
        assert_eq!(
            admins().standing(Role::Owner, NONE, None, NOW),
            MfaStanding::Grace {
                due: NOW.plus(WEEK)
            }
        );
        assert_eq!(admins().first_deadline(NOW), NOW.plus(WEEK));
    }

    #[test]
    fn the_stored_deadline_decides_and_is_overdue_from_its_second() {
        let due = NOW.plus(Duration::from_secs(60));
        assert_eq!(
            admins().standing(Role::Admin, NONE, Some(due), NOW),
            MfaStanding::Grace { due }
        );
        assert_eq!(
            admins().standing(Role::Admin, NONE, Some(due), due),
            MfaStanding::Overdue { since: due }
        );
        assert_eq!(
            admins().standing(Role::Admin, NONE, Some(NOW), NOW.plus(WEEK)),
            MfaStanding::Overdue { since: NOW }
        );
    }

    #[test]
    fn no_grace_means_overdue_at_once() {
        let strict = MfaRequirement {
            roles: &[Role::Member],
            grace: Duration::ZERO,
        };
        assert_eq!(
            strict.standing(Role::Member, NONE, None, NOW),
            MfaStanding::Overdue { since: NOW }
        );
    }
}
