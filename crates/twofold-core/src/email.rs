//! Email addresses: parsed once at the edge, then trusted.

use std::fmt;

/// The longest address SMTP can carry (RFC 5321 path limit).
const MAX_LEN: usize = 254;

/// A trimmed, plausibly deliverable email address.
///
/// Two addresses name the same account when their [`Email::normalized`] forms
/// are equal (case-insensitive comparison).
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

/// Why a text is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email is required")]
    Empty,
    #[error("email must be at most 254 characters")]
    TooLong,
    #[error("email must look like name@example.com")]
    Malformed,
}

impl Email {
    /// Trims and validates `input`. Deliberately modest: one `@`, a non-empty
    /// local part, a dotted domain, no whitespace or control characters.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let display = input.trim();
        if display.is_empty() {
            return Err(EmailError::Empty);
        }
        if display.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if display
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_invisible_format(c))
        {
            return Err(EmailError::Malformed);
        }
        let (local, domain) = display.split_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !domain.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"']);
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self {
            display: display.to_owned(),
            normalized: display.to_lowercase(),
        })
    }

    /// The address as the person typed it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The form used for uniqueness and lookup.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// Invisible formatting characters (bidirectional overrides, zero-width
/// characters, soft hyphen, BOM) that would let two addresses look alike.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_compared_without_case() {
        let a = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(a.as_str(), "Alice@Example.COM");
        assert_eq!(a.normalized(), "alice@example.com");
        assert_eq!(
            a.normalized(),
            Email::parse("alice@example.com").unwrap().normalized()
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        for bad in [
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a@b@example.com",
            "alice smith@example.com",
            "alice@exa..mple.com",
            "alice@example.com\u{0}",
            "rtl\u{202e}@example.com",
            "zero\u{200b}width@example.com",
            "'; DROP TABLE accounts; --@x.y z",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn unicode_addresses_are_accepted_and_lowercased() {
        let e = Email::parse("Ünïcødé@Bücher.example").unwrap();
        assert_eq!(e.normalized(), "ünïcødé@bücher.example");
    }
}
