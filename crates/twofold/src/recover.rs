//! `twofold recover …`: break-glass recovery for when no owner can sign in.
//! It needs the database settings only, never the server key (it may be the
//! key holder who is locked out), and runs beside a live server as just
//! another database client.

use std::sync::Arc;

use twofold_app::{AppError, MfaReset, Operator, RequestContext, ResetTarget};
use twofold_core::audit::Actor;

use crate::Failure;
use crate::boot::{self, Backend, SystemClock};
use crate::config::Settings;

/// `twofold recover disable-2fa --email E`.
pub(crate) async fn disable_two_factor(settings: &Settings, email: &str) -> Result<(), Failure> {
    let operator = open_operator(settings).await?;
    let reset = operator
        .reset_mfa(
            ResetTarget::Email(email.to_owned()),
            Actor::Cli,
            &RequestContext::default(),
            os_user(),
        )
        .await;
    match reset {
        Ok((account, removed)) => {
            println!("{} for {}", describe(&removed), account.email);
            Ok(())
        }
        Err(AppError::NotFound(_)) => Err(Failure::Other(format!("no account with email {email}"))),
        Err(e) => Err(e.into()),
    }
}

/// Opens (and migrates) the database the settings name. Every failure here
/// is the settings' or the database's: exit code 2. A SQLite file that does
/// not exist is refused rather than created: an empty new database would
/// only answer "no such account" for a path typed wrong.
pub(crate) async fn open_operator(settings: &Settings) -> Result<Operator, Failure> {
    let url = match &settings.database_url {
        Some(url) => url.clone(),
        None => boot::default_database_url(&settings.data_dir),
    };
    if Backend::of(&url)? == Backend::Sqlite
        && let Some(file) = boot::sqlite_file(&url)
        && !file.exists()
    {
        return Err(Failure::Setting(format!(
            "no database at {}: check the data folder or database URL",
            file.display()
        )));
    }
    let store = boot::open_store(&url)
        .await
        .map_err(|e| Failure::Setting(e.to_string()))?;
    Ok(Operator::new(store, Arc::new(SystemClock)))
}

/// Who ran the command, as the shell knows them: for the audit log only.
pub(crate) fn os_user() -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn describe(removed: &MfaReset) -> String {
    format!(
        "removed {}, {}, {}; ended {}; revoked {}",
        counted(removed.totp, "authenticator app", "authenticator apps"),
        counted(removed.passkeys, "passkey", "passkeys"),
        counted(removed.recovery_codes, "recovery code", "recovery codes"),
        counted(removed.sessions, "session", "sessions"),
        counted(removed.tokens, "access token", "access tokens"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_in_words() {
        let removed = MfaReset {
            totp: 1,
            passkeys: 0,
            recovery_codes: 10,
            sessions: 2,
            tokens: 1,
        };
        assert_eq!(
            describe(&removed),
            "removed 1 authenticator app, 0 passkeys, 10 recovery codes; ended 2 sessions; \
             revoked 1 access token"
        );
    }
}
