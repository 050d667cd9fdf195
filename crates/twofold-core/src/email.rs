//! Email addresses: parsed once at the edge, then trusted.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

use crate::text::is_invisible_format;

/// The longest address SMTP can carry (RFC 5321 path limit).
const MAX_LEN: usize = 254;

/// A trimmed, plausibly deliverable email address, in Unicode NFC.
///
/// Two addresses name the same account when their [`Email::normalized`] forms
/// are equal: the same characters however they were composed (`é` typed as
/// one code point or as `e` + U+0301), compared without case.
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
    /// Trims, composes (NFC) and validates `input`. Deliberately modest: one
    /// `@`, a non-empty local part, a dotted domain, no whitespace, control or
    /// invisible characters. Scripts may be mixed (`аdmin@` with a Cyrillic
    /// `а` is accepted): many real addresses mix scripts, and no rule here
    /// could tell a look-alike from a name.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let composed: String = input.trim().nfc().collect();
        let display = composed.as_str();
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
        let normalized = normalize(display);
        Ok(Self {
            normalized,
            display: composed,
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

/// The form emails are compared and looked up in (and searched: a search
/// text goes through the same rule, so it matches alike on every database).
/// Case mapping does not keep every text in NFC (Unicode's canonical
/// caseless match composes again after it).
pub fn normalize(text: &str) -> String {
    text.to_lowercase().nfc().collect()
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
    fn composed_and_decomposed_forms_are_one_address() {
        let composed = Email::parse("Jos\u{e9}@example.com").unwrap();
        let decomposed = Email::parse("Jose\u{301}@example.com").unwrap();
        assert_eq!(decomposed.normalized(), composed.normalized());
        assert_eq!(decomposed.normalized(), "jos\u{e9}@example.com");
        // What is stored and shown is composed too.
        assert_eq!(decomposed.as_str(), "Jos\u{e9}@example.com");
    }

    #[test]
    fn case_and_composition_are_both_ignored() {
        let dotted = Email::parse("\u{130}pek@example.com").unwrap();
        assert_eq!(
            dotted.normalized(),
            Email::parse("i\u{307}pek@example.com")
                .unwrap()
                .normalized()
        );
    }

    #[test]
    fn unicode_addresses_are_accepted_and_lowercased() {
        let e = Email::parse("Ünïcødé@Bücher.example").unwrap();
        assert_eq!(e.normalized(), "ünïcødé@bücher.example");
    }
}
