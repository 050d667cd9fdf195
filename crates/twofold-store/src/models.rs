//! The rows the store reads and writes, in domain types.
//!
//! The backends decode columns into their own row types and convert them
//! into these, refusing values no code writes.

use twofold_core::access_token::Scopes;
use twofold_core::audit::{Actor, EventKind};
use twofold_core::ceremony::CeremonyKind;
use twofold_core::email::Email;
use twofold_core::session::{Aal, Amr};
use twofold_core::{
    AccessTokenId, AccountId, ApplicationId, EventId, PasskeyId, Role, SessionId, Timestamp, TotpId,
};
use uuid::Uuid;

/// An account as stored.
#[derive(Clone)]
pub struct Account {
    pub id: AccountId,
    /// As the person typed it (trimmed).
    pub email: String,
    pub role: Role,
    /// Argon2id PHC string; `None` for an account that cannot use a password.
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    /// When an owner or admin disabled it; `None` while it is active.
    pub disabled_at: Option<Timestamp>,
}

impl Account {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// What it takes to create an account.
pub struct NewAccount {
    pub id: AccountId,
    pub email: Email,
    pub role: Role,
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
}

/// A server-side session, joined with what requests need of its account.
#[derive(Debug, Clone)]
pub struct Session {
    /// Public id (listing, revoking); never the token.
    pub id: SessionId,
    pub account_id: AccountId,
    pub account_email: String,
    pub account_role: Role,
    pub aal: Aal,
    pub amr: Vec<Amr>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    /// Made with "remember me": a long lifetime and no idle timeout.
    pub remembered: bool,
    /// End of the step-up window; `None` until the first proof.
    pub privileged_until: Option<Timestamp>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The account was past its MFA deadline at sign-in: the session may
    /// only enrol a strong factor (cleared when it does).
    pub enrolment_only: bool,
}

/// What it takes to create a session. The token itself never reaches the
/// store: only its hash.
pub struct NewSession {
    pub id: SessionId,
    pub token_hash: twofold_core::token::TokenHash,
    pub account_id: AccountId,
    pub aal: Aal,
    pub amr: Vec<Amr>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Made with "remember me" (see [`Session::remembered`]).
    pub remembered: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// See [`Session::enrolment_only`].
    pub enrolment_only: bool,
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: EventId,
    pub at: Timestamp,
    /// The account the event is about (none for e.g. an unknown email).
    pub account_id: Option<AccountId>,
    pub actor: Actor,
    pub kind: EventKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A small JSON object; never a secret.
    pub detail: String,
}

/// Which audit events to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub account_id: Option<AccountId>,
    pub kind: Option<EventKind>,
    /// Only events older than this one (paging).
    pub before: Option<EventId>,
    pub limit: u32,
}

/// Which accounts the administration list shows, ordered by normalized email.
#[derive(Debug, Clone, Default)]
pub struct AccountListQuery {
    /// Only emails whose normalized form contains this text, in any case
    /// (callers with user input pass it through `twofold_core::email::normalize`).
    pub email_contains: Option<String>,
    pub role: Option<Role>,
    /// Only accounts with (`true`) or without (`false`) a strong factor.
    pub mfa: Option<bool>,
    /// Only disabled (`true`) or active (`false`) accounts.
    pub disabled: Option<bool>,
    /// Only accounts after this (normalized email, id): keyset paging.
    pub after: Option<(String, AccountId)>,
    pub limit: u32,
}

/// One row of the administration list: counts, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub id: AccountId,
    pub email: String,
    pub email_normalized: String,
    pub role: Role,
    pub created_at: Timestamp,
    /// Confirmed authenticator apps (pending ones do not protect anything yet).
    pub totp: u64,
    pub passkeys: u64,
    /// Unused codes of the recovery sheet.
    pub recovery_codes_left: u64,
    /// The latest `sign_in.succeeded` event.
    pub last_sign_in: Option<Timestamp>,
    /// When it was disabled; `None` while it is active.
    pub disabled_at: Option<Timestamp>,
}

impl AccountSummary {
    pub fn mfa(&self) -> bool {
        self.totp + self.passkeys > 0
    }
}

/// An authenticator app, pending until its first code confirms it.
#[derive(Clone)]
pub struct TotpAuthenticator {
    pub id: TotpId,
    pub account_id: AccountId,
    pub name: String,
    /// The sealed seed (see `twofold_core::key`); never the seed itself.
    pub secret_sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub pending_until: Option<Timestamp>,
    /// The session that started a pending enrolment: the only one that may
    /// see its secret or confirm it. `None` once confirmed.
    pub pending_session_id: Option<SessionId>,
    pub confirmed_at: Option<Timestamp>,
    pub last_used_step: Option<i64>,
    pub last_used_at: Option<Timestamp>,
}

impl std::fmt::Debug for TotpAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpAuthenticator")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .field("confirmed_at", &self.confirmed_at)
            .finish_non_exhaustive()
    }
}

/// A sign-in waiting for its second factor. Its id is a random token the
/// client holds; the store keeps only its hash.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    pub account_id: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub failures: i64,
    pub remember_me: bool,
}

/// A passkey or security key. `credential` is webauthn-rs's own record
/// (public key, counter, flags); the columns beside it are what queries need.
#[derive(Clone)]
pub struct PasskeyRecord {
    pub id: PasskeyId,
    pub account_id: AccountId,
    pub credential_id: Vec<u8>,
    pub credential: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    /// Comma-separated transports (`usb,nfc`, `internal`, …).
    pub transports: String,
    /// The authenticator model, when its attestation names one (passkeys
    /// registered without attestation do not).
    pub aaguid: Option<Uuid>,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl std::fmt::Debug for PasskeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyRecord")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .field("sign_count", &self.sign_count)
            .finish_non_exhaustive()
    }
}

/// A WebAuthn ceremony in progress: its serialised state, single use.
#[derive(Clone)]
pub struct Ceremony {
    pub kind: CeremonyKind,
    /// The account it is for (none for passwordless sign-in).
    pub account_id: Option<AccountId>,
    /// The session it is bound to (registration, step-up).
    pub session_id: Option<SessionId>,
    pub state: String,
    /// The name to give a new passkey.
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A personal access token as stored: its keyed hash stays in the database,
/// never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    pub id: AccessTokenId,
    pub account_id: AccountId,
    pub name: String,
    /// `tfp_` and six characters, so its owner can tell tokens apart.
    pub prefix: String,
    pub scopes: Scopes,
    /// The owner's assurance when it was made: two with MFA on.
    pub aal: Aal,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Written at most once a minute (and at once from a new address).
    pub last_used_at: Option<Timestamp>,
    pub last_used_ip: Option<String>,
}

/// What it takes to store a new access token.
pub struct NewAccessToken {
    pub id: AccessTokenId,
    pub account_id: AccountId,
    pub token_hash: twofold_core::token::TokenHash,
    pub prefix: String,
    pub name: String,
    pub scopes: Scopes,
    pub aal: Aal,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A live access token with what a request needs of its account.
#[derive(Debug, Clone)]
pub struct AccessTokenGrant {
    pub token: AccessTokenRecord,
    pub account_email: String,
    pub account_role: Role,
}

/// An application allowed to introspect tokens. Its secret is kept only as
/// a hash.
#[derive(Clone)]
pub struct ApplicationRecord {
    pub id: ApplicationId,
    pub name: String,
    pub secret_hash: twofold_core::token::TokenHash,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for ApplicationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}
