//! The page paths named outside their own handler module: the step-up
//! screen sends a browser back to the protected actions, and the actions
//! send it back to the Security page. Each is typed here once.

/// The Security page.
pub const SECURITY: &str = "/settings/security";
/// Where a signed-in person lands.
pub const HOME: &str = SECURITY;
pub const PASSWORD: &str = "/settings/security/password";
pub const TOTP_ADD: &str = "/settings/security/totp";
pub const TOTP_RENAME: &str = "/settings/security/totp/{id}/rename";
pub const TOTP_REMOVE: &str = "/settings/security/totp/{id}/remove";
pub const RECOVERY_GENERATE: &str = "/settings/security/recovery-codes";
pub const MFA_DISABLE: &str = "/settings/security/mfa/disable";
pub const PASSKEY_ADD: &str = "/settings/security/passkeys/add";
pub const PASSKEY_RENAME: &str = "/settings/security/passkeys/{id}/rename";
pub const PASSKEY_REMOVE: &str = "/settings/security/passkeys/{id}/remove";
/// Personal access tokens: create (step-up), revoke (no step-up).
pub const TOKENS: &str = "/settings/security/tokens";
pub const TOKEN_REVOKE: &str = "/settings/security/tokens/{id}/revoke";
/// After a sign-in in the grace period, and the only page of a session past
/// its deadline.
pub const MFA_REQUIRED: &str = crate::extract::MFA_REQUIRED_PAGE;
/// Administration → Users.
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_USER: &str = "/admin/users/{id}";
pub const ADMIN_USER_MFA_DISABLE: &str = "/admin/users/{id}/mfa/disable";
pub const ADMIN_USER_ROLE: &str = "/admin/users/{id}/role";
/// The list page's "Create user" form.
pub const ADMIN_USER_NEW: &str = "/admin/users/new";
pub const ADMIN_USER_DISABLE: &str = "/admin/users/{id}/disable";
pub const ADMIN_USER_ENABLE: &str = "/admin/users/{id}/enable";
pub const ADMIN_USER_PASSWORD_LINK: &str = "/admin/users/{id}/password-link";
/// Two ids: the user's, then the token's.
pub const ADMIN_USER_TOKEN_REVOKE: &str = "/admin/users/{id}/tokens/{token_id}/revoke";

/// One user's page, in its canonical spelling.
pub fn admin_user(id: twofold_core::AccountId) -> String {
    ADMIN_USER.replace("{id}", &id.uuid().hyphenated().to_string())
}
