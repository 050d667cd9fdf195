//! The server key: 32 random bytes from which every keyed purpose (secret
//! encryption, keyed hashes) derives its own subkey.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The instance's master secret. Never printed by `Debug`.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

/// The text is not a base64url encoding of exactly 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a server key is 32 bytes in base64url (43 characters); make one with `twofold key generate`"
)]
pub struct MalformedKey;

impl ServerKey {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Parses the base64url text written by [`ServerKey::encode`]
    /// (surrounding whitespace and `=` padding are tolerated).
    pub fn parse(text: &str) -> Result<Self, MalformedKey> {
        let trimmed = text.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD.decode(trimmed).map_err(|_| MalformedKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| MalformedKey)?;
        Ok(Self(bytes))
    }

    /// The key as base64url without padding.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_text() {
        let key = ServerKey::generate().unwrap();
        let text = key.encode();
        assert_eq!(text.len(), 43);
        assert_eq!(ServerKey::parse(&format!(" {text}\n")).unwrap().0, key.0);
        assert!(!format!("{key:?}").contains(&text));
    }

    #[test]
    fn anything_but_32_bytes_is_refused() {
        assert_eq!(ServerKey::parse("").err(), Some(MalformedKey));
        assert_eq!(ServerKey::parse("c2hvcnQ").err(), Some(MalformedKey));
        assert_eq!(
            ServerKey::parse("not base64 at all!").err(),
            Some(MalformedKey)
        );
    }
}
