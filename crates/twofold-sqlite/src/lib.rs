//! The embedded SQLite store: the default, for one instance.
//!
//! WAL with `synchronous=NORMAL` (a process crash loses nothing committed),
//! foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for every write
//! transaction. The queries are shared with PostgreSQL
//! (`twofold_sql`); this file holds only what is SQLite's own: its
//! [`Dialect`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};
use twofold_core::AccountId;
use twofold_sql::{Dialect, DialectTx, store_error};
use twofold_store::StoreResult;
use twofold_store::tx_guard::OpenTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A SQLite database file (or `sqlite::memory:` for nothing at all).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer at a time, queued here in order rather than in SQLite's
    /// busy handler (which sleeps and retries, and gives up with "database
    /// is locked" under a burst): SQLite serialises writers anyway.
    writer: Arc<Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(store_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(Self {
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }
}

#[async_trait]
impl Dialect for SqliteStore {
    const NAME: &'static str = "sqlite";
    type Db = Sqlite;
    type Tx = SqliteTx;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for this process's turn to write, then takes the database's
    /// write lock at once, so a transaction that reads then writes never
    /// fails half-way with "database is locked".
    async fn begin_write(&self) -> StoreResult<SqliteTx> {
        let turn = self.writer.clone().lock_owned().await;
        Ok(SqliteTx {
            tx: self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(store_error)?,
            _open: OpenTx::mark(),
            _turn: turn,
        })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| store_error(e.into()))
    }
}

/// An open write transaction: it holds the writer's turn until it ends.
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    _open: OpenTx,
    _turn: OwnedMutexGuard<()>,
}

#[async_trait]
impl DialectTx for SqliteTx {
    type Db = Sqlite;

    fn connection(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// The writer's turn is held until the commit is done.
    async fn commit_write(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(store_error)
    }

    /// One writer at a time: `BEGIN IMMEDIATE` already excludes everyone.
    async fn lock_account_row(&mut self, _account: AccountId) -> StoreResult<()> {
        Ok(())
    }

    /// Counting and reserving happen under the write lock already.
    async fn lock_counter_key(&mut self, _key: &str) -> StoreResult<()> {
        Ok(())
    }

    /// The empty-table check of the first account is atomic under the
    /// write lock `BEGIN IMMEDIATE` holds.
    async fn guard_first_account(&mut self) -> StoreResult<()> {
        Ok(())
    }

    /// Role changes are serialised by the write lock `BEGIN IMMEDIATE` holds.
    async fn lock_role_changes(&mut self) -> StoreResult<()> {
        Ok(())
    }
}

twofold_sql::implement!(SqliteStore, SqliteTx);
