//! The rows as sqlx decodes them (integers for times, text for enums) and
//! their conversions into the port's models, which refuse values no code
//! writes. Every model is read through one of these.

use twofold_core::access_token::Scopes;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::ceremony::CeremonyKind;
use twofold_core::session::{Aal, amr_from_text};
use twofold_core::token::TokenHash;
use twofold_core::{
    AccessTokenId, AccountId, ApplicationId, EventId, PasskeyId, SessionId, Timestamp, TotpId,
};
use twofold_store::{
    AccessTokenGrant, AccessTokenRecord, Account, AccountSummary, ApplicationRecord, AuditEvent,
    Ceremony, MfaChallenge, PasskeyRecord, Session, StoreError, TotpAuthenticator,
};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            id: AccountId::from_uuid(row.id),
            email: row.email,
            role: row
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("account {} role", row.id)))?,
            password_hash: row.password_hash,
            created_at: row.created_at.into(),
            disabled_at: row.disabled_at.map(Timestamp::from),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AccountSummaryRow {
    pub id: Uuid,
    pub email: String,
    pub email_normalized: String,
    pub role: String,
    pub created_at: i64,
    pub totp: i64,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
    pub last_sign_in: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl TryFrom<AccountSummaryRow> for AccountSummary {
    type Error = StoreError;

    fn try_from(row: AccountSummaryRow) -> Result<Self, StoreError> {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(AccountSummary {
            id: AccountId::from_uuid(row.id),
            role: row
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("account {} role", row.id)))?,
            email: row.email,
            email_normalized: row.email_normalized,
            created_at: row.created_at.into(),
            totp: count(row.totp),
            passkeys: count(row.passkeys),
            recovery_codes_left: count(row.recovery_codes_left),
            last_sign_in: row.last_sign_in.map(Timestamp::from),
            disabled_at: row.disabled_at.map(Timestamp::from),
        })
    }
}

