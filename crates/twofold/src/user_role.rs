//! `twofold user set-role --email E --role R`: the same change as an owner's
//! `POST /admin/users/{id}/role`, from the database settings alone, audited
//! with actor `cli` and the OS user.

use twofold_app::{AppError, RequestContext, ResetTarget};
use twofold_core::Role;
use twofold_core::audit::Actor;

use crate::Failure;
use crate::config::Settings;
use crate::recover::{open_operator, os_user};

pub(crate) async fn set_role(settings: &Settings, email: &str, role: &str) -> Result<(), Failure> {
    // clap accepts only the three names, so this cannot fail in practice.
    let role: Role = role
        .parse()
        .map_err(|_| Failure::Setting(format!("unknown role {role:?}")))?;
    let operator = open_operator(settings).await?;
    let changed = operator
        .set_role(
            ResetTarget::Email(email.to_owned()),
            role,
            Actor::Cli,
            &RequestContext::default(),
            os_user(),
        )
        .await;
    match changed {
        Ok(account) => {
            println!("{} is now {}", account.email, account.role.as_str());
            Ok(())
        }
        Err(AppError::NotFound(_)) => Err(Failure::Other(format!("no account with email {email}"))),
        Err(e) => Err(e.into()),
    }
}
