//! A fresh database per test: a SQLite file in a temporary folder, or a new
//! PostgreSQL database (dropped when the test ends) on the server named by
//! `TWOFOLD_TEST_POSTGRES_URL`, copied from a template migrated once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use sqlx::migrate::Migrator;
use sqlx::{Connection as _, PgConnection};
use tempfile::TempDir;
use twofold_core::key::ServerKey;
use twofold_postgres::PgStore;
use twofold_sqlite::SqliteStore;
use twofold_store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// A scratch folder for this test (SQLite file, key files, …).
    pub dir: TempDir,
    /// The server key every instance on this database shares.
    pub key: ServerKey,
    postgres: Option<(String, String)>,
}

/// Where PostgreSQL tests go. In CI the variable must be set: the suite
/// fails rather than silently testing one backend.
pub fn postgres_admin_url() -> String {
    match std::env::var("TWOFOLD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but TWOFOLD_TEST_POSTGRES_URL is not set")
        }
        _ => "postgres://postgres@127.0.0.1:5432/test".to_owned(),
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("twofold.db").display());
                Self {
                    backend,
                    url,
                    dir,
                    key: ServerKey::generate().unwrap(),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("twofold_test_{}", uuid::Uuid::new_v4().simple());
                let template = migrated_template(&admin).await;
                let mut conn = connect(&admin).await;
                execute(
                    &mut conn,
                    format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
                )
                .await;
                conn.close().await.ok();
                Self {
                    backend,
                    url: database_url(&admin, &name),
                    dir,
                    key: ServerKey::generate().unwrap(),
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// The migrated store, as `twofold` opens it (less its SQLite file modes).
    pub async fn store(&self) -> Arc<dyn Store> {
        let store: Arc<dyn Store> = match self.backend {
            Backend::Sqlite => Arc::new(SqliteStore::open(&self.url).await.unwrap()),
            Backend::Postgres => Arc::new(PgStore::open(&self.url).await.unwrap()),
        };
        store.migrate().await.unwrap();
        store
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The name of a PostgreSQL database migrated to the current migrations,
/// which every PostgreSQL test database is a copy of. nextest runs each test
/// in a process of its own, so the template outlives the process: its name
/// carries a hash of the migrations, and the first process to miss it builds
/// it while the others wait on an advisory lock. Templates of other
/// migrations are left alone: suites of other checkouts may be copying them.
async fn migrated_template(admin: &str) -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| build_template_unless_present(admin))
        .await
}

async fn build_template_unless_present(admin: &str) -> String {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../twofold-postgres/migrations");
    let migrator = Migrator::new(migrations).await.unwrap();
    let name = template_name(&migrator);
    let mut conn = connect(admin).await;
    if !database_exists(&mut conn, &name).await {
        advisory(&mut conn, "pg_advisory_lock", &name).await;
        // Another process may have built it while this one waited.
        if !database_exists(&mut conn, &name).await {
            build_template(&mut conn, admin, &migrator, &name).await;
        }
        advisory(&mut conn, "pg_advisory_unlock", &name).await;
    }
    conn.close().await.ok();
    name
}

/// Takes or releases the session-level advisory lock named by `key`.
async fn advisory(conn: &mut PgConnection, function: &str, key: &str) {
    let sql = format!("SELECT {function}(hashtext($1))");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .execute(conn)
        .await
        .unwrap();
}

fn template_name(migrator: &Migrator) -> String {
    let mut hash = Sha256::new();
    for migration in migrator.iter() {
        hash.update(migration.version.to_be_bytes());
        hash.update(&migration.checksum);
    }
    let hex: String = hash.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("twofold_template_{hex}")
}

/// Migrates under a scratch name and renames when done, so a process that
/// dies midway never leaves a half-migrated database under the template's
/// name (the next builder, holding the lock, drops the leftover).
async fn build_template(conn: &mut PgConnection, admin: &str, migrator: &Migrator, name: &str) {
    let scratch = format!("{name}_building");
    execute(
        conn,
        format!("DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)"),
    )
    .await;
    execute(conn, format!("CREATE DATABASE \"{scratch}\"")).await;
    let mut target = connect(&database_url(admin, &scratch)).await;
    migrator.run(&mut target).await.unwrap();
    target.close().await.unwrap();
    execute(
        conn,
        format!("ALTER DATABASE \"{scratch}\" RENAME TO \"{name}\""),
    )
    .await;
}

async fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}"))
}

/// Runs a statement that takes no binds (database names cannot be bound).
async fn execute(conn: &mut PgConnection, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .unwrap();
}

/// The URL of another database on the server of `admin`.
fn database_url(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(name);
    url.to_string()
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a thread of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
