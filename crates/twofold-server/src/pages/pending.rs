//! The page actions that need a step-up, and the only places the step-up
//! screen may send a browser back to. Anything else (another path, `.` or
//! `..` segments, percent-encoding, a UUID in another spelling) is not one
//! of them. The paths are the ones the page modules route (`paths`).

use twofold_core::{AccountId, PasskeyId, TotpId};
use uuid::Uuid;

use super::paths;

/// A security change waiting for the step-up proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingChange {
    ChangePassword,
    AddTotp,
    RenameTotp(TotpId),
    RemoveTotp(TotpId),
    NewRecoveryCodes,
    DisableMfa,
    AddPasskey,
    RenamePasskey(PasskeyId),
    RemovePasskey(PasskeyId),
    /// An owner's "Disable MFA" for another user (the path names the user,
    /// so a form sealed for one user is not posted to another's).
    ResetUserMfa(AccountId),
    SetUserRole(AccountId),
    /// A new personal access token (revoking one needs no step-up).
    CreateToken,
}

/// Every change, built from the id its path carries (ignored by the changes
/// whose path has none).
const ALL: [fn(Uuid) -> PendingChange; 12] = [
    |_| PendingChange::ChangePassword,
    |_| PendingChange::AddTotp,
    |id| PendingChange::RenameTotp(TotpId::from_uuid(id)),
    |id| PendingChange::RemoveTotp(TotpId::from_uuid(id)),
    |_| PendingChange::NewRecoveryCodes,
    |_| PendingChange::DisableMfa,
    |_| PendingChange::AddPasskey,
    |id| PendingChange::RenamePasskey(PasskeyId::from_uuid(id)),
    |id| PendingChange::RemovePasskey(PasskeyId::from_uuid(id)),
    |id| PendingChange::ResetUserMfa(AccountId::from_uuid(id)),
    |id| PendingChange::SetUserRole(AccountId::from_uuid(id)),
    |_| PendingChange::CreateToken,
];

impl PendingChange {
    /// The change whose form posts to `path`, if `path` is exactly the
    /// canonical path of one.
    pub fn from_path(path: &str) -> Option<Self> {
        ALL.iter().find_map(|change| {
            let id = match_route(change(Uuid::nil()).route(), path)?;
            Some(change(id.unwrap_or_default()))
        })
    }

    /// The action's path, in its one canonical spelling.
    pub fn path(self) -> String {
        match self.id() {
            Some(id) => self.route().replace("{id}", &id.hyphenated().to_string()),
            None => self.route().to_owned(),
        }
    }

    /// The route of the action, as its page module's router holds it.
    fn route(self) -> &'static str {
        match self {
            Self::ChangePassword => paths::PASSWORD,
            Self::AddTotp => paths::TOTP_ADD,
            Self::RenameTotp(_) => paths::TOTP_RENAME,
            Self::RemoveTotp(_) => paths::TOTP_REMOVE,
            Self::NewRecoveryCodes => paths::RECOVERY_GENERATE,
            Self::DisableMfa => paths::MFA_DISABLE,
            Self::AddPasskey => paths::PASSKEY_ADD,
            Self::RenamePasskey(_) => paths::PASSKEY_RENAME,
            Self::RemovePasskey(_) => paths::PASSKEY_REMOVE,
            Self::ResetUserMfa(_) => paths::ADMIN_USER_MFA_DISABLE,
            Self::SetUserRole(_) => paths::ADMIN_USER_ROLE,
            Self::CreateToken => paths::TOKENS,
        }
    }

    fn id(self) -> Option<Uuid> {
        match self {
            Self::RenameTotp(id) | Self::RemoveTotp(id) => Some(id.uuid()),
            Self::RenamePasskey(id) | Self::RemovePasskey(id) => Some(id.uuid()),
            Self::ResetUserMfa(id) | Self::SetUserRole(id) => Some(id.uuid()),
            _ => None,
        }
    }

    /// What the step-up screen says the proof is for.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ChangePassword => "change your password",
            Self::AddTotp => "add an authenticator app",
            Self::RenameTotp(_) => "rename an authenticator app",
            Self::RemoveTotp(_) => "remove an authenticator app",
            Self::NewRecoveryCodes => "generate new recovery codes (your old codes stop working)",
            Self::DisableMfa => "turn off two-factor authentication",
            Self::AddPasskey => "add a passkey",
            Self::RenamePasskey(_) => "rename a passkey",
            Self::RemovePasskey(_) => "remove a passkey",
            Self::ResetUserMfa(_) => "turn off two-factor authentication for another user",
            Self::SetUserRole(_) => "change the role of another user",
            Self::CreateToken => "create a personal access token",
        }
    }
}

