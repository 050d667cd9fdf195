//! Recovery codes: a sheet of ten single-use codes, each 10 characters of
//! Crockford's base32 (50 bits), shown as `xxxxx-xxxxx`. Input ignores case,
//! spaces and dashes, and reads the look-alikes o, i and l as 0, 1 and 1.
//! Codes are stored only as keyed hashes (HMAC under the server key's
//! recovery subkey, bound to the account): 50 bits would not survive an
//! offline search of an unkeyed hash.

use std::fmt;

use crate::AccountId;
use crate::key::{Purpose, ServerKey};

/// Crockford's base32: digits and lower-case letters without i, l, o, u.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
pub const CODES_PER_SHEET: usize = 10;
const CODE_CHARS: usize = 10;

/// One recovery code, in its canonical form (10 characters, no dash).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// Reads what a person typed: case, spaces and dashes do not matter,
    /// and o/i/l count as 0/1/1. `None` if it cannot be a code.
    pub fn parse(input: &str) -> Option<Self> {
        let mut canonical = String::with_capacity(CODE_CHARS);
        for c in input.chars() {
            let c = match c.to_ascii_lowercase() {
                ' ' | '-' | '\t' => continue,
                'o' => '0',
                'i' | 'l' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || canonical.len() == CODE_CHARS {
                return None;
            }
            canonical.push(c);
        }
        (canonical.len() == CODE_CHARS).then_some(Self(canonical))
    }

    /// `xxxxx-xxxxx`, as shown on the sheet.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }

    /// The keyed hash stored for this code of this account.
    pub fn hash(&self, key: &ServerKey, account: AccountId) -> [u8; 32] {
        let mut message = Vec::with_capacity(16 + CODE_CHARS);
        message.extend_from_slice(account.uuid().as_bytes());
        message.extend_from_slice(self.0.as_bytes());
        key.mac(Purpose::RecoveryCodes, &message)
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// A new sheet of ten random codes (from the operating system's CSPRNG).
pub fn new_sheet() -> Result<Vec<RecoveryCode>, getrandom::Error> {
    let mut codes = Vec::with_capacity(CODES_PER_SHEET);
    while codes.len() < CODES_PER_SHEET {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)?;
        let mut bits = u64::from_le_bytes(bytes);
        let mut code = String::with_capacity(CODE_CHARS);
        for _ in 0..CODE_CHARS {
            code.push(char::from(ALPHABET[(bits & 31) as usize]));
            bits >>= 5;
        }
        let code = RecoveryCode(code);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_has_ten_distinct_well_formed_codes() {
        let sheet = new_sheet().unwrap();
        assert_eq!(sheet.len(), 10);
        for code in &sheet {
            let shown = code.display();
            assert_eq!(shown.len(), 11);
            assert_eq!(&shown[5..6], "-");
            assert_eq!(RecoveryCode::parse(&shown).as_ref(), Some(code));
        }
        let mut unique = sheet.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
        unique.dedup();
        assert_eq!(unique.len(), 10);
    }

    #[test]
    fn input_ignores_case_spaces_dashes_and_look_alikes() {
        let code = RecoveryCode::parse("k7m2q-x9vfd").unwrap();
        for typed in [
            "K7M2Q-X9VFD",
            " k7m2q x9vfd ",
            "k7m2qx9vfd",
            "k7m-2q-x9v-fd",
        ] {
            assert_eq!(RecoveryCode::parse(typed).as_ref(), Some(&code), "{typed}");
        }
        assert_eq!(
            RecoveryCode::parse("0ilo0-11111"),
            RecoveryCode::parse("01100-11111")
        );
        for bad in [
            "",
            "k7m2q",
            "k7m2q-x9vfd-a",
            "k7m2q-x9vfu",
            "k7m2q-x9vf!",
            "ｋ7m2q-x9vfd",
            "' or 1=1 -",
        ] {
            assert_eq!(RecoveryCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_hash_is_keyed_and_bound_to_the_account() {
        let key = ServerKey::generate().unwrap();
        let code = RecoveryCode::parse("k7m2q-x9vfd").unwrap();
        let alice = AccountId::from_uuid(uuid::Uuid::new_v4());
        let bob = AccountId::from_uuid(uuid::Uuid::new_v4());
        assert_eq!(code.hash(&key, alice), code.hash(&key, alice));
        assert_ne!(code.hash(&key, alice), code.hash(&key, bob));
        assert_ne!(
            code.hash(&key, alice),
            code.hash(&ServerKey::generate().unwrap(), alice)
        );
        assert!(!format!("{code:?}").contains("k7m2q"));
    }
}
