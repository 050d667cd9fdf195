//! Set-password links: one per account at most, single use, stored as the
//! hash of their token.

use async_trait::async_trait;

use twofold_core::token::TokenHash;
use twofold_core::{AccountId, Timestamp};

use crate::StoreResult;

/// A live set-password link: whose password it sets, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLink {
    pub account_id: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait PasswordLinkReads: Send + Sync {
    /// The unexpired link with this token hash; `None` when it is unknown,
    /// expired, used, or replaced by a newer one.
    async fn password_link(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<PasswordLink>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait PasswordLinkTx: Send {
    /// Gives the account this link, replacing any link it had: at most one
    /// link per account is ever live.
    async fn replace_password_link(
        &mut self,
        token: &TokenHash,
        link: &PasswordLink,
    ) -> StoreResult<()>;

    /// Deletes the unexpired link with this token hash and returns its
    /// account: of any number of callers at once, exactly one gets it.
    async fn consume_password_link(
        &mut self,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<AccountId>>;

    /// Deletes the account's link, if any; returns how many were deleted.
    async fn delete_password_links(&mut self, account: AccountId) -> StoreResult<u64>;
}
