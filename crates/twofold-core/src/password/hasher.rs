//! Argon2id hashing and verification in working memory the caller owns and
//! reuses, so the number of Argon2 memories alive is the number of callers
//! that hold one, never the number of hashes ever run.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, RECOMMENDED_SALT_LEN, Version};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

pub use self::memory::HashingMemory;
use super::{MAX_BYTES, NewPassword, normalize};

mod memory;

/// Stored parameters above these are refused before any work is done, so a
/// corrupt or hostile row cannot turn one sign-in into a long computation.
/// (Memory is capped by the working memory itself: see [`HashingMemory`].)
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password is right. `needs_rehash` says the stored hash should be
    /// replaced: it was made with other parameters than today's, or from the
    /// password as typed rather than in NFKC.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Hashing failed for a reason that is not the caller's (e.g. no randomness).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    fn from(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// A stored PHC string, parsed and judged safe to run.
#[derive(Clone)]
struct StoredHash {
    argon2: Argon2<'static>,
    salt: Salt,
    expected: Output,
}

/// Argon2id with the `argon2` crate defaults (m=19456 KiB, t=2, p=1), plus a
/// dummy hash: an unknown account is checked against it, so it costs the
/// same time as a wrong password.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: StoredHash,
}

impl PasswordHasher {
    pub fn new() -> Result<Self, HashError> {
        Self::with_params(Params::DEFAULT)
    }

    pub fn with_params(params: Params) -> Result<Self, HashError> {
        // A hash of no password: random salt, random output. Checking against
        // it runs Argon2 exactly as a real hash does, and never matches.
        let mut salt = [0u8; RECOMMENDED_SALT_LEN];
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        getrandom::fill(&mut salt).map_err(HashError::from)?;
        getrandom::fill(&mut output).map_err(HashError::from)?;
        let dummy = StoredHash {
            argon2: argon2id(params.clone()),
            salt: Salt::new(&salt).map_err(HashError::from)?,
            expected: Output::new(&output).map_err(HashError::from)?,
        };
        Ok(Self { params, dummy })
    }

    /// Working memory for [`Self::hash`] and [`Self::verify`] with today's
    /// parameters. Allocate one per concurrent hashing run and reuse it.
    pub fn memory(&self) -> HashingMemory {
        HashingMemory::for_params(&self.params)
    }

    /// A PHC string (`$argon2id$v=19$m=…`) for a new password.
    pub fn hash(
        &self,
        password: &NewPassword,
        memory: &mut HashingMemory,
    ) -> Result<String, HashError> {
        let mut salt = [0u8; RECOMMENDED_SALT_LEN];
        getrandom::fill(&mut salt).map_err(HashError::from)?;
        let mut output = Zeroizing::new([0u8; Params::DEFAULT_OUTPUT_LEN]);
        let argon2 = argon2id(self.params.clone());
        memory
            .derive(
                &argon2,
                password.secret().expose_secret().as_bytes(),
                &salt,
                &mut output[..],
            )
            .map_err(HashError::from)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(HashError::from)?,
            salt: Some(Salt::new(&salt).map_err(HashError::from)?),
            hash: Some(Output::new(&output[..]).map_err(HashError::from)?),
        };
        Ok(phc.to_string())
    }

    /// Checks `password` against `stored`. With no stored hash (unknown
    /// account, or one without a password) or an unusable one, the dummy hash
    /// is checked instead and the answer is always `Invalid`, after the same
    /// amount of work.
    ///
    /// The password is tried in NFKC, then, if it differs, as typed: hashes
    /// made before passwords were normalised hold the typed bytes. A match on
    /// the typed form asks for a rehash. Both tries are made against the
    /// dummy too, so an unknown account costs what a wrong password costs.
    pub fn verify(
        &self,
        stored: Option<&str>,
        password: &SecretString,
        memory: &mut HashingMemory,
    ) -> Verification {
        let typed = password.expose_secret();
        if typed.len() > MAX_BYTES {
            // Still spend the time, so the answer's timing tells nothing.
            self.dummy_checks(&[b""], memory);
            return Verification::Invalid;
        }
        let normalized = Zeroizing::new(normalize(typed));
        let typed_too = *normalized != typed;
        let forms: &[&[u8]] = if typed_too {
            &[normalized.as_bytes(), typed.as_bytes()]
        } else {
            &[normalized.as_bytes()]
        };
        let Some((phc, hash)) = stored.and_then(|phc| Some((phc, self.usable(phc)?))) else {
            self.dummy_checks(forms, memory);
            return Verification::Invalid;
        };
        match forms.iter().position(|form| matches(&hash, form, memory)) {
            Some(tried) => Verification::Valid {
                needs_rehash: tried > 0 || !self.is_current(phc),
            },
            None => Verification::Invalid,
        }
    }

    fn dummy_checks(&self, forms: &[&[u8]], memory: &mut HashingMemory) {
        for form in forms {
            let _ = matches(&self.dummy, form, memory);
        }
    }

    /// The stored hash, if it parses and its parameters fit the working
    /// memory and the time caps.
    fn usable(&self, phc: &str) -> Option<StoredHash> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::new(parsed.algorithm.as_str()).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        if params.block_count() > self.params.block_count()
            || params.t_cost() > MAX_T_COST
            || params.p_cost() > MAX_P_COST
        {
            return None;
        }
        Some(StoredHash {
            argon2: Argon2::new(algorithm, version, params),
            salt: parsed.salt?,
            expected: parsed.hash?,
        })
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

