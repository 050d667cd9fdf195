//! Sessions: assurance levels, authentication methods, lifetimes, and the
//! step-up window.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use crate::Timestamp;

/// `last_seen_at` is written at most this often per session, so checking a
/// session is a pure read almost always.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Authentication assurance level (NIST SP 800-63B): 1 = one factor, 2 = two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "u8")]
pub enum Aal {
    One,
    Two,
}

impl From<Aal> for u8 {
    fn from(aal: Aal) -> u8 {
        match aal {
            Aal::One => 1,
            Aal::Two => 2,
        }
    }
}

impl Aal {
    pub fn from_level(level: i64) -> Option<Self> {
        match level {
            1 => Some(Aal::One),
            2 => Some(Aal::Two),
            _ => None,
        }
    }
}

/// Authentication method reference (RFC 8176 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Amr {
    /// Password.
    Pwd,
    /// One-time code from an authenticator app.
    Otp,
    /// Hardware-bound key: a passkey or security key.
    Hwk,
    /// Recovery code.
    Rc,
    /// A personal access token (not in RFC 8176: a token is no sign-in method,
    /// and says so).
    Pat,
}

impl Amr {
    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Pwd => "pwd",
            Amr::Otp => "otp",
            Amr::Hwk => "hwk",
            Amr::Rc => "rc",
            Amr::Pat => "pat",
        }
    }
}

impl FromStr for Amr {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pwd" => Ok(Amr::Pwd),
            "otp" => Ok(Amr::Otp),
            "hwk" => Ok(Amr::Hwk),
            "rc" => Ok(Amr::Rc),
            "pat" => Ok(Amr::Pat),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The methods of a session, stored as one space-separated column.
pub fn amr_to_text(amr: &[Amr]) -> String {
    amr.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" ")
}

/// The inverse of [`amr_to_text`]; unknown words are dropped.
pub fn amr_from_text(text: &str) -> Vec<Amr> {
    text.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetimes {
    /// A normal sign-in (browser session cookie).
    pub default: Duration,
    /// A sign-in with "remember me" ticked.
    pub remembered: Duration,
    /// How long a session without "remember me" stays valid unused.
    pub idle: Duration,
}

impl SessionLifetimes {
    pub fn expires_at(&self, now: Timestamp, remember_me: bool) -> Timestamp {
        now.plus(if remember_me {
            self.remembered
        } else {
            self.default
        })
    }

    /// Whether a session has gone unused for too long to be accepted. Only
    /// sessions without "remember me" have an idle limit: a remembered one
    /// is meant to outlast days away, and ends at its (long) lifetime.
    /// `last_seen` is written at most once per [`TOUCH_INTERVAL`], so the
    /// limit holds to within that.
    pub fn is_idle(&self, remembered: bool, last_seen: Timestamp, now: Timestamp) -> bool {
        !remembered && last_seen.seconds_until(now) >= self.idle.as_secs()
    }
}

/// Whether a session last seen at `last_seen` should have that time written again.
pub fn should_touch(last_seen: Timestamp, now: Timestamp) -> bool {
    last_seen.seconds_until(now) >= TOUCH_INTERVAL.as_secs()
}

/// Whether the step-up window is open at `now`.
pub fn is_privileged(privileged_until: Option<Timestamp>, now: Timestamp) -> bool {
    privileged_until.is_some_and(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amr_round_trips_through_its_column() {
        let amr = [Amr::Pwd, Amr::Otp];
        assert_eq!(amr_to_text(&amr), "pwd otp");
        assert_eq!(amr_from_text("pwd otp"), amr);
        assert_eq!(amr_from_text(""), []);
    }

    fn lifetimes() -> SessionLifetimes {
        SessionLifetimes {
            default: Duration::from_secs(3600),
            remembered: Duration::from_secs(86_400),
            idle: Duration::from_secs(600),
        }
    }

    #[test]
    fn remember_me_picks_the_long_lifetime() {
        let lifetimes = lifetimes();
        let now = Timestamp::from_unix(1000);
        assert_eq!(lifetimes.expires_at(now, false).unix(), 4600);
        assert_eq!(lifetimes.expires_at(now, true).unix(), 87_400);
    }

    #[test]
    fn only_sessions_without_remember_me_end_when_idle() {
        let seen = Timestamp::from_unix(1000);
        assert!(!lifetimes().is_idle(false, seen, Timestamp::from_unix(1599)));
        assert!(lifetimes().is_idle(false, seen, Timestamp::from_unix(1600)));
        assert!(!lifetimes().is_idle(true, seen, Timestamp::from_unix(80_000)));
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let seen = Timestamp::from_unix(1000);
        assert!(!should_touch(seen, Timestamp::from_unix(1059)));
        assert!(should_touch(seen, Timestamp::from_unix(1060)));
    }

    #[test]
    fn the_step_up_window_closes_at_its_end() {
        let until = Some(Timestamp::from_unix(100));
        assert!(is_privileged(until, Timestamp::from_unix(99)));
        assert!(!is_privileged(until, Timestamp::from_unix(100)));
        assert!(!is_privileged(None, Timestamp::from_unix(0)));
    }
}
