//! Changing one's password.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_store::Session;

use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Replaces the password (step-up required), then signs out the
    /// account's other sessions: whoever knew the old one is out.
    pub async fn change_password(
        &self,
        session: &Session,
        current: SecretString,
        new: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<u64> {
        self.require_step_up(session)?;
        let new = self
            .judge_new_password(new, &session.account_email)
            .await?
            .map_err(|e| AppError::InvalidInput {
                field: "new_password",
                message: format!("new {e}"),
            })?;
        let keys = self.step_up_keys(session, ctx);
        self.check_limits(&keys).await?;
        if !self.password_matches(session, current).await? {
            let event = self.event(
                EventKind::ReauthFailed,
                Some(session.account_id),
                Actor::Myself,
                ctx,
                json!({ "method": "password", "during": "password change" }),
            );
            self.record_failure(&keys, event).await?;
            return Err(AppError::WrongProof);
        }
        let phc = self.passwords.hash(new).await?;
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(session.account_id, &phc).await?;
        let revoked = tx
            .delete_other_sessions(session.account_id, session.id)
            .await?;
        let event = self.event(
            EventKind::PasswordChanged,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({ "other_sessions_revoked": revoked }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
