//! Accounts: creating them, their password, and the lock and count that guard changes to their factors.

use async_trait::async_trait;

use twofold_core::factor::StrongFactors;
use twofold_core::{AccountId, Role, Timestamp};

use crate::{Account, AccountListQuery, AccountSummary, NewAccount, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait AccountReads: Send + Sync {
    async fn count_accounts(&self) -> StoreResult<i64>;

    async fn account_by_email(&self, normalized_email: &str) -> StoreResult<Option<Account>>;

    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>>;

    /// One page of the administration list, ordered by (normalized email, id).
    async fn list_accounts(&self, query: &AccountListQuery) -> StoreResult<Vec<AccountSummary>>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait AccountTx: Send {
    /// Creates an account; [`StoreError::Conflict`](crate::StoreError::Conflict) if the email is taken.
    async fn insert_account(&mut self, account: &NewAccount) -> StoreResult<()>;

    /// Creates an account only if the instance has none yet. Returns whether
    /// it did; two racing callers cannot both succeed.
    async fn insert_first_account(&mut self, account: &NewAccount) -> StoreResult<bool>;

    async fn set_password_hash(&mut self, account: AccountId, phc: &str) -> StoreResult<()>;

    /// Serialises changes to one account's factors: PostgreSQL locks the
    /// account row; SQLite's write transaction already excludes everyone.
    async fn lock_account(&mut self, account: AccountId) -> StoreResult<()>;

    /// Confirmed authenticators and passkeys, in one read (run it under the
    /// account lock when a decision depends on it).
    async fn strong_factors(&mut self, account: AccountId) -> StoreResult<StrongFactors>;

    /// Serialises every role change until the transaction ends, on every
    /// instance: the last-owner rule counts owners and then writes, and two
    /// owners demoting each other at once must not both see the other remain.
    async fn lock_roles(&mut self) -> StoreResult<()>;

    /// How many accounts are owners and not disabled (run it under
    /// [`Self::lock_roles`]).
    async fn count_active_owners(&mut self) -> StoreResult<i64>;

    /// Returns whether the account exists (and so now has `role`).
    async fn set_role(&mut self, account: AccountId, role: Role) -> StoreResult<bool>;

    /// Disables the account (`Some(at)`) or enables it (`None`). Returns
    /// whether the account exists.
    async fn set_disabled(
        &mut self,
        account: AccountId,
        disabled_at: Option<Timestamp>,
    ) -> StoreResult<bool>;

    /// The account as the transaction sees it (read it under
    /// [`Self::lock_account`] or [`Self::lock_roles`] when a decision
    /// depends on its status or role).
    async fn account_in_tx(&mut self, account: AccountId) -> StoreResult<Option<Account>>;
}
