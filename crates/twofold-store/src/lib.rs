//! The storage port of twofold: what the application needs from a database,
//! as two small traits ([`Store`] for single reads, [`Tx`] for one use case's
//! transaction), the models they speak, and the SQL both backends share.
//!
//! Backends: `twofold-sqlite` and `twofold-postgres`. Both pass the same
//! conformance suite (`conformance`, behind the feature of that name).

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(test)]
mod conformance_listing;
mod models;
pub mod sql;
mod sqlx_backend;
pub mod tx_guard;

use async_trait::async_trait;
use twofold_core::factor::StrongFactors;
use twofold_core::session::Aal;
use twofold_core::token::TokenHash;
use twofold_core::{AccountId, Timestamp};
use uuid::Uuid;

pub use models::{
    Account, AccountRow, AuditEvent, AuditEventRow, Ceremony, EventQuery, MfaChallenge,
    MfaChallengeRow, NewAccount, NewSession, PasskeyRecord, Session, SessionRow, TotpAuthenticator,
    TotpRow,
};
pub use twofold_core::throttle::Failures;

/// How much of a recovery sheet is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryStatus {
    pub remaining: i64,
    pub generated_at: Timestamp,
}

/// `(total, remaining, generated_at)` as the status query returns it.
pub fn recovery_status(row: (i64, i64, Option<i64>)) -> Option<RecoveryStatus> {
    let (total, remaining, generated_at) = row;
    (total > 0).then(|| RecoveryStatus {
        remaining,
        generated_at: Timestamp::from(generated_at.unwrap_or(0)),
    })
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

    /// The account's unexpired sessions, newest first.
    async fn sessions_of(&self, account: AccountId, now: Timestamp) -> StoreResult<Vec<Session>>;

    /// Audit events, newest first.
    async fn events(&self, query: &EventQuery) -> StoreResult<Vec<AuditEvent>>;

    /// The account's authenticator apps, confirmed and pending, oldest first.
    async fn totp_authenticators(&self, account: AccountId) -> StoreResult<Vec<TotpAuthenticator>>;

    /// The unexpired MFA challenge with this id hash.
    async fn mfa_challenge(
        &self,
        id: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<MfaChallenge>>;

    /// The account's recovery sheet: codes left and when it was made; `None`
    /// without a sheet.
    async fn recovery_status(&self, account: AccountId) -> StoreResult<Option<RecoveryStatus>>;

    /// The account's random WebAuthn user handle, once it has one.
    async fn webauthn_user_id(&self, account: AccountId) -> StoreResult<Option<Uuid>>;
    async fn account_by_webauthn_user(&self, user: Uuid) -> StoreResult<Option<Account>>;
    async fn passkeys(&self, account: AccountId) -> StoreResult<Vec<PasskeyRecord>>;
    async fn passkey_by_credential_id(
        &self,
        credential_id: &[u8],
    ) -> StoreResult<Option<PasskeyRecord>>;

    /// The stored key check: `(key id, check value)`, if set.
    async fn key_check(&self) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>>;

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

    /// Opens (or moves) the session's step-up window.
    async fn set_privileged_until(&mut self, session: Uuid, until: Timestamp) -> StoreResult<()>;

    /// Deletes every session of `account` except `keep`; returns how many.
    async fn delete_other_sessions(&mut self, account: AccountId, keep: Uuid) -> StoreResult<u64>;

    /// Deletes every session of `account` except `keep` that was signed in
    /// at an assurance level below `aal`; returns how many.
    async fn delete_other_sessions_below_aal(
        &mut self,
        account: AccountId,
        keep: Uuid,
        aal: Aal,
    ) -> StoreResult<u64>;

    /// Appends to the audit log.
    async fn insert_event(&mut self, event: &AuditEvent) -> StoreResult<()>;

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

    /// Serialises changes to one account's factors: PostgreSQL locks the
    /// account row; SQLite's write transaction already excludes everyone.
    async fn lock_account(&mut self, account: AccountId) -> StoreResult<()>;

    async fn insert_totp(&mut self, totp: &TotpAuthenticator) -> StoreResult<()>;

    /// Confirms a pending, unexpired authenticator that `session` started;
    /// false if there is none.
    async fn confirm_totp(
        &mut self,
        account: AccountId,
        session: Uuid,
        id: Uuid,
        name: &str,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// The replay guard: records `step` as used if it is later than the last
    /// accepted one. False means a replay (or no such authenticator).
    async fn use_totp_step(
        &mut self,
        account: AccountId,
        id: Uuid,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn rename_totp(&mut self, account: AccountId, id: Uuid, name: &str) -> StoreResult<bool>;
    async fn delete_totp(&mut self, account: AccountId, id: Uuid) -> StoreResult<bool>;
    /// Deletes every authenticator of the account; returns how many.
    async fn delete_all_totp(&mut self, account: AccountId) -> StoreResult<u64>;
    async fn delete_expired_pending_totp(
        &mut self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Confirmed authenticators plus enrolments still pending at `now`.
    async fn count_live_totp(&mut self, account: AccountId, now: Timestamp) -> StoreResult<i64>;

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

    /// Adds one to the account's consecutive TOTP attempts if it has fewer
    /// than `max`; returns the count, or `None` at the cap.
    async fn reserve_totp_attempt(
        &mut self,
        account: AccountId,
        max: i64,
    ) -> StoreResult<Option<i64>>;
    async fn reset_totp_failures(&mut self, account: AccountId) -> StoreResult<()>;

    /// Replaces the account's recovery sheet with these hashes.
    async fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        hashes: &[[u8; 32]],
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn delete_recovery_codes(&mut self, account: AccountId) -> StoreResult<()>;

    /// Marks an unused code used; false if there is none (wrong, or used).
    async fn use_recovery_code(
        &mut self,
        account: AccountId,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// As [`Store::recovery_status`], inside the transaction.
    async fn recovery_status_in_tx(
        &mut self,
        account: AccountId,
    ) -> StoreResult<Option<RecoveryStatus>>;

    /// Gives the account a WebAuthn user handle unless it has one.
    async fn set_webauthn_user_id(&mut self, account: AccountId, user: Uuid) -> StoreResult<()>;

    /// [`StoreError::Conflict`] if the credential id is registered anywhere.
    async fn insert_passkey(&mut self, passkey: &PasskeyRecord) -> StoreResult<()>;

    /// Records a use: the counter only moves forward. False means another
    /// request already recorded a later (or equal, non-zero) counter.
    async fn use_passkey(
        &mut self,
        id: Uuid,
        sign_count: i64,
        credential: &str,
        backup_state: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn rename_passkey(
        &mut self,
        account: AccountId,
        id: Uuid,
        name: &str,
    ) -> StoreResult<bool>;
    async fn delete_passkey(&mut self, account: AccountId, id: Uuid) -> StoreResult<bool>;
    async fn delete_all_passkeys(&mut self, account: AccountId) -> StoreResult<u64>;
    /// Confirmed authenticators and passkeys, in one read (run it under the
    /// account lock when a decision depends on it).
    async fn strong_factors(&mut self, account: AccountId) -> StoreResult<StrongFactors>;

    async fn insert_ceremony(&mut self, id: &TokenHash, ceremony: &Ceremony) -> StoreResult<()>;

    /// Deletes and returns the unexpired ceremony of this kind: one winner.
    async fn consume_ceremony(
        &mut self,
        id: &TokenHash,
        kind: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Ceremony>>;

    /// Forgets every expired ceremony.
    async fn prune_ceremonies(&mut self, now: Timestamp) -> StoreResult<()>;

    /// Deletes what expired at or before `now` (sessions, challenges,
    /// ceremonies, pending authenticators, day-old failures, ended
    /// lockouts) and the audit events older than `audit_before` (the one
    /// way rows leave the audit log); returns how many rows went.
    async fn sweep_expired(&mut self, now: Timestamp, audit_before: Timestamp) -> StoreResult<u64>;

    /// Stores the key check unless one exists.
    async fn insert_key_check(&mut self, key_id: &[u8], check: &[u8]) -> StoreResult<()>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
