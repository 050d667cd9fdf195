//! Passkeys and the WebAuthn ceremonies that register and use them.

use async_trait::async_trait;

use twofold_core::ceremony::CeremonyKind;
use twofold_core::token::TokenHash;
use twofold_core::{AccountId, PasskeyId, Timestamp};
use uuid::Uuid;

use crate::{Account, Ceremony, PasskeyRecord, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait PasskeyReads: Send + Sync {
    /// The account's random WebAuthn user handle, once it has one.
    async fn webauthn_user_id(&self, account: AccountId) -> StoreResult<Option<Uuid>>;

    async fn account_by_webauthn_user(&self, user: Uuid) -> StoreResult<Option<Account>>;

    async fn passkeys(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>>;

    async fn passkey_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> StoreResult<Option<PasskeyRecord>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait PasskeyTx: Send {
    /// Gives the account a WebAuthn user handle unless it has one.
    async fn set_webauthn_user_id(&mut self, account: AccountId, user: Uuid) -> StoreResult<()>;

    /// [`StoreError::Conflict`](crate::StoreError::Conflict) if the credential id is registered anywhere.
    async fn insert_passkey(&mut self, passkey: &PasskeyRecord) -> StoreResult<()>;

    /// Records a use: the counter only moves forward. False means another
    /// request already recorded a later (or equal, non-zero) counter.
    async fn use_passkey(
        &mut self,
        id: PasskeyId,
        sign_count: i64,
        credential: &str,
        backup_state: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn rename_passkey(
        &mut self,
        account: AccountId,
        id: PasskeyId,
        name: &str,
    ) -> StoreResult<bool>;

    async fn delete_passkey(&mut self, account: AccountId, id: PasskeyId) -> StoreResult<bool>;

    async fn delete_all_passkeys(&mut self, account: AccountId) -> StoreResult<u64>;

    async fn insert_ceremony(&mut self, id: &TokenHash, ceremony: &Ceremony) -> StoreResult<()>;

    /// Deletes and returns the unexpired ceremony of this kind: one winner.
    async fn consume_ceremony(
        &mut self,
        id: &TokenHash,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> StoreResult<Option<Ceremony>>;

    /// Forgets every expired ceremony.
    async fn prune_ceremonies(&mut self, now: Timestamp) -> StoreResult<()>;
}
