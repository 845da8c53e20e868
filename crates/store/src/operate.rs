//! Continuous operation (see `schedule.rs` and `notify/`): what the scheduler reads, the
//! routine jobs it queues, label changes no scan caused (expiry), and the notification
//! outbox.

use crate::codec::{self, timestamp};
use crate::engine;
use crate::scans::{
    LABEL_COLUMNS, TARGET_COLUMNS, decode_label, decode_target, insert_history,
    read_label_for_update, write_label,
};
use crate::{Store, StoreError, StoredTarget};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::{Duration, OffsetDateTime};
use trustlabel_core::policy::{LabelState, Transition};
use trustlabel_core::schedule::{DueScan, SiteSchedule};

/// A message for a site's contact, written to the outbox in the same transaction as
/// the label change it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// An outbox row a sender has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub target_id: i64,
    pub message: Notification,
    /// Delivery attempts before this one.
    pub attempts: u32,
}

/// One outbox row as stored, for the owner and staff views and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub message: Notification,
    pub created_at: OffsetDateTime,
    pub attempts: u32,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

const OUTBOX_COLUMNS: &str =
    "id, target_id, recipient, subject, body, created_at, attempts, sent_at, last_error";

impl Store {
    /// Every target with its label status, last scan and whether a job is pending.
    pub async fn schedule_view(&self) -> Result<Vec<SiteSchedule>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.host, t.category, COALESCE(l.status, 'not_assessed') AS status, \
             (SELECT MAX(s.finished_at) FROM scans s WHERE s.target_id = t.id) AS last_scanned, \
             CASE WHEN EXISTS (SELECT 1 FROM scan_jobs j WHERE j.target_id = t.id \
                     AND j.state IN ('queued', 'running')) THEN 1 ELSE 0 END AS pending \
             FROM targets t LEFT JOIN labels l ON l.target_id = t.id ORDER BY t.id",
        )
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SiteSchedule {
                    target_id: row.try_get("id")?,
                    host: row.try_get("host")?,
                    category: row.try_get("category")?,
                    status: codec::parse_enum("labels.status", row.try_get("status")?)?,
                    last_scanned: codec::parse_optional_timestamp(
                        "scans.finished_at",
                        row.try_get("last_scanned")?,
                    )?,
                    // An integer: SQLite has no boolean type, and `Any` reads a bool
                    // only from a real one.
                    pending: row.try_get::<i64, _>("pending")? != 0,
                })
            })
            .collect()
    }

    /// Queues the scheduler's picks in one transaction, skipping any target that got a
    /// pending job meanwhile; returns how many were queued.
    pub async fn enqueue_due(
        &self,
        due: &[DueScan],
        requested_by: &str,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let now = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        let mut queued = 0;
        for scan in due {
            // The lock every queue change of this site takes, so two schedulers cannot
            // both add a job.
            engine::lock_site(self.db.engine(), &mut tx, scan.target_id).await?;
            let done = sqlx::query(
                "INSERT INTO scan_jobs (target_id, requested_by, priority, state, created_at) \
                 SELECT $1, $2, $3, 'queued', $4 WHERE NOT EXISTS (SELECT 1 FROM scan_jobs \
                 WHERE target_id = $1 AND state IN ('queued', 'running'))",
            )
            .bind(scan.target_id)
            .bind(requested_by)
            .bind(scan.priority)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            queued += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Sites holding a label whose last passing scan is older than `cutoff`.
    pub async fn labels_passed_before(
        &self,
        cutoff: OffsetDateTime,
    ) -> Result<Vec<(StoredTarget, LabelState)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS}, {LABEL_COLUMNS} FROM targets t \
             JOIN labels l ON l.target_id = t.id \
             WHERE l.status IN ('labelled', 'at_risk') AND l.last_pass_at < $1 ORDER BY t.id"
        ))
        .bind(timestamp(cutoff)?)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|row| Ok((decode_target(row)?, decode_label(row)?)))
            .collect()
    }

    /// Stores a label change that no scan caused (a lapsed label) with its history row
    /// and notification, unless the label changed since it was read (`expected`).
    pub async fn record_label_change(
        &self,
        target_id: i64,
        expected: &LabelState,
        label: &LabelState,
        transition: &Transition,
        notification: Option<&Notification>,
    ) -> Result<bool, StoreError> {
        let at = timestamp(transition.at)?;
        let mut tx = self.db.begin_write().await?;
        // The same lock and compare-and-set as `record_scan`: the lapse is stored only
        // over the label it was computed from.
        let current = read_label_for_update(self.db.engine(), &mut tx, target_id).await?;
        if current != *expected {
            return Ok(false); // a scan or a staff decision got there first
        }
        write_label(&mut tx, target_id, label, None, &at).await?;
        insert_history(&mut tx, target_id, transition, None).await?;
        if let Some(message) = notification {
            queue_notification(&mut tx, target_id, message, transition.at).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Claims up to `limit` messages that are due (never sent, next attempt reached, no
    /// live lease) for `sender` until `now + lease`.
    pub async fn claim_notifications(
        &self,
        sender: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let now_text = timestamp(now)?;
        let skip_locked = self.db.engine().skip_locked();
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET lease_owner = $1, lease_expires_at = $2 \
             WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL \
                 AND next_attempt_at <= $3 \
                 AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
                 ORDER BY next_attempt_at, id LIMIT $4{skip_locked}) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(sender)
        .bind(timestamp(now + lease)?)
        .bind(&now_text)
        .bind(i64::from(limit))
        .fetch_all(self.db.writer())
        .await?;
        let mut claimed: Vec<OutboxMessage> = rows
            .iter()
            .map(|row| {
                let entry = decode_outbox(row)?;
                Ok(OutboxMessage {
                    id: entry.id,
                    target_id: row.try_get("target_id")?,
                    message: entry.message,
                    attempts: entry.attempts,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    pub async fn notification_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             lease_owner = NULL, lease_expires_at = NULL WHERE id = $2",
        )
        .bind(timestamp(now)?)
        .bind(id)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Records a failed attempt; the message is tried again at `retry_at`.
    pub async fn notification_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2, lease_owner = NULL, lease_expires_at = NULL WHERE id = $3",
        )
        .bind(error)
        .bind(timestamp(retry_at)?)
        .bind(id)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Heartbeat: pushes the lease of a job this worker holds to `until`. `false` when
    /// the worker lost it (the lease ran out and another worker took the job).
    pub async fn extend_scan_job_lease(
        &self,
        job_id: i64,
        worker: &str,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE scan_jobs SET lease_expires_at = $1 \
             WHERE id = $2 AND state = 'running' AND lease_owner = $3",
        )
        .bind(timestamp(until)?)
        .bind(job_id)
        .bind(worker)
        .execute(self.db.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a job this worker holds back in the queue (a graceful shutdown).
    pub async fn release_scan_job(&self, job_id: i64, worker: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE scan_jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2",
        )
        .bind(job_id)
        .bind(worker)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The outbox of one site, newest first.
    pub async fn notifications(&self, target_id: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM notifications WHERE target_id = $1 ORDER BY id DESC"
        ))
        .bind(target_id)
        .fetch_all(self.db.reader())
        .await?;
        rows.iter().map(decode_outbox).collect()
    }
}

/// Writes one message to the outbox inside the caller's transaction.
pub(crate) async fn queue_notification(
    conn: &mut AnyConnection,
    target_id: i64,
    message: &Notification,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let at = timestamp(at)?;
    sqlx::query(
        "INSERT INTO notifications (target_id, recipient, subject, body, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(target_id)
    .bind(&message.recipient)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(&at)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode_outbox(row: &AnyRow) -> Result<OutboxEntry, StoreError> {
    let attempts: i64 = row.try_get("attempts")?;
    Ok(OutboxEntry {
        id: row.try_get("id")?,
        message: Notification {
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            body: row.try_get("body")?,
        },
        created_at: codec::parse_timestamp(
            "notifications.created_at",
            &row.try_get::<String, _>("created_at")?,
        )?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt("notifications.attempts is negative".into()))?,
        sent_at: codec::parse_optional_timestamp("notifications.sent_at", row.try_get("sent_at")?)?,
        last_error: row.try_get("last_error")?,
    })
}
