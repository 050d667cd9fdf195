//! Authenticator apps: enrolment (pending until a code confirms it), rename,
//! removal, and checking a code with the replay guard.

use serde_json::json;
use twofold_core::audit::EventKind;
use twofold_core::factor::FactorName;
use twofold_core::key::Purpose;
use twofold_core::totp::{CodeError, TotpSecret};
use twofold_core::{AccountId, Timestamp, TotpId};
use twofold_store::{Session, TotpAuthenticator, Tx};

use crate::factors::{Factor, final_name, invalid_name};
use crate::{App, AppError, AppResult, RequestContext};

/// How long an enrolment waits for its first code.
const PENDING_FOR: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// A generous bound on authenticators (confirmed and pending) per account.
const MAX_AUTHENTICATOR_APPS: i64 = 20;
const DEFAULT_NAME: &str = "Authenticator app";
/// One answer for an enrolment that is not pending (any more), or not this
/// session's.
const NO_PENDING: &str = "no such pending authenticator; it may have expired";

/// A new, unconfirmed authenticator: what the person scans or types.
#[derive(Debug)]
pub struct PendingTotp {
    pub id: TotpId,
    pub secret: TotpSecret,
    pub otpauth_uri: String,
    pub qr_svg: String,
    pub expires_at: Timestamp,
    pub name: String,
}

/// A confirmed authenticator, and the first recovery sheet when it was the
/// account's first strong factor.
#[derive(Debug)]
pub struct ConfirmedTotp {
    pub authenticator: TotpAuthenticator,
    pub recovery_codes: Option<crate::RecoverySheet>,
}

/// The outcome of checking a code against an account's authenticators.
pub(crate) enum CodeCheck {
    /// Accepted; its step is now used up.
    Accepted,
    /// Right code, but its step was already used: a replay.
    Replayed,
    Wrong,
}

fn aad(id: TotpId, account: AccountId) -> Vec<u8> {
    format!("totp|{id}|{account}").into_bytes()
}

/// Refuses a code that is not six digits (before any try is counted).
pub(crate) fn validate_code(code: &str) -> AppResult<()> {
    twofold_core::totp::normalize_code(code)
        .map(drop)
        .map_err(bad_code)
}

fn bad_code(e: CodeError) -> AppError {
    match e {
        CodeError::Malformed => AppError::BadCode("the code must be 6 digits"),
    }
}

impl App {
    /// Starts adding an authenticator app (step-up required).
    pub async fn start_totp(
        &self,
        session: &Session,
        name: Option<&str>,
    ) -> AppResult<PendingTotp> {
        self.require_step_up(session)?;
        let name = FactorName::or_default(name, DEFAULT_NAME).map_err(invalid_name)?;
        let now = self.clock.now();
        let id = TotpId::from_uuid(self.new_id());
        let secret = TotpSecret::generate().map_err(AppError::internal)?;
        let sealed = self
            .key
            .seal(
                Purpose::TotpSeal,
                secret.as_bytes(),
                &aad(id, session.account_id),
            )
            .map_err(AppError::internal)?;
        let expires_at = now.plus(PENDING_FOR);
        let mut tx = self.store.begin().await?;
        // Counted under the account lock: parallel starts cannot all see
        // room for one more.
        tx.lock_account(session.account_id).await?;
        tx.delete_expired_pending_totp(session.account_id, now)
            .await?;
        if tx.count_live_totp(session.account_id, now).await? >= MAX_AUTHENTICATOR_APPS {
            return Err(AppError::Conflict(
                format!("an account can have at most {MAX_AUTHENTICATOR_APPS} authenticator apps")
                    .into(),
            ));
        }
        tx.insert_totp(&TotpAuthenticator {
            id,
            account_id: session.account_id,
            name: name.as_str().to_owned(),
            secret_sealed: sealed,
            created_at: now,
            pending_until: Some(expires_at),
            pending_session_id: Some(session.id),
            confirmed_at: None,
            last_used_step: None,
            last_used_at: None,
        })
        .await?;
        tx.commit().await?;
        self.pending_view(
            id,
            secret,
            expires_at,
            name.as_str().to_owned(),
            &session.account_email,
        )
    }

    /// The enrolment details of a pending authenticator again (e.g. the page
    /// after a mistyped code). Only while it is pending and unexpired.
    pub async fn pending_totp(&self, session: &Session, id: TotpId) -> AppResult<PendingTotp> {
        let now = self.clock.now();
        let totp = self.started_enrolment(session, id, now).await?;
        let secret = self.open_secret(&totp)?;
        let expires_at = totp.pending_until.unwrap_or(now);
        self.pending_view(id, secret, expires_at, totp.name, &session.account_email)
    }

    /// The unexpired pending authenticator `id`, if `session` started it:
    /// another session of the account (a stolen cookie, say) is told there
    /// is no such enrolment, as if it named an unknown id.
    async fn started_enrolment(
        &self,
        session: &Session,
        id: TotpId,
        now: Timestamp,
    ) -> AppResult<TotpAuthenticator> {
        self.store
            .totp_authenticators(session.account_id)
            .await?
            .into_iter()
            .find(|t| {
                t.id == id
                    && t.confirmed_at.is_none()
                    && t.pending_until.is_some_and(|u| u > now)
                    && t.pending_session_id == Some(session.id)
            })
            .ok_or(AppError::NotFound(NO_PENDING))
    }

