//! Assertions: the options for signing in with a passkey alone, as the
//! second factor and for step-up, and verifying what the browser answers.

use serde_json::json;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::ceremony::CeremonyKind;
use twofold_core::factor::Method;
use twofold_core::throttle::Counter;
use twofold_core::token::{CeremonyId, ChallengeId};
use twofold_core::{AccountId, SessionId, Timestamp};
use twofold_store::{PasskeyRecord, Session, Tx};
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, PasskeyAuthentication, PublicKeyCredential,
    RequestChallengeResponse, WebauthnError,
};

use super::{json_of, passkey_of, state_of};
use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, RequestContext};

impl App {
    /// Options for signing in with a passkey alone (discoverable
    /// credentials, empty allow list). Anyone may ask, so each address may
    /// ask only so often (each ask stores a ceremony).
    pub async fn start_passwordless(
        &self,
        ctx: &RequestContext,
    ) -> AppResult<(CeremonyId, RequestChallengeResponse)> {
        let reserve = Reserve::per_address(Counter::PasskeyStartsPerAddress, ctx);
        // Every start counts, successful or not: the reservation is kept.
        let _counted = self.reserve(reserve, Refusal::anonymous(), ctx).await?;
        let (options, state) = self
            .rp()?
            .start_discoverable_authentication()
            .map_err(AppError::internal)?;
        let id = self
            .save_ceremony(
                CeremonyKind::Passwordless,
                None,
                None,
                json_of::<DiscoverableAuthentication>(&state)?,
                None,
            )
            .await?;
        Ok((id, options))
    }

    /// Options for a passkey as the second factor of a sign-in challenge,
    /// listing the account's credentials (so security keys without
    /// discoverable credentials work). The ceremony is named by the
    /// challenge itself: asking again replaces it.
    pub async fn start_mfa_passkey(
        &self,
        challenge_id: &str,
    ) -> AppResult<RequestChallengeResponse> {
        let token = ChallengeId::parse(challenge_id).ok_or(AppError::ChallengeExpired)?;
        let challenge = self
            .store
            .mfa_challenge(&token.hash(), self.clock.now())
            .await?
            .ok_or(AppError::ChallengeExpired)?;
        let (options, state) = self.account_assertion(challenge.account_id).await?;
        self.save_ceremony_as(
            &token.hash(),
            CeremonyKind::Mfa,
            Some(challenge.account_id),
            None,
            state,
            None,
        )
        .await?;
        Ok(options)
    }

    /// Options for step-up with a passkey on this session.
    pub async fn start_reauth_passkey(
        &self,
        session: &Session,
    ) -> AppResult<(CeremonyId, RequestChallengeResponse)> {
        self.start_account_assertion(CeremonyKind::Reauth, session.account_id, Some(session.id))
            .await
    }

    async fn start_account_assertion(
        &self,
        kind: CeremonyKind,
        account: AccountId,
        session: Option<SessionId>,
    ) -> AppResult<(CeremonyId, RequestChallengeResponse)> {
        let (options, state) = self.account_assertion(account).await?;
        let id = self
            .save_ceremony(kind, Some(account), session, state, None)
            .await?;
        Ok((id, options))
    }

    /// Request options listing the account's passkeys, and the state to keep.
    async fn account_assertion(
        &self,
        account: AccountId,
    ) -> AppResult<(RequestChallengeResponse, String)> {
        let passkeys = self
            .store
            .passkeys(account)
            .await?
            .iter()
            .map(passkey_of)
            .collect::<AppResult<Vec<_>>>()?;
        if passkeys.is_empty() {
            return Err(AppError::NotFound("this account has no passkey"));
        }
        let (options, state) = self
            .rp()?
            .start_passkey_authentication(&passkeys)
            .map_err(AppError::internal)?;
        Ok((options, json_of::<PasskeyAuthentication>(&state)?))
    }

