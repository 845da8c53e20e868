//! The SQLite backend: every SQL statement of the embedded store lives here.
//!
//! Placeholders are `$1`-style and upserts use `ON CONFLICT … DO UPDATE` / `RETURNING`,
//! the same statements `postgres.rs` runs; the two differ only where the engines do
//! (locking, snapshots, `LIKE`/ordering details).
//!
//! Concurrency: SQLite allows one writer at a time. Writes go through a pool of exactly
//! one connection, so concurrent scan tasks queue (fairly, in the pool) instead of
//! racing for the file lock and failing with "database is locked". Every write
//! transaction still starts with `BEGIN IMMEDIATE`, which takes the write lock up front:
//! when another process (a CLI import beside a running server) holds it, we wait for the
//! busy timeout instead of failing on a read-to-write lock upgrade, which SQLite cannot
//! wait for. Reads use a separate small pool; in WAL mode they never block the writer
//! nor wait for it.

mod operate;
mod publish;

use super::codec::{self, timestamp};
use super::migrations::{self, Embedded};
use super::{ScanRecord, StoreError, StoredScan, StoredTarget, StoredTransition, UpsertSummary};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::policy::{LabelState, LabelStatus, Transition};
use trustlabel_core::target::Target;

/// How long a statement waits for another process's write lock. Our own writers queue
/// in the pool instead, so this only matters across processes; a large import in
/// another process can hold the lock for seconds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a write waits for its turn on the single writer connection. Generous,
/// because with many scan tasks the queue is long but each turn is short.
const WRITER_QUEUE_TIMEOUT: Duration = Duration::from_secs(300);

/// Concurrent readers (web requests, reports); the machine is small.
const READERS: u32 = 4;

