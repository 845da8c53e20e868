//! The store's publishing side: the public site list, owner links, the scan queue,
//! staff accounts and sessions, staff decisions and the audit log.
//!
//! Kept apart from `scans.rs` (scans and labels) because it is a different reader: the
//! web server and the static export.

use crate::codec::{self, timestamp};
use crate::engine;
use crate::scans::{decode_transition, insert_history, read_label_for_update, write_label};
use crate::sql::SqlBuilder;
use crate::{Store, StoreError, StoredTransition};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};
use trustlabel_core::policy::{Grade, LabelLevel, LabelState, LabelStatus, Transition};

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
    /// The current status was set by a staff decision of the authority, then.
    #[serde(skip)]
    pub decided_at: Option<OffsetDateTime>,
    /// The latest staff attestation of a manual assessment (level advanced).
    #[serde(skip)]
    pub attested_at: Option<OffsetDateTime>,
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
pub struct HourlyChanges {
    /// The UTC hour the changes happened in (its first instant). Hours, not days, so
    /// that callers can count days in their own time zone.
    pub hour: OffsetDateTime,
    pub from: LabelStatus,
    pub to: LabelStatus,
    pub count: u64,
}

/// A label change with the site it happened to, for the public feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChange {
    pub host: String,
    pub change: StoredTransition,
    /// The grade of the scan that caused the change (none for a staff decision or a
    /// lapse).
    pub grade: Option<Grade>,
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

/// The public row of a site: target, current label and when it was last scanned. A site
/// with no label row is `not_assessed`. The scan time comes from the covering index
/// `scans_by_target`, never from the scan rows themselves, which carry the evidence JSON
/// (kilobytes each): a list page must not read evidence.
const SITE_COLUMNS: &str = "SELECT t.id, t.host, t.organisation, t.category, t.province, \
     COALESCE(l.status, 'not_assessed') AS status, l.level, l.grade, l.status_since, \
     l.last_pass_at, l.at_risk_since, l.decided_at, \
     (SELECT MAX(a.at) FROM attestations a WHERE a.target_id = t.id) AS attested_at, \
     (SELECT MAX(s.finished_at) FROM scans s WHERE s.target_id = t.id) AS last_assessed";
const LEFT_JOIN: &str = " FROM targets t LEFT JOIN labels l ON l.target_id = t.id";

/// Grades best first, as a sortable number (the stored grade is its text, "A+").
const GRADE_RANK: &str = "CASE l.grade WHEN 'A+' THEN 0 WHEN 'A' THEN 1 WHEN 'A-' THEN 2 \
     WHEN 'B+' THEN 3 WHEN 'B' THEN 4 WHEN 'B-' THEN 5 WHEN 'C+' THEN 6 WHEN 'C' THEN 7 \
     WHEN 'C-' THEN 8 WHEN 'D+' THEN 9 WHEN 'D' THEN 10 WHEN 'D-' THEN 11 WHEN 'F' THEN 12 \
     ELSE 13 END";

pub(crate) const JOB_COLUMNS: &str = "id, target_id, requested_by, state, created_at, started_at, \
     finished_at, attempts, scan_id, error";

const STAFF_COLUMNS: &str = "u.id, u.username, u.password_hash, u.disabled";

/// How a list query reaches the label. When every wanted site has a label row (a status
/// filter without `not_assessed`, or the assessed view), an inner join on the plain
/// `l.status` lets SQLite start from `labels_by_status` and visit only matching sites;
/// otherwise the left join keeps sites never scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelJoin {
    None,
    Inner,
    Left,
}

impl LabelJoin {
    fn for_query(q: &SiteQuery, need_columns: bool) -> LabelJoin {
        let wants_unlabelled =
            q.statuses.contains(&LabelStatus::NotAssessed) || q.view == View::NotAssessed;
        let filters_status = !q.statuses.is_empty() || q.view != View::All;
        if filters_status && !wants_unlabelled {
            LabelJoin::Inner
        } else if filters_status || need_columns {
            LabelJoin::Left
        } else {
            LabelJoin::None
        }
    }

