//! Instants as whole Unix seconds, and the `Clock` the outer layers inject.

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, in whole seconds since the Unix epoch (UTC).
///
/// Both databases store it as a 64-bit integer, which sidesteps the time-zone
/// and precision differences between SQLite and PostgreSQL timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(seconds: i64) -> Self {
        Self(seconds)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// `self + duration`, saturating instead of overflowing.
    pub fn plus(self, duration: Duration) -> Self {
        let secs = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(secs))
    }

    /// `self - duration`, saturating instead of overflowing.
    pub fn minus(self, duration: Duration) -> Self {
        let secs = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(secs))
    }

    /// Whole seconds from `self` until `later` (zero if `later` is not later).
    pub fn seconds_until(self, later: Timestamp) -> u64 {
        u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0)
    }

    /// RFC 3339 in UTC, as the API writes every time.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }

    /// `YYYY-MM-DD HH:MM UTC`, for pages.
    pub fn to_human(self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl From<i64> for Timestamp {
    fn from(seconds: i64) -> Self {
        Self(seconds)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Where the outer layers get "now" from. Production uses the system clock;
/// tests use a clock they move by hand.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_with_a_z() {
        assert_eq!(
            Timestamp::from_unix(1_700_000_000).to_rfc3339(),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let t = Timestamp::from_unix(i64::MAX - 1);
        assert_eq!(t.plus(Duration::from_secs(10)).unix(), i64::MAX);
        assert_eq!(
            Timestamp::from_unix(5).seconds_until(Timestamp::from_unix(2)),
            0
        );
        assert_eq!(
            Timestamp::from_unix(2).seconds_until(Timestamp::from_unix(5)),
            3
        );
    }
}