/// Whether `path` is `route` segment by segment, with its `{id}` segment (if
/// any) a canonical UUID; that id.
fn match_route(route: &str, path: &str) -> Option<Option<Uuid>> {
    let (mut route, mut path) = (route.split('/'), path.split('/'));
    let mut id = None;
    loop {
        match (route.next(), path.next()) {
            (None, None) => return Some(id),
            (Some("{id}"), Some(segment)) => id = Some(canonical_id(segment)?),
            (Some(expected), Some(segment)) if expected == segment => {}
            _ => return None,
        }
    }
}

/// A UUID only in the lower-case hyphenated form our pages write.
fn canonical_id(text: &str) -> Option<Uuid> {
    let id = Uuid::try_parse(text).ok()?;
    (id.hyphenated().to_string() == text).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c";

    #[test]
    fn every_action_round_trips_through_its_path() {
        let id = Uuid::parse_str(ID).unwrap();
        for change in [
            PendingChange::ChangePassword,
            PendingChange::AddTotp,
            PendingChange::RenameTotp(TotpId::from_uuid(id)),
            PendingChange::RemoveTotp(TotpId::from_uuid(id)),
            PendingChange::NewRecoveryCodes,
            PendingChange::DisableMfa,
            PendingChange::AddPasskey,
            PendingChange::RenamePasskey(PasskeyId::from_uuid(id)),
            PendingChange::RemovePasskey(PasskeyId::from_uuid(id)),
            PendingChange::ResetUserMfa(AccountId::from_uuid(id)),
            PendingChange::SetUserRole(AccountId::from_uuid(id)),
            PendingChange::CreateToken,
        ] {
            assert_eq!(PendingChange::from_path(&change.path()), Some(change));
        }
    }

    #[test]
    fn anything_but_a_known_action_is_refused() {
        for bad in [
            "/settings/security",
            "/settings/security/",
            "/settings/security/password/",
            "/settings/security/./password",
            "/settings/security/../security/password",
            "/settings/security/../../logout",
            "/settings/security/%2e%2e/password",
            "/settings/security/passkeys%2Fadd",
            "/settings/security/passkeys%2fadd",
            "/settings/security/passkeys%5Cadd",
            "/settings/security/passkeys\\add",
            "/settings/security//password",
            "/settings/security/sessions/revoke-others",
            "/settings/security/password?x=1",
            "/settings/security/password#x",
            "//evil.example/settings/security/password",
            "https://evil.example/settings/security/password",
            "/Settings/Security/password",
            "/logout",
            "",
            "/settings/security/totp/0B7C5A4E-3F1D-4C8E-9A2B-6D5E4F3A2B1C/remove",
            "/settings/security/totp/0b7c5a4e3f1d4c8e9a2b6d5e4f3a2b1c/remove",
            "/settings/security/totp/{0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c}/remove",
            "/settings/security/totp/not-a-uuid/remove",
            "/settings/security/totp/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/verify",
            "/admin/users",
            "/admin/users/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c",
            "/admin/users/0B7C5A4E-3F1D-4C8E-9A2B-6D5E4F3A2B1C/role",
            "/admin/users/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/mfa/disable/",
            "/settings/security/tokens/",
            "/settings/security/tokens/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/revoke",
        ] {
            assert_eq!(PendingChange::from_path(bad), None, "{bad}");
        }
        assert!(
            PendingChange::from_path(&format!("/settings/security/totp/{ID}/remove")).is_some()
        );
    }
}
