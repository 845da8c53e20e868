//! Targets, runs, scans and labels: the statements of the scanner's side of the store,
//! and the label reads and writes every label change shares.

use crate::codec::{self, timestamp};
use crate::engine::{self, Engine};
use crate::operate::queue_notification;
use crate::{
    LabelUpdate, RecordedScan, ScanRecord, Store, StoreError, StoredScan, StoredTarget,
    StoredTransition, UpsertSummary,
};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;
use time::OffsetDateTime;
use trustlabel_core::changes::ScanOutline;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::policy::{LabelState, LabelStatus, Transition};
use trustlabel_core::target::Target;

pub(crate) const TARGET_COLUMNS: &str = "t.id, t.host, t.https_port, t.organisation, t.category, t.province, t.contact_email, \
     t.parent";

pub(crate) const LABEL_COLUMNS: &str = "l.status, l.level, l.grade, l.status_since, \
     l.at_risk_since, l.last_pass_at, l.unreachable_scans, l.decided_at";

impl Store {
    /// Inserts new targets and updates changed ones (matched on host) in one
    /// transaction; re-importing the same list changes nothing.
    pub async fn upsert_targets(
        &self,
        targets: &[Target],
        now: OffsetDateTime,
    ) -> Result<UpsertSummary, StoreError> {
        let now = timestamp(now)?;
        let mut summary = UpsertSummary::default();
        let mut tx = self.db.begin_write().await?;
        engine::lock_targets(self.db.engine(), &mut tx).await?;
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
                    insert_target(&mut tx, target, &now).await?;
                    summary.inserted += 1;
                }
                Some(stored) if stored.target == *target => summary.unchanged += 1,
                Some(stored) => {
                    sqlx::query(
                        "UPDATE targets SET https_port = $1, organisation = $2, category = $3, \
                         province = $4, contact_email = $5, updated_at = $6, search_key = $8, \
                         parent = $9 WHERE id = $7",
                    )
                    .bind(i64::from(target.https_port))
                    .bind(&target.organisation)
                    .bind(&target.category)
                    .bind(&target.province)
                    .bind(&target.contact_email)
                    .bind(&now)
                    .bind(stored.id)
                    .bind(target_search_key(target))
                    .bind(&target.parent)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// All targets, ordered by host.
    pub async fn targets(&self) -> Result<Vec<StoredTarget>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets t ORDER BY t.host"
        ))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_target)
        .collect()
    }

    /// Exact match on the stored ASCII host; normalise user input with
    /// [`trustlabel_core::target::normalise_host`] first.
    pub async fn target_by_host(&self, host: &str) -> Result<Option<StoredTarget>, StoreError> {
        self.target_where("t.host = $1", host.to_string()).await
    }

    pub async fn target_by_id(&self, id: i64) -> Result<Option<StoredTarget>, StoreError> {
        self.target_where("t.id = $1", id).await
    }

    async fn target_where<T>(
        &self,
        condition: &str,
        value: T,
    ) -> Result<Option<StoredTarget>, StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets t WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_target(&row))
        .transpose()
    }

    /// Records a new run with every target pending, in the given order (duplicates
    /// ignored), so it can be resumed after a crash.
    pub async fn start_run(
        &self,
        description: &str,
        target_ids: &[i64],
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let now = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
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

    /// The most recent run with this description (the command that started it) that was
    /// never finished and still has pending items, with those items' targets in run order.
    pub async fn unfinished_run(
        &self,
        description: &str,
    ) -> Result<Option<(i64, Vec<StoredTarget>)>, StoreError> {
        // One snapshot, so the run and its items agree.
        let mut tx = self.db.begin_snapshot().await?;
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

    /// Marks a run finished so it is never offered for resumption; idempotent (the first
    /// finish time is kept).
    pub async fn finish_run(&self, run_id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE runs SET finished_at = COALESCE(finished_at, $1) WHERE id = $2")
                .bind(timestamp(now)?)
                .bind(run_id)
                .execute(self.db.writer())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("run {run_id}")));
        }
        Ok(())
    }

    /// One transaction: insert the scan and its findings, store the label, append the
    /// transition (if any) to the history with its notification, and mark the run item
    /// and the job done.
    ///
    /// The label is a compare-and-set: `rec.update` was computed from `rec.label_read`
    /// and is stored only if the label still is that one. When something else changed
    /// it since the scan read it (a staff decision, a lapse, another worker), `recompute`
    /// (the policy, pure) is applied to the current label instead, inside this
    /// transaction, so the history's "from" is always the label it replaced and nothing
    /// committed meanwhile is overwritten. The site's row is locked for the read on
    /// PostgreSQL; SQLite's `BEGIN IMMEDIATE` already excludes every other writer.
    /// Returns what was stored.
    ///
    /// Either all of it is stored or none: a crash mid-way leaves nothing half-written,
    /// and once this returns the scan survives a crash of the process. A `run_id` whose
    /// run does not list `target_id` is a `NotFound` error and stores nothing.
    pub async fn record_scan(
        &self,
        rec: &ScanRecord<'_>,
        now: OffsetDateTime,
        recompute: impl FnOnce(&LabelState) -> LabelUpdate,
    ) -> Result<RecordedScan, StoreError> {
        // Encode everything before taking the write lock: a value that cannot be stored
        // fails without making other writers wait.
        let evidence_json = codec::to_json("evidence", rec.evidence)?;
        let verdict_json = codec::to_json("verdict", rec.verdict)?;
        let category_scores_json = codec::to_json("category scores", &rec.verdict.category_scores)?;
        let started_at = timestamp(rec.evidence.started_at)?;
        let finished_at = timestamp(rec.evidence.finished_at)?;
        let now = timestamp(now)?;

        let mut tx = self.db.begin_write().await?;
        let current = read_label_for_update(self.db.engine(), &mut tx, rec.target_id).await?;
        let recomputed = (current != *rec.label_read).then(|| recompute(&current));
        let update = recomputed.as_ref().unwrap_or(rec.update);

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

        write_label(&mut tx, rec.target_id, &update.label, Some(scan_id), &now).await?;
        // What the league tables count: whether the site collects personal data (kept
        // from an earlier scan when this one could not tell) and its open findings.
        sqlx::query(
            "UPDATE labels SET collects_personal_data = COALESCE($1, collects_personal_data) \
             WHERE target_id = $2",
        )
        .bind(rec.collects_personal_data.map(i64::from))
        .bind(rec.target_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM open_findings WHERE target_id = $1")
            .bind(rec.target_id)
            .execute(&mut *tx)
            .await?;
        // Strengths (a strict CSP...) are no open fault.
        let mut open: Vec<&Finding> = rec
            .findings
            .iter()
            .filter(|f| !f.id.is_strength())
            .collect();
        open.sort_by_key(|f| (f.id, std::cmp::Reverse(f.severity)));
        open.dedup_by_key(|f| f.id);
        for finding in open {
            sqlx::query(
                "INSERT INTO open_findings (target_id, finding_id, severity) VALUES ($1, $2, $3)",
            )
            .bind(rec.target_id)
            .bind(finding.id.as_str())
            .bind(finding.severity.as_str())
            .execute(&mut *tx)
            .await?;
        }
        if let Some(transition) = &update.transition {
            insert_history(&mut tx, rec.target_id, transition, Some(scan_id)).await?;
            if let Some(message) = &update.notification {
                queue_notification(&mut tx, rec.target_id, message, transition.at).await?;
            }
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
        let recomputed_label = recomputed.is_some();
        let stored = recomputed.unwrap_or_else(|| rec.update.clone());
        Ok(RecordedScan {
            scan_id,
            label: stored.label,
            transition: stored.transition,
            recomputed: recomputed_label,
        })
    }

    /// The site's current label; `not_assessed` when it was never scanned.
    pub async fn label(&self, target_id: i64) -> Result<LabelState, StoreError> {
        let mut conn = self.db.reader().acquire().await?;
        Ok(read_label(&mut conn, target_id)
            .await?
            .unwrap_or_else(LabelState::not_assessed))
    }

    /// The site's label transitions, oldest first.
    pub async fn history(&self, target_id: i64) -> Result<Vec<StoredTransition>, StoreError> {
        sqlx::query(
            "SELECT id, target_id, from_status, to_status, reason, scan_id, at \
             FROM label_history WHERE target_id = $1 ORDER BY at, id",
        )
        .bind(target_id)
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_transition)
        .collect()
    }

    /// The site's latest `limit` scans, newest first, with their grades and the ids of
    /// their findings (never the evidence): what changed between them is worked out from
    /// this (`trustlabel_core::changes`).
    pub async fn scan_outlines(
        &self,
        target_id: i64,
        limit: u32,
    ) -> Result<Vec<ScanOutline>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.finished_at, s.grade, f.finding_id FROM scans s \
             LEFT JOIN findings f ON f.scan_id = s.id \
             WHERE s.id IN (SELECT id FROM scans WHERE target_id = $1 \
                            ORDER BY finished_at DESC, id DESC LIMIT $2) \
             ORDER BY s.finished_at DESC, s.id DESC",
        )
        .bind(target_id)
        .bind(i64::from(limit))
        .fetch_all(self.db.reader())
        .await?;
        let mut out: Vec<ScanOutline> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            if out.last().is_none_or(|s| s.scan_id != id) {
                out.push(ScanOutline {
                    scan_id: id,
                    at: codec::parse_timestamp("scans.finished_at", row.try_get("finished_at")?)?,
                    grade: codec::parse_enum("scans.grade", row.try_get("grade")?)?,
                    findings: Default::default(),
                });
            }
            let finding: Option<String> = row.try_get("finding_id")?;
            if let (Some(finding), Some(scan)) = (finding, out.last_mut()) {
                scan.findings
                    .insert(codec::parse_enum("findings.finding_id", &finding)?);
            }
        }
        Ok(out)
    }

    /// The site's most recent scan (by finish time), fully decoded.
    pub async fn latest_scan(&self, target_id: i64) -> Result<Option<StoredScan>, StoreError> {
        // One snapshot, so the findings belong to the scan row we read.
        let mut tx = self.db.begin_snapshot().await?;
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

    pub async fn scan_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM scans")
            .fetch_one(self.db.reader())
            .await?)
    }
}

