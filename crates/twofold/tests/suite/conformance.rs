//! The store conformance suite, run against SQLite and PostgreSQL alike.

use twofold_store::conformance;
use twofold_testkit::{Backend, TestDb};

macro_rules! case {
    ($name:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = TestDb::new(Backend::Sqlite).await;
                conformance::$name(db.store().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = TestDb::new(Backend::Postgres).await;
                conformance::$name(db.store().await).await;
            }
        }
    };
}

twofold_store::conformance_cases!(case);
