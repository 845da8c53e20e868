//! The store: the only module that speaks SQL.
//!
//! Everything else hands it plain values (targets, evidence, findings, verdicts, label
//! states) and gets plain values back. `Store` is a thin front that picks a backend from
//! the URL; each backend keeps all of its SQL in its own files (`sqlite.rs` +
//! `sqlite/publish.rs`, `postgres.rs` + `postgres/publish.rs`), `migrations.rs` embeds
//! each backend's schema (`migrations/sqlite/`, `migrations/postgres/`), and `codec.rs`
//! holds the text forms they share. The same test suite (`tests/`) runs on both.

mod codec;
mod migrations;
mod operate;
mod postgres;
mod publish;
mod sqlite;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
#[cfg(test)]
mod tests;

use trustlabel_core::evidence::Evidence;
use trustlabel_core::finding::Finding;
use trustlabel_core::policy::{LabelState, Transition, Verdict};
use trustlabel_core::target::Target;

pub use operate::{Notification, OutboxEntry, OutboxMessage};
pub use publish::{
    Audit, AuditEntry, DailyChanges, Enqueued, Facet, JobState, OwnerLink, ScanJob, SiteChange,
    SitePage, SiteQuery, SiteRow, SortKey, StaffSession, StaffUser, StatusCounts, View,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `location` never contains credentials (a file name, or a URL with them removed).
    #[error("cannot open the database {location}: {source}")]
    Open {
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value no longer decodes (hand-edited row, newer writer, disk damage).
    #[error("stored value cannot be decoded: {0}")]
    Corrupt(String),
    /// A value could not be turned into its stored form; nothing was written.
    #[error("value cannot be stored: {0}")]
    Encode(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A unique name is already taken (e.g. a staff account).
    #[error("{0}")]
    Conflict(String),
}

/// Cumulative counters of the database server, see [`Store::server_activity`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerActivity {
    pub transactions: i64,
    pub rows_read: i64,
    pub rows_written: i64,
    /// Statements executed, when the server has `pg_stat_statements`.
    pub statements: Option<i64>,
}

/// Outcome of an import, so the CLI can say what a re-import actually changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A target together with the id that scans, runs and labels refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTarget {
    pub id: i64,
    pub target: Target,
}

/// Everything one finished scan produces, written atomically by [`Store::record_scan`].
#[derive(Debug, Clone, Copy)]
pub struct ScanRecord<'a> {
    pub target_id: i64,
    /// The run this scan belongs to; its run item is marked done in the same transaction.
    pub run_id: Option<i64>,
    pub evidence: &'a Evidence,
    pub findings: &'a [Finding],
    pub verdict: &'a Verdict,
    pub tool_version: &'a str,
    pub rules_hash: &'a str,
    /// The label state after this scan (the policy state machine's output).
    pub label: &'a LabelState,
    pub transition: Option<&'a Transition>,
    /// The message to the site's contact about `transition`, queued in the outbox in the
    /// same transaction.
    pub notification: Option<&'a Notification>,
    /// The queued job this scan answers; it is marked done in the same transaction, and
    /// nothing is stored unless this worker still holds its lease.
    pub job: Option<JobClaim<'a>>,
}

/// A scan job held by a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobClaim<'a> {
    pub id: i64,
    pub worker: &'a str,
}

/// A stored scan, decoded. Scan times are `evidence.started_at` / `finished_at`, and the
/// policy version is `verdict.policy_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScan {
    pub id: i64,
    pub target_id: i64,
    pub run_id: Option<i64>,
    pub tool_version: String,
    pub rules_hash: String,
    pub evidence: Evidence,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
}

/// One label_history row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTransition {
    pub id: i64,
    pub target_id: i64,
    /// The scan that caused the change; `None` is reserved for changes no scan caused
    /// (e.g. a staff decision), which `record_scan` never writes.
    pub scan_id: Option<i64>,
    pub transition: Transition,
}

/// Handle to the database; cheap to clone and share between scan tasks.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

/// One variant per backend.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PostgresStore),
}

/// Calls the same method on whichever backend the store has.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*).await,
            Backend::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}
pub(crate) use dispatch;

