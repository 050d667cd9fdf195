//! What a person typed into a security form, kept while they prove it is
//! them on the step-up screen.
//!
//! The action that found the step-up window closed seals its form fields
//! into one opaque `stash` value on the screen. Only a sealed stash lets the
//! screen send the browser back to the action (`307`, the form posted
//! again), so a link that opens the screen can never choose a change; and
//! the typed passwords are never in the page as plain hidden inputs.
//!
//! The seal is XChaCha20-Poly1305 under a key derived from the session
//! token in the browser's cookie: no server state (any instance opens it),
//! nothing anyone without that cookie can forge or read, and a stash of one
//! session does not open in another. The action's path is the associated
//! data, and the stash expires after [`LIFETIME`].

use std::time::Duration;

use axum::extract::{FromRequest, RawForm, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use twofold_core::Timestamp;
use zeroize::Zeroizing;

use super::pending::PendingChange;
use super::respond::message;
use crate::state::{AppState, WebConfig};

/// How long a stashed form waits for its proof.
pub const LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Fields of the step-up form itself, never stashed.
const OWN_FIELDS: [&str; 5] = [
    "return_to",
    "stash",
    "reauth_password",
    "reauth_code",
    "username",
];
const KEY_LABEL: &[u8] = b"twofold v1 step-up stash key";
const AAD_LABEL: &[u8] = b"twofold v1 step-up stash for ";
const NONCE_LEN: usize = 24;

/// The fields of a posted form, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields as a typed form.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_urlencoded::de::Error> {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish();
        serde_urlencoded::from_str(&encoded)
    }

    /// What the action's own form holds, without the step-up screen's fields.
    fn without_own(&self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|(name, _)| !OWN_FIELDS.contains(&name.as_str()))
                .cloned()
                .collect(),
        )
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    expires_at: i64,
    fields: Fields,
}

/// The sealing key of one browser session.
pub struct StashKey(Zeroizing<[u8; 32]>);

impl StashKey {
    /// From the session cookie, if the request has one.
    pub fn from_headers(web: &WebConfig, headers: &HeaderMap) -> Option<Self> {
        let jar = CookieJar::from_headers(headers);
        let token = jar.get(web.session_cookie())?;
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(token.value().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(KEY_LABEL);
        Some(Self(Zeroizing::new(mac.finalize().into_bytes().into())))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*self.0))
    }

    fn seal(&self, change: PendingChange, fields: Fields, expires_at: Timestamp) -> Option<String> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&Sealed {
                expires_at: expires_at.unix(),
                fields,
            })
            .ok()?,
        );
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).ok()?;
        let aad = associated_data(change);
        let ciphertext = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    fn open(&self, change: PendingChange, sealed: &str, now: Timestamp) -> Option<Fields> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let aad = associated_data(change);
        let plaintext = Zeroizing::new(
            self.cipher()
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        let sealed: Sealed = serde_json::from_slice(&plaintext).ok()?;
        (now.unix() < sealed.expires_at).then_some(sealed.fields)
    }
}

fn associated_data(change: PendingChange) -> Vec<u8> {
    [AAD_LABEL, change.path().as_bytes()].concat()
}

/// A change waiting on the step-up screen: which one, and its sealed form.
pub struct Pending {
    pub change: PendingChange,
    pub sealed: String,
}

/// A stash that does not open: expired, altered, of another session or for
/// another action.
#[derive(Debug)]
pub struct Stale;

impl Pending {
    /// The change a step-up form carries back. Without a stash there is
    /// none (whatever `return_to` says: a link chose it); a stash must open
    /// for the action at `return_to`.
    pub fn carried(
        state: &AppState,
        headers: &HeaderMap,
        fields: &Fields,
    ) -> Result<Option<Self>, Stale> {
        let Some(sealed) = fields.get("stash") else {
            return Ok(None);
        };
        let change = fields
            .get("return_to")
            .and_then(PendingChange::from_path)
            .ok_or(Stale)?;
        let key = StashKey::from_headers(&state.web, headers).ok_or(Stale)?;
        key.open(change, sealed, state.app.now()).ok_or(Stale)?;
        Ok(Some(Self {
            change,
            sealed: sealed.to_owned(),
        }))
    }
}

/// The page for a stash that does not open: nothing was changed.
pub fn stale_page() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Nothing was changed",
        "This confirmation has expired or is not valid. Go back to the Security page and make the change again.",
    )
}

/// The page for a form that cannot be read: nothing was changed.
pub fn unreadable_form() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Bad request",
        "The form could not be read.",
    )
}

