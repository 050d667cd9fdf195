//! `twofold`: the server and its operator commands. A thin shell over the
//! server and app crates: parse the command line, load settings, open the
//! database (the one crate that knows both backends), call in.

mod boot;
mod config;

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret as _, SecretString};
use twofold_app::{App, AppError, NewAccountRequest, PasswordHashing, RequestContext};
use twofold_core::Role;
use twofold_core::audit::Actor;
use twofold_core::key::ServerKey;
use twofold_core::password::PasswordHasher;
use twofold_server::{AppState, WebConfig};

use crate::boot::{Backend, BootError, KeySettings, SystemClock};
use crate::config::{LogFormat, SettingError, Settings};

#[derive(Parser)]
#[command(
    name = "twofold",
    version,
    about = "Accounts and multi-factor authentication in one binary"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalFlags,
    #[command(subcommand)]
    command: Command,
}

/// Flags that override the environment and the configuration file.
#[derive(Args)]
struct GlobalFlags {
    /// TOML configuration file (also TWOFOLD_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Address to listen on (TWOFOLD_LISTEN, default 127.0.0.1:8080).
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    /// Data folder for the SQLite database and key (TWOFOLD_DATA_DIR).
    #[arg(long, global = true, value_name = "PATH")]
    data_dir: Option<String>,
    /// sqlite:… or postgres://… (TWOFOLD_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// The URL people use to reach twofold (TWOFOLD_PUBLIC_URL).
    #[arg(long, global = true, value_name = "URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Apply database migrations, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the server key.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        email: String,
        /// owner, admin or member.
        #[arg(long, default_value = "member")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a new random server key (base64url).
    Generate {
        /// Write it to a new file of mode 0600 instead.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

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
        Command::Key(_) => Ok(()),
    }
}

fn load_settings(flags: &GlobalFlags) -> Result<Settings, Failure> {
    let env = |name: &str| std::env::var(name).ok();
    let config_file = flags
        .config
        .clone()
        .or_else(|| env("TWOFOLD_CONFIG").map(PathBuf::from));
    Ok(config::load(
        config_file.as_deref(),
        &[
            ("listen", flags.listen.clone()),
            ("data_dir", flags.data_dir.clone()),
            ("database_url", flags.database_url.clone()),
            ("public_url", flags.public_url.clone()),
        ],
        env,
    )?)
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

async fn serve(settings: Settings) -> Result<(), Failure> {
    raise_open_files_limit(settings.transport.max_connections);
    let app = open(&settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on {}: {e}", settings.listen)))?;
    if twofold_server::client_ip::ipv6_listener_trusts_only_ipv4(
        settings.listen,
        &settings.trusted_proxies,
    ) {
        tracing::warn!(
            listen = %settings.listen,
            "trusted_proxies lists only IPv4 blocks while twofold listens on IPv6: IPv4 proxies \
             (also seen as ::ffff:a.b.c.d) are trusted, a proxy connecting over IPv6 (e.g. ::1) \
             is not; add its address if it does"
        );
    }
    let web = WebConfig {
        trusted_proxies: settings.trusted_proxies.clone(),
        limits: settings.transport,
        ..WebConfig::from_public_url(&settings.public_url)
    };
    let state = AppState {
        app,
        web: Arc::new(web),
    };
    // Housekeeping every ten minutes; every instance may run it, the
    // deletes are idempotent.
    let sweeper = state.app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match sweeper.sweep_expired().await {
                Ok(deleted) => tracing::debug!(deleted, "swept expired rows"),
                Err(e) => tracing::warn!(error = %e, "sweeping expired rows failed"),
            }
        }
    });
    tracing::info!(
        listen = %settings.listen,
        public_url = %settings.public_url,
        backend = state.app.store().backend(),
        "twofold is serving"
    );
    twofold_server::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| Failure::Other(format!("server failed: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// Files the process needs besides its connections: the database, the
/// listener, logs.
const FILES_BESIDES_CONNECTIONS: u64 = 64;

/// Raises the soft open-files limit to the hard one (the soft one is often
/// 1024): each connection holds a file, and running out stops `accept()`.
/// Warns when `max_connections` would still not fit.
fn raise_open_files_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open-files limit");
            let needed = u64::try_from(max_connections)
                .unwrap_or(u64::MAX)
                .saturating_add(FILES_BESIDES_CONNECTIONS);
            if needed > limit {
                tracing::warn!(
                    limit,
                    max_connections,
                    "the open-files limit is below max_connections plus a margin: lower \
                     max_connections or raise the hard limit (e.g. LimitNOFILE= in systemd)"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = interrupt => {}
        _ = async {
            match terminate.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
    tracing::info!("shutting down");
}

async fn create_user(
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

fn generate_key(out: Option<&std::path::Path>) -> Result<(), Failure> {
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
