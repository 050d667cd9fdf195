//! The operator commands besides `serve`: create an account, make a key.

use std::io::{BufRead as _, IsTerminal as _};

use secrecy::SecretString;
use twofold_app::{NewAccountRequest, RequestContext};
use twofold_core::Role;
use twofold_core::audit::Actor;
use twofold_core::key::ServerKey;

use crate::config::Settings;
use crate::{Failure, boot, open};

pub(crate) async fn create_user(
    settings: &Settings,
    email: String,
    role: &str,
    password_stdin: bool,
) -> Result<(), Failure> {
    let role: Role = role
        .parse()
        .map_err(|e: twofold_core::account::UnknownRole| Failure::Other(e.to_string()))?;
    let password = if password_stdin {
        read_stdin_line()?
    } else {
        prompt_password()?
    };
    let app = open(settings).await?;
    let account = app
        .create_account(
            NewAccountRequest {
                email,
                password: Some(password),
                role,
            },
            Actor::Cli,
            &RequestContext::default(),
        )
        .await?;
    println!(
        "created {} account {} ({})",
        account.role, account.email, account.id
    );
    Ok(())
}

/// One line of standard input, without its line ending.
fn read_stdin_line() -> Result<SecretString, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(format!("cannot read the password: {e}")))?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(SecretString::from(trimmed.to_owned()))
}

/// Asks twice, without echo.
fn prompt_password() -> Result<SecretString, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Other(
            "no terminal to ask for a password: use --password-stdin".into(),
        ));
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::Other(format!("cannot read the password: {e}")))
    };
    let first = read("Password: ")?;
    let second = read("Repeat it: ")?;
    if first != second {
        return Err(Failure::Other("the passwords differ".into()));
    }
    Ok(SecretString::from(first))
}

pub(crate) fn generate_key(out: Option<&std::path::Path>) -> Result<(), Failure> {
    let key = ServerKey::generate().map_err(|e| Failure::Other(e.to_string()))?;
    match out {
        Some(path) => {
            boot::write_key_file(path, &key)?;
            eprintln!("wrote a new server key to {} (mode 0600)", path.display());
        }
        None => println!("{}", key.encode()),
    }
    Ok(())
}