    /// Verifies a passwordless assertion: the account it names, or an error.
    pub(crate) async fn verify_passwordless(
        &self,
        ceremony_id: &str,
        credential: &PublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<(AccountId, PasskeyRecord, AuthenticationResult)> {
        let ceremony = self
            .take_ceremony(ceremony_id, CeremonyKind::Passwordless)
            .await?;
        let state: DiscoverableAuthentication = state_of(&ceremony)?;
        let rp = self.rp()?;
        let (user, credential_id) = rp
            .identify_discoverable_authentication(credential)
            .map_err(|_| AppError::UnknownCredential)?;
        let record = self
            .store
            .passkey_by_credential_id(credential_id)
            .await?
            .ok_or(AppError::UnknownCredential)?;
        // The credential must belong to the account its user handle names.
        if self.store.webauthn_user_id(record.account_id).await? != Some(user) {
            return Err(AppError::UnknownCredential);
        }
        let passkey = passkey_of(&record)?;
        match rp.finish_discoverable_authentication_v2(credential, state, &passkey) {
            Ok(result) => Ok((record.account_id, record, result)),
            Err(e) => {
                self.passkey_failure(record.account_id, Some(&record), e, ctx)
                    .await?;
                Err(AppError::PasskeyRejected)
            }
        }
    }

    /// Verifies an assertion for a known account: `CeremonyKind::Mfa` (second
    /// factor) or `CeremonyKind::Reauth` (step-up, bound to `session`).
    pub(crate) async fn verify_account_assertion(
        &self,
        kind: CeremonyKind,
        ceremony_id: &str,
        account: AccountId,
        session: Option<SessionId>,
        credential: &PublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<(PasskeyRecord, AuthenticationResult)> {
        let ceremony = self.take_ceremony(ceremony_id, kind).await?;
        if ceremony.account_id != Some(account)
            || (kind == CeremonyKind::Reauth && ceremony.session_id != session)
        {
            return Err(AppError::CeremonyExpired);
        }
        let state: PasskeyAuthentication = state_of(&ceremony)?;
        let record = self
            .store
            .passkeys(account)
            .await?
            .into_iter()
            .find(|p| p.credential_id == credential.get_credential_id())
            .ok_or(AppError::UnknownCredential)?;
        match self.rp()?.finish_passkey_authentication(credential, &state) {
            Ok(result) => Ok((record, result)),
            Err(e) => {
                self.passkey_failure(account, Some(&record), e, ctx).await?;
                Err(AppError::PasskeyRejected)
            }
        }
    }

    /// Audits a refused assertion (`passkey.counter_regression` when the
    /// counter went back); the caller's reservation already counts it.
    async fn passkey_failure(
        &self,
        account: AccountId,
        record: Option<&PasskeyRecord>,
        error: WebauthnError,
        ctx: &RequestContext,
    ) -> AppResult<()> {
        let regression = matches!(error, WebauthnError::CredentialPossibleCompromise);
        let (kind, detail) = if regression {
            (
                EventKind::PasskeyCounterRegression,
                json!({ "passkey_id": record.map(|r| r.id) }),
            )
        } else {
            (
                EventKind::MfaChallengeFailed,
                json!({ "method": Method::Webauthn.as_str() }),
            )
        };
        tracing::warn!(target: "security", %account, error = %error, "passkey assertion refused");
        let event = self.event(kind, Some(account), Actor::Anonymous, ctx, detail);
        self.record_event(event).await
    }

    /// Records the use of a verified assertion inside `tx`: the counter only
    /// moves forward, by one conditional update.
    pub(crate) async fn record_passkey_use(
        &self,
        tx: &mut dyn Tx,
        record: &PasskeyRecord,
        result: &AuthenticationResult,
        now: Timestamp,
    ) -> AppResult<()> {
        let mut passkey = passkey_of(record)?;
        passkey.update_credential(result);
        let counter = i64::from(result.counter());
        if !tx
            .use_passkey(
                record.id,
                counter,
                &json_of(&passkey)?,
                result.backup_state(),
                now,
            )
            .await?
        {
            return Err(AppError::PasskeyRejected);
        }
        Ok(())
    }
}
