//! The JSON shapes the API answers with, built from store models.

use serde::Serialize;
use twofold_store::{Account, Session};
use utoipa::ToSchema;
use uuid::Uuid;

/// An account as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    pub email: String,
    /// `owner`, `admin` or `member`.
    #[schema(value_type = String, example = "member")]
    pub role: twofold_core::Role,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id,
            email: a.email.clone(),
            role: a.role,
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

/// The account a session belongs to.
#[derive(Serialize, ToSchema)]
pub struct SessionAccount {
    pub id: Uuid,
    pub email: String,
    #[schema(value_type = String, example = "member")]
    pub role: twofold_core::Role,
}

/// A session, as its holder sees it.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub account: SessionAccount,
    /// Authentication assurance level: 1 or 2.
    #[schema(value_type = u8, example = 1)]
    pub aal: twofold_core::session::Aal,
    /// Methods used: `pwd`, `otp`, `hwk`, `rc`.
    #[schema(value_type = Vec<String>, example = json!(["pwd"]))]
    pub amr: Vec<twofold_core::session::Amr>,
    pub created_at: String,
    pub expires_at: String,
    /// End of the step-up window; null until the first proof.
    pub privileged_until: Option<String>,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id,
            account: SessionAccount {
                id: s.account_id,
                email: s.account_email.clone(),
                role: s.account_role,
            },
            aal: s.aal,
            amr: s.amr.clone(),
            created_at: s.created_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            privileged_until: s.privileged_until.map(|t| t.to_rfc3339()),
        }
    }
}