    fn pending_view(
        &self,
        id: TotpId,
        secret: TotpSecret,
        expires_at: Timestamp,
        name: String,
        email: &str,
    ) -> AppResult<PendingTotp> {
        let otpauth_uri = secret.otpauth_uri(&self.policy.issuer, email);
        let qr_svg = twofold_core::qr::svg(&otpauth_uri)
            .ok_or(AppError::Internal("QR code too long".into()))?;
        Ok(PendingTotp {
            id,
            secret,
            otpauth_uri,
            qr_svg,
            expires_at,
            name,
        })
    }

    /// Confirms a pending authenticator, from the session that started it,
    /// with a current code. The code's step is recorded, so it cannot be used
    /// again. When it is the account's first strong factor, MFA turns on:
    /// the first recovery sheet comes with it, and the account's other
    /// sessions signed in with less (a password alone, perhaps a stolen one)
    /// end.
    pub async fn confirm_totp(
        &self,
        session: &Session,
        id: TotpId,
        code: &str,
        name: Option<&str>,
        ctx: &RequestContext,
    ) -> AppResult<ConfirmedTotp> {
        let now = self.clock.now();
        let pending = self.started_enrolment(session, id, now).await?;
        let name = final_name(name, pending.name.clone())?;
        let secret = self.open_secret(&pending)?;
        let step = secret
            .verify(code, now)
            .map_err(bad_code)?
            .ok_or(AppError::BadCode(
                "the code is incorrect; check the time on your device and try the newest code",
            ))?;
        let mut tx = self.store.begin().await?;
        tx.lock_account(session.account_id).await?;
        let first = tx
            .strong_factors(session.account_id)
            .await?
            .adding_is_first();
        let step = i64::try_from(step).map_err(AppError::internal)?;
        if !tx
            .confirm_totp(session.account_id, session.id, id, &name, step, now)
            .await?
        {
            return Err(AppError::NotFound(NO_PENDING));
        }
        let detail = json!({ "authenticator_id": id, "name": name });
        let recovery_codes = self
            .strong_factor_added(&mut *tx, session, first, EventKind::TotpAdded, detail, ctx)
            .await?;
        self.factor_enrolled(&mut *tx, session).await?;
        tx.commit().await?;
        let authenticator = TotpAuthenticator {
            name,
            pending_until: None,
            pending_session_id: None,
            confirmed_at: Some(now),
            last_used_step: Some(step),
            last_used_at: Some(now),
            ..pending
        };
        Ok(ConfirmedTotp {
            authenticator,
            recovery_codes,
        })
    }

    /// Renames a confirmed authenticator (step-up required).
    pub async fn rename_totp(
        &self,
        session: &Session,
        id: TotpId,
        name: &str,
        ctx: &RequestContext,
    ) -> AppResult<TotpAuthenticator> {
        self.rename_factor(session, Factor::AuthenticatorApp(id), name, ctx)
            .await?;
        self.mfa_overview(session.account_id)
            .await?
            .totp
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(AppError::NotFound("no such authenticator"))
    }

    /// Removes an authenticator (step-up required). Removing the last second
    /// factor turns MFA off, so it needs `confirm_last`.
    pub async fn remove_totp(
        &self,
        session: &Session,
        id: TotpId,
        confirm_last: bool,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        self.remove_factor(session, Factor::AuthenticatorApp(id), confirm_last, ctx)
            .await
    }

    fn open_secret(&self, totp: &TotpAuthenticator) -> AppResult<TotpSecret> {
        self.key
            .open(
                Purpose::TotpSeal,
                &totp.secret_sealed,
                &aad(totp.id, totp.account_id),
            )
            .map(TotpSecret::from_bytes)
            .map_err(AppError::internal)
    }

    /// The account's confirmed authenticators (read before a transaction
    /// that checks a code against them).
    pub(crate) async fn confirmed_totp(
        &self,
        account: AccountId,
    ) -> AppResult<Vec<TotpAuthenticator>> {
        let mut all = self.store.totp_authenticators(account).await?;
        all.retain(|t| t.confirmed_at.is_some());
        Ok(all)
    }

    /// Checks `code` against `authenticators` (the account's confirmed
    /// ones) and, on a match, uses up its step inside `tx` (the replay
    /// guard: one conditional update, so parallel requests cannot both
    /// pass, and a removed authenticator matches nothing).
    pub(crate) async fn check_totp(
        &self,
        tx: &mut dyn Tx,
        account: AccountId,
        authenticators: &[TotpAuthenticator],
        code: &str,
    ) -> AppResult<CodeCheck> {
        let now = self.clock.now();
        validate_code(code)?;
        let mut replayed = false;
        for totp in authenticators {
            let secret = self.open_secret(totp)?;
            let Some(step) = secret.verify(code, now).map_err(bad_code)? else {
                continue;
            };
            let step = i64::try_from(step).map_err(AppError::internal)?;
            if tx.use_totp_step(account, totp.id, step, now).await? {
                return Ok(CodeCheck::Accepted);
            }
            replayed = true;
        }
        Ok(if replayed {
            CodeCheck::Replayed
        } else {
            CodeCheck::Wrong
        })
    }
}