/// Errors of a concurrent first open that go away on a second try.
fn is_transient_open_error(e: &StoreError) -> bool {
    match e {
        StoreError::Open { source, .. } => source
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "5" || code == "6"),
        StoreError::Migrate(_) => true,
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub(super) struct SqliteStore {
    /// Exactly one connection: the only path for writes.
    writer: SqlitePool,
    /// For an in-memory database this is the writer pool itself (a second connection
    /// would open a different, empty database).
    reader: SqlitePool,
}

const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub(super) const TARGET_COLUMNS: &str =
    "t.id, t.host, t.https_port, t.organisation, t.category, t.province, t.contact_email";

impl SqliteStore {
    /// Opens (creating and migrating when needed). Several processes may open a brand
    /// new file at the same moment: switching it to WAL and creating the schema then
    /// race, and SQLite answers the loser "database is locked" without waiting, or its
    /// `CREATE` meets the winner's table. Both are transient, and every step is
    /// idempotent (WAL is persistent, applied migrations are skipped), so the whole open
    /// is retried a few times with a growing pause.
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let mut attempt: u64 = 0;
        loop {
            match Self::open_once(url).await {
                Ok(store) => return Ok(store),
                Err(e) if attempt < 8 && is_transient_open_error(&e) => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(25 * attempt * attempt))
                        .await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn open_once(url: &str) -> Result<Self, StoreError> {
        let (options, location) = connect_options(url)?;
        let open_error = |source| StoreError::Open {
            location: location.clone(),
            source,
        };
        let options = options
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // NORMAL in WAL mode: a commit is appended to the log but not fsynced. The
            // log is in the OS page cache the moment `COMMIT` returns, so a killed or
            // crashed *process* loses nothing; only an OS crash or power cut can lose the
            // last commits (never corrupt the file). Losing a few scans to a power cut
            // costs a rescan; an fsync per scan would throttle every write.
            .synchronous(SqliteSynchronous::Normal);

        let store = if location == ":memory:" {
            // One connection for everything, kept forever: the database lives and dies
            // with it.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(WRITER_QUEUE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_error)?;
            SqliteStore {
                writer: pool.clone(),
                reader: pool,
            }
        } else {
            // The writer opens first: it creates the file and switches it to WAL (a
            // persistent, file-level setting) before any reader connects.
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(WRITER_QUEUE_TIMEOUT)
                .connect_with(
                    options
                        .clone()
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal),
                )
                .await
                .map_err(open_error)?;
            // `query_only` makes an accidental write on a reader fail loudly instead of
            // quietly competing with the writer for the lock.
            let reader = SqlitePoolOptions::new()
                .max_connections(READERS)
                // Readers serve the web list: memory-mapped reads and a larger page cache
                // keep a filtered count over tens of thousands of sites off the syscall
                // path (the defaults are no mmap and a 2 MiB cache).
                .connect_with(
                    options
                        .pragma("query_only", "ON")
                        .pragma("mmap_size", "268435456")
                        .pragma("cache_size", "-32768"),
                )
                .await
                .map_err(open_error)?;
            SqliteStore { writer, reader }
        };
        let migrated = match Migrator::new(Embedded(migrations::SQLITE)).await {
            Ok(migrator) => migrator.run(&store.writer).await,
            Err(e) => Err(e),
        };
        if let Err(e) = migrated {
            store.close().await;
            return Err(e.into());
        }
        if let Err(e) = store.fill_search_keys().await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }

    pub(super) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    #[cfg(test)]
    pub(super) fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with(BEGIN_WRITE).await?)
    }

    pub(super) async fn upsert_targets(
        &self,
        targets: &[Target],
    ) -> Result<UpsertSummary, StoreError> {
        let now = timestamp(OffsetDateTime::now_utc())?;
        let mut summary = UpsertSummary::default();
        let mut tx = self.begin_write().await?;
        for target in targets {
            let existing = sqlx::query(&format!(
                "SELECT {TARGET_COLUMNS} FROM targets t WHERE t.host = $1"
            ))
            .bind(&target.host)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| decode_target(&row))
            .transpose()?;
            match existing {
                None => {
                    sqlx::query(
                        "INSERT INTO targets (host, https_port, organisation, category, \
                         province, contact_email, created_at, updated_at, search_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
                    )
                    .bind(&target.host)
                    .bind(i64::from(target.https_port))
                    .bind(&target.organisation)
                    .bind(&target.category)
                    .bind(&target.province)
                    .bind(&target.contact_email)
                    .bind(&now)
                    .bind(target_search_key(target))
                    .execute(&mut *tx)
                    .await?;
                    summary.inserted += 1;
                }
                Some(stored) if stored.target == *target => summary.unchanged += 1,
                Some(stored) => {
                    sqlx::query(
                        "UPDATE targets SET https_port = $1, organisation = $2, category = $3, \
                         province = $4, contact_email = $5, updated_at = $6, search_key = $8 \
                         WHERE id = $7",
                    )
                    .bind(i64::from(target.https_port))
                    .bind(&target.organisation)
                    .bind(&target.category)
                    .bind(&target.province)
                    .bind(&target.contact_email)
                    .bind(&now)
                    .bind(stored.id)
                    .bind(target_search_key(target))
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    pub(super) async fn targets(&self) -> Result<Vec<StoredTarget>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets t ORDER BY t.host"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(decode_target)
        .collect()
    }

    pub(super) async fn target_by_host(
        &self,
        host: &str,
    ) -> Result<Option<StoredTarget>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets t WHERE t.host = $1"
        ))
        .bind(host)
        .fetch_optional(&self.reader)
        .await?
        .map(|row| decode_target(&row))
        .transpose()
    }

    pub(super) async fn start_run(
        &self,
        description: &str,
        target_ids: &[i64],
    ) -> Result<i64, StoreError> {
        let now = timestamp(OffsetDateTime::now_utc())?;
        let mut tx = self.begin_write().await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO runs (description, started_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(description)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let mut seen = HashSet::new();
        for (position, &target_id) in target_ids.iter().enumerate() {
            if !seen.insert(target_id) {
                continue;
            }
            sqlx::query(
                "INSERT INTO run_items (run_id, target_id, position, state) \
                 VALUES ($1, $2, $3, 'pending')",
            )
            .bind(run_id)
            .bind(target_id)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(run_id)
    }

    pub(super) async fn unfinished_run(
        &self,
        description: &str,
    ) -> Result<Option<(i64, Vec<StoredTarget>)>, StoreError> {
        // One read transaction, so the run and its items come from the same snapshot.
        let mut tx = self.reader.begin().await?;
        let run_id: Option<i64> = sqlx::query_scalar(
            "SELECT r.id FROM runs r WHERE r.finished_at IS NULL AND r.description = $1 \
             AND EXISTS (SELECT 1 FROM run_items i WHERE i.run_id = r.id AND i.state = 'pending') \
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
        )
        .bind(description)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(run_id) = run_id else {
            return Ok(None);
        };
        let targets = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM run_items i JOIN targets t ON t.id = i.target_id \
             WHERE i.run_id = $1 AND i.state = 'pending' ORDER BY i.position"
        ))
        .bind(run_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(decode_target)
        .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(Some((run_id, targets)))
    }

    pub(super) async fn finish_run(&self, run_id: i64) -> Result<(), StoreError> {
        let now = timestamp(OffsetDateTime::now_utc())?;
        let done =
            sqlx::query("UPDATE runs SET finished_at = COALESCE(finished_at, $1) WHERE id = $2")
                .bind(&now)
                .bind(run_id)
                .execute(&self.writer)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("run {run_id}")));
        }
        Ok(())
    }

    pub(super) async fn record_scan(&self, rec: &ScanRecord<'_>) -> Result<i64, StoreError> {
        // Encode everything before taking the write lock: a value that cannot be stored
        // fails without making other writers wait.
        let evidence_json = codec::to_json("evidence", rec.evidence)?;
        let verdict_json = codec::to_json("verdict", rec.verdict)?;
        let category_scores_json = codec::to_json("category scores", &rec.verdict.category_scores)?;
        let started_at = timestamp(rec.evidence.started_at)?;
        let finished_at = timestamp(rec.evidence.finished_at)?;
        let label = rec.label;
        let status_since = codec::optional_timestamp(label.status_since)?;
        let at_risk_since = codec::optional_timestamp(label.at_risk_since)?;
        let last_pass_at = codec::optional_timestamp(label.last_pass_at)?;
        let transition_at = rec.transition.map(|t| timestamp(t.at)).transpose()?;
        let now = timestamp(OffsetDateTime::now_utc())?;

        let mut tx = self.begin_write().await?;
        let scan_id: i64 = sqlx::query_scalar(
            "INSERT INTO scans (target_id, run_id, started_at, finished_at, tool_version, \
             policy_version, rules_hash, evidence_json, score, grade, decision, \
             category_scores_json, verdict_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(rec.target_id)
        .bind(rec.run_id)
        .bind(&started_at)
        .bind(&finished_at)
        .bind(rec.tool_version)
        .bind(&rec.verdict.policy_version)
        .bind(rec.rules_hash)
        .bind(&evidence_json)
        .bind(rec.verdict.score)
        .bind(rec.verdict.grade.as_str())
        .bind(codec::decision_str(rec.verdict.decision))
        .bind(&category_scores_json)
        .bind(&verdict_json)
        .fetch_one(&mut *tx)
        .await?;

        for (seq, finding) in rec.findings.iter().enumerate() {
            sqlx::query(
                "INSERT INTO findings (scan_id, seq, finding_id, severity, category, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(scan_id)
            .bind(seq as i64)
            .bind(finding.id.as_str())
            .bind(finding.severity.as_str())
            .bind(finding.category().as_str())
            .bind(&finding.detail)
            .execute(&mut *tx)
            .await?;
        }

        sqlx::query(
            "INSERT INTO labels (target_id, status, level, grade, status_since, at_risk_since, \
             last_pass_at, last_scan_id, updated_at, unreachable_scans) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (target_id) DO UPDATE SET status = excluded.status, \
             level = excluded.level, grade = excluded.grade, \
             status_since = excluded.status_since, at_risk_since = excluded.at_risk_since, \
             last_pass_at = excluded.last_pass_at, last_scan_id = excluded.last_scan_id, \
             updated_at = excluded.updated_at, unreachable_scans = excluded.unreachable_scans",
        )
        .bind(rec.target_id)
        .bind(label.status.as_str())
        .bind(label.level.map(|l| l.as_str()))
        .bind(label.grade.map(|g| g.as_str()))
        .bind(&status_since)
        .bind(&at_risk_since)
        .bind(&last_pass_at)
        .bind(scan_id)
        .bind(&now)
        .bind(i64::from(label.unreachable_scans))
        .execute(&mut *tx)
        .await?;

        if let (Some(transition), Some(at)) = (rec.transition, &transition_at) {
            sqlx::query(
                "INSERT INTO label_history (target_id, from_status, to_status, reason, \
                 scan_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(rec.target_id)
            .bind(transition.from.as_str())
            .bind(transition.to.as_str())
            .bind(&transition.reason)
            .bind(scan_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        if let (Some(message), Some(transition)) = (rec.notification, rec.transition) {
            operate::queue_notification(&mut tx, rec.target_id, message, transition.at).await?;
        }

        if let Some(run_id) = rec.run_id {
            let marked = sqlx::query(
                "UPDATE run_items SET state = 'done', scan_id = $1 \
                 WHERE run_id = $2 AND target_id = $3",
            )
            .bind(scan_id)
            .bind(run_id)
            .bind(rec.target_id)
            .execute(&mut *tx)
            .await?;
            if marked.rows_affected() == 0 {
                // Dropping `tx` rolls the scan back: nothing of it is stored.
                return Err(StoreError::NotFound(format!(
                    "target {} in run {run_id}",
                    rec.target_id
                )));
            }
        }
        if let Some(job) = rec.job {
            let done = sqlx::query(
                "UPDATE scan_jobs SET state = 'done', finished_at = $1, scan_id = $2, \
                 error = NULL, lease_owner = NULL, lease_expires_at = NULL \
                 WHERE id = $3 AND state = 'running' AND lease_owner = $4",
            )
            .bind(&now)
            .bind(scan_id)
            .bind(job.id)
            .bind(job.worker)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                // The lease ran out and another worker owns the job: its result will be
                // the one stored, so this one is rolled back (at most one per job).
                return Err(StoreError::Conflict(format!(
                    "scan job {} is no longer held by {}",
                    job.id, job.worker
                )));
            }
        }
        tx.commit().await?;
        Ok(scan_id)
    }

    pub(super) async fn label(&self, target_id: i64) -> Result<LabelState, StoreError> {
        let row = sqlx::query(
            "SELECT status, level, grade, status_since, at_risk_since, last_pass_at, \
             unreachable_scans FROM labels WHERE target_id = $1",
        )
        .bind(target_id)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(row) => decode_label(&row),
            None => Ok(LabelState::not_assessed()),
        }
    }

    pub(super) async fn history(
        &self,
        target_id: i64,
    ) -> Result<Vec<StoredTransition>, StoreError> {
        sqlx::query(
            "SELECT id, target_id, from_status, to_status, reason, scan_id, at \
             FROM label_history WHERE target_id = $1 ORDER BY at, id",
        )
        .bind(target_id)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(decode_transition)
        .collect()
    }

    pub(super) async fn latest_scan(
        &self,
        target_id: i64,
    ) -> Result<Option<StoredScan>, StoreError> {
        // One snapshot, so the findings belong to the scan row we read.
        let mut tx = self.reader.begin().await?;
        let row = sqlx::query(
            "SELECT id, target_id, run_id, tool_version, rules_hash, evidence_json, \
             verdict_json FROM scans WHERE target_id = $1 \
             ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let findings = sqlx::query(
            "SELECT finding_id, severity, detail FROM findings WHERE scan_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(decode_finding)
        .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        let evidence_json: String = row.try_get("evidence_json")?;
        let verdict_json: String = row.try_get("verdict_json")?;
        Ok(Some(StoredScan {
            id,
            target_id: row.try_get("target_id")?,
            run_id: row.try_get("run_id")?,
            tool_version: row.try_get("tool_version")?,
            rules_hash: row.try_get("rules_hash")?,
            evidence: codec::from_json(&format!("scan {id} evidence"), &evidence_json)?,
            findings,
            verdict: codec::from_json(&format!("scan {id} verdict"), &verdict_json)?,
        }))
    }

    pub(super) async fn scan_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM scans")
            .fetch_one(&self.reader)
            .await?)
    }
}

/// Parses the URL forms `Store::open` documents; returns the options and a
/// human-readable location (`:memory:` for an in-memory database).
fn connect_options(url: &str) -> Result<(SqliteConnectOptions, String), StoreError> {
    let url = url.trim();
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    if database == ":memory:" || params.split('&').any(|p| p == "mode=memory") {
        // `new()` is a private in-memory database; sqlx's URL form would add a shared
        // cache, which we do not need with a single connection.
        return Ok((SqliteConnectOptions::new(), ":memory:".into()));
    }
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open {
            location: url.to_string(),
            source,
        })?;
        let location = options.get_filename().display().to_string();
        return Ok((options, location));
    }
    Ok((SqliteConnectOptions::new().filename(url), url.to_string()))
}

