//! `twofold user disable|enable --email E`: the same change as an owner's
//! `POST /admin/users/{id}/disable|enable`, from the database settings
//! alone, audited with actor `cli` and the OS user. Disabling ends every
//! session of the account at once, on every instance.

use twofold_app::{AppError, RequestContext, ResetTarget};
use twofold_core::audit::Actor;

use crate::Failure;
use crate::config::Settings;
use crate::recover::{open_operator, os_user};

/// Disables (`disabled`) or enables the account with this email. Exit 0
/// also when it was already so (nothing is written then).
pub(crate) async fn set_disabled(
    settings: &Settings,
    email: &str,
    disabled: bool,
) -> Result<(), Failure> {
    let operator = open_operator(settings).await?;
    let changed = operator
        .set_disabled(
            ResetTarget::Email(email.to_owned()),
            disabled,
            Actor::Cli,
            &RequestContext::default(),
            os_user(),
        )
        .await;
    match changed {
        Ok(account) => {
            let status = if account.is_disabled() {
                "disabled: its sessions are ended and it cannot sign in"
            } else {
                "active"
            };
            println!("{} is {status}", account.email);
            Ok(())
        }
        Err(AppError::NotFound(_)) => Err(Failure::Other(format!("no account with email {email}"))),
        Err(e) => Err(e.into()),
    }
}
