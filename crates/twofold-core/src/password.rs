//! Passwords: the rules for a new one, and Argon2id hashing.
//!
//! A password is hashed and checked in Unicode NFKC, the form in which the
//! same characters typed on different keyboards or input methods are equal
//! (NIST SP 800-63B §5.1.1.2). Hashing is CPU-bound and slow on purpose;
//! callers run it on a blocking thread behind a semaphore, in working memory
//! they reuse (see the app layer). Nothing here logs or prints a password.

mod hasher;

pub use hasher::{HashError, HashingMemory, PasswordHasher, Verification};

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization as _;
use zeroize::Zeroizing;

/// NIST SP 800-63B: at least 8 characters, no composition rules.
pub const MIN_CHARS: usize = 8;
/// Enough for any passphrase; bounds the work an attacker can make us do.
pub const MAX_BYTES: usize = 1024;

/// The zxcvbn score (0–4) a new password must reach. 3 means at least 10^10
/// guesses: out of reach online, and slow offline against Argon2id.
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

/// The most common passwords (OWASP ASVS 2.1.7), one per line: lower-case,
/// NFKC, sorted. Derived from Django's list of the 20,000 most common
/// passwords (compiled by Royce Williams; BSD-3-Clause, see
/// `data/common-passwords.LICENSE`). Only its 8,354 entries of at least
/// [`MIN_CHARS`] characters are kept: the length rule refuses the others.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Why a new password is not acceptable. The messages are shown to the
/// person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least 8 characters")]
    TooShort,
    #[error("password must be at most 1024 bytes")]
    TooLong,
    #[error("password must not be your email address (or the part before the @)")]
    SameAsEmail,
    #[error("password is one of the most commonly used passwords; choose another")]
    Common,
    /// With zxcvbn's advice, e.g. "Repeats like \"aaa\" are easy to guess."
    #[error("password is too easy to guess: {0}")]
    TooWeak(String),
}

/// What a new password must not be made of, besides common passwords: the
/// words the account and the service are known by.
#[derive(Debug, Clone, Copy)]
pub struct PasswordContext<'a> {
    /// The account's email address, as typed or as stored.
    pub email: &'a str,
    /// The service's name (the `issuer` setting).
    pub issuer: &'a str,
}

/// A password, in NFKC, that satisfies the rules for a new password.
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Applies every rule: length, not the email, not a common password, and
    /// strong enough by zxcvbn (which also penalises the email and issuer).
    pub fn parse(
        candidate: SecretString,
        context: &PasswordContext<'_>,
    ) -> Result<Self, PasswordError> {
        let password = Self::from_verified(candidate)?;
        let text = password.0.expose_secret();
        let folded = Zeroizing::new(text.to_lowercase());
        let email = context
            .email
            .trim()
            .nfkc()
            .collect::<String>()
            .to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if *folded == email || *folded == local_part {
            return Err(PasswordError::SameAsEmail);
        }
        if is_common(&folded) {
            return Err(PasswordError::Common);
        }
        check_strength(text, &[&email, local_part, context.issuer])?;
        Ok(password)
    }

    /// A password that has just matched its stored hash, to be hashed again
    /// with today's parameters and in NFKC: only the length rules apply. It
    /// was chosen under the rules of its day, and the person signing in is
    /// not asking for a new one.
    pub fn from_verified(candidate: SecretString) -> Result<Self, PasswordError> {
        let typed = candidate.expose_secret();
        if typed.len() > MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        let normalized = normalize(typed);
        if normalized.chars().count() < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        Ok(Self(SecretString::from(normalized)))
    }

    /// The password in NFKC.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// The form a password is hashed in: NFKC, so `é` typed as one code point or
/// as `e` + U+0301, or a full-width `Ａ`, give the same hash.
fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// `folded` is lower-case NFKC. A linear scan of 80 KB takes microseconds and
/// happens only when a password is chosen.
fn is_common(folded: &str) -> bool {
    COMMON_PASSWORDS.lines().any(|common| common == folded)
}

