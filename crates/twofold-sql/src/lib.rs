//! The SQL both backends run. The dialects agree on `$n` parameters,
//! `RETURNING` and `ON CONFLICT`, and every time is an integer of seconds,
//! so each statement is written once, here, beside its binds; what does
//! differ is the [`Dialect`] (and [`DialectTx`]) a backend implements.
//!
//! The statements are `macro_rules!`, one file per aggregate mirroring
//! `twofold_store::ports`: expanded in the backend crate, each call such as
//! `rows_affected()` resolves against that backend's concrete sqlx types,
//! with none of the higher-ranked bounds a generic `impl<D: Dialect>` would
//! need on every bound type and row. A backend calls [`implement!`] once.

mod access_tokens;
mod accounts;
mod applications;
mod audit;
mod challenges;
mod maintenance;
mod mfa_deadlines;
mod passkeys;
mod password_links;
mod recovery;
pub mod rows;
mod sessions;
mod throttle;
mod totp;

use async_trait::async_trait;
use twofold_core::AccountId;
use twofold_store::{StoreError, StoreResult};

/// What a backend's store supplies: its name, its pool, how it opens a
/// write transaction and how it migrates. Everything else is shared text.
#[async_trait]
pub trait Dialect: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`, as `Store::backend` reports it.
    const NAME: &'static str;

    /// The sqlx database the statements run on.
    type Db: sqlx::Database;

    /// The backend's open write transaction.
    type Tx: DialectTx<Db = Self::Db>;

    /// The pool, as the backend holds it.
    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    /// The pool, for a read outside any transaction: debug builds trip if
    /// this task has a transaction open (`twofold_store::tx_guard`), the
    /// pool deadlock that would otherwise show only under load.
    fn reader(&self) -> &sqlx::Pool<Self::Db> {
        twofold_store::tx_guard::assert_no_open_tx();
        self.pool()
    }

    /// Opens a write transaction that cannot fail half-way for want of the
    /// write lock (SQLite: `BEGIN IMMEDIATE`), marked open for the
    /// tx_guard until it drops.
    async fn begin_write(&self) -> StoreResult<Self::Tx>;

    /// Applies the backend's own migrations (idempotent).
    async fn run_migrations(&self) -> StoreResult<()>;
}

/// What a backend's open transaction supplies: the connection the shared
/// statements run on, its commit, and the three places where the dialects
/// serialise concurrent writers differently.
#[async_trait]
pub trait DialectTx: Send + 'static {
    type Db: sqlx::Database;

    /// The transaction's connection, for the shared statements.
    fn connection(&mut self) -> &mut <Self::Db as sqlx::Database>::Connection;

    /// Commits, releasing whatever the backend held for the transaction.
    async fn commit_write(self) -> StoreResult<()>;

    /// Serialises changes to one account's factors until the transaction
    /// ends (`AccountTx::lock_account`).
    async fn lock_account_row(&mut self, account: AccountId) -> StoreResult<()>;

    /// Serialises the count-and-reserve of one throttle key until the
    /// transaction ends (`ThrottleTx::lock_counter`).
    async fn lock_counter_key(&mut self, key: &str) -> StoreResult<()>;

    /// Makes the empty-table check of the first account atomic against a
    /// concurrent one (`AccountTx::insert_first_account`).
    async fn guard_first_account(&mut self) -> StoreResult<()>;

    /// Serialises role changes across instances until the transaction ends
    /// (`AccountTx::lock_roles`).
    async fn lock_role_changes(&mut self) -> StoreResult<()>;
}

/// The port's error for a driver error: a unique violation is the
/// [`StoreError::Conflict`] the use cases act on; anything else is the
/// database failing.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(Box::new(e)),
    }
}

/// Runs a write on `$connection` and tells whether it changed exactly one
/// row: how the statements that touch one row, and only if its rule allows,
/// report whether the rule allowed it. A macro, as the statements are, so
/// `rows_affected` resolves on the backend's own result type.
#[doc(hidden)]
#[macro_export]
macro_rules! changed_one_row {
    ($query:expr, $connection:expr) => {
        $query
            .execute($connection)
            .await
            .map_err($crate::store_error)?
            .rows_affected()
            == 1
    };
}

/// What the expansions of the aggregate macros name, reached through
/// `$crate` so the backend crate needs no imports of its own.
#[doc(hidden)]
pub mod macro_support {
    pub use async_trait::async_trait;
    pub use sqlx;
    pub use twofold_core::audit::EventKind;
    pub use twofold_core::ceremony::CeremonyKind;
    pub use twofold_core::factor::StrongFactors;
    pub use twofold_core::session::{Aal, amr_to_text};
    pub use twofold_core::token::TokenHash;
    pub use twofold_core::{
        AccessTokenId, AccountId, ApplicationId, EventId, PasskeyId, Role, SessionId, Timestamp,
        TotpId,
    };
    pub use twofold_store::PasswordLink;
    pub use twofold_store::prelude::*;
    pub use twofold_store::{
        AccessTokenGrant, AccessTokenRecord, Account, AccountListQuery, AccountSummary,
        ApplicationRecord, AuditEvent, Ceremony, EventQuery, Failures, MfaChallenge,
        NewAccessToken, NewAccount, NewSession, PasskeyRecord, RecoveryStatus, Session,
        StoreResult, TotpAuthenticator,
    };
    pub use uuid::Uuid;

    pub use crate::rows::*;
    pub use crate::{Dialect, DialectTx, store_error};
}

/// Implements `twofold_store::Store` for `$store` (a [`Dialect`] whose
/// `Tx` is `$tx`) and `twofold_store::Tx` for `$tx` (a [`DialectTx`]),
/// every aggregate's reads and writes included.
#[macro_export]
macro_rules! implement {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    <$store as Dialect>::NAME
                }

                async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
                    Ok(Box::new(self.begin_write().await?))
                }

                async fn migrate(&self) -> StoreResult<()> {
                    self.run_migrations().await
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1")
                        .execute(self.reader())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl Tx for $tx {
                async fn commit(self: Box<Self>) -> StoreResult<()> {
                    (*self).commit_write().await
                }
            }
        };
        $crate::accounts!($store, $tx);
        $crate::sessions!($store, $tx);
        $crate::audit!($store, $tx);
        $crate::throttle!($store, $tx);
        $crate::totp!($store, $tx);
        $crate::challenges!($store, $tx);
        $crate::recovery!($store, $tx);
        $crate::passkeys!($store, $tx);
        $crate::maintenance!($store, $tx);
        $crate::mfa_deadlines!($store, $tx);
        $crate::password_links!($store, $tx);
        $crate::access_tokens!($store, $tx);
        $crate::applications!($store, $tx);
    };
}
