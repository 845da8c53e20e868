//! Store tests, one topic per file, all against real SQLite files in a tempdir.

mod concurrency;
mod crash;
pub(crate) mod fixtures;
mod import;
mod operate;
mod publish;
mod runs;
mod scans;
