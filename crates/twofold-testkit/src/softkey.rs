//! A software passkey for tests: 1Password's passkey-rs (client and
//! authenticator), speaking the browser's JSON, as a user's device would.

use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::{Passkey, webauthn as pk};
use serde_json::Value;
use url::Url;

/// The user's verification always succeeds (a PIN or biometric passed).
pub struct AlwaysVerified;

#[async_trait::async_trait]
impl UserValidationMethod for AlwaysVerified {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

/// One software passkey (passkey-rs makes discoverable credentials).
pub struct SoftKey {
    client: Client<
        Option<Passkey>,
        AlwaysVerified,
        passkey::crypto::rust_crypto::RustCryptoBackend,
        public_suffix::PublicSuffixList,
        (),
    >,
    origin: Url,
}

impl SoftKey {
    /// A new authenticator used from `origin` (e.g. the server's public URL).
    pub fn new(origin: &str) -> Self {
        let authenticator = Authenticator::new(
            Aaguid::new_empty(),
            None,
            AlwaysVerified,
            passkey::crypto::rust_crypto::RustCryptoBackend,
        );
        Self {
            client: Client::new(authenticator).allows_insecure_localhost(true),
            origin: Url::parse(origin).unwrap(),
        }
    }

    /// The same authenticator (its credential), used from another origin.
    pub fn moved_to(&mut self, origin: &str) -> Self {
        let mut moved = Self::new(origin);
        std::mem::swap(&mut moved.client, &mut self.client);
        moved
    }

    fn without_ceremony(options: &Value) -> Value {
        let mut options = options.clone();
        options.as_object_mut().unwrap().remove("ceremony_id");
        options
    }

    pub async fn create(&mut self, options: &Value) -> Value {
        let request: pk::CredentialCreationOptions =
            serde_json::from_value(Self::without_ceremony(options)).unwrap();
        let created = self
            .client
            .register(&self.origin, request, DefaultClientData)
            .await
            .expect("the authenticator creates a credential");
        serde_json::to_value(created).unwrap()
    }

    pub async fn get(&mut self, options: &Value) -> Value {
        let mut options = Self::without_ceremony(options);
        options.as_object_mut().unwrap().remove("mediation");
        let request: pk::CredentialRequestOptions = serde_json::from_value(options).unwrap();
        let asserted = self
            .client
            .authenticate(&self.origin, request, DefaultClientData)
            .await
            .expect("the authenticator asserts");
        serde_json::to_value(asserted).unwrap()
    }
}
