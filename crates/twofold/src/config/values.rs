//! Parsing and range checks for single setting values; each error names
//! its setting.

use std::time::Duration;

use twofold_core::session::TOUCH_INTERVAL;
use url::Url;

use super::SettingError;

/// The most `max_connections` may be: each connection holds an open file.
const MAX_CONNECTIONS_CEILING: usize = 1_000_000;

pub(super) fn max_connections(text: &str) -> Result<usize, SettingError> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_CONNECTIONS_CEILING).contains(&n) => Ok(n),
        _ => Err(SettingError::new(
            "max_connections",
            format!("expected a whole number from 1 to {MAX_CONNECTIONS_CEILING}"),
        )),
    }
}

/// The name authenticator apps show: 1–64 characters, no ':' (it separates
/// issuer and account in the Key-URI label).
pub(super) fn issuer(text: &str) -> Result<String, SettingError> {
    let name = text.trim();
    if name.is_empty()
        || name.chars().count() > 64
        || name.contains(':')
        || name.chars().any(char::is_control)
    {
        return Err(SettingError::new(
            "issuer",
            "expected 1 to 64 characters without ':'",
        ));
    }
    Ok(name.to_owned())
}

pub(super) fn boolean(name: &str, text: &str) -> Result<bool, SettingError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SettingError::new(name, "expected true or false")),
    }
}

pub(super) fn parse_public_url(text: &str) -> Result<Url, SettingError> {
    let url = Url::parse(text).map_err(|e| SettingError::new("public_url", e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingError::new(
            "public_url",
            "expected an http:// or https:// URL such as https://auth.example.com",
        ));
    }
    Ok(url)
}

/// `last_seen_at` is written at most once a minute, so a shorter idle
/// timeout could end a session someone is using.
pub(super) fn idle_timeout(text: &str) -> Result<Duration, SettingError> {
    let idle = duration("session_idle_timeout", text)?;
    if idle < 2 * TOUCH_INTERVAL {
        return Err(SettingError::new(
            "session_idle_timeout",
            "must be at least 2m (activity is recorded once a minute)",
        ));
    }
    Ok(idle)
}

/// `90s`, `5m`, `12h`, `30d`; at least one second.
pub fn duration(name: &str, text: &str) -> Result<Duration, SettingError> {
    let bad = || SettingError::new(name, "expected a duration such as 90s, 5m, 12h or 30d");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let seconds = number.checked_mul(unit_secs).ok_or_else(bad)?;
    if seconds == 0 {
        return Err(SettingError::new(name, "must be at least 1s"));
    }
    Ok(Duration::from_secs(seconds))
}

/// `duration`'s inverse: the largest unit that divides `value` exactly.
pub(super) fn duration_text(value: Duration) -> String {
    let seconds = value.as_secs();
    [("d", 86_400), ("h", 3600), ("m", 60)]
        .into_iter()
        .find(|(_, unit)| seconds >= *unit && seconds.is_multiple_of(*unit))
        .map_or_else(
            || format!("{seconds}s"),
            |(name, unit)| format!("{}{name}", seconds / unit),
        )
}

/// A comma list of roles (`owner`, `admin`, `member`), each at most once;
/// empty for none.
pub(super) fn roles(name: &str, text: &str) -> Result<Vec<twofold_core::Role>, SettingError> {
    let mut roles = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let role = part.parse::<twofold_core::Role>().map_err(|_| {
            SettingError::new(
                name,
                format!("unknown role {part:?}: expected a comma list of owner, admin, member"),
            )
        })?;
        if roles.contains(&role) {
            return Err(SettingError::new(name, format!("{part} is listed twice")));
        }
        roles.push(role);
    }
    Ok(roles)
}

/// The text `roles` reads back.
pub(super) fn roles_text(roles: &[twofold_core::Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_and_at_least_a_second() {
        assert_eq!(duration("x", "90s").unwrap(), Duration::from_secs(90));
        assert_eq!(duration("x", "5m").unwrap(), Duration::from_secs(300));
        assert_eq!(duration("x", "12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(
            duration("x", "30d").unwrap(),
            Duration::from_secs(2_592_000)
        );
        assert_eq!(duration("x", "1s").unwrap(), Duration::from_secs(1));
        for bad in [
            "",
            "0s",
            "5",
            "m",
            "5 m",
            "-5m",
            "5w",
            "99999999999999999999d",
        ] {
            assert!(duration("x", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_duration_is_written_as_it_is_read() {
        for (seconds, text) in [
            (90, "90s"),
            (300, "5m"),
            (43_200, "12h"),
            (2_592_000, "30d"),
        ] {
            assert_eq!(duration_text(Duration::from_secs(seconds)), text);
            assert_eq!(duration("x", text).unwrap(), Duration::from_secs(seconds));
        }
    }
}
