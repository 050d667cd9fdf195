//! Settings → Security: the account, its password, its sessions, its
//! personal access tokens (the card is [`super::tokens`]'s), and its recent
//! security activity.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde::Deserialize;
use twofold_app::{AppError, Session};
use twofold_core::session::Amr;
use twofold_core::{PasskeyId, SessionId, TotpId};

use super::action::PageAction;
use super::paths;
use super::respond::{failed, notice, render, see_other};
use super::tokens::{self, Draft, TokensCard};
use crate::error::ApiError;
use crate::extract::{Client, SignedIn};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::SECURITY, get(page))
        .route(paths::PASSWORD, post(change_password))
        .route("/settings/security/sessions/{id}/revoke", post(revoke))
        .route(
            "/settings/security/sessions/revoke-others",
            post(revoke_others),
        )
}

/// How many events the activity list shows.
const RECENT_EVENTS: u32 = 15;
/// From this many recovery codes left down, the page urges a new sheet.
const FEW_RECOVERY_CODES: i64 = 3;

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    email: String,
    role: String,
    created_at: String,
    notice: Option<String>,
    mfa_enabled: bool,
    /// Authenticator apps and passkeys together (the last-factor warning).
    factor_count: u64,
    totp: Vec<TotpRow>,
    passkeys: Vec<PasskeyRow>,
    /// For the browser's signals to password managers.
    rp_id: String,
    webauthn_user: String,
    credential_ids: String,
    recovery_left: Option<i64>,
    recovery_generated: String,
    sessions: Vec<SessionRow>,
    tokens: TokensCard,
    events: Vec<EventRow>,
}

struct PasskeyRow {
    id: PasskeyId,
    name: String,
    created_at: String,
    last_used_at: String,
    synced: bool,
}

struct TotpRow {
    id: TotpId,
    name: String,
    created_at: String,
    last_used_at: String,
}

struct SessionRow {
    id: SessionId,
    device: String,
    ip: String,
    created_at: String,
    last_seen_at: String,
    current: bool,
}

struct EventRow {
    kind: &'static str,
    what: &'static str,
    at: String,
    ip: String,
}

/// `?notice=…`: one of a fixed set of keys (anything else shows nothing).
/// No text on the page ever comes from the query.
#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

fn notice_text(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "password_changed" => {
            Some("Your password was changed. Your other sessions were signed out.")
        }
        "session_revoked" => Some("That session was signed out."),
        "others_revoked" => Some("All your other sessions were signed out."),
        "totp_added" => Some("Authenticator app added. Two-factor authentication is on."),
        "totp_renamed" => Some("Authenticator app renamed."),
        "totp_removed" => Some("Authenticator app removed."),
        "passkey_added" => Some("Passkey added."),
        "passkey_renamed" => Some("Passkey renamed."),
        "passkey_removed" => Some("Passkey removed."),
        "mfa_disabled" => Some(
            "Two-factor authentication is off. Your authenticator apps and recovery codes were removed.",
        ),
        "token_revoked" => Some("Token revoked. It stopped working at once."),
        _ => None,
    }
}

/// For a session signed in with a recovery code, while few are left: from
/// the session and the live count, never from the request.
fn recovery_notice(session: &Session, remaining: Option<i64>) -> Option<String> {
    if !session.amr.contains(&Amr::Rc) {
        return None;
    }
    match remaining? {
        0 => Some("You used your last recovery code. Generate a new sheet now, below.".to_owned()),
        left if left <= FEW_RECOVERY_CODES => Some(format!(
            "You signed in with a recovery code: {left} left. Generate a new sheet soon."
        )),
        _ => None,
    }
}

async fn page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(notice): Query<Notice>,
) -> Response {
    let notice = notice_text(notice.notice.as_deref());
    show(&state, &session, notice, StatusCode::OK, Draft::default()).await
}

