//! Sessions: the token lookup of every request, listing, revoking and the step-up window.

use async_trait::async_trait;

use twofold_core::session::Aal;
use twofold_core::token::TokenHash;
use twofold_core::{AccountId, SessionId, Timestamp};

use crate::{NewSession, Session, StoreResult};

/// Reads outside any transaction, implemented by the store.
#[async_trait]
pub trait SessionReads: Send + Sync {
    /// The unexpired session with this token hash, if any: the hot path of
    /// every authenticated request, one indexed read.
    async fn session_by_token(
        &self,
        token: &TokenHash,
        now: Timestamp,
    ) -> StoreResult<Option<Session>>;

    /// The account's unexpired sessions, newest first.
    async fn sessions_of(&self, account: AccountId, now: Timestamp) -> StoreResult<Vec<Session>>;

    /// Records activity, but only if the stored `last_seen_at` is at or
    /// before `stale_before` (so at most one write a minute per session).
    async fn touch_session(
        &self,
        id: SessionId,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<()>;
}

/// Writes (and reads that decide them) inside one use case's transaction.
#[async_trait]
pub trait SessionTx: Send {
    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()>;

    /// Deletes one of `account`'s sessions; returns whether it existed.
    async fn delete_session(&mut self, account: AccountId, id: SessionId) -> StoreResult<bool>;

    /// Opens (or moves) the session's step-up window.
    async fn set_privileged_until(
        &mut self,
        session: SessionId,
        until: Timestamp,
    ) -> StoreResult<()>;

    /// Deletes every session of `account` except `keep`; returns how many.
    async fn delete_other_sessions(
        &mut self,
        account: AccountId,
        keep: SessionId,
    ) -> StoreResult<u64>;

    /// Deletes every session of `account`, the caller's included; returns how
    /// many.
    async fn delete_all_sessions(&mut self, account: AccountId) -> StoreResult<u64>;

    /// Lets an enrolment-only session do everything again (its account has
    /// just enrolled a strong factor); returns whether it was enrolment-only.
    async fn clear_enrolment_only(&mut self, session: SessionId) -> StoreResult<bool>;

    /// Deletes every session of `account` except `keep` that was signed in
    /// at an assurance level below `aal`; returns how many.
    async fn delete_other_sessions_below_aal(
        &mut self,
        account: AccountId,
        keep: SessionId,
        aal: Aal,
    ) -> StoreResult<u64>;
}
