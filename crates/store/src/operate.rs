//! Continuous operation (see `schedule.rs` and `notify/`): what the scheduler reads, the
//! routine jobs it queues, label changes no scan caused (expiry), and the notification
//! outbox. Backend SQL lives in `sqlite/operate.rs`.

use super::{Backend, Store, StoreError, StoredTarget, dispatch};
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

impl Store {
    /// Every target with its label status, last scan and whether a job is pending.
    pub async fn schedule_view(&self) -> Result<Vec<SiteSchedule>, StoreError> {
        dispatch!(self.schedule_view())
    }

    /// Queues the scheduler's picks in one transaction, skipping any target that got a
    /// pending job meanwhile; returns how many were queued.
    pub async fn enqueue_due(
        &self,
        due: &[DueScan],
        requested_by: &str,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        dispatch!(self.enqueue_due(due, requested_by, now))
    }

    /// Sites holding a label whose last passing scan is older than `cutoff`.
    pub async fn labels_passed_before(
        &self,
        cutoff: OffsetDateTime,
    ) -> Result<Vec<(StoredTarget, LabelState)>, StoreError> {
        dispatch!(self.labels_passed_before(cutoff))
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
        dispatch!(self.record_label_change(target_id, expected, label, transition, notification))
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
        dispatch!(self.claim_notifications(sender, now, lease, limit))
    }

    pub async fn notification_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        dispatch!(self.notification_sent(id, now))
    }

    /// Records a failed attempt; the message is tried again at `retry_at`.
    pub async fn notification_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self.notification_failed(id, error, retry_at))
    }

    /// Heartbeat: pushes the lease of a job this worker holds to `until`. `false` when
    /// the worker lost it (the lease ran out and another worker took the job).
    pub async fn extend_scan_job_lease(
        &self,
        job_id: i64,
        worker: &str,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self.extend_scan_job_lease(job_id, worker, until))
    }

    /// Puts a job this worker holds back in the queue (a graceful shutdown).
    pub async fn release_scan_job(&self, job_id: i64, worker: &str) -> Result<(), StoreError> {
        dispatch!(self.release_scan_job(job_id, worker))
    }

    /// The outbox of one site, newest first.
    pub async fn notifications(&self, target_id: i64) -> Result<Vec<OutboxEntry>, StoreError> {
        dispatch!(self.notifications(target_id))
    }
}
