//! WebAuthn ceremonies: which one a stored ceremony is, so it can be
//! finished only where it was started for.

/// Where a ceremony may be finished. Stored as the text of [`as_str`](Self::as_str).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey to a signed-in account.
    Register,
    /// Signing in with a passkey alone.
    Passwordless,
    /// A passkey as the second factor of a sign-in challenge.
    Mfa,
    /// A passkey proving the person again (step-up).
    Reauth,
}

impl CeremonyKind {
    pub const ALL: [CeremonyKind; 4] = [
        CeremonyKind::Register,
        CeremonyKind::Passwordless,
        CeremonyKind::Mfa,
        CeremonyKind::Reauth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Passwordless => "passwordless",
            CeremonyKind::Mfa => "mfa",
            CeremonyKind::Reauth => "reauth",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in CeremonyKind::ALL {
            assert_eq!(CeremonyKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(CeremonyKind::parse("Mfa"), None);
    }
}
