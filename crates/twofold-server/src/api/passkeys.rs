//! Passkeys and security keys: registration, passwordless sign-in, the
//! second factor and step-up ceremonies. Options are webauthn-rs's JSON
//! (`{"publicKey": {…}}`), which browsers read with
//! `PublicKeyCredential.parseCreationOptionsFromJSON` / `…RequestOptions…`;
//! credentials are the browser's `credential.toJSON()`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use twofold_app::PasskeyRecord;
use twofold_core::PasskeyId;
use utoipa::ToSchema;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::sign_in::{active_session, challenge_from};
use super::views::RemoveOptions;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, ApiSession, Client, EnrollingSession, EnrollingStepUp,
    OptionalJson, RequireStepUp,
};
use crate::state::AppState;

/// A passkey, as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct PasskeyView {
    #[schema(value_type = Uuid)]
    id: PasskeyId,
    name: String,
    created_at: String,
    last_used_at: Option<String>,
    /// The credential says it is backed up (synced across devices).
    synced: bool,
}

impl From<&PasskeyRecord> for PasskeyView {
    fn from(p: &PasskeyRecord) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            created_at: p.created_at.to_rfc3339(),
            last_used_at: p.last_used_at.map(|at| at.to_rfc3339()),
            synced: p.backup_state,
        }
    }
}

/// `{ceremony_id, publicKey, …}`: webauthn-rs options plus the ceremony id.
fn with_ceremony(ceremony_id: &str, options: &impl Serialize) -> Result<Json<Value>, ApiError> {
    let mut value = serde_json::to_value(options).map_err(twofold_app::AppError::internal)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("ceremony_id".into(), Value::String(ceremony_id.to_owned()));
    }
    Ok(Json(value))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistrationOptionsRequest {
    /// Default "Passkey".
    #[schema(value_type = Option<super::views::OptionalNameText>)]
    name: Option<String>,
}

/// Options to create a passkey (step-up): user verification required,
/// a discoverable credential preferred, the account's passkeys excluded.
#[utoipa::path(
    post, path = "/me/mfa/passkeys/options", tag = "passkeys",
    security(("bearer" = []), ("cookie" = [])),
    request_body(content = Option<RegistrationOptionsRequest>, description = "Optional"),
    responses(
        (status = 200, description = "`{ceremony_id, publicKey}` creation options", body = Object),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 409, description = "At most 100 passkeys (`conflict`)", body = ErrorBody),
        (status = 422, description = "Bad name (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn registration_options(
    State(state): State<AppState>,
    EnrollingStepUp(session): EnrollingStepUp,
    OptionalJson(request): OptionalJson<RegistrationOptionsRequest>,
) -> Result<Json<Value>, ApiError> {
    let (id, options) = state
        .app
        .start_passkey_registration(&session, request.name.as_deref())
        .await?;
    with_ceremony(id.expose(), &options)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    ceremony_id: String,
    /// 1–64 characters; defaults to the name given with the options.
    name: Option<String>,
    /// The browser's `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
}

