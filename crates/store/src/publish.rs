//! The store's publishing side: the public site list, owner links, the scan queue,
//! staff accounts and sessions, staff decisions and the audit log.
//!
//! Kept apart from `mod.rs` (scans and labels) because it is a different reader: the web
//! server and the static export. The SQL is in `sqlite/publish.rs` and
//! `postgres/publish.rs`.

use super::{Backend, Store, StoreError, StoredTransition, dispatch};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use trustlabel_core::policy::{Grade, LabelLevel, LabelStatus, Transition};

/// One site as the public sees it: never findings, only the label and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteRow {
    #[serde(skip)]
    pub target_id: i64,
    pub host: String,
    pub organisation: String,
    pub category: String,
    pub province: String,
    pub status: LabelStatus,
    pub level: Option<LabelLevel>,
    pub grade: Option<Grade>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub status_since: Option<OffsetDateTime>,
    /// When the latest scan finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_assessed: Option<OffsetDateTime>,
    #[serde(skip)]
    pub last_pass_at: Option<OffsetDateTime>,
    #[serde(skip)]
    pub at_risk_since: Option<OffsetDateTime>,
}

/// Which of the two lists the programme publishes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    All,
    /// Scanned at least once (any status but `not_assessed`).
    Assessed,
    NotAssessed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Host,
    Organisation,
    Status,
    /// By the latest scan's score, best first.
    Grade,
    LastAssessed,
}

/// A filtered, sorted page of the list. `search` is matched against the folded search
/// key, so pass it through [`trustlabel_core::fold::fold`] first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteQuery {
    pub search: Option<String>,
    pub statuses: Vec<LabelStatus>,
    pub category: Option<String>,
    pub province: Option<String>,
    pub view: View,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: u64,
    /// 0 means no limit (open data exports).
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePage {
    pub rows: Vec<SiteRow>,
    /// Matching rows over all pages.
    pub total: u64,
}

/// Site counts per status within one group (a category, a province, or everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub group: String,
    pub counts: Vec<(LabelStatus, u64)>,
}

impl StatusCounts {
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    pub fn count(&self, status: LabelStatus) -> u64 {
        self.counts
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }
}

/// How many status changes of each kind happened on one day (UTC), for trend charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyChanges {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub from: LabelStatus,
    pub to: LabelStatus,
    pub count: u64,
}

/// A label change with the site it happened to, for the public feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChange {
    pub host: String,
    pub change: StoredTransition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerLink {
    pub id: i64,
    pub target_id: i64,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn is_pending(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
        .ok_or_else(|| format!("unknown job state `{s}`"))
    }
}

/// One scan request from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanJob {
    pub id: i64,
    pub target_id: i64,
    pub requested_by: String,
    pub state: JobState,
    pub created_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub attempts: i64,
    pub scan_id: Option<i64>,
    pub error: Option<String>,
}

/// What [`Store::enqueue_scan`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Queued(ScanJob),
    /// A request for this site is already waiting or running; no second one is added.
    AlreadyPending(ScanJob),
    /// The site was scanned on request too recently; the next request is accepted at
    /// `retry_at`.
    TooSoon {
        last: ScanJob,
        retry_at: OffsetDateTime,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: i64,
    pub username: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub disabled: bool,
}

/// A live staff session: who, and the CSRF token their forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub user: StaffUser,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub host: Option<String>,
    pub detail: String,
}

/// Who did what, written in the same transaction as the action itself.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub host: Option<&'a str>,
    pub detail: &'a str,
}

impl Store {
    pub async fn target_by_id(&self, id: i64) -> Result<Option<super::StoredTarget>, StoreError> {
        dispatch!(self.target_by_id(id))
    }

    /// A page of the public list.
    pub async fn list_sites(&self, query: &SiteQuery) -> Result<SitePage, StoreError> {
        dispatch!(self.list_sites(query))
    }

    /// One site's public row; exact match on the stored ASCII host.
    pub async fn site_row(&self, host: &str) -> Result<Option<SiteRow>, StoreError> {
        dispatch!(self.site_row(host))
    }

    /// Distinct categories (or provinces) with their site counts, for filter menus.
    pub async fn facet(&self, column: Facet) -> Result<Vec<(String, u64)>, StoreError> {
        dispatch!(self.facet(column))
    }

