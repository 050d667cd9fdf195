//! Authenticator apps: enrolment, the replay guard, and the consecutive-failure cap.

use async_trait::async_trait;

use twofold_core::{AccountId, SessionId, Timestamp, TotpId};

use crate::{StoreResult, TotpAuthenticator};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait TotpReads: Send + Sync {
    /// The account's authenticator apps, confirmed and pending, oldest first.
    async fn totp_authenticators(&self, account: AccountId) -> StoreResult<Vec<TotpAuthenticator>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait TotpTx: Send {
    async fn insert_totp(&mut self, totp: &TotpAuthenticator) -> StoreResult<()>;

    /// Confirms a pending, unexpired authenticator that `session` started;
    /// false if there is none.
    async fn confirm_totp(
        &mut self,
        account: AccountId,
        session: SessionId,
        id: TotpId,
        name: &str,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// The replay guard: records `step` as used if it is later than the last
    /// accepted one. False means a replay (or no such authenticator).
    async fn use_totp_step(
        &mut self,
        account: AccountId,
        id: TotpId,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn rename_totp(
        &mut self,
        account: AccountId,
        id: TotpId,
        name: &str,
    ) -> StoreResult<bool>;

    async fn delete_totp(&mut self, account: AccountId, id: TotpId) -> StoreResult<bool>;

    /// Deletes every authenticator of the account; returns how many.
    async fn delete_all_totp(&mut self, account: AccountId) -> StoreResult<u64>;

    async fn delete_expired_pending_totp(
        &mut self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Confirmed authenticators plus enrolments still pending at `now`.
    async fn count_live_totp(&mut self, account: AccountId, now: Timestamp) -> StoreResult<i64>;

    /// Adds one to the account's consecutive TOTP attempts if it has fewer
    /// than `max`; returns the count, or `None` at the cap.
    async fn reserve_totp_attempt(
        &mut self,
        account: AccountId,
        max: i64,
    ) -> StoreResult<Option<i64>>;

    async fn reset_totp_failures(&mut self, account: AccountId) -> StoreResult<()>;
}
