//! What authenticator apps and passkeys share as strong factors: their
//! names, renaming and removing one, and what adding one turns on.

use serde_json::{Map, Value, json};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::{FactorName, FactorNameError};
use twofold_core::{PasskeyId, TotpId};
use twofold_store::Session;

use crate::{App, AppError, AppResult, RecoverySheet, RequestContext};

/// The strong factor a rename or removal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Factor {
    AuthenticatorApp(TotpId),
    Passkey(PasskeyId),
}

impl Factor {
    fn missing(self) -> AppError {
        AppError::NotFound(match self {
            Factor::AuthenticatorApp(_) => "no such authenticator",
            Factor::Passkey(_) => "no such passkey",
        })
    }

    /// The audit detail's key for the factor's id.
    fn id_key(self) -> &'static str {
        match self {
            Factor::AuthenticatorApp(_) => "authenticator_id",
            Factor::Passkey(_) => "passkey_id",
        }
    }

    fn renamed(self) -> EventKind {
        match self {
            Factor::AuthenticatorApp(_) => EventKind::TotpRenamed,
            Factor::Passkey(_) => EventKind::PasskeyRenamed,
        }
    }

    fn removed(self) -> EventKind {
        match self {
            Factor::AuthenticatorApp(_) => EventKind::TotpRemoved,
            Factor::Passkey(_) => EventKind::PasskeyRemoved,
        }
    }

    /// An audit detail naming the factor's id first, then `fields`.
    fn detail(self, fields: Value) -> Value {
        let id = match self {
            Factor::AuthenticatorApp(id) => json!(id),
            Factor::Passkey(id) => json!(id),
        };
        let mut detail = Map::new();
        detail.insert(self.id_key().to_owned(), id);
        if let Value::Object(fields) = fields {
            detail.extend(fields);
        }
        Value::Object(detail)
    }
}

pub(crate) fn invalid_name(e: FactorNameError) -> AppError {
    AppError::InvalidInput {
        field: "name",
        message: e.to_string(),
    }
}

/// The name a factor is saved with when its enrolment finishes: the one
/// typed now if any, else the one given when it started.
pub(crate) fn final_name(typed: Option<&str>, started: String) -> AppResult<String> {
    match typed.filter(|n| !n.trim().is_empty()) {
        Some(n) => Ok(FactorName::parse(n)
            .map_err(invalid_name)?
            .as_str()
            .to_owned()),
        None => Ok(started),
    }
}

impl App {
    /// Renames one of the session account's factors (step-up required).
    pub(crate) async fn rename_factor(
        &self,
        session: &Session,
        factor: Factor,
        name: &str,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.require_step_up(session)?;
        let name = FactorName::parse(name).map_err(invalid_name)?;
        let account = session.account_id;
        let mut tx = self.store.begin().await?;
        let renamed = match factor {
            Factor::AuthenticatorApp(id) => tx.rename_totp(account, id, name.as_str()).await?,
            Factor::Passkey(id) => tx.rename_passkey(account, id, name.as_str()).await?,
        };
        if !renamed {
            return Err(factor.missing());
        }
        let detail = factor.detail(json!({ "name": name.as_str() }));
        self.audit_own(&mut *tx, account, factor.renamed(), ctx, detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one of the session account's factors (step-up required).
    /// Removing the last strong one turns MFA off, so it needs
    /// `confirm_last`, and takes the recovery sheet with it.
    pub(crate) async fn remove_factor(
        &self,
        session: &Session,
        factor: Factor,
        confirm_last: bool,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.require_step_up(session)?;
        let account = session.account_id;
        let mut tx = self.store.begin().await?;
        // Counted under the account lock: two removals racing cannot both
        // see "one more remains" and leave none without confirmation.
        tx.lock_account(account).await?;
        let before = tx.strong_factors(account).await?;
        let removed = match factor {
            Factor::AuthenticatorApp(id) => tx.delete_totp(account, id).await?,
            Factor::Passkey(id) => tx.delete_passkey(account, id).await?,
        };
        if !removed {
            return Err(factor.missing());
        }
        // A pending enrolment is no strong factor: removing it turns nothing off.
        let was_strong = tx.strong_factors(account).await? != before;
        let was_last = was_strong
            && self
                .strong_factor_removed(&mut *tx, account, before, confirm_last)
                .await?;
        let detail = factor.detail(json!({ "mfa_now_off": was_last }));
        self.audit_own(&mut *tx, account, factor.removed(), ctx, detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audits a strong factor just added inside `tx` (`kind`, `detail`).
    /// When it is the account's first (`first`), MFA turns on: the account's
    /// weaker sessions end and the first recovery sheet is made, returned
    /// here.
    pub(crate) async fn strong_factor_added(
        &self,
        tx: &mut dyn twofold_store::Tx,
        session: &Session,
        first: bool,
        kind: EventKind,
        mut detail: Value,
        ctx: &RequestContext,
    ) -> AppResult<Option<RecoverySheet>> {
        let revoked = if first {
            self.end_weaker_sessions(tx, session).await?
        } else {
            0
        };
        detail["mfa_now_on"] = json!(first);
        detail["other_sessions_revoked"] = json!(revoked);
        self.audit_own(tx, session.account_id, kind, ctx, detail)
            .await?;
        if !first {
            return Ok(None);
        }
        let sheet = self
            .write_sheet(tx, session.account_id, Actor::Myself, ctx)
            .await?;
        Ok(Some(sheet))
    }
}
