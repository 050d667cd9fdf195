//! Typed ids, so that an account id cannot be passed where a session id is
//! meant. Each wraps a UUID (v7, so ids sort by creation) and reads, writes
//! and serialises exactly as that UUID does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::from_str(s).map(Self)
            }
        }
    )*};
}

uuid_ids! {
    /// An account.
    AccountId;
    /// A session (its public id, never its token).
    SessionId;
    /// An authenticator app.
    TotpId;
    /// A passkey or security key.
    PasskeyId;
    /// An audit event.
    EventId;
    /// A personal access token (its public id, never the token).
    AccessTokenId;
    /// An application allowed to introspect tokens (its client id).
    ApplicationId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_its_uuid() {
        let uuid = Uuid::new_v4();
        let id = SessionId::from_uuid(uuid);
        assert_eq!(id.to_string(), uuid.to_string());
        assert_eq!(id.to_string().parse::<SessionId>().unwrap(), id);
    }
}
