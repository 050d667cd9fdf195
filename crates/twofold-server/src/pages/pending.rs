//! The page actions that need a step-up, and the only places the step-up
//! screen may send a browser back to. Anything else (another path, `.` or
//! `..` segments, percent-encoding, a UUID in another spelling) is not one
//! of them. The paths are the ones the page modules route (`paths`).

use twofold_core::{AccessTokenId, AccountId, PasskeyId, TotpId};
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
    CreateUser,
    DisableUser(AccountId),
    EnableUser(AccountId),
    IssuePasswordLink(AccountId),
    /// An owner's "Revoke" of another user's token: both ids are in the
    /// path, so a sealed form reaches only that user's that token.
    RevokeUserToken(AccountId, AccessTokenId),
}

/// Every change, built from the id its path carries (ignored by the changes
/// whose path has none).
const ALL: [fn(Uuid) -> PendingChange; 16] = [
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
    |_| PendingChange::CreateUser,
    |id| PendingChange::DisableUser(AccountId::from_uuid(id)),
    |id| PendingChange::EnableUser(AccountId::from_uuid(id)),
    |id| PendingChange::IssuePasswordLink(AccountId::from_uuid(id)),
];

/// The changes whose path carries two ids: the user's, then the item's.
const ALL_PAIRS: [fn(Uuid, Uuid) -> PendingChange; 1] = [|user, token| {
    PendingChange::RevokeUserToken(AccountId::from_uuid(user), AccessTokenId::from_uuid(token))
}];

impl PendingChange {
    /// The change whose form posts to `path`, if `path` is exactly the
    /// canonical path of one.
    pub fn from_path(path: &str) -> Option<Self> {
        let one = ALL.iter().find_map(|change| {
            match match_route(change(Uuid::nil()).route(), path)?.as_slice() {
                [] => Some(change(Uuid::nil())),
                [id] => Some(change(*id)),
                _ => None,
            }
        });
        one.or_else(|| {
            ALL_PAIRS.iter().find_map(|change| {
                match match_route(change(Uuid::nil(), Uuid::nil()).route(), path)?.as_slice() {
                    [first, second] => Some(change(*first, *second)),
                    _ => None,
                }
            })
        })
    }

    /// The action's path, in its one canonical spelling.
    pub fn path(self) -> String {
        let mut path = self.route().to_owned();
        if let Some(id) = self.id() {
            path = path.replace("{id}", &id.hyphenated().to_string());
        }
        if let Some(id) = self.second_id() {
            path = path.replace("{token_id}", &id.hyphenated().to_string());
        }
        path
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
            Self::CreateUser => paths::ADMIN_USER_NEW,
            Self::DisableUser(_) => paths::ADMIN_USER_DISABLE,
            Self::EnableUser(_) => paths::ADMIN_USER_ENABLE,
            Self::IssuePasswordLink(_) => paths::ADMIN_USER_PASSWORD_LINK,
            Self::RevokeUserToken(..) => paths::ADMIN_USER_TOKEN_REVOKE,
        }
    }

    fn id(self) -> Option<Uuid> {
        match self {
            Self::RenameTotp(id) | Self::RemoveTotp(id) => Some(id.uuid()),
            Self::RenamePasskey(id) | Self::RemovePasskey(id) => Some(id.uuid()),
            Self::ResetUserMfa(id) | Self::SetUserRole(id) => Some(id.uuid()),
            Self::DisableUser(id) | Self::EnableUser(id) | Self::IssuePasswordLink(id) => {
                Some(id.uuid())
            }
            Self::RevokeUserToken(id, _) => Some(id.uuid()),
            _ => None,
        }
    }

    /// The second id of a path that carries two.
    fn second_id(self) -> Option<Uuid> {
        match self {
            Self::RevokeUserToken(_, token) => Some(token.uuid()),
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
            Self::CreateUser => "create a user",
            Self::DisableUser(_) => "disable another user's account",
            Self::EnableUser(_) => "enable another user's account",
            Self::IssuePasswordLink(_) => "create a set-password link for another user",
            Self::RevokeUserToken(..) => "revoke another user's personal access token",
        }
    }
}

/// Whether `path` is `route` segment by segment, with each `{…}` segment
/// (if any) a canonical UUID; those ids, in order.
fn match_route(route: &str, path: &str) -> Option<Vec<Uuid>> {
    let (mut route, mut path) = (route.split('/'), path.split('/'));
    let mut ids = Vec::new();
    loop {
        match (route.next(), path.next()) {
            (None, None) => return Some(ids),
            (Some(param), Some(segment)) if param.starts_with('{') => {
                ids.push(canonical_id(segment)?);
            }
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
    const OTHER: &str = "5f0e1d2c-3b4a-4968-8776-655443322110";

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
            PendingChange::CreateUser,
            PendingChange::DisableUser(AccountId::from_uuid(id)),
            PendingChange::EnableUser(AccountId::from_uuid(id)),
            PendingChange::IssuePasswordLink(AccountId::from_uuid(id)),
            PendingChange::RevokeUserToken(
                AccountId::from_uuid(id),
                AccessTokenId::from_uuid(Uuid::parse_str(OTHER).unwrap()),
            ),
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
            "/admin/users/new/",
            "/admin/users/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/tokens/revoke",
            "/admin/users/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/tokens/x/revoke",
            "/admin/users/0b7c5a4e-3f1d-4c8e-9a2b-6d5e4f3a2b1c/tokens/5F0E1D2C-3B4A-4968-8776-655443322110/revoke",
        ] {
            assert_eq!(PendingChange::from_path(bad), None, "{bad}");
        }
        assert!(
            PendingChange::from_path(&format!("/settings/security/totp/{ID}/remove")).is_some()
        );
        // The two ids of a token's path stay in their places.
        let revoke = PendingChange::from_path(&format!("/admin/users/{ID}/tokens/{OTHER}/revoke"));
        assert_eq!(
            revoke,
            Some(PendingChange::RevokeUserToken(
                AccountId::from_uuid(Uuid::parse_str(ID).unwrap()),
                AccessTokenId::from_uuid(Uuid::parse_str(OTHER).unwrap()),
            ))
        );
    }
}
