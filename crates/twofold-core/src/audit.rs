//! The vocabulary of the audit log: what happened, and who did it.

use std::fmt;

/// Declares `EventKind` with each variant's stable name and sentence written
/// once, so a new kind cannot be added to the enum and forgotten elsewhere.
macro_rules! event_kinds {
    ($($variant:ident => $name:literal, $sentence:literal;)+) => {
        /// Every kind of security event twofold records. The text form is the
        /// stable name clients filter on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum EventKind {
            $($variant,)+
        }

        impl EventKind {
            pub const ALL: [EventKind; [$(stringify!($variant)),+].len()] =
                [$(EventKind::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)+
                }
            }

            /// A short sentence for the activity list on the Security page.
            pub fn describe(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $sentence,)+
                }
            }
        }
    };
}

event_kinds! {
    AccountCreated => "account.created", "Account created";
    SignInSucceeded => "sign_in.succeeded", "Signed in";
    SignInFailed => "sign_in.failed", "Failed sign-in attempt";
    SignInThrottled => "sign_in.throttled", "Sign-in blocked after too many attempts";
    AttemptsThrottled => "attempts.throttled",
        "Codes or confirmations blocked for a while after too many attempts";
    ReauthSucceeded => "reauth.succeeded", "Identity confirmed for a security change";
    ReauthFailed => "reauth.failed", "Failed identity confirmation";
    PasswordChanged => "password.changed", "Password changed";
    SessionRevoked => "session.revoked", "Session signed out";
    TotpAdded => "totp.added", "Authenticator app added";
    TotpRenamed => "totp.renamed", "Authenticator app renamed";
    TotpRemoved => "totp.removed", "Authenticator app removed";
    TotpReplayRejected => "totp.replay_rejected", "A used code was refused";
    MfaChallengeFailed => "mfa.challenge_failed", "Wrong second-factor code";
    RecoveryCodesGenerated => "recovery_codes.generated", "New recovery codes generated";
    RecoveryCodeUsed => "recovery_code.used", "Recovery code used to sign in";
    MfaDisabled => "mfa.disabled", "Two-factor authentication turned off";
    MfaReset => "mfa.reset", "Two-factor authentication reset by an administrator";
    RoleChanged => "role.changed", "Role changed";
    AccountDisabled => "account.disabled", "Account disabled by an administrator";
    AccountEnabled => "account.enabled", "Account enabled again by an administrator";
    PasskeyAdded => "passkey.added", "Passkey added";
    PasskeyRenamed => "passkey.renamed", "Passkey renamed";
    PasskeyRemoved => "passkey.removed", "Passkey removed";
    PasskeyCounterRegression => "passkey.counter_regression",
        "A passkey's counter went back: possible clone, refused";
    PasswordLinkIssued => "password.link_issued", "Set-password link issued by an administrator";
    PasswordReset => "password.reset", "Password set through a set-password link";
    TokenCreated => "token.created", "Personal access token created";
    TokenRevoked => "token.revoked", "Personal access token revoked";
    TokenUsedFromNewAddress => "token.used_from_new_address",
        "Personal access token used from a new address";
    ApplicationCreated => "application.created", "Application allowed to introspect tokens";
    ApplicationDeleted => "application.deleted", "Application's introspection access removed";
}

impl EventKind {
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
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
        let id = crate::AccountId::from_uuid(uuid::Uuid::new_v4());
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
