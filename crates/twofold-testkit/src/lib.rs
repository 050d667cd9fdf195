//! Test-only helpers: a fresh database of either backend, the real server on
//! port 0 with a clock the test moves, API clients (a signed-in `Actor`, a
//! `Guest` with no session), a page `visitor` with a cookie jar, and a real
//! Chromium driven over WebDriver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actor;
pub mod browser;
mod clock;
mod db;
mod server;
pub mod softkey;
pub mod visitor;

pub use actor::{
    Actor, Challenge, Enrolled, Guest, PASSWORD, PendingTotp, Reply, codes_of, count, event_kinds,
    events_of_kind, oathtool, post_in_parallel,
};
pub use clock::ManualClock;
pub use db::{Backend, TestDb};
pub use server::TestServer;

/// Runs a case once per backend: `on_both_backends!(case)` makes the tests
/// `case::sqlite` and `case::postgres`, each calling `case(Backend::…)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),+ $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$case($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$case($crate::Backend::Postgres).await
            }
        }
    )+};
}
