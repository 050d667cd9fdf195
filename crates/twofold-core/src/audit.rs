//! The vocabulary of the audit log: what happened, and who did it.

use std::fmt;

/// Every kind of security event twofold records. The text form is the
/// stable name clients filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    AccountCreated,
    SignInSucceeded,
    SignInFailed,
    SignInThrottled,
    AttemptsThrottled,
    ReauthSucceeded,
    ReauthFailed,
    PasswordChanged,
    SessionRevoked,
    TotpAdded,
    TotpRenamed,
    TotpRemoved,
    TotpReplayRejected,
    MfaChallengeFailed,
    RecoveryCodesGenerated,
    RecoveryCodeUsed,
    MfaDisabled,
    MfaReset,
    PasskeyAdded,
    PasskeyRenamed,
    PasskeyRemoved,
    PasskeyCounterRegression,
}

impl EventKind {
    pub const ALL: [EventKind; 22] = [
        EventKind::AccountCreated,
        EventKind::SignInSucceeded,
        EventKind::SignInFailed,
        EventKind::SignInThrottled,
        EventKind::AttemptsThrottled,
        EventKind::ReauthSucceeded,
        EventKind::ReauthFailed,
        EventKind::PasswordChanged,
        EventKind::SessionRevoked,
        EventKind::TotpAdded,
        EventKind::TotpRenamed,
        EventKind::TotpRemoved,
        EventKind::TotpReplayRejected,
        EventKind::MfaChallengeFailed,
        EventKind::RecoveryCodesGenerated,
        EventKind::RecoveryCodeUsed,
        EventKind::MfaDisabled,
        EventKind::MfaReset,
        EventKind::PasskeyAdded,
        EventKind::PasskeyRenamed,
        EventKind::PasskeyRemoved,
        EventKind::PasskeyCounterRegression,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "account.created",
            EventKind::SignInSucceeded => "sign_in.succeeded",
            EventKind::SignInFailed => "sign_in.failed",
            EventKind::SignInThrottled => "sign_in.throttled",
            EventKind::AttemptsThrottled => "attempts.throttled",
            EventKind::ReauthSucceeded => "reauth.succeeded",
            EventKind::ReauthFailed => "reauth.failed",
            EventKind::PasswordChanged => "password.changed",
            EventKind::SessionRevoked => "session.revoked",
            EventKind::TotpAdded => "totp.added",
            EventKind::TotpRenamed => "totp.renamed",
            EventKind::TotpRemoved => "totp.removed",
            EventKind::TotpReplayRejected => "totp.replay_rejected",
            EventKind::MfaChallengeFailed => "mfa.challenge_failed",
            EventKind::RecoveryCodesGenerated => "recovery_codes.generated",
            EventKind::RecoveryCodeUsed => "recovery_code.used",
            EventKind::MfaDisabled => "mfa.disabled",
            EventKind::MfaReset => "mfa.reset",
            EventKind::PasskeyAdded => "passkey.added",
            EventKind::PasskeyRenamed => "passkey.renamed",
            EventKind::PasskeyRemoved => "passkey.removed",
            EventKind::PasskeyCounterRegression => "passkey.counter_regression",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// A short sentence for the activity list on the Security page.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "Account created",
            EventKind::SignInSucceeded => "Signed in",
            EventKind::SignInFailed => "Failed sign-in attempt",
            EventKind::SignInThrottled => "Sign-in blocked after too many attempts",
            EventKind::AttemptsThrottled => {
                "Codes or confirmations blocked for a while after too many attempts"
            }
            EventKind::ReauthSucceeded => "Identity confirmed for a security change",
            EventKind::ReauthFailed => "Failed identity confirmation",
            EventKind::PasswordChanged => "Password changed",
            EventKind::SessionRevoked => "Session signed out",
            EventKind::TotpAdded => "Authenticator app added",
            EventKind::TotpRenamed => "Authenticator app renamed",
            EventKind::TotpRemoved => "Authenticator app removed",
            EventKind::TotpReplayRejected => "A used code was refused",
            EventKind::MfaChallengeFailed => "Wrong second-factor code",
            EventKind::RecoveryCodesGenerated => "New recovery codes generated",
            EventKind::RecoveryCodeUsed => "Recovery code used to sign in",
            EventKind::MfaDisabled => "Two-factor authentication turned off",
            EventKind::MfaReset => "Two-factor authentication reset by an administrator",
            EventKind::PasskeyAdded => "Passkey added",
            EventKind::PasskeyRenamed => "Passkey renamed",
            EventKind::PasskeyRemoved => "Passkey removed",
            EventKind::PasskeyCounterRegression => {
                "A passkey's counter went back: possible clone, refused"
            }
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The account the event is about, acting for itself.
    Myself,
    /// Another account (an owner or admin).
    Account(crate::AccountId),
    /// The operator's command line on the server.
    Cli,
    /// Nobody signed in (e.g. a failed sign-in).
    Anonymous,
}

impl Actor {
    pub fn kind(self) -> &'static str {
        match self {
            Actor::Myself => "self",
            Actor::Account(_) => "account",
            Actor::Cli => "cli",
            Actor::Anonymous => "anonymous",
        }
    }

    pub fn account(self) -> Option<crate::AccountId> {
        match self {
            Actor::Account(id) => Some(id),
            _ => None,
        }
    }

    pub fn from_parts(kind: &str, account: Option<crate::AccountId>) -> Option<Self> {
        match (kind, account) {
            ("self", None) => Some(Actor::Myself),
            ("account", Some(id)) => Some(Actor::Account(id)),
            ("cli", None) => Some(Actor::Cli),
            ("anonymous", None) => Some(Actor::Anonymous),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("sign_in"), None);
    }

    #[test]
    fn actors_round_trip_through_their_columns() {
        let id = crate::AccountId::from_uuid(uuid::Uuid::now_v7());
        for actor in [
            Actor::Myself,
            Actor::Account(id),
            Actor::Cli,
            Actor::Anonymous,
        ] {
            assert_eq!(
                Actor::from_parts(actor.kind(), actor.account()),
                Some(actor)
            );
        }
        assert_eq!(Actor::from_parts("account", None), None);
    }
}
