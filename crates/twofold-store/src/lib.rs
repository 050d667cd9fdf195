//! The storage port of twofold: what the application needs from a database,
//! as one read trait and one transaction trait per aggregate
//! ([`ports`]), gathered into [`Store`] (reads outside any transaction) and
//! [`Tx`] (one use case's transaction), and the models they speak. It knows
//! no database: the SQL both backends run is `twofold-sql`.
//!
//! Backends: `twofold-sqlite` and `twofold-postgres`. Both pass the same
//! conformance suite (`conformance`, behind the feature of that name).

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(test)]
mod conformance_listing;
mod models;
pub mod ports;
pub mod tx_guard;

use async_trait::async_trait;

pub use models::{
    AccessTokenGrant, AccessTokenRecord, Account, AccountListQuery, AccountSummary,
    ApplicationRecord, AuditEvent, Ceremony, EventQuery, MfaChallenge, NewAccessToken, NewAccount,
    NewSession, PasskeyRecord, Session, TotpAuthenticator,
};
pub use ports::password_links::PasswordLink;
pub use ports::recovery::RecoveryStatus;
pub use twofold_core::throttle::Failures;

use prelude::*;

/// Every port trait, so a caller writes `use twofold_store::prelude::*;` and
/// can call any method of a [`Store`] or a [`Tx`].
pub mod prelude {
    pub use crate::ports::access_tokens::{AccessTokenReads, AccessTokenTx};
    pub use crate::ports::accounts::{AccountReads, AccountTx};
    pub use crate::ports::applications::{ApplicationReads, ApplicationTx};
    pub use crate::ports::audit::{AuditReads, AuditTx};
    pub use crate::ports::challenges::{ChallengeReads, ChallengeTx};
    pub use crate::ports::maintenance::{MaintenanceReads, MaintenanceTx};
    pub use crate::ports::mfa_deadlines::{MfaDeadlineReads, MfaDeadlineTx};
    pub use crate::ports::passkeys::{PasskeyReads, PasskeyTx};
    pub use crate::ports::password_links::{PasswordLinkReads, PasswordLinkTx};
    pub use crate::ports::recovery::{RecoveryReads, RecoveryTx};
    pub use crate::ports::sessions::{SessionReads, SessionTx};
    pub use crate::ports::throttle::ThrottleTx;
    pub use crate::ports::totp::{TotpReads, TotpTx};
    pub use crate::{Store, Tx};
}

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
    /// Boxed, so the port names no driver.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A database. Reads that need no transaction come from the per-aggregate
/// read traits; everything that writes goes through [`Store::begin`].
#[async_trait]
pub trait Store:
    AccountReads
    + SessionReads
    + AuditReads
    + TotpReads
    + ChallengeReads
    + RecoveryReads
    + PasskeyReads
    + MaintenanceReads
    + MfaDeadlineReads
    + PasswordLinkReads
    + AccessTokenReads
    + ApplicationReads
    + Send
    + Sync
    + 'static
{
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
}

/// One use case's transaction. Dropping it without [`Tx::commit`] rolls back.
#[async_trait]
pub trait Tx:
    AccountTx
    + SessionTx
    + AuditTx
    + ThrottleTx
    + TotpTx
    + ChallengeTx
    + RecoveryTx
    + PasskeyTx
    + MaintenanceTx
    + MfaDeadlineTx
    + PasswordLinkTx
    + AccessTokenTx
    + ApplicationTx
    + Send
{
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
