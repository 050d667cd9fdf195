//! Adding a passkey: the options for the browser, then its credential.

use serde_json::{Value, json};
use twofold_core::PasskeyId;
use twofold_core::audit::EventKind;
use twofold_core::ceremony::CeremonyKind;
use twofold_core::factor::FactorName;
use twofold_core::token::CeremonyId;
use twofold_store::{PasskeyRecord, Session};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PasskeyRegistration, RegisterPublicKeyCredential,
};

use super::{AddedPasskey, DEFAULT_NAME, MAX_PASSKEYS, json_of, state_of};
use crate::factors::{final_name, invalid_name};
use crate::{App, AppError, AppResult, RequestContext};

fn too_many_passkeys() -> AppError {
    AppError::Conflict(format!("an account can have at most {MAX_PASSKEYS} passkeys").into())
}

impl App {
    /// Starts adding a passkey (step-up required).
    pub async fn start_passkey_registration(
        &self,
        session: &Session,
        name: Option<&str>,
    ) -> AppResult<(CeremonyId, CreationChallengeResponse)> {
        self.require_step_up(session)?;
        let name = FactorName::or_default(name, DEFAULT_NAME).map_err(invalid_name)?;
        let account = session.account_id;
        let existing = self.store.passkeys(account).await?;
        // An early answer, before the person touches their key; the count
        // that holds is taken again under the account lock at the finish.
        if existing.len() as u64 >= MAX_PASSKEYS {
            return Err(too_many_passkeys());
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
                CeremonyKind::Register,
                Some(account),
                Some(session.id),
                json_of::<PasskeyRegistration>(&state)?,
                Some(name.as_str().to_owned()),
            )
            .await?;
        Ok((id, options))
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
        let ceremony = self
            .take_ceremony(ceremony_id, CeremonyKind::Register)
            .await?;
        if ceremony.account_id != Some(session.account_id)
            || ceremony.session_id != Some(session.id)
        {
            return Err(AppError::CeremonyExpired);
        }
        let started = ceremony.name.clone();
        let name = final_name(name, started.unwrap_or_else(|| DEFAULT_NAME.to_owned()))?;
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
            id: PasskeyId::from_uuid(self.new_id()),
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
            return Err(too_many_passkeys());
        }
        let first = factors.adding_is_first();
        tx.insert_passkey(&record).await.map_err(|e| match e {
            twofold_store::StoreError::Conflict => {
                AppError::Conflict("this passkey is already registered".into())
            }
            other => other.into(),
        })?;
        let detail = json!({
            "passkey_id": record.id,
            "name": record.name,
            "synced": record.backup_state,
        });
        let recovery_codes = self
            .strong_factor_added(
                &mut *tx,
                session,
                first,
                EventKind::PasskeyAdded,
                detail,
                ctx,
            )
            .await?;
        self.factor_enrolled(&mut *tx, session).await?;
        tx.commit().await?;
        Ok(AddedPasskey {
            passkey: record,
            recovery_codes,
        })
    }
}