    /// Status counts per category or province.
    pub async fn status_counts(&self, by: Facet) -> Result<Vec<StatusCounts>, StoreError> {
        dispatch!(self.status_counts(by))
    }

    pub async fn daily_changes(&self) -> Result<Vec<DailyChanges>, StoreError> {
        dispatch!(self.daily_changes())
    }

    /// The latest label changes of every site, newest first.
    pub async fn recent_changes(&self, limit: u64) -> Result<Vec<SiteChange>, StoreError> {
        dispatch!(self.recent_changes(limit))
    }

    pub async fn create_owner_link(
        &self,
        target_id: i64,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        dispatch!(self.create_owner_link(target_id, token_hash, now, expires_at))
    }

    /// The link with this token hash, if it is neither revoked nor expired at `now`.
    pub async fn owner_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OwnerLink>, StoreError> {
        dispatch!(self.owner_link(token_hash, now))
    }

    pub async fn owner_links(&self, target_id: i64) -> Result<Vec<OwnerLink>, StoreError> {
        dispatch!(self.owner_links(target_id))
    }

    /// Revokes one link (`Some(id)`) or every live link of the site; returns how many.
    pub async fn revoke_owner_links(
        &self,
        target_id: i64,
        link_id: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        dispatch!(self.revoke_owner_links(target_id, link_id, now))
    }

    /// Queues a scan of the site unless one is pending, or unless `min_interval` has not
    /// passed since the site's last request (the per-site rate limit of owner requests).
    pub async fn enqueue_scan(
        &self,
        target_id: i64,
        requested_by: &str,
        now: OffsetDateTime,
        min_interval: Option<Duration>,
    ) -> Result<Enqueued, StoreError> {
        dispatch!(self.enqueue_scan(target_id, requested_by, now, min_interval))
    }

    /// Takes the next queued job (or one whose worker's lease ran out) for `worker`.
    pub async fn claim_scan_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ScanJob>, StoreError> {
        dispatch!(self.claim_scan_job(worker, now, lease))
    }

    /// Ends a job this worker holds: `Ok(scan_id)` is done, `Err(reason)` failed.
    pub async fn finish_scan_job(
        &self,
        job_id: i64,
        now: OffsetDateTime,
        outcome: Result<i64, String>,
    ) -> Result<(), StoreError> {
        dispatch!(self.finish_scan_job(job_id, now, outcome))
    }

    pub async fn latest_scan_job(&self, target_id: i64) -> Result<Option<ScanJob>, StoreError> {
        dispatch!(self.latest_scan_job(target_id))
    }

    /// Adds a staff account; `Conflict` when the name is taken.
    pub async fn create_staff(
        &self,
        username: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        dispatch!(self.create_staff(username, password_hash, now))
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<StaffUser>, StoreError> {
        dispatch!(self.staff_by_username(username))
    }

    pub async fn staff_users(&self) -> Result<Vec<StaffUser>, StoreError> {
        dispatch!(self.staff_users())
    }

    /// Disables or re-enables an account; a disabled account's sessions stop working.
    pub async fn set_staff_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        dispatch!(self.set_staff_disabled(username, disabled))
    }

    pub async fn set_staff_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self.set_staff_password(username, password_hash))
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self.create_session(token_hash, user_id, csrf_token, now, expires_at))
    }

    /// The session with this cookie hash, if unexpired and its account is enabled.
    pub async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffSession>, StoreError> {
        dispatch!(self.session(token_hash, now))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        dispatch!(self.delete_session(token_hash))
    }

    pub async fn record_audit(
        &self,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        dispatch!(self.record_audit(audit, now))
    }

    /// The newest audit entries first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        dispatch!(self.audit_log(limit))
    }

    /// A staff decision that sets the site's status (and level) without a scan; the
    /// history records it with no scan id, the audit log with the actor. Returns the
    /// transition, or `None` when nothing changed.
    pub async fn override_label(
        &self,
        target_id: i64,
        status: LabelStatus,
        level: Option<LabelLevel>,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<Transition>, StoreError> {
        dispatch!(self.override_label(target_id, status, level, audit, now))
    }

    /// Records a manual assessment and raises a labelled site to `advanced`. Returns
    /// false (and stores nothing) when the site does not hold a label.
    pub async fn attest(
        &self,
        target_id: i64,
        note: &str,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        dispatch!(self.attest(target_id, note, audit, now))
    }
}

/// A grouping column of the target list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Category,
    Province,
}
