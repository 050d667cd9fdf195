//! `twofold app create|list|delete`: the applications allowed to introspect
//! tokens (`POST /api/v1/introspect`). Like the other operator commands,
//! they need the database settings only.

use twofold_app::AppError;
use twofold_core::ApplicationId;

use crate::Failure;
use crate::config::Settings;
use crate::recover::{open_operator, os_user};

/// Prints the new application's client id and secret; the secret is shown
/// this once (only its hash is stored).
pub(crate) async fn create(settings: &Settings, name: &str) -> Result<(), Failure> {
    let created = open_operator(settings)
        .await?
        .create_application(name, os_user())
        .await?;
    println!("client_id: {}", created.application.id);
    println!("client_secret: {}", created.secret.expose());
    eprintln!("the secret is shown this once: store it with the application now");
    Ok(())
}

/// One application a line: client id, created, name.
pub(crate) async fn list(settings: &Settings) -> Result<(), Failure> {
    for application in open_operator(settings).await?.applications().await? {
        println!(
            "{}  {}  {}",
            application.id,
            application.created_at.to_rfc3339(),
            application.name
        );
    }
    Ok(())
}

/// Exit 1 if there is no such application.
pub(crate) async fn delete(settings: &Settings, client_id: &str) -> Result<(), Failure> {
    let id: ApplicationId = client_id
        .parse()
        .map_err(|_| Failure::Other(format!("{client_id:?} is not a client id")))?;
    match open_operator(settings)
        .await?
        .delete_application(id, os_user())
        .await
    {
        Ok(()) => {
            println!("deleted {id}");
            Ok(())
        }
        Err(AppError::NotFound(_)) => Err(Failure::Other(format!("no application {id}"))),
        Err(e) => Err(e.into()),
    }
}
