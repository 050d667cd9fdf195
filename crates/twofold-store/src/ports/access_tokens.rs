//! Personal access tokens: found by their keyed hash, listed, revoked.

use async_trait::async_trait;

use twofold_core::token::TokenHash;
use twofold_core::{AccessTokenId, AccountId, Timestamp};

use crate::{AccessTokenGrant, AccessTokenRecord, NewAccessToken, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait AccessTokenReads: Send + Sync {
    /// The live token with this hash (not expired at `now`), with its account.
    async fn access_token_by_hash(
        &self,
        hash: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<AccessTokenGrant>>;

    /// The account's live tokens, newest first.
    async fn access_tokens_of(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<AccessTokenRecord>>;

    /// Records a use at `at` from `ip`, only if the token's last use is still
    /// `seen` (compare and set, so of many requests at once one writes).
    /// Returns whether it wrote.
    async fn record_access_token_use(
        &self,
        id: AccessTokenId,
        seen: Option<Timestamp>,
        at: Timestamp,
        ip: Option<&str>,
    ) -> StoreResult<bool>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait AccessTokenTx: Send {
    async fn insert_access_token(&mut self, token: &NewAccessToken) -> StoreResult<()>;

    /// How many live tokens the account has (run it under the account lock).
    async fn count_access_tokens(&mut self, account: AccountId, now: Timestamp)
    -> StoreResult<u64>;

    /// Deletes one of the account's tokens; the deleted token, if it was there.
    async fn delete_access_token(
        &mut self,
        account: AccountId,
        id: AccessTokenId,
    ) -> StoreResult<Option<AccessTokenRecord>>;

    /// Deletes every token of the account; returns how many.
    async fn delete_all_access_tokens(&mut self, account: AccountId) -> StoreResult<u64>;
}
