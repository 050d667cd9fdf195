//! Housekeeping: the expiry sweep and the server key check.

use async_trait::async_trait;

use twofold_core::Timestamp;

use crate::StoreResult;

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait MaintenanceReads: Send + Sync {
    /// The stored key check: `(key id, check value)`, if set.
    async fn key_check(&self) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait MaintenanceTx: Send {
    /// Deletes what expired at or before `now` (sessions, challenges,
    /// ceremonies, pending authenticators, day-old failures, ended
    /// lockouts) and the audit events older than `audit_before` (the one
    /// way rows leave the audit log); returns how many rows went.
    async fn sweep_expired(&mut self, now: Timestamp, audit_before: Timestamp) -> StoreResult<u64>;

    /// Stores the key check unless one exists.
    async fn insert_key_check(&mut self, key_id: &[u8], check: &[u8]) -> StoreResult<()>;
}
