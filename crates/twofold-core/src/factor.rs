//! Rules shared by all second factors: their names.

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
}
