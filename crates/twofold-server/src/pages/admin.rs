//! Administration → Users: the list of accounts (and its "Create user"
//! form) and one account's page, for owners and admins; on it, the owner's
//! controls (Disable MFA, the role, revoking tokens), disabling or enabling
//! the account and its set-password link. Each calls the same use case as
//! its API twin (`api/admin.rs`, `api/password_links.rs`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use twofold_app::{AppError, AuditEvent, IssuedLink, Policy, Session, UserDetail, UserQuery};
use twofold_core::audit::{Actor, EventKind};
use twofold_core::{AccessTokenId, AccountId, Role};
use uuid::Uuid;

use super::action::{NoFields, PageAction};
use super::paths;
use super::respond::{explain, failed, message, not_found, notice_at, render, see_other};
use crate::extract::SignedIn;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ADMIN_USERS, get(list))
        .route(paths::ADMIN_USER, get(detail))
        .route(paths::ADMIN_USER_MFA_DISABLE, post(disable_mfa))
        .route(paths::ADMIN_USER_ROLE, post(set_role))
        .route(
            paths::ADMIN_USER_NEW,
            get(|| async { see_other(paths::ADMIN_USERS) }).post(create_user),
        )
        .route(paths::ADMIN_USER_DISABLE, post(disable_user))
        .route(paths::ADMIN_USER_ENABLE, post(enable_user))
        .route(paths::ADMIN_USER_PASSWORD_LINK, post(issue_link))
        .route(paths::ADMIN_USER_TOKEN_REVOKE, post(revoke_token))
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
    /// The status filter: `any`, `active` or `disabled`.
    status: &'static str,
    users: Vec<UserRow>,
    /// The "Next page" link, filters kept; none on the last page.
    next: Option<String>,
    /// The roles two-factor authentication is required for ("admins,
    /// owners"); none when no role is.
    mfa_required: Option<String>,
    /// The grace period, in words ("7 days").
    mfa_grace: String,
    /// The "Create user" form.
    create: CreateForm,
}

/// The "Create user" form: the roles the viewer may create, and what was
/// typed when the form comes back with an error.
struct CreateForm {
    /// (role, selected).
    roles: Vec<(&'static str, bool)>,
    email: String,
    error: Option<String>,
}

struct UserRow {
    href: String,
    email: String,
    role: &'static str,
    mfa: bool,
    /// Required and not on: "required — due …" or "overdue since …".
    mfa_due: Option<String>,
    totp: u64,
    passkeys: u64,
    recovery_left: u64,
    created_at: String,
    last_sign_in: String,
    /// `active` or `disabled`.
    status: &'static str,
}

/// `?q=…&role=…&mfa=…&status=…&cursor=…`, as the filter form and the "Next page"
/// link write them (an empty value or `any` is no filter).
#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    mfa: Option<String>,
    status: Option<String>,
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

fn parse_status(text: Option<&str>) -> Result<Option<bool>, &'static str> {
    match text.unwrap_or_default() {
        "" | "any" => Ok(None),
        "active" => Ok(Some(false)),
        "disabled" => Ok(Some(true)),
        _ => Err("The status must be any, active or disabled."),
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
    let disabled = parse_status(query.status.as_deref()).map_err(bad_query)?;
    let after = parse_cursor(query.cursor.as_deref()).map_err(bad_query)?;
    let limit = parse_limit(query.limit.as_deref()).map_err(bad_query)?;
    let q = query.q.unwrap_or_default();
    let users_query = UserQuery {
        search: Some(q.clone()),
        role,
        mfa,
        disabled,
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
    let status = match disabled {
        None => "any",
        Some(false) => "active",
        Some(true) => "disabled",
    };
    let next = page.next.map(|cursor| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("q", &q)
            .append_pair("role", role)
            .append_pair("mfa", mfa)
            .append_pair("status", status);
        if let Some(limit) = limit {
            query.append_pair("limit", &limit.to_string());
        }
        query.append_pair("cursor", &cursor.uuid().hyphenated().to_string());
        format!("{}?{}", paths::ADMIN_USERS, query.finish())
    });
    let now = state.app.now();
    let policy = state.app.policy();
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
                mfa_due: due_in_words(page.mfa_required_of(u.id), u.mfa(), now),
                status: if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                },
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
        status,
        next,
        mfa_required: mfa_required_roles(policy),
        mfa_grace: in_words(policy.mfa_grace_period),
        create: CreateForm {
            roles: creatable(session.account_role)
                .iter()
                .map(|r| (*r, *r == "member"))
                .collect(),
            email: String::new(),
            error: None,
        },
    })
}

