//! Bearer secrets (session tokens, challenge and ceremony ids, set-password
//! links): random, shown once, stored only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;
/// Length of 32 bytes in unpadded base64url.
const TOKEN_CHARS: usize = 43;

/// The SHA-256 of a token: what the database stores and looks up by.
///
/// A plain hash is enough: the token carries 256 random bits, so there is
/// nothing to brute-force offline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Compares in constant time, for a hash checked against a stored one
    /// rather than looked up by.
    pub fn matches(&self, other: &TokenHash) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// 256 random bits in unpadded base64url: the one shape of every bearer
/// secret below, which differ only in what they open.
struct Secret256(String);

impl Secret256 {
    fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only the exact shape we issue, so junk never reaches the database.
    fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == TOKEN_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }

    fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// Purpose names over [`Secret256`], so a challenge id cannot be used where
/// a session token is meant. Their `Debug` prints nothing secret.
macro_rules! secrets {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        pub struct $name(Secret256);

        impl $name {
            /// A fresh secret from the operating system's CSPRNG.
            pub fn generate() -> Result<Self, getrandom::Error> {
                Secret256::generate().map(Self)
            }

            pub fn from_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
                Self(Secret256::from_bytes(bytes))
            }

            /// Accepts only the exact shape we issue, so junk never reaches the database.
            pub fn parse(text: &str) -> Option<Self> {
                Secret256::parse(text).map(Self)
            }

            /// The text handed to the client, once.
            pub fn expose(&self) -> &str {
                &self.0.0
            }

            pub fn hash(&self) -> TokenHash {
                self.0.hash()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    )*};
}

secrets! {
    /// A session token: what the client presents on every request.
    SessionToken;
    /// The id of a sign-in waiting for its second factor.
    ChallengeId;
    /// The id of a WebAuthn ceremony in progress.
    CeremonyId;
    /// A one-time set-password link's secret: whoever holds it may choose
    /// the account's password once, within the link's lifetime.
    PasswordLinkToken;
    /// An application's credential for token introspection.
    ApplicationSecret;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_the_same_hash() {
        let token = SessionToken::generate().unwrap();
        assert_eq!(token.expose().len(), TOKEN_CHARS);
        let again = SessionToken::parse(token.expose()).unwrap();
        assert_eq!(token.hash(), again.hash());
        assert_ne!(token.hash(), SessionToken::generate().unwrap().hash());
    }

    #[test]
    fn only_the_issued_shape_parses() {
        assert!(SessionToken::parse("").is_none());
        assert!(SessionToken::parse(&"a".repeat(42)).is_none());
        assert!(SessionToken::parse(&"a".repeat(44)).is_none());
        assert!(SessionToken::parse(&format!("{}=", "a".repeat(42))).is_none());
        assert!(SessionToken::parse(&"a".repeat(43)).is_some());
    }

    #[test]
    fn debug_prints_no_secret() {
        let token = SessionToken::generate().unwrap();
        assert!(!format!("{token:?}").contains(token.expose()));
        let challenge = ChallengeId::generate().unwrap();
        assert!(!format!("{challenge:?}").contains(challenge.expose()));
        let ceremony = CeremonyId::generate().unwrap();
        assert!(!format!("{ceremony:?}").contains(ceremony.expose()));
        let link = PasswordLinkToken::generate().unwrap();
        assert!(!format!("{link:?}").contains(link.expose()));
    }
}