fn argon2id(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Re-derives with the stored salt and parameters and compares in constant
/// time.
fn matches(hash: &StoredHash, password: &[u8], memory: &mut HashingMemory) -> bool {
    let expected = hash.expected.as_bytes();
    let mut output = Zeroizing::new(vec![0u8; expected.len()]);
    memory
        .derive(&hash.argon2, password, hash.salt.as_ref(), &mut output)
        .is_ok()
        && bool::from(output.ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher as _;

    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn new_password(s: &str) -> NewPassword {
        NewPassword::from_verified(secret(s)).unwrap()
    }

    /// A hash as versions before NFKC made them: the crate's own hasher over
    /// the bytes as typed.
    fn legacy_hash(typed: &str) -> String {
        argon2id(Params::DEFAULT)
            .hash_password(typed.as_bytes())
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        let phc = hasher
            .hash(&new_password("correct horse battery"), &mut memory)
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let verify = |stored: Option<&str>, pw: &str, memory: &mut HashingMemory| {
            hasher.verify(stored, &secret(pw), memory)
        };
        assert_eq!(
            verify(Some(&phc), "correct horse battery", &mut memory),
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify(Some(&phc), "correct horse batterY", &mut memory),
            Verification::Invalid
        );
        assert_eq!(
            verify(None, "correct horse battery", &mut memory),
            Verification::Invalid
        );
        assert_eq!(
            verify(Some("not a phc string"), "x", &mut memory),
            Verification::Invalid
        );
    }

    #[test]
    fn the_crate_verifies_our_hashes_and_we_verify_the_crates() {
        use argon2::password_hash::PasswordVerifier as _;
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        let ours = hasher
            .hash(&new_password("correct horse battery"), &mut memory)
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2id(Params::DEFAULT)
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let theirs = legacy_hash("correct horse battery");
        assert_eq!(
            hasher.verify(Some(&theirs), &secret("correct horse battery"), &mut memory),
            Verification::Valid {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn composed_and_decomposed_forms_of_a_password_are_one_password() {
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        let nfc = "Cr\u{e8}me br\u{fb}l\u{e9}e 2024";
        let nfd = "Cre\u{300}me bru\u{302}le\u{301}e 2024";
        let phc = hasher.hash(&new_password(nfc), &mut memory).unwrap();
        for typed in [nfc, nfd] {
            assert_eq!(
                hasher.verify(Some(&phc), &secret(typed), &mut memory),
                Verification::Valid {
                    needs_rehash: false
                },
                "{typed:?}"
            );
        }
        // Compatibility forms too: a full-width digit is a digit.
        assert_eq!(
            hasher.verify(Some(&phc), &secret("Crème brûlée ２０２４"), &mut memory),
            Verification::Valid {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn a_hash_of_the_typed_bytes_still_verifies_and_asks_for_a_rehash() {
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        let nfd = "Cre\u{300}me bru\u{302}le\u{301}e 2024";
        let old = legacy_hash(nfd);
        assert_eq!(
            hasher.verify(Some(&old), &secret(nfd), &mut memory),
            Verification::Valid { needs_rehash: true }
        );
        // The rehash is of the NFKC form, which any form then verifies.
        let new = hasher.hash(&new_password(nfd), &mut memory).unwrap();
        assert_eq!(
            hasher.verify(
                Some(&new),
                &secret("Cr\u{e8}me br\u{fb}l\u{e9}e 2024"),
                &mut memory
            ),
            Verification::Valid {
                needs_rehash: false
            }
        );
    }

    #[test]
    fn a_hash_with_old_parameters_asks_to_be_rehashed() {
        let old = PasswordHasher::with_params(Params::new(8 * 1024, 1, 1, None).unwrap()).unwrap();
        let mut small = old.memory();
        let phc = old
            .hash(&new_password("correct horse battery"), &mut small)
            .unwrap();
        let today = PasswordHasher::new().unwrap();
        assert_eq!(
            today.verify(
                Some(&phc),
                &secret("correct horse battery"),
                &mut today.memory()
            ),
            Verification::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn hostile_stored_parameters_are_refused_without_running_them() {
        let hasher = PasswordHasher::new().unwrap();
        let mut memory = hasher.memory();
        let salt = "c2FsdHNhbHRzYWx0";
        let hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        for params in [
            "m=4194304,t=2,p=1", // 4 GiB
            "m=19457,t=2,p=1",   // one block more than the working memory
            "m=19456,t=4096,p=1",
            "m=19456,t=2,p=64",
        ] {
            let hostile = format!("$argon2id$v=19${params}${salt}${hash}");
            assert_eq!(
                hasher.verify(Some(&hostile), &secret("x"), &mut memory),
                Verification::Invalid,
                "{params}"
            );
        }
        assert_eq!(memory.bytes(), 19456 * 1024, "the memory never grows");
    }
}
