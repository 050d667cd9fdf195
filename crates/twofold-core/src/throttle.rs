//! Attempt limits: how many failures a key may have in a sliding window.
//! The counting happens in the database (so every instance shares it); this
//! is the arithmetic.

use std::time::Duration;

use crate::Timestamp;

/// At most `max` failures within any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// The defaults of design.md.
pub mod limits {
    use super::{Duration, Limit};

    const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

    /// Failed passwords per account (known or not).
    pub const PASSWORD_PER_ACCOUNT: Limit = Limit {
        max: 10,
        window: FIFTEEN_MINUTES,
    };
    /// Failed passwords per client address.
    pub const PASSWORD_PER_ADDRESS: Limit = Limit {
        max: 100,
        window: FIFTEEN_MINUTES,
    };
    /// Failed codes (TOTP, recovery, passkey) per account, across all
    /// challenges, apart from passwords.
    pub const CODES_PER_ACCOUNT: Limit = Limit {
        max: 10,
        window: FIFTEEN_MINUTES,
    };
    /// Wrong codes one MFA challenge allows before it is spent.
    pub const CODES_PER_CHALLENGE: i64 = 5;
    /// Consecutive failed TOTP codes (NIST SP 800-63B §5.2.2) after which
    /// TOTP is refused until another method succeeds or an owner resets MFA.
    pub const TOTP_CONSECUTIVE_FAILURES: i64 = 100;
    /// Failed step-up proofs per session.
    pub const STEP_UP_PER_SESSION: Limit = Limit {
        max: 5,
        window: FIFTEEN_MINUTES,
    };
}

/// The failures of one key inside the window: how many, and the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: u64,
    pub oldest: Option<Timestamp>,
}

impl Limit {
    /// The start of the window that ends at `now` (failures after it count).
    pub fn window_start(&self, now: Timestamp) -> Timestamp {
        now.minus(self.window)
    }

    /// `Ok` if another attempt may be made, else how long until one may.
    pub fn check(&self, failures: Failures, now: Timestamp) -> Result<(), Duration> {
        if failures.count < u64::from(self.max) {
            return Ok(());
        }
        // The window frees a slot when its oldest failure leaves it.
        let oldest = failures.oldest.unwrap_or(now);
        let free_at = oldest.plus(self.window);
        Err(Duration::from_secs(now.seconds_until(free_at).max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max: 3,
        window: Duration::from_secs(900),
    };

    #[test]
    fn attempts_pass_until_the_limit() {
        let now = Timestamp::from_unix(10_000);
        let failures = |count| Failures {
            count,
            oldest: Some(Timestamp::from_unix(9_500)),
        };
        assert!(LIMIT.check(Failures::default(), now).is_ok());
        assert!(LIMIT.check(failures(2), now).is_ok());
        // The oldest failure (at 9500) leaves the window at 10400.
        assert_eq!(LIMIT.check(failures(3), now), Err(Duration::from_secs(400)));
    }

    #[test]
    fn retry_after_is_never_zero() {
        let now = Timestamp::from_unix(10_000);
        let failures = Failures {
            count: 3,
            oldest: Some(Timestamp::from_unix(9_100)),
        };
        assert_eq!(LIMIT.check(failures, now), Err(Duration::from_secs(1)));
    }

    #[test]
    fn the_window_starts_its_length_before_now() {
        assert_eq!(
            LIMIT.window_start(Timestamp::from_unix(10_000)).unix(),
            9_100
        );
    }
}
