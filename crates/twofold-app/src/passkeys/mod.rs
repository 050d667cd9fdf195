//! Passkeys and security keys (WebAuthn, via webauthn-rs): registration,
//! sign-in with a passkey alone, a passkey as the second factor, and step-up.
//!
//! Ceremony state lives in the database, never in the client: a random id
//! (stored hashed) names it, it expires in five minutes, and one
//! `DELETE … RETURNING` consumes it, so any instance can finish what another
//! started and no ceremony finishes twice. The relying-party id and origin
//! come from the configured public URL, never from a request.

mod assertion;
mod manage;
mod registration;

use twofold_core::ceremony::CeremonyKind;
use twofold_core::token::{CeremonyId, TokenHash};
use twofold_core::{AccountId, SessionId};
use twofold_store::{Ceremony, PasskeyRecord};
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{Passkey, Webauthn, WebauthnBuilder, WebauthnError};

use crate::{App, AppError, AppResult};

/// How long a ceremony waits for the browser.
const CEREMONY_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// A sane bound: "as many as you like", within reason.
pub const MAX_PASSKEYS: u64 = 100;
const DEFAULT_NAME: &str = "Passkey";

/// The relying party for a public URL: its host is the RP ID, its origin
/// the only origin accepted. Subdomains and other ports are not.
pub fn relying_party(public_url: &Url, name: &str) -> Result<Webauthn, WebauthnError> {
    let rp_id = public_url.host_str().unwrap_or("localhost");
    WebauthnBuilder::new(rp_id, public_url)?
        .rp_name(name)
        .allow_subdomains(false)
        .allow_any_port(false)
        .build()
}

/// A new passkey, and the first recovery sheet if it was the first factor.
#[derive(Debug)]
pub struct AddedPasskey {
    pub passkey: PasskeyRecord,
    pub recovery_codes: Option<crate::RecoverySheet>,
}

fn json_of<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

fn state_of<T: serde::de::DeserializeOwned>(ceremony: &Ceremony) -> AppResult<T> {
    serde_json::from_str(&ceremony.state).map_err(AppError::internal)
}

fn passkey_of(record: &PasskeyRecord) -> AppResult<Passkey> {
    serde_json::from_str(&record.credential).map_err(AppError::internal)
}

impl App {
    fn rp(&self) -> AppResult<&Webauthn> {
        self.webauthn.as_deref().ok_or(AppError::Forbidden(
            "passkeys are not available: the public URL has no host",
        ))
    }

    async fn save_ceremony(
        &self,
        kind: CeremonyKind,
        account: Option<AccountId>,
        session: Option<SessionId>,
        state: String,
        name: Option<String>,
    ) -> AppResult<CeremonyId> {
        let id = CeremonyId::generate().map_err(AppError::internal)?;
        self.save_ceremony_as(&id.hash(), kind, account, session, state, name)
            .await?;
        Ok(id)
    }

    /// Saves a ceremony under a given id's hash (an MFA ceremony is named by
    /// its challenge), replacing one of the same id.
    async fn save_ceremony_as(
        &self,
        id: &TokenHash,
        kind: CeremonyKind,
        account: Option<AccountId>,
        session: Option<SessionId>,
        state: String,
        name: Option<String>,
    ) -> AppResult<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.prune_ceremonies(now).await?;
        tx.consume_ceremony(id, kind, now).await?;
        tx.insert_ceremony(
            id,
            &Ceremony {
                kind,
                account_id: account,
                session_id: session,
                state,
                name,
                created_at: now,
                expires_at: now.plus(CEREMONY_LIFETIME),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Consumes a ceremony in a transaction of its own: once taken, it is
    /// spent, whether or not what the browser sent then verifies.
    async fn take_ceremony(&self, id: &str, kind: CeremonyKind) -> AppResult<Ceremony> {
        let token = CeremonyId::parse(id).ok_or(AppError::CeremonyExpired)?;
        let mut tx = self.store.begin().await?;
        let ceremony = tx
            .consume_ceremony(&token.hash(), kind, self.clock.now())
            .await?
            .ok_or(AppError::CeremonyExpired)?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// The account's random WebAuthn user handle, made on first use.
    async fn webauthn_user(&self, account: AccountId) -> AppResult<Uuid> {
        if let Some(user) = self.store.webauthn_user_id(account).await? {
            return Ok(user);
        }
        let mut tx = self.store.begin().await?;
        tx.set_webauthn_user_id(account, Uuid::new_v4()).await?;
        tx.commit().await?;
        self.store
            .webauthn_user_id(account)
            .await?
            .ok_or(AppError::Internal(
                "no WebAuthn user handle after setting it".into(),
            ))
    }
}
