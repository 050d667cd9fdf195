//! The command line: flags, subcommands, and the settings they override.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::Failure;
use crate::config::{self, Settings};

#[derive(Parser)]
#[command(
    name = "twofold",
    version,
    about = "Accounts and multi-factor authentication in one binary"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalFlags,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags that override the environment and the configuration file.
#[derive(Args)]
pub(crate) struct GlobalFlags {
    /// TOML configuration file (also TWOFOLD_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on (TWOFOLD_LISTEN, default 127.0.0.1:8080).
    #[arg(long, global = true, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// Data folder for the SQLite database and key (TWOFOLD_DATA_DIR).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) data_dir: Option<String>,
    /// sqlite:… or postgres://… (TWOFOLD_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The URL people use to reach twofold (TWOFOLD_PUBLIC_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) public_url: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// Applications allowed to introspect tokens; needs the database
    /// settings only.
    #[command(subcommand)]
    App(AppCommand),
    /// Break-glass recovery; needs the database settings only.
    #[command(subcommand)]
    Recover(RecoverCommand),
}

#[derive(Subcommand)]
pub(crate) enum RecoverCommand {
    /// Turn off two-factor authentication for a locked-out account: removes
    /// its authenticator apps, passkeys and recovery codes and ends its
    /// sessions (exit 1 if there is no such account or nothing to remove).
    #[command(name = "disable-2fa")]
    DisableTwoFactor {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
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
    /// List every account with its role and factor counts; needs the
    /// database settings only.
    List {
        /// One JSON object a line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Give an account a role; needs the database settings only (exit 1 if
    /// there is no such account, or it is the last owner).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["owner", "admin", "member"])]
        role: String,
    },
    /// Print a one-time set-password link (valid 24 hours) for an account
    /// whose password is forgotten; its second factors stay. Needs the
    /// database settings and the public URL only (exit 1 if there is no
    /// such account).
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Disable an account: every session of it ends and signing in is
    /// refused; needs the database settings only (exit 1 if there is no
    /// such account, or it is the last active owner).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again; needs the database settings only
    /// (exit 1 if there is no such account).
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum AppCommand {
    /// Register an application; prints its client id and secret (shown once).
    Create {
        #[arg(long)]
        name: String,
    },
    /// List the applications: client id, created, name.
    List,
    /// Remove an application: its credentials stop working at once (exit 1
    /// if there is no such application).
    Delete {
        #[arg(long)]
        client_id: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Print a new random server key (base64url).
    Generate {
        /// Write it to a new file of mode 0600 instead.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

pub(crate) fn load_settings(flags: &GlobalFlags) -> Result<Settings, Failure> {
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
