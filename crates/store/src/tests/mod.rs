//! Store tests, one topic per file. Every test that is not about one engine runs twice,
//! on SQLite (a file in a tempdir) and on PostgreSQL (a fresh database on a real server,
//! see `pg_server.rs`): `store_test!` turns one body into a `sqlite` and a `postgres`
//! test.

pub(crate) use crate::test_support::{Backend, fixtures};

mod batches;
mod concurrency;
mod crash;
mod discovery;
mod import;
mod labels;
mod league;
mod operate;
mod publish;
mod runs;
mod scans;

/// `store_test!(name)` after `async fn name(backend: Backend)` adds the tests
/// `name::sqlite` and `name::postgres`, which run that one body on each engine; any
/// further arguments go to `#[tokio::test(…)]` (e.g. `flavor = "multi_thread"`).
macro_rules! store_test {
    ($name:ident $(, $($runtime:tt)*)?) => {
        mod $name {
            #[tokio::test$(($($runtime)*))?]
            async fn sqlite() {
                super::$name($crate::test_support::Backend::Sqlite).await
            }

            #[tokio::test$(($($runtime)*))?]
            async fn postgres() {
                super::$name($crate::test_support::Backend::Postgres).await
            }
        }
    };
}
pub(crate) use store_test;
