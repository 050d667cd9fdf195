//! The use cases of twofold. Each one reads what it needs, reserves its
//! attempt when it is limited (`throttle`), applies the core's rules and
//! commits its change in one transaction; the web pages, the JSON API and
//! the CLI all call these, so every rule lives in one place.

mod access_tokens;
mod account_status;
mod accounts;
mod audit;
mod error;
mod events;
mod factors;
mod hashing;
mod introspection;
mod key_check;
mod mfa;
mod mfa_required;
pub mod operator;
pub mod passkeys;
mod password;
mod password_links;
mod recovery;
mod roles;
mod sessions;
mod step_up;
mod throttle;
mod totp;
mod users;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use twofold_core::Clock;
use twofold_core::key::ServerKey;
use twofold_core::session::SessionLifetimes;
use twofold_store::Store;
use uuid::ContextV7;

pub use access_tokens::{AccessTokenRequest, CreatedAccessToken, MAX_TOKENS_PER_ACCOUNT, is_token};
pub use accounts::{NewAccountRequest, SignUp};
pub use error::{AppError, AppResult};
pub use events::MAX_PAGE;
pub use hashing::PasswordHashing;
pub use introspection::{LiveToken, NewApplication, TokenType};
pub use key_check::server_key_matches;
pub use mfa::{MfaMethod, MfaOverview};
pub use mfa_required::{UserMfaRequirement, UserMfaRequirements};
pub use operator::{MfaReset, Operator, ResetTarget};
pub use passkeys::AddedPasskey;
pub use password_links::{IssuedLink, LINK_LIFETIME};
pub use recovery::RecoverySheet;
pub use sessions::{CHALLENGE_LIFETIME, IssuedChallenge, IssuedSession, MfaProof, SignInOutcome};
pub use step_up::Proof;
pub use totp::{ConfirmedTotp, PendingTotp};
pub use twofold_core::mfa_policy::MfaStanding;
/// The records the use cases return: callers name them from here, not from
/// the store.
pub use twofold_store::{
    AccessTokenRecord, Account, AccountSummary, ApplicationRecord, AuditEvent, PasskeyRecord,
    RecoveryStatus, Session, TotpAuthenticator,
};
pub use users::{DETAIL_EVENTS, UserDetail, UserPage, UserQuery};

/// A new time-ordered (v7) id. Its time is the injected clock's, like
/// every other time the use cases record; the rest is random, and ids
/// made in the same second still sort in the order they were made.
pub(crate) fn time_ordered_id(clock: &dyn Clock) -> uuid::Uuid {
    /// Shared by every `App` in the process, as `Uuid::now_v7` shares its own.
    static ORDER: Mutex<ContextV7> = Mutex::new(ContextV7::new());
    let seconds = u64::try_from(clock.now().unix()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(&ORDER, seconds, 0))
}

/// Who may create an account through `POST /api/v1/accounts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signup {
    /// Only the first account of an empty instance (it becomes the owner).
    Closed,
    /// Anyone; new accounts are members.
    Open,
}

/// The settings the use cases depend on.
#[derive(Debug, Clone)]
pub struct Policy {
    pub signup: Signup,
    /// Session lifetimes, and the idle timeout of sessions without
    /// "remember me".
    pub sessions: SessionLifetimes,
    /// How long a step-up proof keeps the session privileged.
    pub step_up_window: Duration,
    /// The issuer authenticator apps show beside the account.
    pub issuer: String,
    /// Whether "remember me" applies to sign-ins that used a second factor.
    pub remember_me_with_mfa: bool,
    /// How long audit events are kept; the sweep deletes older ones.
    pub audit_retention: Duration,
    /// The roles that must use two-factor authentication (none by default).
    pub mfa_required_roles: Vec<twofold_core::Role>,
    /// How long an account of such a role may sign in without it, from its
    /// first sign-in since the requirement applied to it.
    pub mfa_grace_period: Duration,
    /// The longest lifetime a personal access token may be given.
    pub token_max_lifetime: Duration,
}

/// The settings' defaults: the binary's configuration takes them from here.
impl Default for Policy {
    fn default() -> Self {
        Self {
            signup: Signup::Closed,
            sessions: SessionLifetimes {
                default: Duration::from_secs(12 * 3600),
                remembered: Duration::from_secs(30 * 86_400),
                idle: Duration::from_secs(3600),
            },
            step_up_window: Duration::from_secs(5 * 60),
            issuer: "twofold".to_owned(),
            remember_me_with_mfa: false,
            audit_retention: Duration::from_secs(400 * 86_400),
            mfa_required_roles: Vec::new(),
            mfa_grace_period: Duration::from_secs(7 * 86_400),
            token_max_lifetime: Duration::from_secs(365 * 86_400),
        }
    }
}

/// Facts about the request a use case records (never used for decisions
/// beyond throttling and the session list).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The application: a store, a clock, the server key, the password hasher,
/// and the policy.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    key: Arc<ServerKey>,
    passwords: PasswordHashing,
    policy: Policy,
    /// The WebAuthn relying party (from the public URL); `None` disables passkeys.
    webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        key: ServerKey,
        passwords: PasswordHashing,
        policy: Policy,
        webauthn: Option<webauthn_rs::Webauthn>,
    ) -> Self {
        Self {
            store,
            clock,
            key: Arc::new(key),
            passwords,
            policy,
            webauthn: webauthn.map(Arc::new),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The operator tools over this app's store and clock: the owner's API
    /// and the break-glass CLI run the same code.
    pub fn operator(&self) -> Operator {
        Operator::new(self.store.clone(), self.clock.clone())
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn now(&self) -> twofold_core::Timestamp {
        self.clock.now()
    }

    /// A new time-ordered (v7) id at the injected clock's time.
    pub(crate) fn new_id(&self) -> uuid::Uuid {
        time_ordered_id(self.clock.as_ref())
    }

    /// Is the database reachable? (`/readyz`)
    pub async fn ready(&self) -> AppResult<()> {
        Ok(self.store.ping().await?)
    }
}
