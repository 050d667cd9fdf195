//! Passkeys and security keys (WebAuthn, via webauthn-rs): registration,
//! sign-in with a passkey alone, a passkey as the second factor, and step-up.
//!
//! Ceremony state lives in the database, never in the client: a random id
//! (stored hashed) names it, it expires in five minutes, and one
//! `DELETE … RETURNING` consumes it, so any instance can finish what another
//! started and no ceremony finishes twice. The relying-party id and origin
//! come from the configured public URL, never from a request.

use serde_json::{Value, json};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::factor::{FactorName, Method};
use twofold_core::session::{Aal, Amr};
use twofold_core::throttle::Counter;
use twofold_core::token::SessionToken;
use twofold_core::{AccountId, Timestamp};
use twofold_store::{Ceremony, PasskeyRecord, Session, Tx};
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::sessions::SignedInWith;
use crate::throttle::{Refusal, Reserve};
use crate::{App, AppError, AppResult, RequestContext};

/// How long a ceremony waits for the browser.
const CEREMONY_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// A sane bound: "as many as you like", within reason.
pub const MAX_PASSKEYS: u64 = 100;
const DEFAULT_NAME: &str = "Passkey";

/// The relying party for a public URL: its host is the RP ID, its origin
/// the only origin accepted. Subdomains and other ports are not.
pub fn relying_party(public_url: &Url, name: &str) -> Result<Webauthn, WebauthnError> {
    let rp_id = public_url.host_str().unwrap_or("localhost");
    WebauthnBuilder::new(rp_id, public_url)?
        .rp_name(name)
        .allow_subdomains(false)
        .allow_any_port(false)
        .build()
}

/// Where a ceremony may be finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Register,
    Passwordless,
    Mfa,
    Reauth,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Register => "register",
            Kind::Passwordless => "passwordless",
            Kind::Mfa => "mfa",
            Kind::Reauth => "reauth",
        }
    }
}

/// A new passkey, and the first recovery sheet if it was the first factor.
#[derive(Debug)]
pub struct AddedPasskey {
    pub passkey: PasskeyRecord,
    pub recovery_codes: Option<crate::RecoverySheet>,
}

fn json_of<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

fn state_of<T: serde::de::DeserializeOwned>(ceremony: &Ceremony) -> AppResult<T> {
    serde_json::from_str(&ceremony.state).map_err(AppError::internal)
}

fn passkey_of(record: &PasskeyRecord) -> AppResult<Passkey> {
    serde_json::from_str(&record.credential).map_err(AppError::internal)
}

impl App {
    fn rp(&self) -> AppResult<&Webauthn> {
        self.webauthn.as_deref().ok_or(AppError::Forbidden(
            "passkeys are not available: the public URL has no host",
        ))
    }

    async fn save_ceremony(
        &self,
        kind: Kind,
        account: Option<AccountId>,
        session: Option<Uuid>,
        state: String,
        name: Option<String>,
    ) -> AppResult<SessionToken> {
        let id = SessionToken::generate().map_err(AppError::internal)?;
        self.save_ceremony_as(&id, kind, account, session, state, name)
            .await?;
        Ok(id)
    }

