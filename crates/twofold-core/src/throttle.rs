//! Attempt limits: how many failures a key may have in a sliding window.
//! The counting happens in the database (so every instance shares it); this
//! is the vocabulary (which counters exist, how their keys are named, what
//! their limits are) and the arithmetic.
//!
//! An attempt is *reserved* before the work it limits (one atomic "count and
//! add" in the database), so parallel requests cannot all see the same
//! count: at most `max` attempts are ever in flight or failed per window.

use std::net::IpAddr;
use std::time::Duration;

use crate::{AccountId, Timestamp};

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

    /// Most of design.md's limits count over a quarter of an hour.
    const fn per_fifteen_minutes(max: u32) -> Limit {
        Limit {
            max,
            window: FIFTEEN_MINUTES,
        }
    }

    /// Failed passwords per account (known or not).
    pub const PASSWORD_PER_ACCOUNT: Limit = per_fifteen_minutes(10);
    /// Failed passwords per client address.
    pub const PASSWORD_PER_ADDRESS: Limit = per_fifteen_minutes(100);
    /// Failed codes (TOTP, recovery, passkey) per account, across all
    /// challenges, apart from passwords.
    pub const CODES_PER_ACCOUNT: Limit = per_fifteen_minutes(10);
    /// Wrong codes one MFA challenge allows before it is spent.
    pub const CODES_PER_CHALLENGE: i64 = 5;
    /// Consecutive failed TOTP codes (NIST SP 800-63B §5.2.2) after which
    /// TOTP is refused until another method succeeds or an owner resets MFA.
    pub const TOTP_CONSECUTIVE_FAILURES: i64 = 100;
    /// Failed step-up proofs per session.
    pub const STEP_UP_PER_SESSION: Limit = per_fifteen_minutes(5);
    /// Sign-up attempts (successful or not) per client address.
    pub const SIGN_UPS_PER_ADDRESS: Limit = per_fifteen_minutes(10);
    /// Unauthenticated passkey sign-in starts per client address (each one
    /// writes a ceremony row; a login page asks once per visit).
    pub const PASSKEY_STARTS_PER_ADDRESS: Limit = Limit {
        max: 60,
        window: Duration::from_secs(60),
    };
    /// Refused passwordless passkey assertions per client address.
    pub const PASSKEY_FAILURES_PER_ADDRESS: Limit = per_fifteen_minutes(100);
    /// Wrong application credentials per client address.
    pub const APP_AUTH_FAILURES_PER_ADDRESS: Limit = per_fifteen_minutes(100);
    /// Introspections per application that found no live token: past
    /// this, the application is refused for a while, so introspection
    /// cannot serve as a token-guessing oracle.
    pub const INTROSPECTION_MISSES_PER_APPLICATION: Limit = per_fifteen_minutes(1000);
}

/// The attempt counters: each names what it counts and the limit it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Failed passwords for one email (known or not).
    PasswordPerAccount,
    /// Failed passwords from one client address.
    PasswordPerAddress,
    /// Failed codes (TOTP, recovery) of one account.
    CodesPerAccount,
    /// Failed step-up proofs on one session.
    StepUpPerSession,
    /// Sign-up attempts from one client address.
    SignUpsPerAddress,
    /// Passwordless passkey starts from one client address.
    PasskeyStartsPerAddress,
    /// Refused passwordless assertions from one client address.
    PasskeyFailuresPerAddress,
    /// Wrong application credentials from one client address.
    AppAuthFailuresPerAddress,
    /// Introspections of one application that found no live token.
    IntrospectionMissesPerApplication,
}

