//! The storage port of twofold: what the application needs from a database,
//! as two small traits ([`Store`] for single reads, [`Tx`] for one use case's
//! transaction), the models they speak, and the SQL both backends share.
//!
//! Backends: `twofold-sqlite` and `twofold-postgres`. Both pass the same
//! conformance suite (`conformance`, behind the feature of that name).

#[cfg(feature = "conformance")]
pub mod conformance;
mod models;
pub mod sql;

use async_trait::async_trait;
use twofold_core::token::TokenHash;
use twofold_core::{AccountId, Timestamp};
use uuid::Uuid;

pub use models::{Account, AccountRow, NewAccount, NewSession, Session, SessionRow};

/// What can go wrong below the application.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (e.g. an email already in use).
    #[error("conflict with an existing row")]
    Conflict,
    /// A stored value could not be read back (a bug or a hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database itself failed: unreachable, busy past its timeout, …
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A database. Reads that need no transaction go here; everything that
/// writes goes through [`Store::begin`].
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads then writes never
    /// fails half-way with "database is locked".
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;

    /// Applies the migrations this binary knows (idempotent).
    async fn migrate(&self) -> StoreResult<()>;

    /// Is the database reachable?
    async fn ping(&self) -> StoreResult<()>;

    async fn count_accounts(&self) -> StoreResult<i64>;
    async fn account_by_email(&self, normalized_email: &str) -> StoreResult<Option<Account>>;
    async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<Account>>;

    /// The unexpired session with this token hash, if any: the hot path of
    /// every authenticated request, one indexed read.
    async fn session_by_token(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>>;

    /// Records activity, but only if the stored `last_seen_at` is at or
    /// before `stale_before` (so at most one write a minute per session).
    async fn touch_session(
        &self,
        id: Uuid,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<()>;
}

/// One use case's transaction. Dropping it without [`Tx::commit`] rolls back.
#[async_trait]
pub trait Tx: Send {
    /// Creates an account; [`StoreError::Conflict`] if the email is taken.
    async fn insert_account(&mut self, account: &NewAccount) -> StoreResult<()>;

    /// Creates an account only if the instance has none yet. Returns whether
    /// it did; two racing callers cannot both succeed.
    async fn insert_first_account(&mut self, account: &NewAccount) -> StoreResult<bool>;

    async fn set_password_hash(&mut self, account: AccountId, phc: &str) -> StoreResult<()>;

    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()>;

    /// Deletes one of `account`'s sessions; returns whether it existed.
    async fn delete_session(&mut self, account: AccountId, id: Uuid) -> StoreResult<bool>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
