//! Renaming and removing passkeys.

use twofold_core::PasskeyId;
use twofold_store::{PasskeyRecord, Session};

use crate::factors::Factor;
use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Renames a passkey (step-up required).
    pub async fn rename_passkey(
        &self,
        session: &Session,
        id: PasskeyId,
        name: &str,
        ctx: &RequestContext,
    ) -> AppResult<PasskeyRecord> {
        self.rename_factor(session, Factor::Passkey(id), name, ctx)
            .await?;
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
        id: PasskeyId,
        confirm_last: bool,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.remove_factor(session, Factor::Passkey(id), confirm_last, ctx)
            .await
    }
}