/// What may be shown of a database URL in messages: a PostgreSQL URL without its user,
/// password and query; a SQLite URL or path as given (it holds no credentials).
pub fn display_location(url: &str) -> String {
    if postgres::is_postgres_url(url) {
        postgres::location(url)
    } else {
        url.to_string()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite://PATH`,
    /// `sqlite:PATH`, `sqlite::memory:` or a bare file path for the embedded store;
    /// `postgres://USER@HOST[:PORT]/DB` (or `postgresql://`, any option sqlx accepts,
    /// password in the URL or `PGPASSWORD`) for the shared PostgreSQL store, whose
    /// database is created when missing and the role may create it.
    ///
    /// SQLite files use WAL with `synchronous=NORMAL`: once a write returns, it survives
    /// the process being killed or crashing (the commit is already in the OS page cache),
    /// which is the failure a long `scan --all` must survive. Only an OS crash or power
    /// cut can lose the last few commits, never corrupt the file; a lost scan costs a
    /// rescan, whereas an fsync per scan would slow every write. Foreign keys are
    /// enforced and a busy timeout makes writers from other processes wait their turn.
    /// PostgreSQL commits are durable by the server's own settings.
    ///
    /// Several processes may open the same new database at once; all succeed. Errors
    /// never show a password (see [`display_location`]).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let backend = if postgres::is_postgres_url(url) {
            Backend::Postgres(postgres::PostgresStore::open(url).await?)
        } else {
            Backend::Sqlite(sqlite::SqliteStore::open(url).await?)
        };
        Ok(Store { backend })
    }

    /// Closes every connection, waiting for in-flight work; call before exit so the
    /// write-ahead log is checkpointed into the main file.
    pub async fn close(&self) {
        dispatch!(self.close())
    }

    /// Inserts new targets and updates changed ones (matched on host) in one
    /// transaction; re-importing the same list changes nothing.
    pub async fn upsert_targets(&self, targets: &[Target]) -> Result<UpsertSummary, StoreError> {
        dispatch!(self.upsert_targets(targets))
    }

    /// All targets, ordered by host.
    pub async fn targets(&self) -> Result<Vec<StoredTarget>, StoreError> {
        dispatch!(self.targets())
    }

    /// Exact match on the stored ASCII host; normalise user input with
    /// [`trustlabel_core::target::normalise_host`] first.
    pub async fn target_by_host(&self, host: &str) -> Result<Option<StoredTarget>, StoreError> {
        dispatch!(self.target_by_host(host))
    }

    /// Records a new run with every target pending, in the given order (duplicates
    /// ignored), so it can be resumed after a crash.
    pub async fn start_run(
        &self,
        description: &str,
        target_ids: &[i64],
    ) -> Result<i64, StoreError> {
        dispatch!(self.start_run(description, target_ids))
    }

    /// The most recent run with this description (the command that started it) that was
    /// never finished and still has pending items, with those items' targets in run order.
    pub async fn unfinished_run(
        &self,
        description: &str,
    ) -> Result<Option<(i64, Vec<StoredTarget>)>, StoreError> {
        dispatch!(self.unfinished_run(description))
    }

    /// Marks a run finished so it is never offered for resumption; idempotent (the first
    /// finish time is kept).
    pub async fn finish_run(&self, run_id: i64) -> Result<(), StoreError> {
        dispatch!(self.finish_run(run_id))
    }

    /// One transaction: insert the scan and its findings, upsert the label row, append the
    /// transition (if any) to the history, and mark the run item done. Returns the scan id.
    ///
    /// Either all of it is stored or none: a crash mid-way leaves nothing half-written, and
    /// once this returns the scan survives a crash of the process. A `run_id` whose run
    /// does not list `target_id` is a `NotFound` error and stores nothing.
    pub async fn record_scan(&self, rec: &ScanRecord<'_>) -> Result<i64, StoreError> {
        dispatch!(self.record_scan(rec))
    }

    /// The site's current label; `not_assessed` when it was never scanned.
    pub async fn label(&self, target_id: i64) -> Result<LabelState, StoreError> {
        dispatch!(self.label(target_id))
    }

    /// The site's label transitions, oldest first.
    pub async fn history(&self, target_id: i64) -> Result<Vec<StoredTransition>, StoreError> {
        dispatch!(self.history(target_id))
    }

    /// The site's most recent scan (by finish time), fully decoded.
    pub async fn latest_scan(&self, target_id: i64) -> Result<Option<StoredScan>, StoreError> {
        dispatch!(self.latest_scan(target_id))
    }

    pub async fn scan_count(&self) -> Result<i64, StoreError> {
        dispatch!(self.scan_count())
    }

    /// The database server's own counters for this database (PostgreSQL's
    /// `pg_stat_database`, and `pg_stat_statements` when installed), so a benchmark can
    /// report the load per site; `None` on SQLite, which keeps no such counters.
    pub async fn server_activity(&self) -> Result<Option<ServerActivity>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(s) => s.server_activity().await.map(Some),
        }
    }

    /// Raw access for tests that must look under the API (crash consistency,
    /// corruption): the SQLite pool, `None` on PostgreSQL.
    #[cfg(test)]
    fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s.writer_pool()),
            Backend::Postgres(_) => None,
        }
    }

    /// Test access under the API on either backend: runs `sql` (portable SQL with at
    /// most one `$1`, bound to `arg`) and returns the first column of the first row.
    #[cfg(test)]
    async fn raw_i64(&self, sql: &str, arg: Option<i64>) -> Result<Option<i64>, StoreError> {
        let mut query = sqlx::query_scalar::<_, i64>(sql);
        let mut pg_query = sqlx::query_scalar::<_, i64>(sql);
        if let Some(arg) = arg {
            query = query.bind(arg);
            pg_query = pg_query.bind(arg);
        }
        Ok(match &self.backend {
            Backend::Sqlite(s) => query.fetch_optional(s.writer_pool()).await?,
            Backend::Postgres(s) => pg_query.fetch_optional(s.pool()).await?,
        })
    }

    /// Like [`Store::raw_i64`] for a statement; returns the rows it changed.
    #[cfg(test)]
    async fn raw_execute(&self, sql: &str, arg: i64) -> Result<u64, StoreError> {
        Ok(match &self.backend {
            Backend::Sqlite(s) => sqlx::query(sql)
                .bind(arg)
                .execute(s.writer_pool())
                .await?
                .rows_affected(),
            Backend::Postgres(s) => sqlx::query(sql)
                .bind(arg)
                .execute(s.pool())
                .await?
                .rows_affected(),
        })
    }
}