/// The MFA cell's note for an account the requirement applies to and that
/// has no factor (the app's `mfa_required_of`, as the API lists it).
fn due_in_words(
    requirement: twofold_app::UserMfaRequirement,
    mfa: bool,
    now: twofold_core::Timestamp,
) -> Option<String> {
    if !requirement.required || mfa {
        return None;
    }
    Some(match requirement.due {
        Some(due) if due <= now => format!("overdue since {}", due.to_human()),
        Some(due) => format!("required — due {}", due.to_human()),
        None => "required — the deadline starts at the next sign-in".to_owned(),
    })
}

/// The roles `viewer` may create (the app's rule, `App::create_user`, is
/// what decides: this only leaves out what would be refused).
fn creatable(viewer: Role) -> &'static [&'static str] {
    match viewer {
        Role::Owner => &ROLES,
        Role::Admin => &["member"],
        Role::Member => &[],
    }
}

/// "admins, owners": the roles the configuration requires two-factor
/// authentication for, in its order.
fn mfa_required_roles(policy: &Policy) -> Option<String> {
    let roles: Vec<String> = policy
        .mfa_required_roles
        .iter()
        .map(|r| format!("{}s", r.as_str()))
        .collect();
    (!roles.is_empty()).then(|| roles.join(", "))
}

/// A period in words, in its largest whole unit: "7 days", "36 hours".
fn in_words(period: std::time::Duration) -> String {
    let secs = period.as_secs();
    let (n, one, many) = if secs > 0 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day", "days")
    } else if secs > 0 && secs.is_multiple_of(3_600) {
        (secs / 3_600, "hour", "hours")
    } else if secs > 0 && secs.is_multiple_of(60) {
        (secs / 60, "minute", "minutes")
    } else {
        (secs, "second", "seconds")
    };
    counted(n, one, many)
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
    /// When it was disabled; none while it is active.
    disabled_at: Option<String>,
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
    /// Disable or enable the account, and its set-password link: owners for
    /// anyone but themselves, admins for members.
    manage: bool,
    /// An owner: a Revoke button per token.
    revoke_tokens: bool,
}

struct FactorRow {
    name: String,
    kind: &'static str,
    created_at: String,
    last_used_at: String,
}

/// A personal access token: never the token itself.
struct TokenRow {
    /// Where its Revoke button posts.
    revoke: String,
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
        Some("disabled") if account.is_disabled() => disabled_notice(&account.email, &events),
        Some("enabled") if !account.is_disabled() => Some(format!(
            "Account enabled: {} can sign in again.",
            account.email
        )),
        Some("token_revoked") => revoked_notice(&events),
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
    let manage = !own_page
        && match session.account_role {
            Role::Owner => true,
            Role::Admin => account.role == Role::Member,
            Role::Member => false,
        };
    let revoke_tokens = session.account_role == Role::Owner;
    UserPage {
        viewer: session.account_email.clone(),
        id: account.id.uuid().hyphenated().to_string(),
        email: account.email,
        role,
        created_at: account.created_at.to_human(),
        disabled_at: account.disabled_at.map(|at| at.to_human()),
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
                revoke: token_path(account.id, t.id),
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
        manage,
        revoke_tokens,
    }
}