impl Counter {
    pub fn limit(self) -> Limit {
        match self {
            Counter::PasswordPerAccount => limits::PASSWORD_PER_ACCOUNT,
            Counter::PasswordPerAddress => limits::PASSWORD_PER_ADDRESS,
            Counter::CodesPerAccount => limits::CODES_PER_ACCOUNT,
            Counter::StepUpPerSession => limits::STEP_UP_PER_SESSION,
            Counter::SignUpsPerAddress => limits::SIGN_UPS_PER_ADDRESS,
            Counter::PasskeyStartsPerAddress => limits::PASSKEY_STARTS_PER_ADDRESS,
            Counter::PasskeyFailuresPerAddress => limits::PASSKEY_FAILURES_PER_ADDRESS,
            Counter::AppAuthFailuresPerAddress => limits::APP_AUTH_FAILURES_PER_ADDRESS,
            Counter::IntrospectionMissesPerApplication => {
                limits::INTROSPECTION_MISSES_PER_APPLICATION
            }
        }
    }

    /// The stable name the audit log shows.
    pub fn name(self) -> &'static str {
        match self {
            Counter::PasswordPerAccount => "password_per_account",
            Counter::PasswordPerAddress => "password_per_address",
            Counter::CodesPerAccount => "codes_per_account",
            Counter::StepUpPerSession => "step_up_per_session",
            Counter::SignUpsPerAddress => "sign_ups_per_address",
            Counter::PasskeyStartsPerAddress => "passkey_starts_per_address",
            Counter::PasskeyFailuresPerAddress => "passkey_failures_per_address",
            Counter::AppAuthFailuresPerAddress => "app_auth_failures_per_address",
            Counter::IntrospectionMissesPerApplication => "introspection_misses_per_application",
        }
    }

    /// The prefix of its keys in the database.
    fn prefix(self) -> &'static str {
        match self {
            Counter::PasswordPerAccount => "pwd:acct",
            Counter::PasswordPerAddress => "pwd:ip",
            Counter::CodesPerAccount => "code:acct",
            Counter::StepUpPerSession => "reauth:session",
            Counter::SignUpsPerAddress => "signup:ip",
            Counter::PasskeyStartsPerAddress => "passkey-start:ip",
            Counter::PasskeyFailuresPerAddress => "passkey-fail:ip",
            Counter::AppAuthFailuresPerAddress => "app-auth:ip",
            Counter::IntrospectionMissesPerApplication => "introspect-miss:app",
        }
    }

    /// The key of this counter for one subject (an email, an account id, a
    /// session id, an address block).
    pub fn key(self, subject: impl std::fmt::Display) -> CounterKey {
        CounterKey {
            counter: self,
            key: format!("{}:{subject}", self.prefix()),
        }
    }

    /// The key of an address counter: IPv4 addresses count alone, IPv6
    /// clients by their /64 (one subscriber's block), so rotating through
    /// a block gains nothing.
    pub fn address_key(self, ip: IpAddr) -> CounterKey {
        self.key(address_block(ip))
    }

    pub fn account_key(self, account: AccountId) -> CounterKey {
        self.key(account)
    }
}

/// One counter's key: what the database counts rows under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    pub counter: Counter,
    pub key: String,
}

impl CounterKey {
    pub fn limit(&self) -> Limit {
        self.counter.limit()
    }
}

/// The block an address is counted under: the address itself for IPv4
/// (and IPv4-mapped IPv6), the /64 for IPv6.
pub fn address_block(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            format!("{}/64", std::net::Ipv6Addr::from(segments))
        }
    }
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
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(address_block(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(address_block(ip("::ffff:203.0.113.9")), "203.0.113.9");
        assert_eq!(
            address_block(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_block(ip("2001:db8:1:2::1")),
            address_block(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            address_block(ip("2001:db8:1:2::1")),
            address_block(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn keys_keep_their_stored_prefixes() {
        assert_eq!(
            Counter::PasswordPerAccount.key("a@example.com").key,
            "pwd:acct:a@example.com"
        );
        assert_eq!(
            Counter::PasswordPerAddress
                .address_key("2001:db8::7".parse().unwrap())
                .key,
            "pwd:ip:2001:db8::/64"
        );
    }

    #[test]
    fn the_window_starts_its_length_before_now() {
        assert_eq!(
            LIMIT.window_start(Timestamp::from_unix(10_000)).unix(),
            9_100
        );
    }
}
