//! MFA required by role: each account's deadline to enrol a strong factor,
//! set once, the first time the requirement applies to it.

use async_trait::async_trait;

use twofold_core::{AccountId, Timestamp};

use crate::StoreResult;

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait MfaDeadlineReads: Send + Sync {
    /// The account's deadline, if the requirement ever applied to it.
    async fn mfa_deadline(&self, account: AccountId) -> StoreResult<Option<Timestamp>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait MfaDeadlineTx: Send {
    /// The account's deadline: the stored one, or `due` stored now when it
    /// has none. Never moves a stored deadline (so signing in again does
    /// not extend it), and two first sign-ins at once store one.
    async fn start_mfa_deadline(
        &mut self,
        account: AccountId,
        due: Timestamp,
    ) -> StoreResult<Timestamp>;
}
