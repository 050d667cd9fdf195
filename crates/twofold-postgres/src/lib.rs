//! The PostgreSQL store: for several instances serving one user base.
//!
//! Every piece of state lives here, so N stateless instances act as one.
//! Single-use rules are single conditional statements, which READ COMMITTED
//! re-checks after waiting on a row lock. The queries are shared with SQLite
//! (`twofold_sql`); this file holds only what is PostgreSQL's own:
//! its [`Dialect`].

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use twofold_core::AccountId;
use twofold_sql::{Dialect, DialectTx, store_error};
use twofold_store::StoreResult;
use twofold_store::tx_guard::OpenTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres://` URL.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(store_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Dialect for PgStore {
    const NAME: &'static str = "postgres";
    type Db = Postgres;
    type Tx = PgTx;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<PgTx> {
        Ok(PgTx {
            tx: self.pool.begin().await.map_err(store_error)?,
            _open: OpenTx::mark(),
        })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| store_error(e.into()))
    }
}

/// An open write transaction.
pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    _open: OpenTx,
}

#[async_trait]
impl DialectTx for PgTx {
    type Db = Postgres;

    fn connection(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    async fn commit_write(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(store_error)
    }

    /// Serialises changes to one account's factors across instances.
    async fn lock_account_row(&mut self, account: AccountId) -> StoreResult<()> {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(account.uuid())
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Serialises the count-and-reserve of one counter key across
    /// instances until the transaction ends: READ COMMITTED alone would let
    /// two transactions count the same rows and both add one.
    async fn lock_counter_key(&mut self, key: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// READ COMMITTED alone would let two empty-table checks pass at once;
    /// this lock mode conflicts with itself, so the second caller waits and
    /// then sees the first one's row.
    async fn guard_first_account(&mut self) -> StoreResult<()> {
        sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// One fixed advisory key for every role change: the owner count read
    /// after it is the one the write acts on, whichever instance wrote last.
    async fn lock_role_changes(&mut self) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('twofold:roles', 0))")
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

twofold_sql::implement!(PgStore, PgTx);
