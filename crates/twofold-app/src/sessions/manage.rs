//! A session's life after sign-in: recognising it on each request, the
//! account's list, revoking, signing out, and sweeping expired rows.

use serde_json::json;
use twofold_core::SessionId;
use twofold_core::audit::EventKind;
use twofold_core::session::{TOUCH_INTERVAL, should_touch};
use twofold_core::token::SessionToken;
use twofold_store::Session;

use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// The live session a token names. Writes `last_seen_at` at most once a
    /// minute, so this is nearly always a single read.
    pub async fn authenticate(&self, token: &str) -> AppResult<Session> {
        let token = SessionToken::parse(token).ok_or(AppError::Unauthenticated)?;
        let now = self.clock.now();
        let session = self
            .store
            .session_by_token(&token.hash(), now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let lifetimes = &self.policy.sessions;
        if lifetimes.is_idle(session.remembered, session.last_seen_at, now) {
            return Err(AppError::Unauthenticated);
        }
        if should_touch(session.last_seen_at, now) {
            self.store
                .touch_session(session.id, now, now.minus(TOUCH_INTERVAL))
                .await?;
        }
        Ok(session)
    }

    /// Ends this session (signing out is not a revocation: no audit row).
    pub async fn sign_out(&self, session: &Session) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_session(session.account_id, session.id).await?;
        tx.commit().await?;
        tracing::info!(target: "security", account_id = %session.account_id, "signed out");
        Ok(())
    }

    /// Deletes rows that can never be used again (expired sessions,
    /// challenges, ceremonies, pending authenticators, day-old failures,
    /// ended lockouts) and audit events older than the retention period:
    /// the one way rows ever leave the audit log.
    pub async fn sweep_expired(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let audit_before = now.minus(self.policy.audit_retention);
        let mut tx = self.store.begin().await?;
        let deleted = tx.sweep_expired(now, audit_before).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// The account's live sessions, newest first.
    pub async fn sessions(&self, session: &Session) -> AppResult<Vec<Session>> {
        let now = self.clock.now();
        let mut sessions = self.store.sessions_of(session.account_id, now).await?;
        let lifetimes = &self.policy.sessions;
        sessions.retain(|s| !lifetimes.is_idle(s.remembered, s.last_seen_at, now));
        Ok(sessions)
    }

    /// Revokes one of the caller's sessions (possibly this one).
    pub async fn revoke_session(
        &self,
        session: &Session,
        id: SessionId,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_session(session.account_id, id).await? {
            return Err(AppError::NotFound("no such session"));
        }
        self.audit_own(
            &mut *tx,
            session.account_id,
            EventKind::SessionRevoked,
            ctx,
            json!({ "session_id": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every session of the caller but this one; returns how many.
    pub async fn revoke_other_sessions(
        &self,
        session: &Session,
        ctx: &RequestContext,
    ) -> AppResult<u64> {
        let mut tx = self.store.begin().await?;
        let count = tx
            .delete_other_sessions(session.account_id, session.id)
            .await?;
        if count > 0 {
            self.audit_own(
                &mut *tx,
                session.account_id,
                EventKind::SessionRevoked,
                ctx,
                json!({ "others": count }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(count)
    }
}