#[derive(Serialize, ToSchema)]
pub struct AddedView {
    passkey: PasskeyView,
    /// The first recovery sheet's codes, when this was the first factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

/// Finish creating a passkey.
#[utoipa::path(
    post, path = "/me/mfa/passkeys", tag = "passkeys",
    security(("bearer" = []), ("cookie" = [])),
    request_body = RegisterRequest,
    responses(
        (status = 201, body = AddedView),
        (status = 400, description = "Malformed, or the ceremony is unknown, expired or spent (`ceremony_expired`)", body = ErrorBody),
        (status = 409, description = "Already registered, or at most 100 (`conflict`)", body = ErrorBody),
        (status = 422, description = "The credential did not verify (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    EnrollingSession(session): EnrollingSession,
    Client(ctx): Client,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AddedView>), ApiError> {
    let added = state
        .app
        .finish_passkey_registration(
            &session,
            &req.ceremony_id,
            req.name.as_deref(),
            &req.credential,
            &ctx,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedView {
            passkey: PasskeyView::from(&added.passkey),
            recovery_codes: added
                .recovery_codes
                .map(|sheet| sheet.codes.iter().map(|c| c.display()).collect()),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    #[schema(value_type = super::views::NameText)]
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasskeyAnswer {
    passkey: PasskeyView,
}

/// Rename a passkey (step-up).
#[utoipa::path(
    patch, path = "/me/mfa/passkeys/{id}", tag = "passkeys",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path)),
    request_body = Rename,
    responses(
        (status = 200, body = PasskeyAnswer),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such passkey (`not_found`)", body = ErrorBody),
        (status = 422, description = "Bad name (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn rename(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
    ApiPath(id): ApiPath<PasskeyId>,
    ApiJson(req): ApiJson<Rename>,
) -> Result<Json<PasskeyAnswer>, ApiError> {
    let passkey = state
        .app
        .rename_passkey(&session, id, &req.name, &ctx)
        .await?;
    Ok(Json(PasskeyAnswer {
        passkey: PasskeyView::from(&passkey),
    }))
}

/// Remove a passkey (step-up).
#[utoipa::path(
    delete, path = "/me/mfa/passkeys/{id}", tag = "passkeys",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path), RemoveOptions),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such passkey (`not_found`)", body = ErrorBody),
        (status = 409, description = "It is the last factor; repeat with `?confirm_last=true` (`last_factor`)", body = ErrorBody),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
    ApiPath(id): ApiPath<PasskeyId>,
    ApiQuery(options): ApiQuery<RemoveOptions>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .remove_passkey(&session, id, options.confirm_last, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Options to sign in with a passkey alone: discoverable credentials, an
/// empty allow list, and `mediation: "conditional"` for autofill.
#[utoipa::path(
    post, path = "/sessions/passkey/options", tag = "sessions",
    responses(
        (status = 200, description = "`{ceremony_id, publicKey, mediation}`", body = Object),
        (status = 429, description = "rate_limited: too many starts from this address", body = crate::error::ErrorBody),
    )
)]
pub async fn passwordless_options(
    State(state): State<AppState>,
    Client(ctx): Client,
) -> Result<Json<Value>, ApiError> {
    let (id, options) = state.app.start_passwordless(&ctx).await?;
    with_ceremony(id.expose(), &options)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertionRequest {
    ceremony_id: String,
    /// The browser's `credential.toJSON()`.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

/// Sign in with a passkey alone (aal 2, amr `["hwk"]`).
#[utoipa::path(
    post, path = "/sessions/passkey", tag = "sessions",
    request_body = AssertionRequest,
    responses(
        (status = 201, description = "Signed in; sets the session cookie", body = super::sign_in::ActiveSession),
        (status = 400, description = "Malformed, or the ceremony is unknown, expired or spent (`ceremony_expired`)", body = ErrorBody),
        (status = 401, description = "Not verified (`invalid_credentials`), or a credential this server does not know (`unknown_credential`)", body = ErrorBody),
        (status = 429, description = "Too many failures (`rate_limited`)", body = ErrorBody),
    )
)]
pub async fn passwordless(
    State(state): State<AppState>,
    Client(ctx): Client,
    ApiJson(req): ApiJson<AssertionRequest>,
) -> Result<Response, ApiError> {
    let issued = state
        .app
        .sign_in_with_passkey(&req.ceremony_id, &req.credential, &ctx)
        .await?;
    Ok(active_session(&state, issued))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MfaOptionsRequest {
    /// The sign-in challenge; a browser may leave it out (its cookie has it).
    challenge_id: Option<String>,
}

/// Options for a passkey as the second factor of a sign-in (the account's
/// credentials listed, so security keys without discoverable credentials work).
#[utoipa::path(
    post, path = "/sessions/mfa/webauthn/options", tag = "sessions",
    request_body(content = Option<MfaOptionsRequest>, description = "Optional for browsers"),
    responses(
        (status = 200, description = "`{publicKey}` request options", body = Object),
        (status = 401, description = "Unknown or expired challenge (`challenge_expired`)", body = ErrorBody),
        (status = 404, description = "The account has no passkey (`not_found`)", body = ErrorBody),
    )
)]
pub async fn mfa_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    OptionalJson(request): OptionalJson<MfaOptionsRequest>,
) -> Result<Json<Value>, ApiError> {
    let challenge_id = challenge_from(&state, &headers, request.challenge_id)?;
    let options = state.app.start_mfa_passkey(&challenge_id).await?;
    Ok(Json(
        serde_json::to_value(options).map_err(twofold_app::AppError::internal)?,
    ))
}

/// Options for step-up with a passkey on this session.
#[utoipa::path(
    post, path = "/sessions/current/reauth/webauthn/options", tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "`{ceremony_id, publicKey}` request options", body = Object),
        (status = 404, description = "The account has no passkey (`not_found`)", body = ErrorBody),
    )
)]
pub async fn reauth_options(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<Value>, ApiError> {
    let (id, options) = state.app.start_reauth_passkey(&session).await?;
    with_ceremony(id.expose(), &options)
}
