//! Throttle counters: failed attempts under a key, their reservations, and lockouts.

use async_trait::async_trait;

use twofold_core::Timestamp;
use twofold_core::throttle::Failures;
use uuid::Uuid;

use crate::StoreResult;

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait ThrottleTx: Send {
    /// Serialises the reservations of one counter key until the end of the
    /// transaction: PostgreSQL takes an advisory lock on the key; SQLite's
    /// write transaction already excludes everyone.
    async fn lock_counter(&mut self, key: &str) -> StoreResult<()>;

    /// Failed (or reserved) attempts recorded under `key` after `since`.
    async fn failures(&mut self, key: &str, since: Timestamp) -> StoreResult<Failures>;

    /// Records an attempt under `key` (a reservation that stays a failure
    /// unless released), forgetting the key's rows at or before
    /// `forget_before` (they can no longer count).
    async fn record_failure(
        &mut self,
        key: &str,
        attempt: Uuid,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> StoreResult<()>;

    /// Gives a successful attempt's reservation under `key` back.
    async fn release_attempt(&mut self, key: &str, attempt: Uuid) -> StoreResult<()>;

    /// Counts a refused attempt under `key`, whose lockout lasts until
    /// `until`; true when this refusal starts a new lockout (audit it),
    /// false when it joins the running one.
    async fn note_refusal(
        &mut self,
        key: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;
}
