//! Authenticator apps (RFC 6238 TOTP): SHA-1, 6 digits, 30-second steps —
//! what every app supports. A code is accepted for the current step ±1; the
//! step it matched is returned so the caller can accept each step once.

use std::fmt;

use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

use crate::Timestamp;

pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// Steps on either side of the current one that are accepted.
const SKEW: u16 = 1;

/// A TOTP seed. Its `Debug` prints nothing; it is wiped on drop.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

/// Why a code could not even be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code must be 6 digits")]
    Malformed,
}

impl TotpSecret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as apps expect it typed in.
    pub fn base32(&self) -> String {
        self.totp(None, "account").secret().to_base32()
    }

    /// The base32 text in groups of four, for people to copy by eye.
    pub fn base32_grouped(&self) -> String {
        let text = self.base32();
        text.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The Key-URI (`otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER`).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        // Neither part may hold a ':' (it separates them in the label).
        let issuer = issuer.replace(':', "_");
        let account = account.replace(':', "_");
        self.totp(Some(issuer), &account)
            .to_url()
            .unwrap_or_else(|_| unreachable!("issuer and account are non-empty and ':'-free"))
    }

    /// The code for the step that contains `at` (for tests and tools).
    pub fn code_at(&self, at: Timestamp) -> String {
        self.totp(None, "account")
            .generate(u64::try_from(at.unix()).unwrap_or(0))
            .to_string()
    }

    /// If `code` is right at `now` (current step ±1), the step it matched.
    pub fn verify(&self, code: &str, now: Timestamp) -> Result<Option<u64>, CodeError> {
        let code = normalize_code(code)?;
        let now = u64::try_from(now.unix()).unwrap_or(0);
        Ok(self.totp(None, "account").check(&code, now))
    }

    fn totp(&self, issuer: Option<String>, account: &str) -> Totp {
        let account = if account.is_empty() {
            "account"
        } else {
            account
        };
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP_SECONDS)
            .with_secret(Secret::new(self.0.to_vec().into_boxed_slice()))
            .with_issuer(issuer.filter(|i| !i.is_empty()))
            .with_account_name(account)
            .build()
            .unwrap_or_else(|_| unreachable!("fixed, valid parameters and a 160-bit secret"))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// Accepts "123 456", "123456" and "123-456"; anything else is malformed.
pub fn normalize_code(code: &str) -> Result<String, CodeError> {
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() == usize::from(DIGITS) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(CodeError::Malformed)
    }
}

/// The step number that contains `at`.
pub fn step_of(at: Timestamp) -> u64 {
    u64::try_from(at.unix()).unwrap_or(0) / STEP_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the key is "12345678901234567890";
    /// a 6-digit code is the last six digits of the 8-digit one.
    const RFC6238_SHA1: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(Zeroizing::new(b"12345678901234567890".to_vec()))
    }

    #[test]
    fn every_rfc6238_sha1_vector_matches() {
        let secret = rfc_secret();
        for (time, eight) in RFC6238_SHA1 {
            let six = &eight[2..];
            assert_eq!(secret.code_at(Timestamp::from_unix(time)), six, "T={time}");
            let step = u64::try_from(time).unwrap() / 30;
            assert_eq!(
                secret.verify(six, Timestamp::from_unix(time)),
                Ok(Some(step)),
                "T={time}"
            );
        }
    }

    #[test]
    fn the_neighbouring_steps_pass_and_two_away_do_not() {
        let secret = rfc_secret();
        let now = Timestamp::from_unix(1_700_000_010); // inside step 56_666_667
        let step = step_of(now);
        let at_step = |s: u64| Timestamp::from_unix(i64::try_from(s * 30).unwrap());
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let s = step.checked_add_signed(offset).unwrap();
            let code = secret.code_at(at_step(s));
            let expected = accepted.then_some(s);
            // A code can by chance equal one of a neighbouring step; this
            // secret and time have no such collision.
            assert_eq!(secret.verify(&code, now), Ok(expected), "offset {offset}");
        }
    }

    #[test]
    fn codes_may_carry_spaces_but_nothing_else() {
        let secret = rfc_secret();
        let now = Timestamp::from_unix(59);
        assert_eq!(secret.verify("287 082", now), Ok(Some(1)));
        assert_eq!(secret.verify(" 287-082 ", now), Ok(Some(1)));
        for bad in [
            "",
            "28708",
            "2870821",
            "28708a",
            "２８７０８２",
            "287082\u{0}",
            "' OR 1=1",
        ] {
            assert_eq!(
                secret.verify(bad, now),
                Err(CodeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_key_uri_names_issuer_and_account() {
        let uri = rfc_secret().otpauth_uri("twofold", "alice@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/twofold:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=twofold"
        );
        assert!(
            rfc_secret()
                .otpauth_uri("My: App", "a:b@example.com")
                .contains("My_%20App:a_b")
        );
    }

    #[test]
    fn secrets_are_random_160_bit_and_print_nothing() {
        let a = TotpSecret::generate().unwrap();
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a.as_bytes(), TotpSecret::generate().unwrap().as_bytes());
        assert_eq!(a.base32().len(), 32);
        assert_eq!(a.base32_grouped().split(' ').count(), 8);
        assert!(!format!("{a:?}").contains(&a.base32()));
    }
}
