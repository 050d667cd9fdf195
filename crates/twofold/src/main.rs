//! `twofold`: the server and its operator commands. A thin shell over the
//! server and app crates: parse the command line, load settings, open the
//! database (the one crate that knows both backends), call in.

mod applications;
mod boot;
mod cli;
mod commands;
mod config;
mod recover;
mod serve;
mod user_list;
mod user_password;
mod user_role;
mod user_status;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use secrecy::ExposeSecret as _;
use twofold_app::{App, AppError, PasswordHashing};
use twofold_core::password::PasswordHasher;

use crate::boot::{Backend, BootError, KeySettings, SystemClock};
use crate::cli::{
    AppCommand, Cli, Command, KeyCommand, RecoverCommand, UserCommand, load_settings,
};
use crate::commands::{create_user, generate_key};
use crate::config::{LogFormat, SettingError, Settings};
use crate::serve::serve;

/// How a command failed, and so its exit code.
enum Failure {
    /// A setting is unusable: exit code 2.
    Setting(String),
    /// Anything else: exit code 1.
    Other(String),
}

impl From<SettingError> for Failure {
    fn from(e: SettingError) -> Self {
        Failure::Setting(e.to_string())
    }
}

impl From<BootError> for Failure {
    fn from(e: BootError) -> Self {
        match e {
            BootError::Setting { .. } => Failure::Setting(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(cause) => Failure::Other(format!("internal error: {cause}")),
            other => Failure::Other(other.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => Err(Failure::Other(format!("cannot start the runtime: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Setting(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Other(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Key(KeyCommand::Generate { out }) = &cli.command {
        return generate_key(out.as_deref());
    }
    let settings = load_settings(&cli.global)?;
    init_logging(settings.log_format, matches!(cli.command, Command::Serve));
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let app = open(&settings).await?;
            eprintln!("migrations applied ({})", app.store().backend());
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            role,
            password_stdin,
        }) => create_user(&settings, email, &role, password_stdin).await,
        Command::User(UserCommand::List { json }) => user_list::list_users(&settings, json).await,
        Command::User(UserCommand::SetRole { email, role }) => {
            user_role::set_role(&settings, &email, &role).await
        }
        Command::User(UserCommand::ResetPassword { email }) => {
            user_password::reset_password(&settings, &email).await
        }
        Command::User(UserCommand::Disable { email }) => {
            user_status::set_disabled(&settings, &email, true).await
        }
        Command::User(UserCommand::Enable { email }) => {
            user_status::set_disabled(&settings, &email, false).await
        }
        Command::Recover(RecoverCommand::DisableTwoFactor { email }) => {
            recover::disable_two_factor(&settings, &email).await
        }
        Command::App(AppCommand::Create { name }) => applications::create(&settings, &name).await,
        Command::App(AppCommand::List) => applications::list(&settings).await,
        Command::App(AppCommand::Delete { client_id }) => {
            applications::delete(&settings, &client_id).await
        }
        Command::Key(_) => Ok(()),
    }
}

fn init_logging(format: LogFormat, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TWOFOLD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Ignore "already set": only the first call in a process counts.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Opens the database (running migrations) and builds the app.
async fn open(settings: &Settings) -> Result<App, Failure> {
    let url = match &settings.database_url {
        Some(url) => url.clone(),
        None => boot::default_database_url(&settings.data_dir),
    };
    let backend = Backend::of(&url)?;
    if backend == Backend::Sqlite {
        boot::ensure_data_dir(&settings.data_dir)?;
    }
    let key = boot::server_key(
        &KeySettings {
            file: settings.secret_key_file.as_deref(),
            inline: settings.secret_key.as_ref().map(|s| s.expose_secret()),
            data_dir: &settings.data_dir,
        },
        backend,
    )?;
    let hasher = PasswordHasher::new().map_err(|e| Failure::Other(e.to_string()))?;
    let store = boot::open_store(&url).await?;
    boot::check_key(store.as_ref(), &key).await?;
    let webauthn = match twofold_app::passkeys::relying_party(
        &settings.public_url,
        &settings.policy.issuer,
    ) {
        Ok(rp) => Some(rp),
        Err(e) => {
            tracing::warn!(error = %e, public_url = %settings.public_url, "passkeys disabled: the public URL is not a valid WebAuthn origin");
            None
        }
    };
    let app = App::new(
        store,
        Arc::new(SystemClock),
        key,
        PasswordHashing::new(hasher, settings.hash_concurrency),
        settings.policy.clone(),
        webauthn,
    );
    Ok(app)
}
