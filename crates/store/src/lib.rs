//! The store: the only module that speaks SQL.
//!
//! Everything else hands it plain values (targets, evidence, findings, verdicts, label
//! states) and gets plain values back. There is one implementation over both engines,
//! through sqlx's `Any` driver: every statement and every row decoding is written once
//! (`scans.rs`: targets, runs, scans, labels; `publish.rs`: the public list, owner links,
//! the scan queue, staff; `operate.rs`: the scheduler and the outbox), and `engine.rs` is
//! the dialect: opening, migrations, how transactions begin and which rows they lock,
//! the few words the engines spell differently. `migrations.rs` embeds each engine's
//! schema (`migrations/sqlite/`, `migrations/postgres/`: the same tables and columns),
//! `codec.rs` holds the text forms of stored values, and `sql.rs` assembles the one
//! statement built piece by piece. The same test suite (`tests/`) runs on both engines.

mod batches;
mod codec;
mod discovery;
mod engine;
mod league;
mod migrations;
mod operate;
mod publish;
mod scans;
mod sql;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
#[cfg(test)]
mod tests;

use engine::{Db, Engine};
use sqlx::Row;
use trustlabel_core::evidence::Evidence;
use trustlabel_core::finding::Finding;
use trustlabel_core::policy::{LabelState, Transition, Verdict};
use trustlabel_core::target::Target;

pub use batches::{ApiScope, ApiToken, Batch, BatchItem};
pub use discovery::{
    Candidate, CandidateFilter, CandidateSource, CandidateState, CtLogState, Discovery,
    DiscoverySummary, SourceKind,
};
pub use league::{LeagueBy, LeagueRow};
pub use operate::{Notification, OutboxEntry, OutboxMessage};
pub use publish::{
    Audit, AuditEntry, Enqueued, Facet, HourlyChanges, JobState, OwnerLink, ScanJob, SiteChange,
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
    /// The label this scan's `update` was computed from, as [`Store::label`] returned it.
    pub label_read: &'a LabelState,
    /// The policy's answer for `label_read`: stored only if the label is still that one.
    pub update: &'a LabelUpdate,
    /// Whether the site collects personal data, when this scan could tell (see
    /// `policy::personal_data_collected`); `None` keeps what an earlier scan found.
    pub collects_personal_data: Option<bool>,
    /// The queued job this scan answers; it is marked done in the same transaction, and
    /// nothing is stored unless this worker still holds its lease.
    pub job: Option<JobClaim<'a>>,
}

/// A label change the policy computed: the next state, the transition when the status
/// changed, and the message to the site's contact about it (queued in the outbox in the
/// same transaction as the change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelUpdate {
    pub label: LabelState,
    pub transition: Option<Transition>,
    pub notification: Option<Notification>,
}

/// What [`Store::record_scan`] actually stored, which differs from the update the scan
/// computed when the label changed after the scan read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedScan {
    pub scan_id: i64,
    pub label: LabelState,
    pub transition: Option<Transition>,
    /// The label had changed since the scan read it, so the update was computed again
    /// from the label then current.
    pub recomputed: bool,
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
    db: Db,
}

/// What may be shown of a database URL in messages: a PostgreSQL URL without its user,
/// password and query; a SQLite URL or path as given (it holds no credentials).
pub fn display_location(url: &str) -> String {
    if engine::is_postgres_url(url) {
        engine::location(url)
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
        Ok(Store {
            db: Db::open(url).await?,
        })
    }

    /// Closes every connection, waiting for in-flight work; call before exit so the
    /// write-ahead log is checkpointed into the main file.
    pub async fn close(&self) {
        self.db.close().await
    }

    /// The database server's own counters for this database (PostgreSQL's
    /// `pg_stat_database`, and `pg_stat_statements` when installed), so a benchmark can
    /// report the load per site; `None` on SQLite, which keeps no such counters.
    pub async fn server_activity(&self) -> Result<Option<ServerActivity>, StoreError> {
        if self.db.engine() != Engine::Postgres {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT xact_commit + xact_rollback AS tx, tup_returned + tup_fetched AS rd, \
             tup_inserted + tup_updated + tup_deleted AS wr \
             FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(self.db.reader())
        .await?;
        // The extension is optional; without it the count is simply unknown. `SUM` of a
        // bigint is numeric, which the `Any` driver cannot decode: cast back.
        let statements = sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(SUM(calls), 0)::bigint FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(self.db.reader())
        .await
        .ok();
        Ok(Some(ServerActivity {
            transactions: row.try_get("tx")?,
            rows_read: row.try_get("rd")?,
            rows_written: row.try_get("wr")?,
            statements,
        }))
    }

    /// Test access under the API: whether this store is on SQLite (for checks that
    /// only one engine has, such as `PRAGMA integrity_check`).
    #[cfg(test)]
    fn is_sqlite(&self) -> bool {
        self.db.engine() == Engine::Sqlite
    }

    /// Test access under the API (crash consistency, corruption) on either engine: runs
    /// `sql` (portable SQL with at most one `$1`, bound to `arg`) on the writer and
    /// returns the first column of the first row.
    #[cfg(test)]
    async fn raw_scalar<T>(&self, sql: &str, arg: Option<i64>) -> Result<Option<T>, StoreError>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
    {
        let mut query = sqlx::query_scalar::<_, T>(sql);
        if let Some(arg) = arg {
            query = query.bind(arg);
        }
        Ok(query.fetch_optional(self.db.writer()).await?)
    }

    /// Like [`Store::raw_scalar`] for a statement; returns the rows it changed.
    #[cfg(test)]
    async fn raw_execute(&self, sql: &str, arg: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(sql)
            .bind(arg)
            .execute(self.db.writer())
            .await?
            .rows_affected())
    }
}
