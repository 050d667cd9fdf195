//! A fresh database per test: a SQLite file in a temporary folder, or a new
//! PostgreSQL database (dropped when the test ends) on the server named by
//! `TWOFOLD_TEST_POSTGRES_URL`.

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::Connection as _;
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
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.ok();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self {
                    backend,
                    url: url.to_string(),
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
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
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
