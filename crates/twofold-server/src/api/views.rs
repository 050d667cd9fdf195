//! The JSON shapes the API answers with, built from the records the app
//! returns, and the query options more than one route takes.

use serde::{Deserialize, Serialize};
use twofold_app::{AccessTokenRecord, Account, AuditEvent, Session};
use utoipa::ToSchema;

/// An account as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::AccountId,
    pub email: String,
    /// `owner`, `admin` or `member`.
    #[schema(value_type = String, example = "member")]
    pub role: twofold_core::Role,
    /// RFC 3339.
    pub created_at: String,
    /// `active`, or `disabled`: no session, and signing in is refused.
    #[schema(example = "active")]
    pub status: AccountStatus,
    /// When it was disabled (RFC 3339); null while it is active.
    pub disabled_at: Option<String>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id,
            email: a.email.clone(),
            role: a.role,
            created_at: a.created_at.to_rfc3339(),
            status: AccountStatus::of(a.disabled_at),
            disabled_at: a.disabled_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// Whether an account may sign in.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Disabled,
}

impl AccountStatus {
    pub fn of(disabled_at: Option<twofold_core::Timestamp>) -> Self {
        if disabled_at.is_some() {
            Self::Disabled
        } else {
            Self::Active
        }
    }
}

/// The account a session belongs to.
#[derive(Serialize, ToSchema)]
pub struct SessionAccount {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::AccountId,
    pub email: String,
    #[schema(value_type = String, example = "member")]
    pub role: twofold_core::Role,
}

/// A session, as its holder sees it.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::SessionId,
    pub account: SessionAccount,
    /// Authentication assurance level: 1 or 2.
    #[schema(value_type = u8, example = 1)]
    pub aal: twofold_core::session::Aal,
    /// Methods used: `pwd`, `otp`, `hwk`, `rc`.
    #[schema(value_type = Vec<String>, example = json!(["pwd"]))]
    pub amr: Vec<twofold_core::session::Amr>,
    pub created_at: String,
    pub expires_at: String,
    /// End of the step-up window; null until the first proof.
    pub privileged_until: Option<String>,
    /// The account is past its deadline to set up two-factor
    /// authentication: this session may only enrol a factor (every other
    /// route answers `403 mfa_enrollment_required`) until it does.
    pub enrolment_only: bool,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id,
            account: SessionAccount {
                id: s.account_id,
                email: s.account_email.clone(),
                role: s.account_role,
            },
            aal: s.aal,
            amr: s.amr.clone(),
            created_at: s.created_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            privileged_until: s.privileged_until.map(|t| t.to_rfc3339()),
            enrolment_only: s.enrolment_only,
        }
    }
}

/// One of the caller's sessions, for the session list.
#[derive(Serialize, ToSchema)]
pub struct SessionListItem {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::SessionId,
    pub created_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    /// A short description of the user agent, e.g. "Firefox on Linux".
    pub device: String,
    /// This is the session making the request.
    pub current: bool,
    #[schema(value_type = u8, example = 1)]
    pub aal: twofold_core::session::Aal,
    #[schema(value_type = Vec<String>, example = json!(["pwd"]))]
    pub amr: Vec<twofold_core::session::Amr>,
}

impl SessionListItem {
    pub fn new(s: &Session, current: twofold_core::SessionId) -> Self {
        Self {
            id: s.id,
            created_at: s.created_at.to_rfc3339(),
            last_seen_at: s.last_seen_at.to_rfc3339(),
            ip: s.ip.clone(),
            device: twofold_core::device::describe(s.user_agent.as_deref()),
            current: s.id == current,
            aal: s.aal,
            amr: s.amr.clone(),
        }
    }
}

/// Who caused an event: `self`, another `account` (with its id), `cli`, or
/// `anonymous`.
#[derive(Serialize, ToSchema)]
pub struct ActorView {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Uuid>)]
    pub id: Option<twofold_core::AccountId>,
}

/// One audit event.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::EventId,
    pub at: String,
    /// e.g. `sign_in.succeeded`, `password.changed`.
    pub kind: &'static str,
    #[schema(value_type = Option<Uuid>)]
    pub account_id: Option<twofold_core::AccountId>,
    pub actor: ActorView,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A small JSON object with the event's facts; never a secret.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<&AuditEvent> for EventView {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id,
            at: e.at.to_rfc3339(),
            kind: e.kind.as_str(),
            account_id: e.account_id,
            actor: ActorView {
                kind: e.actor.kind(),
                id: e.actor.account(),
            },
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// A page of audit events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
}

/// Paging through the audit log.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventPaging {
    /// At most this many events (default 50); above 200 is taken as 200,
    /// 0 as 1.
    #[param(value_type = Option<u64>, nullable = false, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    /// Only events older than the event with this id.
    #[param(value_type = Option<Uuid>, nullable = false)]
    pub before: Option<twofold_core::EventId>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveOptions {
    /// Required (true) to remove the last second factor, which turns MFA off.
    #[serde(default)]
    pub confirm_last: bool,
}

/// A personal access token as listed: never the token itself.
#[derive(Serialize, ToSchema)]
pub struct AccessTokenView {
    #[schema(value_type = Uuid)]
    pub id: twofold_core::AccessTokenId,
    pub name: String,
    /// The token's first characters (`tfp_` and six), to tell tokens apart.
    #[schema(example = "tfp_3kTq9Z")]
    pub prefix: String,
    #[schema(example = json!(["read"]))]
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    /// Written at most once a minute from the same address.
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
}

impl From<&AccessTokenRecord> for AccessTokenView {
    fn from(t: &AccessTokenRecord) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: t.created_at.to_rfc3339(),
            expires_at: t.expires_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            last_used_ip: t.last_used_ip.clone(),
        }
    }
}

/// A role, as the API names it (a schema only: the handlers parse text).
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Owner,
    Admin,
    Member,
}

/// A personal access token's scope: `read` (GET routes), `write` (the other
/// routes tokens may use). A schema only: the use case parses text.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeName {
    Read,
    Write,
}

/// A name of a second factor or a token: 1–64 characters once the ends are
/// trimmed, no control characters and no characters that change the text
/// direction.
#[derive(Serialize, ToSchema)]
#[schema(
    pattern = r"^\s*[^\s\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]([^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{0,62}[^\s\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])?\s*$"
)]
pub struct NameText(String);

/// An optional name: blank (or left out) for the default, else as
/// [`NameText`].
#[derive(Serialize, ToSchema)]
#[schema(
    pattern = r"^\s*([^\s\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]([^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{0,62}[^\s\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])?)?\s*$"
)]
pub struct OptionalNameText(String);
