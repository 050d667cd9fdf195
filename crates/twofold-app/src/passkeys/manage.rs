//! Renaming and removing passkeys.

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::FactorName;
use twofold_store::{PasskeyRecord, Session};
use uuid::Uuid;

use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Renames a passkey (step-up required).
    pub async fn rename_passkey(
        &self,
        session: &Session,
        id: Uuid,
        name: &str,
        ctx: &RequestContext,
    ) -> AppResult<PasskeyRecord> {
        self.require_step_up(session)?;
        let name = FactorName::parse(name).map_err(|e| AppError::InvalidInput {
            field: "name",
            message: e.to_string(),
        })?;
        let mut tx = self.store.begin().await?;
        if !tx
            .rename_passkey(session.account_id, id, name.as_str())
            .await?
        {
            return Err(AppError::NotFound("no such passkey"));
        }
        let event = self.event(
            EventKind::PasskeyRenamed,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({ "passkey_id": id, "name": name.as_str() }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        self.store
            .passkeys(session.account_id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound("no such passkey"))
    }

    /// Removes a passkey (step-up required); the last factor needs
    /// `confirm_last`, and takes the recovery sheet with it.
    pub async fn remove_passkey(
        &self,
        session: &Session,
        id: Uuid,
        confirm_last: bool,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.require_step_up(session)?;
        let account = session.account_id;
        let mut tx = self.store.begin().await?;
        tx.lock_account(account).await?;
        let before = tx.strong_factors(account).await?;
        if !tx.delete_passkey(account, id).await? {
            return Err(AppError::NotFound("no such passkey"));
        }
        let was_last = self
            .strong_factor_removed(&mut *tx, account, before, confirm_last)
            .await?;
        let event = self.event(
            EventKind::PasskeyRemoved,
            Some(account),
            Actor::Myself,
            ctx,
            json!({ "passkey_id": id, "mfa_now_off": was_last }),
        );
        self.audit(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
