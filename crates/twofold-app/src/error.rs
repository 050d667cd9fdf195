//! The one error type of the use cases. Each variant is something the caller
//! can act on; the HTTP layer maps each to a status and a stable code.

use std::borrow::Cow;
use std::time::Duration;

use twofold_core::email::EmailError;
use twofold_core::password::PasswordError;
use twofold_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field is missing or malformed; `field` names it.
    #[error("{message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    /// Wrong email or password (deliberately not saying which).
    #[error("email or password is incorrect")]
    InvalidCredentials,
    /// A code is malformed (not 6 digits), or wrong while confirming a new
    /// authenticator.
    #[error("{0}")]
    BadCode(&'static str),
    /// A second-factor code at sign-in was wrong.
    #[error("the code is incorrect")]
    WrongCode,
    /// The MFA challenge is unknown, expired, or spent.
    #[error("this sign-in has expired; sign in again")]
    ChallengeExpired,
    /// Too many consecutive wrong TOTP codes: TOTP is refused until another
    /// method succeeds or an owner resets MFA.
    #[error(
        "authenticator codes are blocked for this account after too many wrong codes; use another method or ask an owner to reset two-factor authentication"
    )]
    TotpLocked,
    /// Removing this factor would turn MFA off; ask for `confirm_last`.
    #[error(
        "this is your last second factor: removing it turns two-factor authentication off; confirm to proceed"
    )]
    LastFactor,
    /// A WebAuthn ceremony is unknown, expired or already finished.
    #[error("this passkey request has expired; try again")]
    CeremonyExpired,
    /// The passkey's answer did not verify (wrong origin, signature,
    /// counter, user verification, …). Deliberately unspecific.
    #[error("the passkey could not be verified")]
    PasskeyRejected,
    /// The browser offered a credential this server does not know (removed,
    /// or never registered): the page asks the browser to forget it.
    #[error("this passkey is not registered here")]
    UnknownCredential,
    /// Recovery codes need an authenticator app or passkey to back up.
    #[error("add an authenticator app or passkey first: recovery codes are a fallback for them")]
    NoStrongFactor,
    /// A step-up proof was wrong (or the current password, on a change).
    #[error("the password or code is incorrect")]
    WrongProof,
    /// A security change needs a fresh proof on this session first.
    #[error("confirm it is you first: this change needs a fresh password or code")]
    ReauthRequired,
    /// The account is past its deadline to set up two-factor
    /// authentication: this session may only enrol a factor.
    #[error(
        "two-factor authentication is required for your account: add an authenticator app or passkey first"
    )]
    MfaEnrollmentRequired,
    /// No valid session or token.
    #[error("sign in first")]
    Unauthenticated,
    /// A personal access token reached a route only a signed-in person may
    /// use (security changes, tokens themselves): tokens never step up.
    #[error("personal access tokens cannot be used here: sign in instead")]
    TokenNotAllowed,
    /// The access token lacks the scope this request needs.
    #[error("this token lacks the {0} scope")]
    InsufficientScope(&'static str),
    /// An application's credentials are wrong (whatever was wrong).
    #[error("unknown application or wrong secret")]
    InvalidClient,
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    /// The change conflicts with existing state (e.g. an email in use).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// An owner or admin named their own account for an operator tool (an
    /// MFA reset, a set-password link).
    #[error("this is your own account: change it from your own Settings → Security")]
    OwnAccount,
    /// The change would leave the instance without an owner.
    #[error("this is the last owner: make another account owner first")]
    LastOwner,
    /// An operator reset found no factor or recovery code on the account.
    #[error("{0} has no authenticator app, passkey or recovery code: nothing to reset")]
    NothingToReset(String),
    /// A set-password link is malformed, unknown, expired, used or replaced
    /// (one answer for all).
    #[error("this set-password link is invalid or has expired; ask an administrator for a new one")]
    InvalidLink,
    /// Too many attempts; try again after the given time.
    #[error("too many attempts; try again later")]
    RateLimited { retry_after: Duration },
    /// The server is at capacity (e.g. password hashing queue full).
    #[error("the server is busy; try again shortly")]
    Busy,
    /// Something failed that the caller cannot fix; logged with its cause.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::internal(e)
    }
}

impl From<EmailError> for AppError {
    fn from(e: EmailError) -> Self {
        AppError::InvalidInput {
            field: "email",
            message: e.to_string(),
        }
    }
}

impl From<PasswordError> for AppError {
    fn from(e: PasswordError) -> Self {
        AppError::InvalidInput {
            field: "password",
            message: e.to_string(),
        }
    }
}
