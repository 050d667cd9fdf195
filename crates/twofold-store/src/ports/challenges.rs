//! MFA challenges: a sign-in waiting for its second factor, single use.

use async_trait::async_trait;

use twofold_core::token::TokenHash;
use twofold_core::{AccountId, Timestamp};

use crate::{MfaChallenge, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait ChallengeReads: Send + Sync {
    /// The unexpired MFA challenge with this id hash.
    async fn mfa_challenge(
        &self,
        id: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<MfaChallenge>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait ChallengeTx: Send {
    async fn insert_mfa_challenge(
        &mut self,
        id: &TokenHash,
        challenge: &MfaChallenge,
    ) -> StoreResult<()>;

    /// Deletes and returns the unexpired challenge: exactly one caller wins.
    async fn consume_mfa_challenge(
        &mut self,
        id: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<MfaChallenge>>;

    /// Reserves one attempt on the unexpired challenge if it has fewer than
    /// `max`; returns the attempts so far, or `None` (unknown, expired or
    /// out of attempts).
    async fn reserve_challenge_attempt(
        &mut self,
        id: &TokenHash,
        now: Timestamp,
        max: i64,
    ) -> StoreResult<Option<i64>>;

    async fn delete_mfa_challenge(&mut self, id: &TokenHash) -> StoreResult<()>;

    /// Ends every open MFA challenge of the account; returns how many.
    async fn delete_mfa_challenges_of(&mut self, account: AccountId) -> StoreResult<u64>;
}