    /// Saves a ceremony under a given id, replacing one of the same id.
    async fn save_ceremony_as(
        &self,
        id: &SessionToken,
        kind: Kind,
        account: Option<AccountId>,
        session: Option<Uuid>,
        state: String,
        name: Option<String>,
    ) -> AppResult<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.prune_ceremonies(now).await?;
        tx.consume_ceremony(&id.hash(), kind.as_str(), now).await?;
        tx.insert_ceremony(
            &id.hash(),
            &Ceremony {
                kind: kind.as_str().to_owned(),
                account_id: account,
                session_id: session,
                state,
                name,
                created_at: now,
                expires_at: now.plus(CEREMONY_LIFETIME),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Consumes a ceremony in a transaction of its own: once taken, it is
    /// spent, whether or not what the browser sent then verifies.
    async fn take_ceremony(&self, id: &str, kind: Kind) -> AppResult<Ceremony> {
        let token = SessionToken::parse(id).ok_or(AppError::CeremonyExpired)?;
        let mut tx = self.store.begin().await?;
        let ceremony = tx
            .consume_ceremony(&token.hash(), kind.as_str(), self.clock.now())
            .await?
            .ok_or(AppError::CeremonyExpired)?;
        tx.commit().await?;
        Ok(ceremony)
    }

    /// Starts adding a passkey (step-up required).
    pub async fn start_passkey_registration(
        &self,
        session: &Session,
        name: Option<&str>,
    ) -> AppResult<(SessionToken, CreationChallengeResponse)> {
        self.require_step_up(session)?;
        let name =
            FactorName::or_default(name, DEFAULT_NAME).map_err(|e| AppError::InvalidInput {
                field: "name",
                message: e.to_string(),
            })?;
        let account = session.account_id;
        let existing = self.store.passkeys(account).await?;
        // An early answer, before the person touches their key; the count
        // that holds is taken again under the account lock at the finish.
        if existing.len() as u64 >= MAX_PASSKEYS {
            return Err(AppError::Conflict(
                "an account can have at most 100 passkeys",
            ));
        }
        let user = self.webauthn_user(account).await?;
        let exclude = existing.iter().map(|p| p.credential_id.clone()).collect();
        let (mut options, state) = self
            .rp()?
            .start_passkey_registration(
                user,
                &session.account_email,
                &session.account_email,
                Some(exclude),
            )
            .map_err(AppError::internal)?;
        // Ask for a discoverable credential where the authenticator can make
        // one, so the passkey also works for sign-in without a password.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Preferred);
            selection.require_resident_key = false;
        }
        let id = self
            .save_ceremony(
                Kind::Register,
                Some(account),
                Some(session.id),
                json_of::<PasskeyRegistration>(&state)?,
                Some(name.as_str().to_owned()),
            )
            .await?;
        Ok((id, options))
    }

    /// The account's random WebAuthn user handle, made on first use.
    async fn webauthn_user(&self, account: AccountId) -> AppResult<Uuid> {
        if let Some(user) = self.store.webauthn_user_id(account).await? {
            return Ok(user);
        }
        let mut tx = self.store.begin().await?;
        tx.set_webauthn_user_id(account, Uuid::new_v4()).await?;
        tx.commit().await?;
        self.store
            .webauthn_user_id(account)
            .await?
            .ok_or(AppError::Internal(
                "no WebAuthn user handle after setting it".into(),
            ))
    }

    /// Finishes adding a passkey with the browser's `credential.toJSON()`.
    pub async fn finish_passkey_registration(
        &self,
        session: &Session,
        ceremony_id: &str,
        name: Option<&str>,
        credential: &RegisterPublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<AddedPasskey> {
        let ceremony = self.take_ceremony(ceremony_id, Kind::Register).await?;
        if ceremony.account_id != Some(session.account_id)
            || ceremony.session_id != Some(session.id)
        {
            return Err(AppError::CeremonyExpired);
        }
        let name = match name.filter(|n| !n.trim().is_empty()) {
            Some(n) => FactorName::parse(n)
                .map_err(|e| AppError::InvalidInput {
                    field: "name",
                    message: e.to_string(),
                })?
                .as_str()
                .to_owned(),
            None => ceremony
                .name
                .clone()
                .unwrap_or_else(|| DEFAULT_NAME.to_owned()),
        };
        let state: PasskeyRegistration = state_of(&ceremony)?;
        let passkey = self
            .rp()?
            .finish_passkey_registration(credential, &state)
            .map_err(|e| {
                tracing::info!(target: "security", error = %e, "passkey registration refused");
                AppError::InvalidInput {
                    field: "credential",
                    message: "the passkey could not be verified for this site".into(),
                }
            })?;
        let facts: Value = serde_json::to_value(&passkey).map_err(AppError::internal)?;
        let cred = &facts["cred"];
        let transports = cred["transports"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let now = self.clock.now();
        let record = PasskeyRecord {
            id: Uuid::now_v7(),
            account_id: session.account_id,
            credential_id: passkey.cred_id().to_vec(),
            credential: json_of(&passkey)?,
            sign_count: cred["counter"].as_i64().unwrap_or(0),
            backup_eligible: cred["backup_eligible"].as_bool().unwrap_or(false),
            backup_state: cred["backup_state"].as_bool().unwrap_or(false),
            transports,
            aaguid: ["Packed", "Tpm"].iter().find_map(|format| {
                cred["attestation"]["metadata"][format]["aaguid"]
                    .as_str()
                    .and_then(|text| Uuid::parse_str(text).ok())
            }),
            name,
            created_at: now,
            last_used_at: None,
        };

        let mut tx = self.store.begin().await?;
        tx.lock_account(session.account_id).await?;
        let factors = tx.strong_factors(session.account_id).await?;
        if factors.passkeys >= MAX_PASSKEYS {
            return Err(AppError::Conflict(
                "an account can have at most 100 passkeys",
            ));
        }
        let first = factors.adding_is_first();
        tx.insert_passkey(&record).await.map_err(|e| match e {
            twofold_store::StoreError::Conflict => {
                AppError::Conflict("this passkey is already registered")
            }
            other => other.into(),
        })?;
        let revoked = if first {
            self.end_weaker_sessions(&mut *tx, session).await?
        } else {
            0
        };
        let event = self.event(
            EventKind::PasskeyAdded,
            Some(session.account_id),
            Actor::Myself,
            ctx,
            json!({
                "passkey_id": record.id,
                "name": record.name,
                "synced": record.backup_state,
                "mfa_now_on": first,
                "other_sessions_revoked": revoked,
            }),
        );
        self.audit(&mut *tx, event).await?;
        let recovery_codes = if first {
            Some(
                self.write_sheet(&mut *tx, session.account_id, Actor::Myself, ctx)
                    .await?,
            )
        } else {
            None
        };
        tx.commit().await?;
        Ok(AddedPasskey {
            passkey: record,
            recovery_codes,
        })
    }

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

    /// Options for signing in with a passkey alone (discoverable
    /// credentials, empty allow list). Anyone may ask, so each address may
    /// ask only so often (each ask stores a ceremony).
    pub async fn start_passwordless(
        &self,
        ctx: &RequestContext,
    ) -> AppResult<(SessionToken, RequestChallengeResponse)> {
        let reserve = Reserve {
            keys: ctx
                .address_key(Counter::PasskeyStartsPerAddress)
                .into_iter()
                .collect(),
            ..Reserve::default()
        };
        // Every start counts, successful or not: the reservation is kept.
        let _counted = self.reserve(reserve, anonymous_refusal(), ctx).await?;
        let (options, state) = self
            .rp()?
            .start_discoverable_authentication()
            .map_err(AppError::internal)?;
        let id = self
            .save_ceremony(
                Kind::Passwordless,
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
        let token = SessionToken::parse(challenge_id).ok_or(AppError::ChallengeExpired)?;
        let challenge = self
            .store
            .mfa_challenge(&token.hash(), self.clock.now())
            .await?
            .ok_or(AppError::ChallengeExpired)?;
        let (options, state) = self.account_assertion(challenge.account_id).await?;
        self.save_ceremony_as(
            &token,
            Kind::Mfa,
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
    ) -> AppResult<(SessionToken, RequestChallengeResponse)> {
        self.start_account_assertion(Kind::Reauth, session.account_id, Some(session.id))
            .await
    }

    async fn start_account_assertion(
        &self,
        kind: Kind,
        account: AccountId,
        session: Option<Uuid>,
    ) -> AppResult<(SessionToken, RequestChallengeResponse)> {
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
        let ceremony = self.take_ceremony(ceremony_id, Kind::Passwordless).await?;
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

    /// Verifies an assertion for a known account: `Kind::Mfa` (second
    /// factor) or `Kind::Reauth` (step-up, bound to `session`).
    pub(crate) async fn verify_account_assertion(
        &self,
        kind: Kind,
        ceremony_id: &str,
        account: AccountId,
        session: Option<Uuid>,
        credential: &PublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<(PasskeyRecord, AuthenticationResult)> {
        let ceremony = self.take_ceremony(ceremony_id, kind).await?;
        if ceremony.account_id != Some(account)
            || (kind == Kind::Reauth && ceremony.session_id != session)
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

/// A refused unauthenticated attempt, audited as such.
fn anonymous_refusal() -> Refusal {
    Refusal {
        kind: EventKind::AttemptsThrottled,
        account: None,
        actor: Actor::Anonymous,
    }
}

impl App {
    /// Signs in with a passkey alone: a user-verified passkey is multi-factor
    /// on its own, so the session is aal 2 with amr `["hwk"]`. A passkey
    /// cannot be guessed, so no account's code limit refuses a valid one
    /// (whoever knows only the password cannot lock its owner out of
    /// phishing-resistant sign-in); refused assertions count per address.
    pub async fn sign_in_with_passkey(
        &self,
        ceremony_id: &str,
        credential: &PublicKeyCredential,
        ctx: &RequestContext,
    ) -> AppResult<crate::IssuedSession> {
        let reserve = Reserve {
            keys: ctx
                .address_key(Counter::PasskeyFailuresPerAddress)
                .into_iter()
                .collect(),
            ..Reserve::default()
        };
        let attempt = self.reserve(reserve, anonymous_refusal(), ctx).await?;
        let (account_id, record, result) = self
            .verify_passwordless(ceremony_id, credential, ctx)
            .await?;
        let account = self.account(account_id).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        self.release(&mut *tx, attempt).await?;
        self.record_passkey_use(&mut *tx, &record, &result, now)
            .await?;
        tx.reset_totp_failures(account_id).await?;
        let how = SignedInWith {
            aal: Aal::Two,
            amr: vec![Amr::Hwk],
            remember: false,
            passkey: Some(record.id),
        };
        self.finish_sign_in(tx, &account, how, ctx).await
    }
}