/// The page answered with `status`; `draft` is what the token form shows
/// (a refused form comes back with its reason and what was typed).
pub async fn show(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    status: StatusCode,
    draft: Draft,
) -> Response {
    match load(state, session, notice, draft).await {
        Ok(page) => render(status, &page),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn load(
    state: &AppState,
    session: &Session,
    notice: Option<&'static str>,
    draft: Draft,
) -> Result<SecurityPage, AppError> {
    let account = state.app.account(session.account_id).await?;
    let sessions = state.app.sessions(session).await?;
    let events = state
        .app
        .my_events(session, None, Some(RECENT_EVENTS))
        .await?;
    let mfa = state.app.mfa_overview(session.account_id).await?;
    let notice = notice
        .map(str::to_owned)
        .or_else(|| recovery_notice(session, mfa.recovery.map(|r| r.remaining)));
    Ok(SecurityPage {
        email: account.email,
        role: account.role.to_string(),
        created_at: account.created_at.to_human(),
        notice,
        mfa_enabled: mfa.enabled(),
        factor_count: mfa.strong_factors().total(),
        passkeys: mfa
            .passkeys
            .iter()
            .map(|p| PasskeyRow {
                id: p.id,
                name: p.name.clone(),
                created_at: p.created_at.to_human(),
                last_used_at: p
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |at| at.to_human()),
                synced: p.backup_state,
            })
            .collect(),
        rp_id: state.app.rp_id().unwrap_or_default(),
        webauthn_user: state
            .app
            .webauthn_user_handle(session.account_id)
            .await?
            .map(|u| URL_SAFE_NO_PAD.encode(u.as_bytes()))
            .unwrap_or_default(),
        credential_ids: mfa
            .passkeys
            .iter()
            .map(|p| URL_SAFE_NO_PAD.encode(&p.credential_id))
            .collect::<Vec<_>>()
            .join(","),
        recovery_left: mfa.recovery.map(|r| r.remaining),
        recovery_generated: mfa
            .recovery
            .map(|r| r.generated_at.to_human())
            .unwrap_or_default(),
        totp: mfa
            .totp
            .iter()
            .map(|t| TotpRow {
                id: t.id,
                name: t.name.clone(),
                created_at: t.created_at.to_human(),
                last_used_at: t
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |at| at.to_human()),
            })
            .collect(),
        sessions: sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id,
                device: twofold_core::device::describe(s.user_agent.as_deref()),
                ip: s.ip.clone().unwrap_or_default(),
                created_at: s.created_at.to_human(),
                last_seen_at: s.last_seen_at.to_human(),
                current: s.id == session.id,
            })
            .collect(),
        tokens: tokens::card(state, session, draft).await?,
        events: events
            .iter()
            .map(|e| EventRow {
                kind: e.kind.as_str(),
                what: e.kind.describe(),
                at: e.at.to_human(),
                ip: e.ip.clone().unwrap_or_default(),
            })
            .collect(),
    })
}

#[derive(Deserialize, Clone)]
struct PasswordForm {
    #[serde(default = "empty")]
    current_password: SecretString,
    #[serde(default = "empty")]
    new_password: SecretString,
}

fn empty() -> SecretString {
    SecretString::from(String::new())
}

/// The password form. Without an open step-up window it shows the step-up
/// screen, which comes back here with what was typed.
async fn change_password(State(state): State<AppState>, a: PageAction<PasswordForm>) -> Response {
    let PasswordForm {
        current_password,
        new_password,
    } = a.form.clone();
    let result = state
        .app
        .change_password(&a.session, current_password, new_password, &a.ctx)
        .await;
    a.answer(&state, result, "password_changed", "Password not changed")
        .await
}

async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    SignedIn(session): SignedIn,
    Client(ctx): Client,
) -> Response {
    match state.app.revoke_session(&session, id, &ctx).await {
        Ok(()) if id == session.id => see_other("/login"),
        Ok(()) => notice("session_revoked"),
        Err(e) => failed("Session not signed out", e),
    }
}

async fn revoke_others(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Client(ctx): Client,
) -> Response {
    match state.app.revoke_other_sessions(&session, &ctx).await {
        Ok(_) => notice("others_revoked"),
        Err(e) => failed("Sessions not signed out", e),
    }
}
