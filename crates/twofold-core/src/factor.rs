//! Rules shared by all second factors: their names, the one vocabulary for
//! ways of proving oneself, and when MFA is on.

use crate::text::is_bidi_control;

/// A factor's name: 1–64 characters after trimming, no control characters and
/// no bidirectional controls (which would make `"Phone \u{202E}txt.exe"`
/// show as `Phone exe.txt` on the security page and in the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactorNameError {
    #[error("name must be 1 to 64 characters")]
    Length,
    #[error("name must not contain control characters")]
    Control,
    #[error("name must not contain characters that change the text direction (such as U+202E)")]
    DirectionControl,
}

pub const MAX_NAME_CHARS: usize = 64;

impl FactorName {
    pub fn parse(input: &str) -> Result<Self, FactorNameError> {
        let name = input.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(FactorNameError::Length);
        }
        if name.chars().any(char::is_control) {
            return Err(FactorNameError::Control);
        }
        if name.chars().any(is_bidi_control) {
            return Err(FactorNameError::DirectionControl);
        }
        Ok(Self(name.to_owned()))
    }

    /// `input` if given and not blank, else `default`.
    pub fn or_default(input: Option<&str>, default: &str) -> Result<Self, FactorNameError> {
        match input.filter(|s| !s.trim().is_empty()) {
            Some(name) => Self::parse(name),
            None => Self::parse(default),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A way of proving who one is: in proofs, challenges and audit details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    Totp,
    RecoveryCode,
    /// A passkey or security key.
    Webauthn,
}

impl Method {
    /// The name the API, the pages and the audit log use.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
            Method::Webauthn => "webauthn",
        }
    }
}

/// An account's strong factors: confirmed authenticator apps and passkeys.
/// MFA is on exactly when there is one: derived, never stored as a flag that
/// could disagree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StrongFactors {
    pub totp: u64,
    pub passkeys: u64,
}

/// What removing one strong factor does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Another strong factor remains: MFA stays on.
    Keeps,
    /// It was the last one: MFA turns off (and the recovery sheet goes).
    TurnsMfaOff,
}

/// Removing the last strong factor turns MFA off, so it must be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastFactor;

impl StrongFactors {
    pub fn total(self) -> u64 {
        self.totp + self.passkeys
    }

    pub fn mfa_on(self) -> bool {
        self.total() > 0
    }

    /// Adding a strong factor now turns MFA on (and brings the first
    /// recovery sheet).
    pub fn adding_is_first(self) -> bool {
        !self.mfa_on()
    }

    /// Removing one of these factors; `confirmed` is the person's "yes, turn
    /// MFA off" for the last one.
    pub fn removal(self, confirmed: bool) -> Result<Removal, LastFactor> {
        match (self.total(), confirmed) {
            (1, false) => Err(LastFactor),
            (1, true) => Ok(Removal::TurnsMfaOff),
            _ => Ok(Removal::Keeps),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(FactorName::parse("  Phone  ").unwrap().as_str(), "Phone");
        assert_eq!(FactorName::parse("   "), Err(FactorNameError::Length));
        assert!(FactorName::parse(&"é".repeat(64)).is_ok());
        assert_eq!(
            FactorName::parse(&"é".repeat(65)),
            Err(FactorNameError::Length)
        );
        assert_eq!(FactorName::parse("a\u{7}b"), Err(FactorNameError::Control));
        assert_eq!(
            FactorName::or_default(None, "Authenticator app")
                .unwrap()
                .as_str(),
            "Authenticator app"
        );
        assert_eq!(
            FactorName::or_default(Some(" "), "Authenticator app")
                .unwrap()
                .as_str(),
            "Authenticator app"
        );
    }

    #[test]
    fn direction_controls_are_refused_but_joiners_and_scripts_are_not() {
        for bad in [
            "Phone \u{202e}txt.exe",
            "\u{202a}Key",
            "Key\u{2066}",
            "Key\u{2069}",
            "Key\u{200f}",
            "Key\u{200e}",
            "Key\u{61c}",
        ] {
            assert_eq!(
                FactorName::parse(bad),
                Err(FactorNameError::DirectionControl),
                "{bad:?}"
            );
        }
        // Right-to-left scripts and emoji joined with U+200D stay welcome.
        assert!(FactorName::parse("מפתח אבטחה").is_ok());
        assert!(FactorName::parse("\u{1F469}\u{200D}\u{1F4BB} laptop").is_ok());
    }

    fn factors(totp: u64, passkeys: u64) -> StrongFactors {
        StrongFactors { totp, passkeys }
    }

    #[test]
    fn mfa_is_on_with_any_strong_factor() {
        let none = StrongFactors::default();
        let app = factors(1, 0);
        let key = factors(0, 1);
        assert!(!none.mfa_on() && none.adding_is_first());
        assert!(app.mfa_on() && !app.adding_is_first());
        assert!(key.mfa_on() && !key.adding_is_first());
    }

    #[test]
    fn removing_the_last_strong_factor_needs_confirmation() {
        let one = factors(0, 1);
        let two = factors(1, 1);
        assert_eq!(one.removal(false), Err(LastFactor));
        assert_eq!(one.removal(true), Ok(Removal::TurnsMfaOff));
        assert_eq!(two.removal(false), Ok(Removal::Keeps));
        assert_eq!(two.removal(true), Ok(Removal::Keeps));
    }

    #[test]
    fn method_names_are_the_api_words() {
        let names = [
            Method::Password,
            Method::Totp,
            Method::RecoveryCode,
            Method::Webauthn,
        ]
        .map(Method::as_str);
        assert_eq!(names, ["password", "totp", "recovery_code", "webauthn"]);
    }
}