/// zxcvbn reads only the first 100 characters, which bounds its work.
fn check_strength(password: &str, user_inputs: &[&str]) -> Result<(), PasswordError> {
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if estimate.score() >= MIN_STRENGTH {
        return Ok(());
    }
    let advice = estimate.feedback().map(|feedback| {
        let warning = feedback.warning().map(|w| w.to_string());
        let suggestions = feedback.suggestions().iter().map(ToString::to_string);
        warning
            .into_iter()
            .chain(suggestions)
            .collect::<Vec<_>>()
            .join(" ")
    });
    Err(PasswordError::TooWeak(
        advice
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| "add another word or two.".to_owned()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    const CONTEXT: PasswordContext<'static> = PasswordContext {
        email: "Alice.Example@example.com",
        issuer: "twofold",
    };

    fn parse(s: &str) -> Result<NewPassword, PasswordError> {
        NewPassword::parse(secret(s), &CONTEXT)
    }

    #[test]
    fn length_rules_count_characters_and_bytes() {
        assert_eq!(parse("short").err(), Some(PasswordError::TooShort));
        // Eight characters of four bytes each: long enough in characters.
        assert!(NewPassword::from_verified(secret("😀😀😀😀😀😀😀😀")).is_ok());
        assert_eq!(parse(&"x".repeat(1025)).err(), Some(PasswordError::TooLong));
        assert!(NewPassword::from_verified(secret(&"x".repeat(1024))).is_ok());
        // Characters are counted once composed: four accented letters typed
        // as letter + combining accent are four characters, not eight.
        assert_eq!(
            NewPassword::from_verified(secret("e\u{301}e\u{301}e\u{301}e\u{301}")).err(),
            Some(PasswordError::TooShort)
        );
    }

    #[test]
    fn the_password_is_kept_in_nfkc() {
        let typed = "Cre\u{300}me bru\u{302}le\u{301}e ＴＷＯ ｆｏｌｄ";
        let pw = parse(typed).unwrap();
        assert_eq!(
            pw.secret().expose_secret(),
            "Cr\u{e8}me br\u{fb}l\u{e9}e TWO fold"
        );
    }

    #[test]
    fn the_email_or_its_local_part_is_refused_whatever_the_case() {
        for same in [
            "alice.example@example.com",
            "ALICE.EXAMPLE@EXAMPLE.COM",
            "Alice.Example",
        ] {
            assert_eq!(
                parse(same).err(),
                Some(PasswordError::SameAsEmail),
                "{same}"
            );
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_the_case() {
        for common in [
            "password",
            "12345678",
            "qwertyui",
            "PassWord1",
            "iloveyou",
            "aaaaaaaa",
        ] {
            assert_eq!(parse(common).err(), Some(PasswordError::Common), "{common}");
        }
        assert!(COMMON_PASSWORDS.lines().count() > 8_000);
        assert!(
            COMMON_PASSWORDS
                .lines()
                .all(|p| p.chars().count() >= MIN_CHARS && *p == normalize(p).to_lowercase()),
            "every entry could pass the length rule and is folded"
        );
    }

    #[test]
    fn guessable_passwords_are_refused_with_advice() {
        for weak in [
            "        ",
            "abcdefghijk",
            "zzzzzzzzzzzz",
            "alice.example2024",
            "twofold123",
        ] {
            match parse(weak) {
                Err(PasswordError::TooWeak(advice)) => assert!(!advice.is_empty(), "{weak}"),
                other => panic!("{weak:?} gave {other:?}"),
            }
        }
        let message = parse("qwertyuiopasdf").unwrap_err().to_string();
        assert!(
            message.starts_with("password is too easy to guess: "),
            "{message}"
        );
    }

    #[test]
    fn passphrases_and_random_passwords_are_accepted() {
        for strong in [
            "correct horse battery",
            "a brand new passphrase",
            "Tr0ub4dor&3-horse-plank",
            "Crème brûlée 2024 au four",
        ] {
            assert!(parse(strong).is_ok(), "{strong}: {:?}", parse(strong).err());
        }
    }

    #[test]
    fn debug_never_prints_the_password() {
        let pw = parse("hunter2hunter2 plus words").unwrap();
        assert!(!format!("{pw:?}").contains("hunter2"));
    }
}
