//! Personal access tokens: their text, their checksum, their scopes and
//! how long they may live.
//!
//! A token reads `tfp_` + 43 base62 characters (256 random bits) + 6 base62
//! characters of the CRC-32 of everything before them, GitHub's scheme: a
//! secret scanner recognises a leaked token offline by its prefix and
//! checksum, and a mistyped one is refused before any database work. The
//! store keeps only a keyed hash (HMAC-SHA-256 under its own subkey of the
//! server key), so a copy of the database opens nothing.

use std::time::Duration;

use crate::key::{Purpose, ServerKey};
use crate::token::TokenHash;

/// What every token starts with.
pub const PREFIX: &str = "tfp_";
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^43 > 2^256: 43 characters carry the 256 random bits.
const RANDOM_CHARS: usize = 43;
/// 62^6 > 2^32: six characters hold the CRC-32.
const CHECKSUM_CHARS: usize = 6;
const TOKEN_CHARS: usize = PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;
/// How much of the token lists show, so its owner can tell tokens apart.
const DISPLAY_CHARS: usize = PREFIX.len() + 6;
/// The shortest lifetime a token may be given.
pub const MIN_LIFETIME: Duration = Duration::from_secs(60);

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Why a text is not a token we issued. One answer for every shape error:
/// the caller learns nothing about which part was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid personal access token")]
pub struct MalformedAccessToken;

/// A personal access token. `Debug` prints nothing secret.
pub struct AccessToken(String);

