//! Rules shared by all second factors: their names.

/// A factor's name: 1–64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactorNameError {
    #[error("name must be 1 to 64 characters")]
    Length,
    #[error("name must not contain control characters")]
    Control,
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
}