fn target_search_key(t: &Target) -> String {
    trustlabel_core::fold::search_key(&t.host, &t.organisation, &t.category, &t.province)
}

fn decode_target(row: &SqliteRow) -> Result<StoredTarget, StoreError> {
    let id: i64 = row.try_get("id")?;
    let port: i64 = row.try_get("https_port")?;
    let https_port = u16::try_from(port)
        .map_err(|_| StoreError::Corrupt(format!("targets.https_port {port} of target {id}")))?;
    Ok(StoredTarget {
        id,
        target: Target {
            host: row.try_get("host")?,
            https_port,
            organisation: row.try_get("organisation")?,
            category: row.try_get("category")?,
            province: row.try_get("province")?,
            contact_email: row.try_get("contact_email")?,
        },
    })
}

/// A `labels` row (status, level, grade and the three timestamps).
fn decode_label(row: &SqliteRow) -> Result<LabelState, StoreError> {
    Ok(LabelState {
        status: codec::parse_enum("labels.status", row.try_get("status")?)?,
        level: codec::parse_optional_enum("labels.level", row.try_get("level")?)?,
        grade: codec::parse_optional_enum("labels.grade", row.try_get("grade")?)?,
        status_since: codec::parse_optional_timestamp(
            "labels.status_since",
            row.try_get("status_since")?,
        )?,
        at_risk_since: codec::parse_optional_timestamp(
            "labels.at_risk_since",
            row.try_get("at_risk_since")?,
        )?,
        last_pass_at: codec::parse_optional_timestamp(
            "labels.last_pass_at",
            row.try_get("last_pass_at")?,
        )?,
        unreachable_scans: u32::try_from(row.try_get::<i64, _>("unreachable_scans")?)
            .map_err(|_| StoreError::Corrupt("labels.unreachable_scans is negative".into()))?,
    })
}