    fn from(self) -> &'static str {
        match self {
            LabelJoin::None => " FROM targets t",
            LabelJoin::Inner => " FROM targets t JOIN labels l ON l.target_id = t.id",
            LabelJoin::Left => LEFT_JOIN,
        }
    }

    /// The status expression filters compare against.
    fn status(self) -> &'static str {
        match self {
            LabelJoin::Inner => "l.status",
            _ => "COALESCE(l.status, 'not_assessed')",
        }
    }
}

fn push_filters(b: &mut SqlBuilder, q: &SiteQuery, join: LabelJoin, like: &str) {
    let status = join.status();
    b.push(" WHERE 1 = 1");
    if let Some(search) = q.search.as_deref().filter(|s| !s.is_empty()) {
        // Folded text has no `%` or `_`, so nothing needs escaping.
        b.push(&format!(" AND t.search_key {like} "))
            .push_bind(format!("%{search}%"));
    }
    if !q.statuses.is_empty() {
        b.push(&format!(" AND {status} IN ("))
            .push_bind_list(q.statuses.iter().map(|s| s.as_str().to_string()))
            .push(")");
    }
    if let Some(category) = &q.category {
        b.push(" AND t.category = ").push_bind(category.clone());
    }
    if let Some(province) = &q.province {
        b.push(" AND t.province = ").push_bind(province.clone());
    }
    match q.view {
        View::All => {}
        View::Assessed => {
            b.push(&format!(" AND {status} <> 'not_assessed'"));
        }
        View::NotAssessed => {
            b.push(&format!(" AND {status} = 'not_assessed'"));
        }
    }
}

fn order_by(q: &SiteQuery) -> String {
    let dir = if q.descending { "DESC" } else { "ASC" };
    match q.sort {
        SortKey::Host => format!(" ORDER BY t.host {dir}"),
        SortKey::Organisation => format!(" ORDER BY t.organisation {dir}, t.host"),
        SortKey::Status => format!(" ORDER BY status {dir}, t.host"),
        // Ascending grade is best first; sites without a grade come last.
        SortKey::Grade => format!(" ORDER BY {GRADE_RANK} {dir}, t.host"),
        // Never-scanned sites first ascending, last descending. Said explicitly because
        // the engines' defaults disagree, and PostgreSQL cannot use an output name inside
        // an expression such as `COALESCE(last_assessed, '')`.
        SortKey::LastAssessed if q.descending => {
            " ORDER BY last_assessed DESC NULLS LAST, t.host".to_string()
        }
        SortKey::LastAssessed => " ORDER BY last_assessed ASC NULLS FIRST, t.host".to_string(),
    }
}

fn decode_site(row: &AnyRow) -> Result<SiteRow, StoreError> {
    let opt_ts = |column: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        codec::parse_optional_timestamp(column, row.try_get(column)?)
    };
    Ok(SiteRow {
        target_id: row.try_get("id")?,
        host: row.try_get("host")?,
        organisation: row.try_get("organisation")?,
        category: row.try_get("category")?,
        province: row.try_get("province")?,
        status: codec::parse_enum("labels.status", row.try_get("status")?)?,
        level: codec::parse_optional_enum("labels.level", row.try_get("level")?)?,
        grade: codec::parse_optional_enum("labels.grade", row.try_get("grade")?)?,
        status_since: opt_ts("status_since")?,
        last_assessed: opt_ts("last_assessed")?,
        last_pass_at: opt_ts("last_pass_at")?,
        at_risk_since: opt_ts("at_risk_since")?,
        decided_at: opt_ts("decided_at")?,
        attested_at: opt_ts("attested_at")?,
    })
}

