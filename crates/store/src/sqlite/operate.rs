//! SQL of continuous operation (see `store/operate.rs`): scheduler reads, routine jobs,
//! label expiry and the notification outbox. Same portable style as `sqlite.rs`.

use super::super::StoreError;
use super::super::codec::{self, timestamp};
use super::super::operate::{Notification, OutboxEntry, OutboxMessage};
use super::{SqliteStore, TARGET_COLUMNS, decode_label, decode_target};
use crate::StoredTarget;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use time::{Duration, OffsetDateTime};
use trustlabel_core::policy::{LabelState, Transition};
use trustlabel_core::schedule::{DueScan, SiteSchedule};

const LABEL_COLUMNS: &str = "l.status, l.level, l.grade, l.status_since, l.at_risk_since, \
     l.last_pass_at, l.unreachable_scans";

const OUTBOX_COLUMNS: &str =
    "id, target_id, recipient, subject, body, created_at, attempts, sent_at, last_error";

impl SqliteStore {
    pub(crate) async fn schedule_view(&self) -> Result<Vec<SiteSchedule>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.host, t.category, COALESCE(l.status, 'not_assessed') AS status, \
             (SELECT MAX(s.finished_at) FROM scans s WHERE s.target_id = t.id) AS last_scanned, \
             EXISTS (SELECT 1 FROM scan_jobs j WHERE j.target_id = t.id \
                     AND j.state IN ('queued', 'running')) AS pending \
             FROM targets t LEFT JOIN labels l ON l.target_id = t.id ORDER BY t.id",
        )
        .fetch_all(&self.reader)
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
                    pending: row.try_get::<bool, _>("pending")?,
                })
            })
            .collect()
    }

    pub(crate) async fn enqueue_due(
        &self,
        due: &[DueScan],
        requested_by: &str,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let now = timestamp(now)?;
        let mut tx = self.begin_write().await?;
        let mut queued = 0;
        for scan in due {
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

    pub(crate) async fn labels_passed_before(
        &self,
        cutoff: OffsetDateTime,
    ) -> Result<Vec<(StoredTarget, LabelState)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS}, {LABEL_COLUMNS} FROM targets t \
             JOIN labels l ON l.target_id = t.id \
             WHERE l.status IN ('labelled', 'at_risk') AND l.last_pass_at < $1 ORDER BY t.id"
        ))
        .bind(timestamp(cutoff)?)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| Ok((decode_target(row)?, decode_label(row)?)))
            .collect()
    }

    pub(crate) async fn record_label_change(
        &self,
        target_id: i64,
        expected: &LabelState,
        label: &LabelState,
        transition: &Transition,
        notification: Option<&Notification>,
    ) -> Result<bool, StoreError> {
        let at = timestamp(transition.at)?;
        let mut tx = self.begin_write().await?;
        let current = sqlx::query(&format!(
            "SELECT {LABEL_COLUMNS} FROM labels l WHERE l.target_id = $1"
        ))
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| decode_label(&row))
        .transpose()?;
        if current.as_ref() != Some(expected) {
            return Ok(false); // a scan or a staff decision got there first
        }
        sqlx::query(
            "UPDATE labels SET status = $1, level = $2, status_since = $3, at_risk_since = $4, \
             updated_at = $5 WHERE target_id = $6",
        )
        .bind(label.status.as_str())
        .bind(label.level.map(|l| l.as_str()))
        .bind(codec::optional_timestamp(label.status_since)?)
        .bind(codec::optional_timestamp(label.at_risk_since)?)
        .bind(&at)
        .bind(target_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO label_history (target_id, from_status, to_status, reason, scan_id, at) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(target_id)
        .bind(transition.from.as_str())
        .bind(transition.to.as_str())
        .bind(&transition.reason)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        if let Some(message) = notification {
            queue_notification(&mut tx, target_id, message, transition.at).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn claim_notifications(
        &self,
        sender: &str,
        now: OffsetDateTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let now_text = timestamp(now)?;
        // PostgreSQL: the inner SELECT gets `FOR UPDATE SKIP LOCKED`.
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET lease_owner = $1, lease_expires_at = $2 \
             WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL \
                 AND next_attempt_at <= $3 \
                 AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
                 ORDER BY next_attempt_at, id LIMIT $4) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(sender)
        .bind(timestamp(now + lease)?)
        .bind(&now_text)
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
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

    pub(crate) async fn notification_sent(
        &self,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             lease_owner = NULL, lease_expires_at = NULL WHERE id = $2",
        )
        .bind(timestamp(now)?)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn notification_failed(
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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn extend_scan_job_lease(
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
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn release_scan_job(
        &self,
        job_id: i64,
        worker: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE scan_jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2",
        )
        .bind(job_id)
        .bind(worker)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(crate) async fn notifications(
        &self,
        target_id: i64,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM notifications WHERE target_id = $1 ORDER BY id DESC"
        ))
        .bind(target_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(decode_outbox).collect()
    }
}

/// Writes one message to the outbox inside the caller's transaction.
pub(super) async fn queue_notification(
    tx: &mut Transaction<'static, Sqlite>,
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn decode_outbox(row: &SqliteRow) -> Result<OutboxEntry, StoreError> {
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
