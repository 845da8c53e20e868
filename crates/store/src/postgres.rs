//! The PostgreSQL backend: every SQL statement of the shared store lives here (and in
//! `postgres/publish.rs`). Same statements, same results and same errors as
//! `sqlite.rs`; they differ only where the engines do.
//!
//! Concurrency: PostgreSQL takes many writers at once (any number of `trustlabel worker`
//! processes on any machines share one database), so there is one pool for reads and
//! writes. Write transactions run at READ COMMITTED; the few that read before they write
//! take the lock SQLite's single writer gives implicitly: a target import locks the
//! `targets` table against other imports (readers and scans go on), and a change to one
//! site's label or queue locks that target's row. Reads that must agree with each other
//! (a list page and its total, a scan and its findings, a run and its items) run in one
//! REPEATABLE READ, READ ONLY transaction: one snapshot.
//!
//! Schema: `migrations/postgres/`, the same tables and columns as SQLite's, with the same
//! text timestamps (`codec`) and the "C" collation (byte order, as SQLite's BINARY). The
//! migrations run under a session advisory lock, so processes opening a new database at
//! the same moment take turns instead of racing on `CREATE TABLE`.

mod operate;
mod publish;

use super::codec::{self, timestamp};
use super::migrations::{self, Embedded};
use super::{ScanRecord, StoreError, StoredScan, StoredTarget, StoredTransition, UpsertSummary};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Postgres, Row, Transaction};
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::policy::{LabelState, LabelStatus, Transition};
use trustlabel_core::target::Target;

/// Connections per process: scan tasks and web requests queue for them in the pool.
const POOL_SIZE: u32 = 10;

/// How long a statement waits for a pooled connection. Generous, because with many scan
/// tasks the queue is long but each turn is short.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(300);

/// The session advisory lock held while the schema is brought up to date (any constant
/// of our own; `pg_advisory_lock` keys are per database).
const MIGRATION_LOCK: i64 = 0x7472_7573_746c_6162; // "trustlab"

/// A snapshot for reads that must agree with each other.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

pub(super) const TARGET_COLUMNS: &str =
    "t.id, t.host, t.https_port, t.organisation, t.category, t.province, t.contact_email";

/// SQLSTATE of "database does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";

#[derive(Debug, Clone)]
pub(super) struct PostgresStore {
    pool: PgPool,
}

/// Whether `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub(super) fn is_postgres_url(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// The URL without user, password or query (which may carry `password=`): what an error
/// message may show.
pub(super) fn location(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("");
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", parsed.scheme(), parsed.path())
        }
        Err(_) => "(unparseable PostgreSQL URL)".into(),
    }
}

fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