pub(crate) fn decode_job(row: &AnyRow) -> Result<ScanJob, StoreError> {
    let opt_ts = |column: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        codec::parse_optional_timestamp(column, row.try_get(column)?)
    };
    Ok(ScanJob {
        id: row.try_get("id")?,
        target_id: row.try_get("target_id")?,
        requested_by: row.try_get("requested_by")?,
        state: codec::parse_enum("scan_jobs.state", row.try_get("state")?)?,
        created_at: codec::parse_timestamp("scan_jobs.created_at", row.try_get("created_at")?)?,
        started_at: opt_ts("started_at")?,
        finished_at: opt_ts("finished_at")?,
        attempts: row.try_get("attempts")?,
        scan_id: row.try_get("scan_id")?,
        error: row.try_get("error")?,
    })
}

fn decode_owner_link(row: &AnyRow) -> Result<OwnerLink, StoreError> {
    Ok(OwnerLink {
        id: row.try_get("id")?,
        target_id: row.try_get("target_id")?,
        created_at: codec::parse_timestamp("owner_links.created_at", row.try_get("created_at")?)?,
        expires_at: codec::parse_timestamp("owner_links.expires_at", row.try_get("expires_at")?)?,
        revoked_at: codec::parse_optional_timestamp(
            "owner_links.revoked_at",
            row.try_get("revoked_at")?,
        )?,
    })
}

