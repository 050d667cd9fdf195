//! Starting up: the database a URL names, the server key, the system clock.
//! Shared by `twofold serve` and the other CLI commands.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use twofold_core::key::ServerKey;
use twofold_core::{Clock, Timestamp};
use twofold_postgres::PgStore;
use twofold_sqlite::SqliteStore;
use twofold_store::Store;

/// A start-up failure, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// A setting is unusable; names the setting (exit code 2).
    #[error("invalid setting `{setting}`: {reason}")]
    Setting {
        setting: &'static str,
        reason: String,
    },
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] twofold_store::StoreError),
    #[error("{0}")]
    Io(String),
}

/// The real clock, in whole seconds.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the real time
    fn now(&self) -> Timestamp {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp::from_unix(seconds)
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self, BootError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(BootError::Setting {
                setting: "database_url",
                reason: "must start with sqlite: or postgres://".into(),
            })
        }
    }
}

/// Opens the database at `url` and applies pending migrations. A SQLite
/// database file and its `-wal`/`-shm` companions are made private (0600)
/// whatever the folder's mode: they hold password hashes, sealed secrets
/// and session hashes.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>, BootError> {
    let store: Arc<dyn Store> = match Backend::of(url)? {
        Backend::Sqlite => {
            let file = sqlite_file(url);
            if let Some(path) = &file {
                create_private_file(path);
            }
            let store = SqliteStore::open(url).await?;
            store.migrate().await?;
            if let Some(path) = &file {
                make_database_files_private(path)?;
            }
            Arc::new(store)
        }
        Backend::Postgres => {
            let store = PgStore::open(url).await?;
            store.migrate().await?;
            Arc::new(store)
        }
    };
    Ok(store)
}

/// The file a SQLite URL names (`sqlite://PATH` or `sqlite:PATH`, options
/// after `?`), or `None` for an in-memory database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty()
        || path == ":memory:"
        || options.split('&').any(|option| option == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// Creates the database file with mode 0600 before SQLite does (SQLite would
/// follow the umask, and gives its `-wal`/`-shm` files the database file's
/// mode). An existing file is left as it is; a file that cannot be created
/// here is left for SQLite to report.
fn create_private_file(path: &Path) {
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    if let Err(e) = created
        && e.kind() != std::io::ErrorKind::AlreadyExists
    {
        tracing::debug!(path = %path.display(), error = %e, "database file not created ahead of SQLite");
    }
}

/// Sets mode 0600 on the database file and on its `-wal` and `-shm` files
/// where they exist (a database made by an older version, or under a wider
/// umask).
fn make_database_files_private(database: &Path) -> Result<(), BootError> {
    use std::os::unix::fs::PermissionsExt as _;
    let with_suffix = |suffix: &str| {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    for path in [
        database.to_path_buf(),
        with_suffix("-wal"),
        with_suffix("-shm"),
    ] {
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(BootError::Io(format!(
                    "cannot make {} private (mode 0600): {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Compares the server key with the check value stored on first start, so
/// a wrong key stops the server now rather than every TOTP sign-in later.
pub async fn check_key(store: &dyn Store, key: &ServerKey) -> Result<(), BootError> {
    if twofold_app::server_key_matches(store, key).await? {
        return Ok(());
    }
    Err(BootError::Setting {
        setting: "secret_key_file",
        reason: "this is not the server key this database was set up with (its key check \
                 does not match); start with the original key"
            .into(),
    })
}

/// The SQLite URL for the database file in the data folder.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("twofold.db").display())
}

/// Where the server key comes from.
pub struct KeySettings<'a> {
    /// `TWOFOLD_SECRET_KEY_FILE`.
    pub file: Option<&'a Path>,
    /// `TWOFOLD_SECRET_KEY` (base64url).
    pub inline: Option<&'a str>,
    /// Where SQLite mode keeps a generated key.
    pub data_dir: &'a Path,
}

/// Loads the server key. On SQLite, with no key given, it uses (or creates,
/// mode 0600) `key` in the data folder; on PostgreSQL several instances must
/// share one key, so a generated one would be wrong and start-up refuses.
pub fn server_key(settings: &KeySettings<'_>, backend: Backend) -> Result<ServerKey, BootError> {
    if let Some(path) = settings.file {
        let text = std::fs::read_to_string(path).map_err(|e| BootError::Setting {
            setting: "secret_key_file",
            reason: format!("cannot read {}: {e}", path.display()),
        })?;
        return ServerKey::parse(&text).map_err(|e| BootError::Setting {
            setting: "secret_key_file",
            reason: e.to_string(),
        });
    }
    if let Some(text) = settings.inline {
        return ServerKey::parse(text).map_err(|e| BootError::Setting {
            setting: "secret_key",
            reason: e.to_string(),
        });
    }
    match backend {
        Backend::Sqlite => key_in_data_dir(settings.data_dir),
        Backend::Postgres => Err(BootError::Setting {
            setting: "secret_key_file",
            reason: "PostgreSQL mode needs the same server key on every instance: run \
                     `twofold key generate --out /path/to/key` once and set \
                     TWOFOLD_SECRET_KEY_FILE=/path/to/key"
                .into(),
        }),
    }
}

fn key_in_data_dir(data_dir: &Path) -> Result<ServerKey, BootError> {
    let path: PathBuf = data_dir.join("key");
    match std::fs::read_to_string(&path) {
        Ok(text) => ServerKey::parse(&text).map_err(|e| BootError::Setting {
            setting: "secret_key_file",
            reason: format!("{}: {e}", path.display()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = ServerKey::generate().map_err(|e| BootError::Io(e.to_string()))?;
            write_key_file(&path, &key)?;
            tracing::info!(path = %path.display(), "generated a new server key");
            Ok(key)
        }
        Err(e) => Err(BootError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Writes a key to a new file of mode 0600; refuses to overwrite one.
pub fn write_key_file(path: &Path, key: &ServerKey) -> Result<(), BootError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| BootError::Io(format!("cannot create {}: {e}", path.display())))?;
    writeln!(file, "{}", key.encode())
        .map_err(|e| BootError::Io(format!("cannot write {}: {e}", path.display())))
}

/// Creates the data folder (mode 0700) if it is missing.
pub fn ensure_data_dir(path: &Path) -> Result<(), BootError> {
    use std::os::unix::fs::DirBuilderExt as _;
    if path.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| BootError::Setting {
            setting: "data_dir",
            reason: format!("cannot create {}: {e}", path.display()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_comes_from_the_sqlite_url() {
        let file = |url: &str| sqlite_file(url).map(|p| p.display().to_string());
        assert_eq!(
            file("sqlite:///var/lib/twofold/twofold.db").as_deref(),
            Some("/var/lib/twofold/twofold.db")
        );
        assert_eq!(
            file("sqlite://data/twofold.db?mode=rwc").as_deref(),
            Some("data/twofold.db")
        );
        assert_eq!(file("sqlite:twofold.db").as_deref(), Some("twofold.db"));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://shared?mode=memory&cache=shared"), None);
        assert_eq!(file("postgres://localhost/twofold"), None);
    }
}