/// A `LIKE … ESCAPE '\'` pattern matching any text that contains `needle`
/// (lower-cased, to meet `email_normalized`): the needle's own `%`, `_` and `\` match only themselves.
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub account_email: String,
    pub account_role: String,
    pub aal: i64,
    pub amr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub remembered: bool,
    pub privileged_until: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub enrolment_only: bool,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("session {} {what}", row.id));
        Ok(Session {
            id: SessionId::from_uuid(row.id),
            account_id: AccountId::from_uuid(row.account_id),
            account_role: row.account_role.parse().map_err(|_| corrupt("role"))?,
            account_email: row.account_email,
            aal: Aal::from_level(row.aal).ok_or_else(|| corrupt("aal"))?,
            amr: amr_from_text(&row.amr),
            created_at: row.created_at.into(),
            last_seen_at: row.last_seen_at.into(),
            expires_at: row.expires_at.into(),
            remembered: row.remembered,
            privileged_until: row.privileged_until.map(Timestamp::from),
            ip: row.ip,
            user_agent: row.user_agent,
            enrolment_only: row.enrolment_only,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: Uuid,
    pub at: i64,
    pub account_id: Option<Uuid>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: String,
}

impl TryFrom<AuditEventRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(row: AuditEventRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("audit event {} {what}", row.id));
        Ok(AuditEvent {
            id: EventId::from_uuid(row.id),
            at: row.at.into(),
            account_id: row.account_id.map(AccountId::from_uuid),
            actor: Actor::from_parts(&row.actor_kind, row.actor_id.map(AccountId::from_uuid))
                .ok_or_else(|| corrupt("actor"))?,
            kind: EventKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            ip: row.ip,
            user_agent: row.user_agent,
            detail: row.detail,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct TotpRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub secret_sealed: Vec<u8>,
    pub created_at: i64,
    pub pending_until: Option<i64>,
    pub pending_session_id: Option<Uuid>,
    pub confirmed_at: Option<i64>,
    pub last_used_step: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl From<TotpRow> for TotpAuthenticator {
    fn from(row: TotpRow) -> Self {
        Self {
            id: TotpId::from_uuid(row.id),
            account_id: AccountId::from_uuid(row.account_id),
            name: row.name,
            secret_sealed: row.secret_sealed,
            created_at: row.created_at.into(),
            pending_until: row.pending_until.map(Timestamp::from),
            pending_session_id: row.pending_session_id.map(SessionId::from_uuid),
            confirmed_at: row.confirmed_at.map(Timestamp::from),
            last_used_step: row.last_used_step,
            last_used_at: row.last_used_at.map(Timestamp::from),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct MfaChallengeRow {
    pub account_id: Uuid,
    pub created_at: i64,
    pub expires_at: i64,
    pub failures: i64,
    pub remember_me: bool,
}

impl From<MfaChallengeRow> for MfaChallenge {
    fn from(row: MfaChallengeRow) -> Self {
        Self {
            account_id: AccountId::from_uuid(row.account_id),
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            failures: row.failures,
            remember_me: row.remember_me,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct PasskeyRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub credential_id: Vec<u8>,
    pub credential: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub transports: String,
    pub aaguid: Option<Uuid>,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<PasskeyRow> for PasskeyRecord {
    fn from(row: PasskeyRow) -> Self {
        Self {
            id: PasskeyId::from_uuid(row.id),
            account_id: AccountId::from_uuid(row.account_id),
            credential_id: row.credential_id,
            credential: row.credential,
            sign_count: row.sign_count,
            backup_eligible: row.backup_eligible,
            backup_state: row.backup_state,
            transports: row.transports,
            aaguid: row.aaguid,
            name: row.name,
            created_at: row.created_at.into(),
            last_used_at: row.last_used_at.map(Timestamp::from),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct CeremonyRow {
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub state: String,
    pub name: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl TryFrom<CeremonyRow> for Ceremony {
    type Error = StoreError;

    fn try_from(row: CeremonyRow) -> Result<Self, StoreError> {
        Ok(Self {
            kind: CeremonyKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("ceremony kind {}", row.kind)))?,
            account_id: row.account_id.map(AccountId::from_uuid),
            session_id: row.session_id.map(SessionId::from_uuid),
            state: row.state,
            name: row.name,
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
        })
    }
}

/// An account read by one of the several account lookups.
pub fn account(row: Option<AccountRow>) -> Result<Option<Account>, StoreError> {
    row.map(Account::try_from).transpose()
}

#[derive(sqlx::FromRow)]
pub struct AccessTokenRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub aal: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
}

impl TryFrom<AccessTokenRow> for AccessTokenRecord {
    type Error = StoreError;

    fn try_from(row: AccessTokenRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("access token {} {what}", row.id));
        Ok(AccessTokenRecord {
            id: AccessTokenId::from_uuid(row.id),
            account_id: AccountId::from_uuid(row.account_id),
            scopes: Scopes::from_text(&row.scopes).map_err(|_| corrupt("scopes"))?,
            aal: Aal::from_level(row.aal).ok_or_else(|| corrupt("aal"))?,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at.into(),
            expires_at: row.expires_at.into(),
            last_used_at: row.last_used_at.map(Timestamp::from),
            last_used_ip: row.last_used_ip,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AccessTokenGrantRow {
    #[sqlx(flatten)]
    pub token: AccessTokenRow,
    pub account_email: String,
    pub account_role: String,
}

impl TryFrom<AccessTokenGrantRow> for AccessTokenGrant {
    type Error = StoreError;

    fn try_from(row: AccessTokenGrantRow) -> Result<Self, StoreError> {
        let role = row.account_role.parse().map_err(|_| {
            StoreError::Corrupt(format!("access token {} account role", row.token.id))
        })?;
        Ok(AccessTokenGrant {
            token: row.token.try_into()?,
            account_email: row.account_email,
            account_role: role,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
}

impl TryFrom<ApplicationRow> for ApplicationRecord {
    type Error = StoreError;

    fn try_from(row: ApplicationRow) -> Result<Self, StoreError> {
        let hash: [u8; 32] = row
            .secret_hash
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("application {} secret hash", row.id)))?;
        Ok(ApplicationRecord {
            id: ApplicationId::from_uuid(row.id),
            name: row.name,
            secret_hash: TokenHash(hash),
            created_at: row.created_at.into(),
        })
    }
}
