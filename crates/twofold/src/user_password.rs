//! `twofold user reset-password --email E`: a one-time set-password link
//! for someone who forgot their password, the same link as an admin's
//! `POST /admin/users/{id}/password-link`, from the database settings and
//! the public URL alone, audited with actor `cli` and the OS user. The
//! account's factors stay: the next sign-in still asks for one.

use twofold_app::{AppError, RequestContext, ResetTarget};
use twofold_core::audit::Actor;

use crate::Failure;
use crate::config::Settings;
use crate::recover::{open_operator, os_user};

pub(crate) async fn reset_password(settings: &Settings, email: &str) -> Result<(), Failure> {
    let operator = open_operator(settings).await?;
    let issued = operator
        .issue_password_link(
            ResetTarget::Email(email.to_owned()),
            Actor::Cli,
            &RequestContext::default(),
            os_user(),
        )
        .await;
    match issued {
        Ok(issued) => {
            let origin = settings.public_url.origin().ascii_serialization();
            println!("{}", issued.url(&origin));
            eprintln!(
                "one-time set-password link for {}, valid until {}; hand it over privately",
                issued.account.email,
                issued.expires_at.to_rfc3339()
            );
            Ok(())
        }
        Err(AppError::NotFound(_)) => Err(Failure::Other(format!("no account with email {email}"))),
        Err(e) => Err(e.into()),
    }
}