/// The form of a page action that may need a step-up. When the action is
/// posted again from the step-up screen (its `stash`), the fields are the
/// ones the person first typed, opened from the stash.
pub struct ActionForm {
    change: Option<PendingChange>,
    key: Option<StashKey>,
    fields: Fields,
}

impl ActionForm {
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_urlencoded::de::Error> {
        self.fields.decode()
    }

    /// The change this form makes, with the form sealed for the step-up
    /// screen to post again; none when it is not a step-up action or the
    /// form cannot be sealed.
    pub fn pending(&self, state: &AppState) -> Option<Pending> {
        let change = self.change?;
        let expires_at = state.app.now().plus(LIFETIME);
        let sealed = self
            .key
            .as_ref()?
            .seal(change, self.fields.without_own(), expires_at);
        if sealed.is_none() {
            tracing::error!("could not seal a form for the step-up screen");
        }
        Some(Pending {
            change,
            sealed: sealed?,
        })
    }
}

impl FromRequest<AppState> for ActionForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let change = PendingChange::from_path(req.uri().path());
        let key = StashKey::from_headers(&state.web, req.headers());
        let RawForm(body) = RawForm::from_request(req, state)
            .await
            .map_err(|_| unreadable_form())?;
        let mut fields = Fields::parse(&body);
        if let Some(sealed) = fields.get("stash") {
            fields = change
                .zip(key.as_ref())
                .and_then(|(change, key)| key.open(change, sealed, state.app.now()))
                .ok_or_else(stale_page)?;
        }
        Ok(Self {
            change,
            key,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(token: &str) -> StashKey {
        let web = WebConfig::from_public_url(&url::Url::parse("http://localhost").unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            format!("twofold_session={token}").parse().unwrap(),
        );
        StashKey::from_headers(&web, &headers).unwrap()
    }

    const NOW: Timestamp = Timestamp::from_unix(1_700_000_000);

    #[test]
    fn a_stash_opens_only_for_its_session_action_and_time() {
        let fields = Fields::parse(b"current_password=old+one&new_password=new%26one");
        let mine = key("session-a");
        let sealed = mine
            .seal(
                PendingChange::ChangePassword,
                fields.clone(),
                NOW.plus(LIFETIME),
            )
            .unwrap();
        // Long enough that random text cannot hold them by chance.
        assert!(!sealed.contains("old+one") && !sealed.contains("new%26one"));
        assert_eq!(
            mine.open(PendingChange::ChangePassword, &sealed, NOW),
            Some(fields)
        );
        // Another session, another action, too late, or altered: nothing.
        assert_eq!(
            key("session-b").open(PendingChange::ChangePassword, &sealed, NOW),
            None
        );
        assert_eq!(mine.open(PendingChange::DisableMfa, &sealed, NOW), None);
        assert_eq!(
            mine.open(PendingChange::ChangePassword, &sealed, NOW.plus(LIFETIME)),
            None
        );
        let mut altered = sealed.into_bytes();
        // A middle character: every bit of it is ciphertext (the last one
        // may carry padding bits a decoder ignores).
        let middle = altered.len() / 2;
        altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(
            mine.open(PendingChange::ChangePassword, &altered, NOW),
            None
        );
        assert_eq!(mine.open(PendingChange::ChangePassword, "", NOW), None);
        assert_eq!(mine.open(PendingChange::ChangePassword, "%%%", NOW), None);
    }

    #[test]
    fn a_stash_for_one_user_does_not_open_for_another() {
        let (a, b) = (
            twofold_core::AccountId::from_uuid(uuid::Uuid::from_u128(1)),
            twofold_core::AccountId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        let mine = key("session-a");
        let fields = Fields::parse(b"confirm=true");
        let sealed = mine
            .seal(
                PendingChange::ResetUserMfa(a),
                fields.clone(),
                NOW.plus(LIFETIME),
            )
            .unwrap();
        assert_eq!(
            mine.open(PendingChange::ResetUserMfa(a), &sealed, NOW),
            Some(fields)
        );
        assert_eq!(
            mine.open(PendingChange::ResetUserMfa(b), &sealed, NOW),
            None
        );
        assert_eq!(mine.open(PendingChange::SetUserRole(a), &sealed, NOW), None);
    }

    #[test]
    fn the_step_up_form_is_not_stashed() {
        let fields = Fields::parse(
            b"current_password=a&new_password=b&reauth_password=c&return_to=x&stash=y&username=u",
        );
        assert_eq!(
            fields.without_own(),
            Fields(vec![
                ("current_password".into(), "a".into()),
                ("new_password".into(), "b".into())
            ])
        );
    }
}
