//! Test helpers for this crate's tests and, behind the `test-support` feature, for the
//! tests of the crates above it: stored fixtures (targets, scans, labels) and a real
//! PostgreSQL server with a fresh database per test.

pub mod fixtures;
pub mod pg_server;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}
