//! Administration → Users: the list of accounts and one account's page, for
//! owners and admins; on it, the owner's controls (Disable MFA, the role).
//! Each calls the same use case as its API twin (`api/admin.rs`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use twofold_app::{AppError, AuditEvent, Session, UserDetail, UserQuery};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::{AccountId, Role};
use uuid::Uuid;

use super::action::PageAction;
use super::paths;
use super::respond::{explain, failed, message, not_found, notice_at, render};
use crate::extract::SignedIn;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ADMIN_USERS, get(list))
        .route(paths::ADMIN_USER, get(detail))
        .route(paths::ADMIN_USER_MFA_DISABLE, post(disable_mfa))
        .route(paths::ADMIN_USER_ROLE, post(set_role))
}

/// The roles a select offers, in order.
const ROLES: [&str; 3] = ["owner", "admin", "member"];

// ---------------------------------------------------------------- the list

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    viewer: String,
    q: String,
    role: &'static str,
    mfa: &'static str,
    users: Vec<UserRow>,
    /// The "Next page" link, filters kept; none on the last page.
    next: Option<String>,
}

struct UserRow {
    href: String,
    email: String,
    role: &'static str,
    mfa: bool,
    totp: u64,
    passkeys: u64,
    recovery_left: u64,
    created_at: String,
    last_sign_in: String,
}

/// `?q=…&role=…&mfa=…&cursor=…`, as the filter form and the "Next page"
/// link write them (an empty value or `any` is no filter).
#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    mfa: Option<String>,
    cursor: Option<String>,
    /// Page size (1–200, default 50): not on the form, kept by "Next page".
    limit: Option<String>,
}

/// A query the page cannot read: the message page, `400`.
fn bad_query(detail: &str) -> Response {
    message(StatusCode::BAD_REQUEST, "Bad search", detail)
}

fn parse_role(text: Option<&str>) -> Result<Option<Role>, &'static str> {
    match text.unwrap_or_default() {
        "" | "any" => Ok(None),
        other => other
            .parse()
            .map(Some)
            .map_err(|_| "The role must be any, owner, admin or member."),
    }
}

fn parse_mfa(text: Option<&str>) -> Result<Option<bool>, &'static str> {
    match text.unwrap_or_default() {
        "" | "any" => Ok(None),
        "on" => Ok(Some(true)),
        "off" => Ok(Some(false)),
        _ => Err("The two-factor filter must be any, on or off."),
    }
}

fn parse_limit(text: Option<&str>) -> Result<Option<u32>, &'static str> {
    match text.unwrap_or_default() {
        "" => Ok(None),
        other => other
            .parse()
            .map(Some)
            .map_err(|_| "The page size must be a number."),
    }
}

fn parse_cursor(text: Option<&str>) -> Result<Option<AccountId>, &'static str> {
    match text.unwrap_or_default() {
        "" => Ok(None),
        other => Uuid::try_parse(other)
            .map(|id| Some(AccountId::from_uuid(id)))
            .map_err(|_| "That page link is not valid. Start the search again."),
    }
}

async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_query("The search could not be read.");
    };
    match list_page(&state, &session, query).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(response) => response,
    }
}

async fn list_page(
    state: &AppState,
    session: &Session,
    query: ListQuery,
) -> Result<UsersPage, Response> {
    let role = parse_role(query.role.as_deref()).map_err(bad_query)?;
    let mfa = parse_mfa(query.mfa.as_deref()).map_err(bad_query)?;
    let after = parse_cursor(query.cursor.as_deref()).map_err(bad_query)?;
    let limit = parse_limit(query.limit.as_deref()).map_err(bad_query)?;
    let q = query.q.unwrap_or_default();
    let users_query = UserQuery {
        search: Some(q.clone()),
        role,
        mfa,
        disabled: None,
        after,
        limit,
    };
    let page = match state.app.list_users(session, &users_query).await {
        Ok(page) => page,
        // A search too long or a cursor of no account: a bad query string.
        Err(e @ AppError::InvalidInput { .. }) => return Err(bad_query(&explain(e).1)),
        Err(e) => return Err(failed("Users", e)),
    };
    let role = role.map_or("any", Role::as_str);
    let mfa = match mfa {
        None => "any",
        Some(true) => "on",
        Some(false) => "off",
    };
    let next = page.next.map(|cursor| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("q", &q)
            .append_pair("role", role)
            .append_pair("mfa", mfa);
        if let Some(limit) = limit {
            query.append_pair("limit", &limit.to_string());
        }
        query.append_pair("cursor", &cursor.uuid().hyphenated().to_string());
        format!("{}?{}", paths::ADMIN_USERS, query.finish())
    });
    Ok(UsersPage {
        viewer: session.account_email.clone(),
        users: page
            .users
            .iter()
            .map(|u| UserRow {
                href: paths::admin_user(u.id),
                email: u.email.clone(),
                role: u.role.as_str(),
                mfa: u.mfa(),
                totp: u.totp,
                passkeys: u.passkeys,
                recovery_left: u.recovery_codes_left,
                created_at: u.created_at.to_human(),
                last_sign_in: u
                    .last_sign_in
                    .map_or_else(|| "never".to_owned(), |at| at.to_human()),
            })
            .collect(),
        q,
        role,
        mfa,
        next,
    })
}

