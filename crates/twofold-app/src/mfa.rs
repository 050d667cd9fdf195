//! The account's second factors taken together: whether MFA is on, and the
//! methods an MFA challenge can be met with. MFA is on exactly when a
//! confirmed authenticator app (or, later, a passkey) exists: derived, never
//! stored as a flag that could disagree.

use twofold_core::AccountId;
use twofold_store::TotpAuthenticator;

use crate::{App, AppResult};

/// A way to meet an MFA challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    Totp,
}

impl MfaMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMethod::Totp => "totp",
        }
    }
}

/// What the Security page and `GET /me/mfa` show.
#[derive(Debug, Clone)]
pub struct MfaOverview {
    /// Confirmed authenticator apps, oldest first.
    pub totp: Vec<TotpAuthenticator>,
}

impl MfaOverview {
    pub fn enabled(&self) -> bool {
        !self.totp.is_empty()
    }

    pub fn methods(&self) -> Vec<MfaMethod> {
        let mut methods = Vec::new();
        if !self.totp.is_empty() {
            methods.push(MfaMethod::Totp);
        }
        methods
    }
}

impl App {
    pub async fn mfa_overview(&self, account: AccountId) -> AppResult<MfaOverview> {
        let totp = self
            .store
            .totp_authenticators(account)
            .await?
            .into_iter()
            .filter(|t| t.confirmed_at.is_some())
            .collect();
        Ok(MfaOverview { totp })
    }
}