impl AccessToken {
    /// A fresh token from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut text = String::with_capacity(TOKEN_CHARS);
        text.push_str(PREFIX);
        while text.len() < PREFIX.len() + RANDOM_CHARS {
            let mut bytes = [0u8; 64];
            getrandom::fill(&mut bytes)?;
            // Rejection sampling: 248 = 4 × 62, so every character is equally likely.
            for b in bytes.into_iter().filter(|&b| b < 248) {
                if text.len() == PREFIX.len() + RANDOM_CHARS {
                    break;
                }
                text.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
        let checksum = checksum_chars(&text);
        text.push_str(&checksum);
        Ok(Self(text))
    }

    /// Accepts only a token of our shape whose checksum matches.
    pub fn parse(text: &str) -> Result<Self, MalformedAccessToken> {
        let shaped = text.len() == TOKEN_CHARS
            && text.starts_with(PREFIX)
            && text[PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric());
        if !shaped {
            return Err(MalformedAccessToken);
        }
        let (body, checksum) = text.split_at(TOKEN_CHARS - CHECKSUM_CHARS);
        if checksum_chars(body) != checksum {
            return Err(MalformedAccessToken);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text handed to its owner, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The start shown in lists (`tfp_` and six characters): enough to tell
    /// tokens apart, far too little to guess the rest.
    pub fn display_prefix(&self) -> &str {
        &self.0[..DISPLAY_CHARS]
    }

    /// What the store keeps and looks up by.
    pub fn hash(&self, key: &ServerKey) -> TokenHash {
        TokenHash(key.mac(Purpose::AccessTokens, self.0.as_bytes()))
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// Whether a bearer credential is meant as an access token rather than a
/// session token, before it is checked: a session token is 43 characters,
/// so the two never overlap.
pub fn is_access_token(text: &str) -> bool {
    text.len() == TOKEN_CHARS && text.starts_with(PREFIX)
}

fn checksum_chars(body: &str) -> String {
    let mut n = CRC.checksum(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read-only routes (`GET`).
    Read,
    /// The routes that change something and that tokens may use.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

/// A token's scopes: at least one, each once, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

/// Why a list of scopes was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopesError {
    #[error("at least one scope is required (read, write)")]
    Empty,
    #[error("unknown scope {0:?} (read, write)")]
    Unknown(String),
}

impl Scopes {
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ScopesError> {
        let mut scopes = Vec::new();
        for name in names {
            let scope = Scope::parse(name).ok_or_else(|| ScopesError::Unknown(name.to_owned()))?;
            scopes.push(scope);
        }
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ScopesError::Empty);
        }
        Ok(Self(scopes))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Space-separated, as stored and as OAuth's `scope` writes them.
    pub fn to_text(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Reads [`Self::to_text`] back.
    pub fn from_text(text: &str) -> Result<Self, ScopesError> {
        Self::parse(text.split_ascii_whitespace())
    }
}

/// Why a lifetime was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expires_in must be between {min} and {max} seconds")]
pub struct LifetimeError {
    pub min: u64,
    pub max: u64,
}

/// A token's lifetime: required, from [`MIN_LIFETIME`] to the instance's `max`.
pub fn lifetime(seconds: u64, max: Duration) -> Result<Duration, LifetimeError> {
    let wanted = Duration::from_secs(seconds);
    if wanted < MIN_LIFETIME || wanted > max {
        return Err(LifetimeError {
            min: MIN_LIFETIME.as_secs(),
            max: max.as_secs(),
        });
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_has_the_documented_shape_and_parses_back() {
        let token = AccessToken::generate().unwrap();
        let text = token.expose();
        assert_eq!(text.len(), 53);
        assert!(text.starts_with("tfp_"));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        let key = ServerKey::generate().unwrap();
        assert_eq!(
            AccessToken::parse(text).unwrap().hash(&key),
            token.hash(&key)
        );
        assert_eq!(token.display_prefix(), &text[..10]);
        assert!(!format!("{token:?}").contains(&text[4..]));
    }

    #[test]
    fn the_checksum_refuses_every_single_character_typo() {
        let token = AccessToken::generate().unwrap();
        let text = token.expose();
        for i in PREFIX.len()..text.len() {
            let mut bytes = text.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(
                AccessToken::parse(&typo).err(),
                Some(MalformedAccessToken),
                "{i}"
            );
        }
    }

    #[test]
    fn other_shapes_are_refused() {
        let text = AccessToken::generate().unwrap().expose().to_owned();
        for bad in [
            "",
            "tfp_",
            &text[..52],
            &format!("{text}0"),
            &text.replacen("tfp_", "tfx_", 1),
            &format!("tfp_{}", "-".repeat(49)),
            &text.replace(&text[10..11], "é"),
        ] {
            assert!(AccessToken::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_keyed_hash_depends_on_the_server_key() {
        let token = AccessToken::generate().unwrap();
        let (a, b) = (
            ServerKey::generate().unwrap(),
            ServerKey::generate().unwrap(),
        );
        assert_ne!(token.hash(&a), token.hash(&b));
        assert_ne!(token.hash(&a), AccessToken::generate().unwrap().hash(&a));
    }

    #[test]
    fn tokens_are_told_apart_from_session_tokens() {
        assert!(is_access_token(AccessToken::generate().unwrap().expose()));
        // Even a session token that happens to start with `tfp_` is one.
        let session = crate::token::SessionToken::from_bytes([0; 32]);
        let lookalike = format!("tfp_{}", &session.expose()[4..]);
        assert!(crate::token::SessionToken::parse(&lookalike).is_some());
        assert!(!is_access_token(&lookalike));
    }

    #[test]
    fn scopes_are_a_non_empty_set_of_known_names() {
        let scopes = Scopes::parse(["write", "read", "read"]).unwrap();
        assert_eq!(scopes.to_text(), "read write");
        assert_eq!(Scopes::from_text("read write").unwrap(), scopes);
        assert!(scopes.contains(Scope::Write));
        assert!(!Scopes::parse(["read"]).unwrap().contains(Scope::Write));
        assert_eq!(Scopes::parse([]), Err(ScopesError::Empty));
        assert_eq!(
            Scopes::parse(["admin"]),
            Err(ScopesError::Unknown("admin".into()))
        );
    }

    #[test]
    fn lifetimes_are_bounded() {
        let max = Duration::from_secs(365 * 86_400);
        assert_eq!(lifetime(3600, max), Ok(Duration::from_secs(3600)));
        assert_eq!(lifetime(365 * 86_400, max), Ok(max));
        assert!(lifetime(365 * 86_400 + 1, max).is_err());
        assert!(lifetime(59, max).is_err());
        assert!(lifetime(0, max).is_err());
    }
}