fn decode_staff(row: &AnyRow) -> Result<StaffUser, StoreError> {
    Ok(StaffUser {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

pub(crate) async fn insert_audit(
    conn: &mut AnyConnection,
    audit: Audit<'_>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, host, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(audit.actor)
    .bind(audit.action)
    .bind(audit.host)
    .bind(audit.detail)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// A page of the public list.
    pub async fn list_sites(&self, q: &SiteQuery) -> Result<SitePage, StoreError> {
        // One snapshot, so the total agrees with the rows.
        let like = self.db.engine().like();
        // The count needs the label only to filter by status.
        let join = LabelJoin::for_query(q, false);
        let mut counter = SqlBuilder::new("SELECT COUNT(*)");
        counter.push(join.from());
        push_filters(&mut counter, q, join, like);
        let (count_sql, count_arguments) = counter.finish()?;

        let join = LabelJoin::for_query(q, true);
        let mut select = SqlBuilder::new(SITE_COLUMNS);
        select.push(join.from());
        push_filters(&mut select, q, join, like);
        select.push(&order_by(q));
        if q.limit > 0 {
            select
                .push(" LIMIT ")
                .push_bind(i64::try_from(q.limit).unwrap_or(i64::MAX))
                .push(" OFFSET ")
                .push_bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
        }
        let (select_sql, select_arguments) = select.finish()?;

        let mut tx = self.db.begin_snapshot().await?;
        let total: i64 = sqlx::query_scalar_with(&count_sql, count_arguments)
            .fetch_one(&mut *tx)
            .await?;
        let rows = sqlx::query_with(&select_sql, select_arguments)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(decode_site)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(SitePage {
            rows,
            total: count(total),
        })
    }

    /// One site's public row; exact match on the stored ASCII host.
    pub async fn site_row(&self, host: &str) -> Result<Option<SiteRow>, StoreError> {
        sqlx::query(&format!("{SITE_COLUMNS}{LEFT_JOIN} WHERE t.host = $1"))
            .bind(host)
            .fetch_optional(self.db.reader())
            .await?
            .map(|row| decode_site(&row))
            .transpose()
    }

    /// Distinct categories (or provinces) with their site counts, for filter menus.
    pub async fn facet(&self, column: Facet) -> Result<Vec<(String, u64)>, StoreError> {
        let column = match column {
            Facet::Category => "category",
            Facet::Province => "province",
        };
        sqlx::query(&format!(
            "SELECT {column} AS value, COUNT(*) AS n FROM targets \
             GROUP BY {column} ORDER BY {column}"
        ))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("value")?, count(row.try_get("n")?))))
        .collect()
    }

    /// Status counts per category or province.
    pub async fn status_counts(&self, by: Facet) -> Result<Vec<StatusCounts>, StoreError> {
        let column = match by {
            Facet::Category => "t.category",
            Facet::Province => "t.province",
        };
        let rows = sqlx::query(&format!(
            "SELECT {column} AS grp, COALESCE(l.status, 'not_assessed') AS status, \
             COUNT(*) AS n FROM targets t LEFT JOIN labels l ON l.target_id = t.id \
             GROUP BY {column}, COALESCE(l.status, 'not_assessed') ORDER BY {column}"
        ))
        .fetch_all(self.db.reader())
        .await?;
        let mut groups: BTreeMap<String, StatusCounts> = BTreeMap::new();
        for row in &rows {
            let group: String = row.try_get("grp")?;
            let status: LabelStatus = codec::parse_enum("labels.status", row.try_get("status")?)?;
            groups
                .entry(group.clone())
                .or_insert_with(|| StatusCounts {
                    group,
                    counts: Vec::new(),
                })
                .counts
                .push((status, count(row.try_get("n")?)));
        }
        Ok(groups.into_values().collect())
    }

    /// Label changes counted per UTC hour and status pair, oldest first.
    pub async fn hourly_changes(&self) -> Result<Vec<HourlyChanges>, StoreError> {
        sqlx::query(
            "SELECT substr(at, 1, 13) AS hour, from_status, to_status, COUNT(*) AS n \
             FROM label_history GROUP BY substr(at, 1, 13), from_status, to_status \
             ORDER BY hour, from_status, to_status",
        )
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(|row| {
            let hour: String = row.try_get("hour")?;
            Ok(HourlyChanges {
                hour: codec::parse_timestamp(
                    "label_history.at",
                    &format!("{hour}:00:00.000000000Z"),
                )?,
                from: codec::parse_enum("label_history.from_status", row.try_get("from_status")?)?,
                to: codec::parse_enum("label_history.to_status", row.try_get("to_status")?)?,
                count: count(row.try_get("n")?),
            })
        })
        .collect()
    }

    /// The latest label changes of every site, newest first.
    pub async fn recent_changes(&self, limit: u64) -> Result<Vec<SiteChange>, StoreError> {
        sqlx::query(
            "SELECT h.id, h.target_id, h.from_status, h.to_status, h.reason, h.scan_id, h.at, \
             t.host, s.grade FROM label_history h JOIN targets t ON t.id = h.target_id \
             LEFT JOIN scans s ON s.id = h.scan_id \
             ORDER BY h.at DESC, h.id DESC LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(SiteChange {
                host: row.try_get("host")?,
                change: decode_transition(row)?,
                grade: codec::parse_optional_enum("scans.grade", row.try_get("grade")?)?,
            })
        })
        .collect()
    }

    pub async fn create_owner_link(
        &self,
        target_id: i64,
        token_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO owner_links (target_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(target_id)
        .bind(token_hash)
        .bind(timestamp(now)?)
        .bind(timestamp(expires_at)?)
        .fetch_one(self.db.writer())
        .await?)
    }

    /// The link with this token hash, if it is neither revoked nor expired at `now`.
    pub async fn owner_link(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OwnerLink>, StoreError> {
        sqlx::query(
            "SELECT id, target_id, created_at, expires_at, revoked_at FROM owner_links \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(timestamp(now)?)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_owner_link(&row))
        .transpose()
    }

    pub async fn owner_links(&self, target_id: i64) -> Result<Vec<OwnerLink>, StoreError> {
        sqlx::query(
            "SELECT id, target_id, created_at, expires_at, revoked_at FROM owner_links \
             WHERE target_id = $1 ORDER BY id",
        )
        .bind(target_id)
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_owner_link)
        .collect()
    }

    /// Revokes one link (`Some(id)`) or every live link of the site; returns how many.
    pub async fn revoke_owner_links(
        &self,
        target_id: i64,
        link_id: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE owner_links SET revoked_at = $1 WHERE target_id = $2 \
             AND revoked_at IS NULL AND ($3 IS NULL OR id = $3)",
        )
        .bind(timestamp(now)?)
        .bind(target_id)
        .bind(link_id)
        .execute(self.db.writer())
        .await?;
        Ok(done.rows_affected())
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
        let mut tx = self.db.begin_write().await?;
        engine::lock_site(self.db.engine(), &mut tx, target_id).await?;
        let pending = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM scan_jobs WHERE target_id = $1 \
             AND state IN ('queued', 'running') ORDER BY id DESC LIMIT 1"
        ))
        .bind(target_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = pending {
            return Ok(Enqueued::AlreadyPending(decode_job(&row)?));
        }
        if let Some(interval) = min_interval {
            let last = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM scan_jobs WHERE target_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1"
            ))
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| decode_job(&row))
            .transpose()?;
            if let Some(last) = last {
                let retry_at = last.created_at + interval;
                if retry_at > now {
                    return Ok(Enqueued::TooSoon { last, retry_at });
                }
            }
        }
        let row = sqlx::query(&format!(
            "INSERT INTO scan_jobs (target_id, requested_by, state, created_at) \
             VALUES ($1, $2, 'queued', $3) RETURNING {JOB_COLUMNS}"
        ))
        .bind(target_id)
        .bind(requested_by)
        .bind(timestamp(now)?)
        .fetch_one(&mut *tx)
        .await?;
        let job = decode_job(&row)?;
        tx.commit().await?;
        Ok(Enqueued::Queued(job))
    }

    /// Takes the next queued job (or one whose worker's lease ran out) for `worker`.
    pub async fn claim_scan_job(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<ScanJob>, StoreError> {
        let now_text = timestamp(now)?;
        let until = timestamp(now + lease)?;
        let skip_locked = self.db.engine().skip_locked();
        // A crashed worker's job first (rare, found through `scan_jobs_expiry`), then the
        // best queued one (through `scan_jobs_claim`): neither reads the whole queue.
        for candidate in [
            "SELECT id FROM scan_jobs WHERE state = 'running' AND lease_expires_at < $3 \
             ORDER BY lease_expires_at, id LIMIT 1",
            "SELECT id FROM scan_jobs WHERE state = 'queued' \
             ORDER BY priority DESC, id LIMIT 1",
        ] {
            let row = sqlx::query(&format!(
                "UPDATE scan_jobs SET state = 'running', lease_owner = $1, \
                 lease_expires_at = $2, attempts = attempts + 1, \
                 started_at = COALESCE(started_at, $3) \
                 WHERE id = ({candidate}{skip_locked}) RETURNING {JOB_COLUMNS}"
            ))
            .bind(worker)
            .bind(&until)
            .bind(&now_text)
            .fetch_optional(self.db.writer())
            .await?;
            if let Some(row) = row {
                return decode_job(&row).map(Some);
            }
        }
        Ok(None)
    }

    /// Ends a job this worker holds: `Ok(scan_id)` is done, `Err(reason)` failed.
    pub async fn finish_scan_job(
        &self,
        job_id: i64,
        now: OffsetDateTime,
        outcome: Result<i64, String>,
    ) -> Result<(), StoreError> {
        let (state, scan_id, error) = match outcome {
            Ok(scan_id) => (JobState::Done, Some(scan_id), None),
            Err(error) => (JobState::Failed, None, Some(error)),
        };
        let done = sqlx::query(
            "UPDATE scan_jobs SET state = $1, finished_at = $2, scan_id = $3, error = $4, \
             lease_owner = NULL, lease_expires_at = NULL WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(timestamp(now)?)
        .bind(scan_id)
        .bind(error)
        .bind(job_id)
        .execute(self.db.writer())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("scan job {job_id}")));
        }
        Ok(())
    }

    pub async fn latest_scan_job(&self, target_id: i64) -> Result<Option<ScanJob>, StoreError> {
        sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM scan_jobs WHERE target_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(target_id)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_job(&row))
        .transpose()
    }

    /// Adds a staff account; `Conflict` when the name is taken.
    pub async fn create_staff(
        &self,
        username: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO staff_users (username, password_hash, disabled, created_at) \
             VALUES ($1, $2, 0, $3) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(timestamp(now)?)
        .fetch_one(self.db.writer())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("staff account `{username}` already exists"))
            } else {
                e.into()
            }
        })
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<StaffUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff_users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_staff(&row))
        .transpose()
    }

    pub async fn staff_users(&self) -> Result<Vec<StaffUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff_users u ORDER BY u.username"
        ))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_staff)
        .collect()
    }

    /// Disables or re-enables an account. Disabling ends the account's sessions for
    /// good: re-enabling it later must not bring back a session opened before (a stolen
    /// cookie would otherwise come back to life with the account).
    pub async fn set_staff_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query("UPDATE staff_users SET disabled = $1 WHERE username = $2")
            .bind(i64::from(disabled))
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query(
                "DELETE FROM staff_sessions WHERE user_id IN \
                 (SELECT id FROM staff_users WHERE username = $1)",
            )
            .bind(username)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_staff_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query("UPDATE staff_users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        // A new password ends every session opened with the old one.
        sqlx::query(
            "DELETE FROM staff_sessions WHERE user_id IN \
             (SELECT id FROM staff_users WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        // Expired sessions are swept here, where sessions are created anyway.
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= $1")
            .bind(timestamp(now)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(timestamp(now)?)
        .bind(timestamp(expires_at)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with this cookie hash, if unexpired and its account is enabled.
    pub async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffSession>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {STAFF_COLUMNS}, s.csrf_token, s.expires_at FROM staff_sessions s \
             JOIN staff_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        ))
        .bind(token_hash)
        .bind(timestamp(now)?)
        .fetch_optional(self.db.reader())
        .await?;
        row.map(|row| {
            Ok(StaffSession {
                user: decode_staff(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: codec::parse_timestamp(
                    "staff_sessions.expires_at",
                    row.try_get("expires_at")?,
                )?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    pub async fn record_audit(
        &self,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = timestamp(now)?;
        let mut conn = self.db.writer().acquire().await?;
        insert_audit(&mut conn, audit, &at).await
    }

    /// The newest audit entries first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(
            "SELECT id, at, actor, action, host, detail FROM audit_log \
             ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: codec::parse_timestamp("audit_log.at", row.try_get("at")?)?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                host: row.try_get("host")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
    }

    /// A staff decision on the site's label, without a scan: `decide` (the policy's
    /// `staff_override`, pure) is applied to the label as it is inside this transaction,
    /// with the site locked, so a scan or lapse committing meanwhile is neither lost nor
    /// overwritten. The history records the change with no scan id, the audit log with
    /// the actor. Returns the transition, or `None` when the status did not change.
    pub async fn override_label(
        &self,
        target_id: i64,
        audit: Audit<'_>,
        now: OffsetDateTime,
        decide: impl FnOnce(&LabelState) -> (LabelState, Option<Transition>),
    ) -> Result<Option<Transition>, StoreError> {
        let at = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        let previous = read_label_for_update(self.db.engine(), &mut tx, target_id).await?;
        let (next, transition) = decide(&previous);
        write_label(&mut tx, target_id, &next, None, &at).await?;
        if let Some(t) = &transition {
            insert_history(&mut tx, target_id, t, None).await?;
        }
        insert_audit(&mut tx, audit, &at).await?;
        tx.commit().await?;
        Ok(transition)
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
        let at = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        let holds = read_label_for_update(self.db.engine(), &mut tx, target_id)
            .await?
            .status
            .holds_label();
        if !holds {
            return Ok(false);
        }
        sqlx::query("UPDATE labels SET level = 'advanced', updated_at = $1 WHERE target_id = $2")
            .bind(&at)
            .bind(target_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO attestations (target_id, actor, note, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(target_id)
        .bind(audit.actor)
        .bind(note)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit, &at).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// A grouping column of the target list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Category,
    Province,
}
