//! Passwords: the length rules and Argon2id hashing.
//!
//! Hashing is CPU-bound and slow on purpose; callers run it on a blocking
//! thread behind a semaphore (see the app layer). Nothing here logs or prints
//! a password.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// NIST SP 800-63B: at least 8 characters, no composition rules.
pub const MIN_CHARS: usize = 8;
/// Enough for any passphrase; bounds the work an attacker can make us do.
pub const MAX_BYTES: usize = 1024;

/// Stored parameters above these are refused before any work is done, so a
/// corrupt or hostile row cannot turn one sign-in into a memory exhaustion.
const MAX_M_COST_KIB: u32 = 256 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;

/// Why a new password is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least 8 characters")]
    TooShort,
    #[error("password must be at most 1024 bytes")]
    TooLong,
}

/// A password that satisfies the rules for a new password.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(candidate: SecretString) -> Result<Self, PasswordError> {
        let text = candidate.expose_secret();
        if text.len() > MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        if text.chars().count() < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        Ok(Self(candidate))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is right. `needs_rehash` says the stored hash was made
    /// with other parameters than today's and should be replaced.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Hashing failed for a reason that is not the caller's (e.g. no randomness).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Argon2id with the `argon2` crate defaults (m=19456 KiB, t=2, p=1), plus a
/// dummy hash made at start-up with the same parameters: an unknown account
/// is checked against it, so it costs the same time as a wrong password.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: String,
}

impl PasswordHasher {
    pub fn new() -> Result<Self, HashError> {
        Self::with_params(Params::DEFAULT)
    }

    pub fn with_params(params: Params) -> Result<Self, HashError> {
        let mut hasher = Self {
            params,
            dummy: String::new(),
        };
        hasher.dummy = hasher.hash_str("twofold dummy password, never valid")?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC string (`$argon2id$v=19$m=…`) for a new password.
    pub fn hash(&self, password: &NewPassword) -> Result<String, HashError> {
        self.hash_str(password.secret().expose_secret())
    }

    fn hash_str(&self, password: &str) -> Result<String, HashError> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    }

    /// Checks `password` against `stored`; with no stored hash (unknown
    /// account, or one without a password) the dummy hash is checked instead
    /// and the answer is always `Invalid`, after the same amount of work.
    pub fn verify(&self, stored: Option<&str>, password: &SecretString) -> Verification {
        let candidate = password.expose_secret().as_bytes();
        if candidate.len() > MAX_BYTES {
            // Still spend the time, so the answer's timing tells nothing.
            let _ = self.check(&self.dummy, b"");
            return Verification::Invalid;
        }
        match stored {
            Some(phc) => match self.check(phc, candidate) {
                Some(true) => Verification::Valid {
                    needs_rehash: !self.is_current(phc),
                },
                _ => Verification::Invalid,
            },
            None => {
                let _ = self.check(&self.dummy, candidate);
                Verification::Invalid
            }
        }
    }

    /// `Some(matches)`, or `None` when the stored string is unusable.
    fn check(&self, phc: &str, candidate: &[u8]) -> Option<bool> {
        let parsed = PasswordHash::new(phc).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        if params.m_cost() > MAX_M_COST_KIB
            || params.t_cost() > MAX_T_COST
            || params.p_cost() > MAX_P_COST
        {
            return None;
        }
        Some(self.argon2().verify_password(candidate, &parsed).is_ok())
    }

    fn is_current(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        parsed.algorithm.as_str() == "argon2id"
            && Params::try_from(&parsed).is_ok_and(|p| {
                p.m_cost() == self.params.m_cost()
                    && p.t_cost() == self.params.t_cost()
                    && p.p_cost() == self.params.p_cost()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn length_rules_count_characters_and_bytes() {
        assert_eq!(
            NewPassword::parse(secret("short")).err(),
            Some(PasswordError::TooShort)
        );
        assert!(NewPassword::parse(secret("eight ch")).is_ok());
        // Eight characters of four bytes each: long enough in characters.
        assert!(NewPassword::parse(secret("😀😀😀😀😀😀😀😀")).is_ok());
        assert_eq!(
            NewPassword::parse(secret(&"x".repeat(1025))).err(),
            Some(PasswordError::TooLong)
        );
        assert!(NewPassword::parse(secret(&"x".repeat(1024))).is_ok());
    }

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new().unwrap();
        let pw = NewPassword::parse(secret("correct horse battery")).unwrap();
        let phc = hasher.hash(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert_eq!(
            hasher.verify(Some(&phc), &secret("correct horse battery")),
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher.verify(Some(&phc), &secret("correct horse batterY")),
            Verification::Invalid
        );
        assert_eq!(
            hasher.verify(None, &secret("correct horse battery")),
            Verification::Invalid
        );
        assert_eq!(
            hasher.verify(Some("not a phc string"), &secret("x")),
            Verification::Invalid
        );
    }

    #[test]
    fn a_hash_with_old_parameters_asks_to_be_rehashed() {
        let old = PasswordHasher::with_params(Params::new(8 * 1024, 1, 1, None).unwrap()).unwrap();
        let pw = NewPassword::parse(secret("correct horse battery")).unwrap();
        let phc = old.hash(&pw).unwrap();
        let today = PasswordHasher::new().unwrap();
        assert_eq!(
            today.verify(Some(&phc), &secret("correct horse battery")),
            Verification::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn hostile_stored_parameters_are_refused_without_running_them() {
        let hasher = PasswordHasher::new().unwrap();
        let huge = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        assert_eq!(
            hasher.verify(Some(huge), &secret("x")),
            Verification::Invalid
        );
    }

    #[test]
    fn debug_never_prints_the_password() {
        let pw = NewPassword::parse(secret("hunter2hunter2")).unwrap();
        assert!(!format!("{pw:?}").contains("hunter2"));
    }
}