fn decode_finding(row: &SqliteRow) -> Result<Finding, StoreError> {
    let id: FindingId = codec::parse_enum("findings.finding_id", row.try_get("finding_id")?)?;
    let severity = codec::parse_severity("findings.severity", row.try_get("severity")?)?;
    Ok(Finding::new(
        id,
        severity,
        row.try_get::<String, _>("detail")?,
    ))
}

fn decode_transition(row: &SqliteRow) -> Result<StoredTransition, StoreError> {
    let from: LabelStatus =
        codec::parse_enum("label_history.from_status", row.try_get("from_status")?)?;
    let to: LabelStatus = codec::parse_enum("label_history.to_status", row.try_get("to_status")?)?;
    Ok(StoredTransition {
        id: row.try_get("id")?,
        target_id: row.try_get("target_id")?,
        scan_id: row.try_get("scan_id")?,
        transition: Transition {
            from,
            to,
            reason: row.try_get("reason")?,
            at: codec::parse_timestamp("label_history.at", row.try_get("at")?)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_bare_paths_name_the_same_file() {
        let (_, a) = connect_options("sqlite:///tmp/x/trust.db").unwrap();
        let (_, b) = connect_options("/tmp/x/trust.db").unwrap();
        let (_, c) = connect_options("sqlite:/tmp/x/trust.db").unwrap();
        assert_eq!(a, "/tmp/x/trust.db");
        assert_eq!(b, a);
        assert_eq!(c, a);
        for memory in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            ":memory:",
        ] {
            let (_, m) = connect_options(memory).unwrap();
            assert_eq!(m, ":memory:", "{memory}");
        }
    }
}
