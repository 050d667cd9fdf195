//! Recovery codes: the sheet (made with the first strong factor, or on
//! request), and turning two-factor authentication off altogether.

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::recovery::{self, RecoveryCode};
use twofold_core::{AccountId, Timestamp};
use twofold_store::{Session, Tx};

use crate::{App, AppError, AppResult, RequestContext};

/// A new sheet: the codes in clear, shown exactly once.
#[derive(Debug)]
pub struct RecoverySheet {
    pub codes: Vec<RecoveryCode>,
    pub generated_at: Timestamp,
}

/// A typed recovery code, or the error that says what one looks like.
pub(crate) fn parse_code(typed: &str) -> AppResult<RecoveryCode> {
    RecoveryCode::parse(typed).ok_or(AppError::BadCode(
        "a recovery code has 10 letters and digits, like k7m2q-x9vfd",
    ))
}

impl App {
    /// Writes a new sheet for `account` inside `tx`, replacing any old one.
    pub(crate) async fn write_sheet(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        actor: Actor,
        ctx: &RequestContext,
    ) -> AppResult<RecoverySheet> {
        let codes = recovery::new_sheet().map_err(AppError::internal)?;
        let hashes: Vec<[u8; 32]> = codes.iter().map(|c| c.hash(&self.key, account)).collect();
        let now = self.clock.now();
        tx.replace_recovery_codes(account, &hashes, now).await?;
        let event = self.event(
            EventKind::RecoveryCodesGenerated,
            Some(account),
            actor,
            ctx,
            json!({ "codes": codes.len() }),
        );
        self.audit(tx, event).await?;
        Ok(RecoverySheet {
            codes,
            generated_at: now,
        })
    }

    /// A new sheet (step-up required); the old one stops working in the same
    /// transaction. Only beside an authenticator app or passkey.
    pub async fn generate_recovery_codes(
        &self,
        session: &Session,
        ctx: &RequestContext,
    ) -> AppResult<RecoverySheet> {
        self.require_step_up(session)?;
        let mut tx = self.store.begin().await?;
        tx.lock_account(session.account_id).await?;
        if !tx.strong_factors(session.account_id).await?.mfa_on() {
            return Err(AppError::NoStrongFactor);
        }
        let sheet = self
            .write_sheet(&mut *tx, session.account_id, Actor::Myself, ctx)
            .await?;
        tx.commit().await?;
        Ok(sheet)
    }

    /// "Disable two-factor authentication": every factor and the sheet go at
    /// once (step-up required).
    ///
    /// Unlike removing the last factor one at a time (which needs
    /// `confirm_last`), this asks for no further confirmation, by decision:
    /// turning MFA off is the whole, explicit intent of this call, where a
    /// removal may turn it off only as a side effect the person did not
    /// foresee; and the call already demands a fresh step-up. The page
    /// asks its own "are you sure" before calling; `DELETE /api/v1/me/mfa`
    /// does not, and must keep answering as it does.
    pub async fn disable_mfa(&self, session: &Session, ctx: &RequestContext) -> AppResult<()> {
        self.require_step_up(session)?;
        let mut tx = self.store.begin().await?;
        tx.lock_account(session.account_id).await?;
        let removed = tx.delete_all_totp(session.account_id).await?
            + tx.delete_all_passkeys(session.account_id).await?;
        tx.delete_recovery_codes(session.account_id).await?;
        tx.reset_totp_failures(session.account_id).await?;
        let tokens = tx.delete_all_access_tokens(session.account_id).await?;
        self.audit_own(
            &mut *tx,
            session.account_id,
            EventKind::MfaDisabled,
            ctx,
            json!({ "by": "self", "factors_removed": removed, "tokens_revoked": tokens }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses a recovery code of `account` inside `tx`: true if it was an
    /// unused code of this account (and now is used).
    pub(crate) async fn use_recovery_code(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        typed: &str,
    ) -> AppResult<bool> {
        let code = parse_code(typed)?;
        let hash = code.hash(&self.key, account);
        Ok(tx
            .use_recovery_code(account, &hash, self.clock.now())
            .await?)
    }
}
