//! Changing one's password.

use secrecy::SecretString;
use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::Method;
use twofold_store::Session;

use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Replaces the password (step-up required, and the current password
    /// again), then signs out the account's other sessions: whoever knew the
    /// old one is out.
    pub async fn change_password(
        &self,
        session: &Session,
        current: SecretString,
        new: SecretString,
        ctx: &RequestContext,
    ) -> AppResult<u64> {
        self.require_step_up(session)?;
        let reserve = Reserve {
            keys: self.step_up_keys(session, ctx),
            ..Reserve::default()
        };
        let refusal = Refusal::signed_in(session.account_id);
        let attempt = self.reserve(reserve, refusal, ctx).await?;
        let matched = self.password_matches(session, current).await;
        let (attempt, matched) = self.unless_failed(attempt, matched).await?;
        if !matched {
            let event = self.event(
                EventKind::ReauthFailed,
                Some(session.account_id),
                Actor::Myself,
                ctx,
                json!({ "method": Method::Password.as_str(), "during": "password change" }),
            );
            self.record_event(event).await?;
            return Err(AppError::WrongProof);
        }
        // Judged once the try is counted: the strength estimate waits in the
        // hashing queue too. A refused new password is not a wrong guess.
        let judged = self
            .judge_new_password(new, &session.account_email)
            .await
            .and_then(|rules| {
                rules.map_err(|e| AppError::InvalidInput {
                    field: "new_password",
                    message: format!("new {e}"),
                })
            });
        let (attempt, new) = self.unless_failed(attempt, judged).await?;
        let hashed = self.passwords.hash(new).await;
        let (attempt, phc) = self.unless_failed(attempt, hashed).await?;
        let mut tx = self.store.begin().await?;
        self.release(&mut *tx, attempt).await?;
        tx.set_password_hash(session.account_id, &phc).await?;
        let revoked = tx
            .delete_other_sessions(session.account_id, session.id)
            .await?;
        // Sign-ins waiting for a second factor got past the old password.
        tx.delete_mfa_challenges_of(session.account_id).await?;
        self.audit_own(
            &mut *tx,
            session.account_id,
            EventKind::PasswordChanged,
            ctx,
            json!({ "other_sessions_revoked": revoked }),
        )
        .await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
