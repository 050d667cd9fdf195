//! Recovery codes: one sheet per account, each code single use.

use async_trait::async_trait;

use twofold_core::{AccountId, Timestamp};

use crate::StoreResult;

/// How much of a recovery sheet is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryStatus {
    pub remaining: i64,
    pub generated_at: Timestamp,
}

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait RecoveryReads: Send + Sync {
    /// The account's recovery sheet: codes left and when it was made; `None`
    /// without a sheet.
    async fn recovery_status(&self, account: AccountId) -> StoreResult<Option<RecoveryStatus>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait RecoveryTx: Send {
    /// Replaces the account's recovery sheet with these hashes.
    async fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        hashes: &[[u8; 32]],
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn delete_recovery_codes(&mut self, account: AccountId) -> StoreResult<()>;

    /// Marks an unused code used; false if there is none (wrong, or used).
    async fn use_recovery_code(
        &mut self,
        account: AccountId,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// As [`RecoveryReads::recovery_status`], inside the transaction.
    async fn recovery_status_in_tx(
        &mut self,
        account: AccountId,
    ) -> StoreResult<Option<RecoveryStatus>>;
}