// ---------------------------------------------------------- one user's page

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    viewer: String,
    id: String,
    email: String,
    role: &'static str,
    created_at: String,
    notice: Option<String>,
    /// A form of this page refused (e.g. the confirmation not ticked).
    error: Option<String>,
    mfa_enabled: bool,
    factors: Vec<FactorRow>,
    recovery_left: i64,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
    events: Vec<EventRow>,
    /// The owner's controls: an owner, on someone else's page.
    owner_controls: bool,
    /// The viewer's own page: their factors are changed on Settings → Security.
    own_page: bool,
    /// The role select's options: (role, the user's role now).
    roles: Vec<(&'static str, bool)>,
}

struct FactorRow {
    name: String,
    kind: &'static str,
    created_at: String,
    last_used_at: String,
}

/// A personal access token: never the token itself.
struct TokenRow {
    name: String,
    prefix: String,
    scopes: String,
    created_at: String,
    expires_at: String,
    last_used: String,
}

struct SessionRow {
    device: String,
    ip: String,
    created_at: String,
    last_seen_at: String,
}

struct EventRow {
    kind: &'static str,
    what: &'static str,
    at: String,
    actor: String,
}

/// `?notice=…`: one of the page's own keys; the text comes from the
/// account and its audit log, never from the query.
#[derive(Deserialize)]
struct Notice {
    notice: Option<String>,
}

/// The id in a user's path, in any spelling a UUID has; anything else is
/// no page.
fn user_id(text: &str) -> Option<AccountId> {
    Uuid::try_parse(text).ok().map(AccountId::from_uuid)
}

async fn detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session): SignedIn,
    Query(notice): Query<Notice>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    user_page(&state, &session, id, notice.notice.as_deref(), None).await
}

/// The user's page, with the notice `key` and a form's `error` (`400`).
async fn user_page(
    state: &AppState,
    session: &Session,
    id: AccountId,
    key: Option<&str>,
    error: Option<String>,
) -> Response {
    let detail = match state.app.user_detail(session, id).await {
        Ok(detail) => detail,
        Err(e) => return failed("User", e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = load(state, session, detail, key, error).await;
    render(status, &page)
}

async fn load(
    state: &AppState,
    session: &Session,
    detail: UserDetail,
    key: Option<&str>,
    error: Option<String>,
) -> UserPage {
    let UserDetail {
        account,
        mfa,
        sessions,
        tokens,
        events,
    } = detail;
    let notice = match key {
        Some("mfa_reset") => reset_notice(&account.email, &events),
        Some("role_changed") => Some(format!(
            "Role changed: {} is now {}.",
            account.email, account.role
        )),
        _ => None,
    };
    let own_page = account.id == session.account_id;
    let role = account.role.as_str();
    let mut factors: Vec<FactorRow> = mfa
        .totp
        .iter()
        .map(|t| FactorRow {
            name: t.name.clone(),
            kind: "Authenticator app",
            created_at: t.created_at.to_human(),
            last_used_at: t
                .last_used_at
                .map_or_else(|| "never".to_owned(), |at| at.to_human()),
        })
        .collect();
    factors.extend(mfa.passkeys.iter().map(|p| {
        FactorRow {
            name: p.name.clone(),
            kind: if p.backup_state {
                "Passkey (synced)"
            } else {
                "Passkey"
            },
            created_at: p.created_at.to_human(),
            last_used_at: p
                .last_used_at
                .map_or_else(|| "never".to_owned(), |at| at.to_human()),
        }
    }));
    let mut actors = ActorNames::new(state, session);
    let mut event_rows = Vec::with_capacity(events.len());
    for e in &events {
        event_rows.push(EventRow {
            kind: e.kind.as_str(),
            what: e.kind.describe(),
            at: e.at.to_human(),
            actor: actors.name(e.actor).await,
        });
    }
    UserPage {
        viewer: session.account_email.clone(),
        id: account.id.uuid().hyphenated().to_string(),
        email: account.email,
        role,
        created_at: account.created_at.to_human(),
        notice,
        error,
        mfa_enabled: mfa.enabled(),
        factors,
        recovery_left: mfa.recovery.map_or(0, |r| r.remaining),
        sessions: sessions
            .iter()
            .map(|s| SessionRow {
                device: twofold_core::device::describe(s.user_agent.as_deref()),
                ip: s.ip.clone().unwrap_or_default(),
                created_at: s.created_at.to_human(),
                last_seen_at: s.last_seen_at.to_human(),
            })
            .collect(),
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                name: t.name.clone(),
                prefix: t.prefix.clone(),
                scopes: t.scopes.to_text(),
                created_at: t.created_at.to_human(),
                expires_at: t.expires_at.to_human(),
                last_used: t.last_used_at.map_or_else(
                    || "never".to_owned(),
                    |at| match &t.last_used_ip {
                        Some(ip) => format!("{} from {ip}", at.to_human()),
                        None => at.to_human(),
                    },
                ),
            })
            .collect(),
        events: event_rows,
        owner_controls: session.account_role == Role::Owner && !own_page,
        own_page,
        roles: ROLES.iter().map(|r| (*r, *r == role)).collect(),
    }
}

