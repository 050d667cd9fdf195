//! The account's second factors: the overview and authenticator apps.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use twofold_app::{RecoverySheet, TotpAuthenticator};
use twofold_core::TotpId;
use utoipa::ToSchema;

use super::views::RemoveOptions;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, ApiSession, Client, EnrollingSession, EnrollingStepUp,
    OptionalJson, RequireStepUp,
};
use crate::state::AppState;

/// An authenticator app, as its owner sees it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct AuthenticatorView {
    #[schema(value_type = Uuid)]
    id: TotpId,
    name: String,
    created_at: String,
    last_used_at: Option<String>,
}

impl From<&TotpAuthenticator> for AuthenticatorView {
    fn from(t: &TotpAuthenticator) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// `GET /me/mfa`: every second factor of the account.
#[derive(Serialize, ToSchema)]
pub struct MfaView {
    /// True exactly when a confirmed authenticator app or passkey exists.
    enabled: bool,
    totp: Vec<AuthenticatorView>,
    passkeys: Vec<super::passkeys::PasskeyView>,
    /// The recovery sheet, or null without one.
    recovery_codes: Option<RecoveryStatusView>,
}

/// How much of the recovery sheet is left.
#[derive(Serialize, ToSchema)]
pub struct RecoveryStatusView {
    remaining: i64,
    generated_at: String,
}

/// A new recovery sheet: shown exactly once.
#[derive(Serialize, ToSchema)]
pub struct SheetView {
    /// Ten codes, `xxxxx-xxxxx`; case, spaces and dashes do not matter on input.
    codes: Vec<String>,
    generated_at: String,
}

impl From<&RecoverySheet> for SheetView {
    fn from(sheet: &RecoverySheet) -> Self {
        Self {
            codes: sheet.codes.iter().map(|c| c.display()).collect(),
            generated_at: sheet.generated_at.to_rfc3339(),
        }
    }
}

/// The account's second factors.
#[utoipa::path(
    get, path = "/me/mfa", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = MfaView),
        (status = 401, description = "No valid session (`unauthenticated`)", body = ErrorBody),
    )
)]
pub async fn overview(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<MfaView>, ApiError> {
    let mfa = state.app.mfa_overview(session.account_id).await?;
    Ok(Json(MfaView {
        enabled: mfa.enabled(),
        totp: mfa.totp.iter().map(AuthenticatorView::from).collect(),
        passkeys: mfa
            .passkeys
            .iter()
            .map(super::passkeys::PasskeyView::from)
            .collect(),
        recovery_codes: mfa.recovery.map(|r| RecoveryStatusView {
            remaining: r.remaining,
            generated_at: r.generated_at.to_rfc3339(),
        }),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StartTotp {
    /// Default "Authenticator app".
    #[schema(value_type = Option<super::views::OptionalNameText>)]
    name: Option<String>,
}

/// A pending authenticator: show the QR code or the secret, then confirm
/// with a code before `expires_at`.
#[derive(Serialize, ToSchema)]
pub struct PendingView {
    #[schema(value_type = Uuid)]
    id: TotpId,
    /// Base32, no padding. Shown only now.
    secret: String,
    /// Key-URI format: `otpauth://totp/ISSUER:EMAIL?secret=…&issuer=ISSUER`.
    otpauth_uri: String,
    /// The URI as an inline SVG QR code.
    qr_svg: String,
    expires_at: String,
}

/// Start adding an authenticator app (step-up).
#[utoipa::path(
    post, path = "/me/mfa/totp", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    request_body(content = Option<StartTotp>, description = "Optional; an empty body is fine"),
    responses(
        (status = 201, body = PendingView),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 409, description = "Too many authenticators (`conflict`)", body = ErrorBody),
        (status = 422, description = "Bad name (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn start_totp(
    State(state): State<AppState>,
    EnrollingStepUp(session): EnrollingStepUp,
    OptionalJson(request): OptionalJson<StartTotp>,
) -> Result<(StatusCode, Json<PendingView>), ApiError> {
    let pending = state
        .app
        .start_totp(&session, request.name.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PendingView {
            id: pending.id,
            secret: pending.secret.base32(),
            otpauth_uri: pending.otpauth_uri,
            qr_svg: pending.qr_svg,
            expires_at: pending.expires_at.to_rfc3339(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotp {
    /// A current 6-digit code (spaces allowed).
    code: String,
    /// Replaces the name given at the start.
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmedView {
    authenticator: AuthenticatorView,
    /// The first recovery sheet's codes, when this was the first factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

/// Confirm a pending authenticator with a current code.
#[utoipa::path(
    post, path = "/me/mfa/totp/{id}/verify", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path)),
    request_body = ConfirmTotp,
    responses(
        (status = 200, body = ConfirmedView),
        (status = 400, description = "Malformed or wrong code (`invalid_code`); the pending authenticator stays", body = ErrorBody),
        (status = 404, description = "No such pending authenticator, or it expired (`not_found`)", body = ErrorBody),
    )
)]
pub async fn confirm_totp(
    State(state): State<AppState>,
    EnrollingSession(session): EnrollingSession,
    Client(ctx): Client,
    ApiPath(id): ApiPath<TotpId>,
    ApiJson(req): ApiJson<ConfirmTotp>,
) -> Result<Json<ConfirmedView>, ApiError> {
    let confirmed = state
        .app
        .confirm_totp(&session, id, &req.code, req.name.as_deref(), &ctx)
        .await?;
    Ok(Json(ConfirmedView {
        authenticator: AuthenticatorView::from(&confirmed.authenticator),
        recovery_codes: confirmed
            .recovery_codes
            .map(|sheet| sheet.codes.iter().map(|c| c.display()).collect()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    #[schema(value_type = super::views::NameText)]
    name: String,
}

/// Rename an authenticator app (step-up).
#[utoipa::path(
    patch, path = "/me/mfa/totp/{id}", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path)),
    request_body = Rename,
    responses(
        (status = 200, body = ConfirmedView),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such authenticator (`not_found`)", body = ErrorBody),
        (status = 422, description = "Bad name (`invalid_request`)", body = ErrorBody),
    )
)]
pub async fn rename_totp(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
    ApiPath(id): ApiPath<TotpId>,
    ApiJson(req): ApiJson<Rename>,
) -> Result<Json<ConfirmedView>, ApiError> {
    let renamed = state.app.rename_totp(&session, id, &req.name, &ctx).await?;
    Ok(Json(ConfirmedView {
        authenticator: AuthenticatorView::from(&renamed),
        recovery_codes: None,
    }))
}

/// Remove an authenticator app (step-up).
#[utoipa::path(
    delete, path = "/me/mfa/totp/{id}", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = Uuid, Path), RemoveOptions),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 404, description = "No such authenticator (`not_found`)", body = ErrorBody),
        (status = 409, description = "It is the last factor; repeat with `?confirm_last=true` (`last_factor`)", body = ErrorBody),
    )
)]
pub async fn remove_totp(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
    ApiPath(id): ApiPath<TotpId>,
    ApiQuery(options): ApiQuery<RemoveOptions>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .remove_totp(&session, id, options.confirm_last, &ctx)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new recovery sheet (step-up); the old one stops working.
#[utoipa::path(
    post, path = "/me/mfa/recovery-codes", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = SheetView),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
        (status = 409, description = "No authenticator app or passkey to back up (`no_strong_factor`)", body = ErrorBody),
    )
)]
pub async fn generate_recovery_codes(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
) -> Result<(StatusCode, Json<SheetView>), ApiError> {
    let sheet = state.app.generate_recovery_codes(&session, &ctx).await?;
    Ok((StatusCode::CREATED, Json(SheetView::from(&sheet))))
}

/// Disable two-factor authentication: every factor and the recovery sheet
/// are removed at once (step-up).
#[utoipa::path(
    delete, path = "/me/mfa", tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "MFA is off"),
        (status = 403, description = "Step up first (`reauth_required`)", body = ErrorBody),
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    RequireStepUp(session): RequireStepUp,
    Client(ctx): Client,
) -> Result<StatusCode, ApiError> {
    state.app.disable_mfa(&session, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