/// Fills `search_key` for rows written before it existed (migration 0002), so search
/// finds every site; a no-op once every row has one. Runs on the connection that just
/// migrated (on PostgreSQL still under the migration lock).
pub(crate) async fn fill_search_keys(
    engine: Engine,
    conn: &mut AnyConnection,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT id, host, organisation, category, province, parent FROM targets \
         WHERE search_key IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = engine::begin_write_on(engine, conn).await?;
    for row in &rows {
        let key = trustlabel_core::fold::search_key(
            row.try_get("host")?,
            row.try_get("organisation")?,
            row.try_get("category")?,
            row.try_get("province")?,
            row.try_get("parent")?,
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

/// The label row (none means `not_assessed`).
pub(crate) async fn read_label(
    conn: &mut AnyConnection,
    target_id: i64,
) -> Result<Option<LabelState>, StoreError> {
    sqlx::query(&format!(
        "SELECT {LABEL_COLUMNS} FROM labels l WHERE l.target_id = $1"
    ))
    .bind(target_id)
    .fetch_optional(conn)
    .await?
    .map(|row| decode_label(&row))
    .transpose()
}

/// The label as the state machine sees it, read for a change in this write
/// transaction: the site is locked first, so no other change of its label can commit
/// between this read and the write that follows.
pub(crate) async fn read_label_for_update(
    engine: Engine,
    conn: &mut AnyConnection,
    target_id: i64,
) -> Result<LabelState, StoreError> {
    engine::lock_site(engine, conn, target_id).await?;
    Ok(read_label(conn, target_id)
        .await?
        .unwrap_or_else(LabelState::not_assessed))
}

/// Stores the whole label state. `scan_id` is the scan that produced it; a change no
/// scan caused (`None`) keeps the last scan the label points to.
pub(crate) async fn write_label(
    conn: &mut AnyConnection,
    target_id: i64,
    label: &LabelState,
    scan_id: Option<i64>,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO labels (target_id, status, level, grade, status_since, at_risk_since, \
         last_pass_at, last_scan_id, updated_at, unreachable_scans, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (target_id) DO UPDATE SET status = excluded.status, \
         level = excluded.level, grade = excluded.grade, \
         status_since = excluded.status_since, at_risk_since = excluded.at_risk_since, \
         last_pass_at = excluded.last_pass_at, \
         last_scan_id = COALESCE(excluded.last_scan_id, labels.last_scan_id), \
         updated_at = excluded.updated_at, unreachable_scans = excluded.unreachable_scans, \
         decided_at = excluded.decided_at",
    )
    .bind(target_id)
    .bind(label.status.as_str())
    .bind(label.level.map(|l| l.as_str()))
    .bind(label.grade.map(|g| g.as_str()))
    .bind(codec::optional_timestamp(label.status_since)?)
    .bind(codec::optional_timestamp(label.at_risk_since)?)
    .bind(codec::optional_timestamp(label.last_pass_at)?)
    .bind(scan_id)
    .bind(now)
    .bind(i64::from(label.unreachable_scans))
    .bind(codec::optional_timestamp(label.decided_at)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a transition to the site's history; `scan_id` is `None` for changes no
/// scan caused (a staff decision, a lapse).
pub(crate) async fn insert_history(
    conn: &mut AnyConnection,
    target_id: i64,
    transition: &Transition,
    scan_id: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO label_history (target_id, from_status, to_status, reason, scan_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(target_id)
    .bind(transition.from.as_str())
    .bind(transition.to.as_str())
    .bind(&transition.reason)
    .bind(scan_id)
    .bind(timestamp(transition.at)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a new target (the caller holds the targets lock); returns its id.
pub(crate) async fn insert_target(
    conn: &mut AnyConnection,
    target: &Target,
    now: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO targets (host, https_port, organisation, category, \
         province, contact_email, created_at, updated_at, search_key, parent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id",
    )
    .bind(&target.host)
    .bind(i64::from(target.https_port))
    .bind(&target.organisation)
    .bind(&target.category)
    .bind(&target.province)
    .bind(&target.contact_email)
    .bind(now)
    .bind(target_search_key(target))
    .bind(&target.parent)
    .fetch_one(conn)
    .await?)
}

fn target_search_key(t: &Target) -> String {
    trustlabel_core::fold::search_key(
        &t.host,
        &t.organisation,
        &t.category,
        &t.province,
        &t.parent,
    )
}

pub(crate) fn decode_target(row: &AnyRow) -> Result<StoredTarget, StoreError> {
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
            parent: row.try_get("parent")?,
        },
    })
}

/// A `labels` row (status, level, grade, the three timestamps, unreachable scans).
pub(crate) fn decode_label(row: &AnyRow) -> Result<LabelState, StoreError> {
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
        decided_at: codec::parse_optional_timestamp(
            "labels.decided_at",
            row.try_get("decided_at")?,
        )?,
    })
}

fn decode_finding(row: &AnyRow) -> Result<Finding, StoreError> {
    let id: FindingId = codec::parse_enum("findings.finding_id", row.try_get("finding_id")?)?;
    let severity = codec::parse_severity("findings.severity", row.try_get("severity")?)?;
    Ok(Finding::new(
        id,
        severity,
        row.try_get::<String, _>("detail")?,
    ))
}

pub(crate) fn decode_transition(row: &AnyRow) -> Result<StoredTransition, StoreError> {
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
