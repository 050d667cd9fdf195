//! The server key: 32 random bytes from which every keyed purpose (secret
//! encryption, keyed hashes, the key check) derives its own subkey by HKDF,
//! so the raw key is never used twice. Secrets that must be recovered (TOTP
//! seeds) are sealed with XChaCha20-Poly1305 under such a subkey.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// What a subkey is for. Each purpose gets an independent key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// Sealing TOTP secrets.
    TotpSeal,
    /// Keyed hashes of recovery codes.
    RecoveryCodes,
    /// The value stored to detect a wrong key at start-up.
    KeyCheck,
    /// Keyed hashes of personal access tokens.
    AccessTokens,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Purpose::TotpSeal => b"twofold v1 totp seal",
            Purpose::RecoveryCodes => b"twofold v1 recovery codes",
            Purpose::KeyCheck => b"twofold v1 key check",
            Purpose::AccessTokens => b"twofold v1 access tokens",
        }
    }
}

/// Format version of a sealed value.
const SEAL_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;

/// A sealed value could not be opened: wrong key, wrong row, or tampering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealed secret cannot be opened with this key (wrong key, moved or altered)")]
pub struct OpenError;

/// The instance's master secret. Never printed by `Debug`; wiped on drop.
#[derive(Clone, zeroize::ZeroizeOnDrop)]
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

    /// The subkey for one purpose (HKDF-SHA-256).
    pub fn subkey(&self, purpose: Purpose) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA-256's output limit: this cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"twofold"), &self.0).expand(purpose.info(), &mut *out);
        out
    }

    /// HMAC-SHA-256 of `message` under a purpose's subkey.
    pub fn mac(&self, purpose: Purpose, message: &[u8]) -> [u8; 32] {
        let key = self.subkey(purpose);
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&*key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// A value stored in the database on first start and compared on every
    /// start, so a wrong key stops the server at once instead of failing
    /// every TOTP sign-in later.
    pub fn check_value(&self) -> [u8; 32] {
        self.mac(Purpose::KeyCheck, b"twofold key check")
    }

    /// A short public name of this key, stored beside sealed values so a
    /// rotation can tell which key sealed what.
    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&self.mac(Purpose::KeyCheck, b"twofold key id")[..KEY_ID_LEN]);
        id
    }

    /// Seals `plaintext`: `version | key id | nonce | ciphertext+tag`. The
    /// associated data binds it to where it is stored (row and account), so
    /// a sealed value moved elsewhere does not open.
    pub fn seal(
        &self,
        purpose: Purpose,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, getrandom::Error> {
        let key = self.subkey(purpose);
        let cipher = XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key));
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)?;
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_else(|_| unreachable!("XChaCha20-Poly1305 seals any short message"));
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + ciphertext.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&self.id());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens what [`ServerKey::seal`] sealed with the same purpose and data.
    pub fn open(
        &self,
        purpose: Purpose,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let header = 1 + KEY_ID_LEN + NONCE_LEN;
        if sealed.len() < header
            || sealed[0] != SEAL_VERSION
            || sealed[1..1 + KEY_ID_LEN] != self.id()
        {
            return Err(OpenError);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1 + KEY_ID_LEN..header]
            .try_into()
            .map_err(|_| OpenError)?;
        let key = self.subkey(purpose);
        let cipher = XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key));
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[header..],
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError)
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
    fn subkeys_differ_by_purpose_and_by_key() {
        let key = ServerKey::generate().unwrap();
        let other = ServerKey::generate().unwrap();
        assert_ne!(
            *key.subkey(Purpose::TotpSeal),
            *key.subkey(Purpose::RecoveryCodes)
        );
        assert_ne!(*key.subkey(Purpose::TotpSeal), key.0);
        assert_ne!(key.check_value(), other.check_value());
        assert_eq!(
            key.check_value(),
            ServerKey::parse(&key.encode()).unwrap().check_value()
        );
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_purpose_and_place() {
        let key = ServerKey::generate().unwrap();
        let sealed = key
            .seal(Purpose::TotpSeal, b"12345678901234567890", b"row 1")
            .unwrap();
        assert_eq!(
            &*key.open(Purpose::TotpSeal, &sealed, b"row 1").unwrap(),
            b"12345678901234567890"
        );
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        assert_eq!(
            key.open(Purpose::TotpSeal, &sealed, b"row 2"),
            Err(OpenError)
        );
        assert_eq!(
            key.open(Purpose::RecoveryCodes, &sealed, b"row 1"),
            Err(OpenError)
        );
        assert_eq!(
            ServerKey::generate()
                .unwrap()
                .open(Purpose::TotpSeal, &sealed, b"row 1"),
            Err(OpenError)
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.open(Purpose::TotpSeal, &tampered, b"row 1"),
            Err(OpenError)
        );
        assert_eq!(
            key.open(Purpose::TotpSeal, &sealed[..10], b"row 1"),
            Err(OpenError)
        );
        // Two seals of one value differ (random nonces).
        assert_ne!(
            sealed,
            key.seal(Purpose::TotpSeal, b"12345678901234567890", b"row 1")
                .unwrap()
        );
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