impl PostgresStore {
    /// Connects (creating the database when it does not exist yet and the role may, as
    /// SQLite creates its file) and brings the schema up to date.
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let location = location(url);
        let open_error = |source| StoreError::Open {
            location: location.clone(),
            source,
        };
        let options = PgConnectOptions::from_str(url.trim()).map_err(open_error)?;
        // One direct connection first: a pool retries refused connections until its
        // acquire timeout, while a wrong URL should fail at once with the server's reason.
        let probe = match PgConnection::connect_with(&options).await {
            Ok(conn) => conn,
            Err(e) if sqlstate(&e).as_deref() == Some(INVALID_CATALOG_NAME) => {
                // Another process may be creating it at this very moment, so a failed
                // CREATE only matters when the database is still not there afterwards.
                let created = Postgres::create_database(url.trim()).await;
                match PgConnection::connect_with(&options).await {
                    Ok(conn) => conn,
                    Err(again) => return Err(open_error(created.err().unwrap_or(again))),
                }
            }
            Err(e) => return Err(open_error(e)),
        };
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        let store = PostgresStore { pool };
        if let Err(e) = store.migrate().await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Migrations and the search-key backfill on one connection holding the advisory
    /// lock; a second process opening at the same moment waits, then finds nothing to do.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = async {
            let mut migrator = Migrator::new(Embedded(migrations::POSTGRES)).await?;
            // Our own lock already serialises every opener.
            migrator.set_locking(false);
            migrator.run(&mut *conn).await?;
            fill_search_keys(&mut conn).await
        }
        .await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        if unlocked.is_err() {
            // Never hand a connection that may still hold the lock back to the pool.
            let _ = conn.detach().close().await;
        }
        result?;
        unlocked?;
        Ok(())
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    #[cfg(test)]
    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn begin_snapshot(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin_with(BEGIN_SNAPSHOT).await?)
    }

    pub(super) async fn upsert_targets(
        &self,
        targets: &[Target],
    ) -> Result<UpsertSummary, StoreError> {
        let now = timestamp(OffsetDateTime::now_utc())?;
        let mut summary = UpsertSummary::default();
        let mut tx = self.begin_write().await?;
        // One import at a time (SQLite's single writer): two imports of a new host must
        // not both decide to insert it. Readers and scans are not blocked.
        sqlx::query("LOCK TABLE targets IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
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
        .fetch_all(&self.pool)
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
        .fetch_optional(&self.pool)
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
        // One snapshot, so the run and its items agree.
        let mut tx = self.begin_snapshot().await?;
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
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("run {run_id}")));
        }
        Ok(())
    }

    pub(super) async fn record_scan(&self, rec: &ScanRecord<'_>) -> Result<i64, StoreError> {
        // Encode everything before opening the transaction: a value that cannot be
        // stored fails without touching the database.
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
        .fetch_optional(&self.pool)
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
        .fetch_all(&self.pool)
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
        let mut tx = self.begin_snapshot().await?;
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
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Fills `search_key` for rows written before it existed (migration 0002), so search
/// finds every site; a no-op once every row has one. Runs under the migration lock.
async fn fill_search_keys(conn: &mut PgConnection) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT id, host, organisation, category, province FROM targets \
         WHERE search_key IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    for row in &rows {
        let key = trustlabel_core::fold::search_key(
            row.try_get("host")?,
            row.try_get("organisation")?,
            row.try_get("category")?,
            row.try_get("province")?,
        );
        sqlx::query("UPDATE targets SET search_key = $1 WHERE id = $2")
            .bind(key)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn target_search_key(t: &Target) -> String {
    trustlabel_core::fold::search_key(&t.host, &t.organisation, &t.category, &t.province)
}

fn decode_target(row: &PgRow) -> Result<StoredTarget, StoreError> {
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
fn decode_label(row: &PgRow) -> Result<LabelState, StoreError> {
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

fn decode_finding(row: &PgRow) -> Result<Finding, StoreError> {
    let id: FindingId = codec::parse_enum("findings.finding_id", row.try_get("finding_id")?)?;
    let severity = codec::parse_severity("findings.severity", row.try_get("severity")?)?;
    Ok(Finding::new(
        id,
        severity,
        row.try_get::<String, _>("detail")?,
    ))
}

fn decode_transition(row: &PgRow) -> Result<StoredTransition, StoreError> {
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

impl PostgresStore {
    pub(super) async fn server_activity(&self) -> Result<super::ServerActivity, StoreError> {
        let row = sqlx::query(
            "SELECT xact_commit + xact_rollback AS tx, tup_returned + tup_fetched AS rd, \
             tup_inserted + tup_updated + tup_deleted AS wr \
             FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&self.pool)
        .await?;
        // The extension is optional; without it the count is simply unknown.
        let statements = sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(SUM(calls), 0)::bigint FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&self.pool)
        .await
        .ok();
        Ok(super::ServerActivity {
            transactions: row.try_get("tx")?,
            rows_read: row.try_get("rd")?,
            rows_written: row.try_get("wr")?,
            statements,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_never_shows_credentials() {
        for url in [
            "postgres://lan:s3cret@db.example:5433/trust",
            "postgresql://lan:s3cret@db.example:5433/trust?password=s3cret&sslmode=require",
            "postgres://:s3cret@db.example:5433/trust",
        ] {
            let shown = location(url);
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(!shown.contains("lan"), "{shown}");
            assert!(shown.ends_with("db.example:5433/trust"), "{shown}");
        }
        assert!(!location("postgres://u:s3cret@[::1").contains("s3cret"));
    }

    #[tokio::test]
    async fn an_open_that_fails_names_the_server_but_not_the_password() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let err = super::super::Store::open("postgres://lan:s3cret@127.0.0.1:1/trust")
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(matches!(err, StoreError::Open { .. }), "{text}");
        assert!(text.contains("127.0.0.1:1/trust"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