/// Who did it, in words: emails looked up once each.
struct ActorNames<'a> {
    state: &'a AppState,
    viewer: AccountId,
    known: HashMap<AccountId, String>,
}

impl<'a> ActorNames<'a> {
    fn new(state: &'a AppState, session: &Session) -> Self {
        Self {
            state,
            viewer: session.account_id,
            known: HashMap::new(),
        }
    }

    async fn name(&mut self, actor: Actor) -> String {
        match actor {
            Actor::Myself => "the user".to_owned(),
            Actor::Cli => "the operator (command line)".to_owned(),
            Actor::Anonymous => "someone not signed in".to_owned(),
            Actor::Account(id) if id == self.viewer => "you".to_owned(),
            Actor::Account(id) => {
                if let Some(name) = self.known.get(&id) {
                    return name.clone();
                }
                let name = match self.state.app.account(id).await {
                    Ok(account) => account.email,
                    Err(_) => "a deleted account".to_owned(),
                };
                self.known.insert(id, name.clone());
                name
            }
        }
    }
}

/// The notice after a reset, from the newest reset in the account's audit
/// log (what it removed is recorded there).
fn reset_notice(email: &str, events: &[AuditEvent]) -> Option<String> {
    let event = events.iter().find(|e| e.kind == EventKind::MfaReset)?;
    let detail: serde_json::Value = serde_json::from_str(&event.detail).ok()?;
    let removed = &detail["removed"];
    let count = |name: &str| removed[name].as_u64().unwrap_or(0);
    Some(format!(
        "Two-factor authentication turned off for {email}: removed {}, {}, {}; {} ended.",
        counted(count("totp"), "authenticator app", "authenticator apps"),
        counted(count("passkeys"), "passkey", "passkeys"),
        counted(count("recovery_codes"), "recovery code", "recovery codes"),
        counted(count("sessions"), "session", "sessions"),
    ))
}

fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ------------------------------------------------------ the owner's controls

#[derive(Deserialize)]
struct ResetForm {
    confirm: Option<String>,
}

/// "Disable MFA": after the confirmation, through the step-up screen when
/// the window is closed; back to the user's page with what was removed.
async fn disable_mfa(
    State(state): State<AppState>,
    Path(id): Path<String>,
    a: PageAction<ResetForm>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    if a.form.confirm.is_none() {
        let error =
            "Tick the confirmation to turn off two-factor authentication. Nothing was removed.";
        return user_page(&state, &a.session, id, None, Some(error.to_owned())).await;
    }
    match state.app.reset_mfa_of(&a.session, id, &a.ctx).await {
        Ok(_) => notice_at(&paths::admin_user(id), "mfa_reset"),
        Err(e) => {
            a.refused(&state, "Two-factor authentication not turned off", e)
                .await
        }
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: Option<String>,
}

/// "Change role", through the step-up screen when the window is closed.
async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    a: PageAction<RoleForm>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    let Ok(role) = a.form.role.as_deref().unwrap_or_default().parse::<Role>() else {
        return message(
            StatusCode::BAD_REQUEST,
            "Role not changed",
            "The role must be owner, admin or member.",
        );
    };
    match state.app.set_role_of(&a.session, id, role, &a.ctx).await {
        Ok(_) => notice_at(&paths::admin_user(id), "role_changed"),
        Err(e) => a.refused(&state, "Role not changed", e).await,
    }
}