/// Where the Revoke button of `token` of `account` posts.
fn token_path(account: AccountId, token: AccessTokenId) -> String {
    paths::ADMIN_USER_TOKEN_REVOKE
        .replace("{id}", &account.uuid().hyphenated().to_string())
        .replace("{token_id}", &token.uuid().hyphenated().to_string())
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

/// The notice after disabling, from the newest such event (what it ended
/// is recorded there).
fn disabled_notice(email: &str, events: &[AuditEvent]) -> Option<String> {
    let event = events
        .iter()
        .find(|e| e.kind == EventKind::AccountDisabled)?;
    let detail: serde_json::Value = serde_json::from_str(&event.detail).ok()?;
    let count = |name: &str| detail[name].as_u64().unwrap_or(0);
    Some(format!(
        "Account disabled: {email} can no longer sign in; {} and {} ended.",
        counted(count("sessions"), "session", "sessions"),
        counted(
            count("tokens"),
            "personal access token",
            "personal access tokens"
        ),
    ))
}

/// The notice after revoking a token: its name, from the newest such event.
fn revoked_notice(events: &[AuditEvent]) -> Option<String> {
    let event = events.iter().find(|e| e.kind == EventKind::TokenRevoked)?;
    let detail: serde_json::Value = serde_json::from_str(&event.detail).ok()?;
    Some(format!("Token {} revoked.", detail["name"].as_str()?))
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

// ------------------------------------------- accounts, links and tokens

#[derive(Deserialize)]
struct NewUserForm {
    email: Option<String>,
    role: Option<String>,
}

/// "Create user" on the list page, through the step-up screen when the
/// window is closed: the page with the new user's set-password link. A
/// taken or invalid email: the list with the form and its error, nothing
/// created.
async fn create_user(State(state): State<AppState>, a: PageAction<NewUserForm>) -> Response {
    let email = a.form.email.clone().unwrap_or_default();
    let role_text = a.form.role.clone().unwrap_or_default();
    let again = |status, error: String| {
        create_form_again(&state, &a.session, &email, &role_text, status, error)
    };
    let Ok(role) = role_text.parse::<Role>() else {
        let error = "The role must be owner, admin or member. Nobody was created.";
        return again(StatusCode::BAD_REQUEST, error.to_owned()).await;
    };
    match state
        .app
        .create_user(&a.session, &email, role, &a.ctx)
        .await
    {
        Ok(issued) => link_page(&state, &a.session, &issued, true),
        Err(e @ (AppError::Conflict(_) | AppError::InvalidInput { .. })) => {
            let (status, error) = explain(e);
            again(status, format!("{error} Nobody was created.")).await
        }
        Err(e) => a.refused(&state, "User not created", e).await,
    }
}

/// The list page with the "Create user" form as it was sent, and its error.
async fn create_form_again(
    state: &AppState,
    session: &Session,
    email: &str,
    role: &str,
    status: StatusCode,
    error: String,
) -> Response {
    match list_page(state, session, ListQuery::default()).await {
        Ok(mut page) => {
            page.create.email = email.to_owned();
            for (r, selected) in &mut page.create.roles {
                *selected = *r == role;
            }
            page.create.error = Some(error);
            render(status, &page)
        }
        Err(response) => response,
    }
}

#[derive(Template)]
#[template(path = "admin_link.html")]
struct LinkPage {
    viewer: String,
    /// A new user (else a link for an existing one).
    created: bool,
    email: String,
    href: String,
    url: String,
    expires_at: String,
}

/// The page that shows a set-password link, once: never cached.
fn link_page(state: &AppState, session: &Session, issued: &IssuedLink, created: bool) -> Response {
    let page = LinkPage {
        viewer: session.account_email.clone(),
        created,
        email: issued.account.email.clone(),
        href: paths::admin_user(issued.account.id),
        url: issued.url(&state.web.origin),
        expires_at: issued.expires_at.to_human(),
    };
    let mut response = render(StatusCode::OK, &page);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
struct DisableForm {
    confirm: Option<String>,
}

/// "Disable account": after the confirmation, through the step-up screen
/// when the window is closed; back to the user's page with what ended.
async fn disable_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    a: PageAction<DisableForm>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    if a.form.confirm.is_none() {
        let error = "Tick the confirmation to disable the account. Nothing was changed.";
        return user_page(&state, &a.session, id, None, Some(error.to_owned())).await;
    }
    match state.app.disable_user(&a.session, id, &a.ctx).await {
        Ok(_) => notice_at(&paths::admin_user(id), "disabled"),
        Err(e) => a.refused(&state, "Account not disabled", e).await,
    }
}

/// "Enable account", through the step-up screen when the window is closed.
async fn enable_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    a: PageAction<NoFields>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    match state.app.enable_user(&a.session, id, &a.ctx).await {
        Ok(_) => notice_at(&paths::admin_user(id), "enabled"),
        Err(e) => a.refused(&state, "Account not enabled", e).await,
    }
}

/// "Create a set-password link", through the step-up screen when the
/// window is closed: the page with the link.
async fn issue_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    a: PageAction<NoFields>,
) -> Response {
    let Some(id) = user_id(&id) else {
        return not_found().await;
    };
    match state
        .app
        .issue_password_link_for(&a.session, id, &a.ctx)
        .await
    {
        Ok(issued) => link_page(&state, &a.session, &issued, false),
        Err(e) => a.refused(&state, "No set-password link", e).await,
    }
}

/// An owner's "Revoke" of a user's token, through the step-up screen when
/// the window is closed; back to the user's page.
async fn revoke_token(
    State(state): State<AppState>,
    Path((id, token)): Path<(String, String)>,
    a: PageAction<NoFields>,
) -> Response {
    let (Some(id), Ok(token)) = (user_id(&id), Uuid::try_parse(&token)) else {
        return not_found().await;
    };
    let token = AccessTokenId::from_uuid(token);
    match state
        .app
        .revoke_access_token_of(&a.session, id, token, &a.ctx)
        .await
    {
        Ok(()) => notice_at(&paths::admin_user(id), "token_revoked"),
        Err(e) => a.refused(&state, "Token not revoked", e).await,
    }
}
