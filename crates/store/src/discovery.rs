//! Inventory discovery: candidates (hosts found in Certificate Transparency logs and in
//! the links and certificates of scanned sites) with their sources, the light probe's
//! answer and the staff decision; and how far each log has been followed.
//!
//! A batch of discoveries and the log position it reached are written in one
//! transaction, so a follower that stops (a failing log, Ctrl-C) resumes exactly after
//! what was stored and never stores an entry twice.

use super::codec::{self, timestamp};
use super::engine;
use super::publish::{Audit, insert_audit};
use super::scans::{TARGET_COLUMNS, decode_target, insert_target};
use super::{Store, StoreError, StoredTarget};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use trustlabel_core::target::Target;

/// Where a candidate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateState {
    Pending,
    Accepted,
    Dismissed,
}

impl CandidateState {
    pub const ALL: [CandidateState; 3] = [
        CandidateState::Pending,
        CandidateState::Accepted,
        CandidateState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CandidateState::Pending => "pending",
            CandidateState::Accepted => "accepted",
            CandidateState::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Option<CandidateState> {
        CandidateState::ALL
            .into_iter()
            .find(|s| s.as_str() == text.trim())
    }
}

/// Where a candidate was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A Certificate Transparency log (source: the log URL; detail: index, certificate).
    CtLog,
    /// A link on a scanned page (source: the page URL).
    Link,
    /// A SAN of a scanned site's certificate (source: the site; detail: fingerprint).
    Certificate,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::CtLog => "ct",
            SourceKind::Link => "link",
            SourceKind::Certificate => "certificate",
        }
    }

    pub fn parse(text: &str) -> Option<SourceKind> {
        [SourceKind::CtLog, SourceKind::Link, SourceKind::Certificate]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One sighting of a host, as the discoverer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub host: String,
    pub kind: SourceKind,
    pub source: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateSource {
    pub kind: SourceKind,
    pub source: String,
    pub detail: String,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub host: String,
    pub state: CandidateState,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    /// The light probe's answer (`https`, `http`, `no answer`, `no address`…).
    pub probe: Option<String>,
    pub probed_at: Option<OffsetDateTime>,
    /// Why it was dismissed (or the note of an acceptance).
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub target_id: Option<i64>,
    pub sources: Vec<CandidateSource>,
}

/// Which candidates a list shows.
#[derive(Debug, Clone, Default)]
pub struct CandidateFilter {
    pub state: Option<CandidateState>,
    pub kind: Option<SourceKind>,
    /// Hosts ending with this text (a suffix such as `hanoi.gov.vn`).
    pub suffix: Option<String>,
    pub limit: Option<u64>,
}

/// What a batch of discoveries changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoverySummary {
    /// Hosts that became candidates now.
    pub new_candidates: usize,
    /// Sightings of hosts already candidates.
    pub seen_again: usize,
    /// Hosts already on the target list (not candidates).
    pub already_targets: usize,
}

/// How far a log has been followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtLogState {
    pub url: String,
    /// `Frontier::to_text` of the entries read.
    pub frontier: String,
    /// The last position checked against a signed tree head.
    pub verified_frontier: String,
    pub tree_size: u64,
    pub sth_timestamp: u64,
    pub sth_root: String,
}

const CANDIDATE_COLUMNS: &str = "id, host, state, first_seen, last_seen, probe, probed_at, \
     reason, decided_by, decided_at, target_id";

fn decode_candidate(row: &AnyRow) -> Result<Candidate, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Candidate {
        id: row.try_get("id")?,
        host: row.try_get("host")?,
        state: CandidateState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("candidates.state `{state}`")))?,
        first_seen: codec::parse_timestamp("candidates.first_seen", row.try_get("first_seen")?)?,
        last_seen: codec::parse_timestamp("candidates.last_seen", row.try_get("last_seen")?)?,
        probe: row.try_get("probe")?,
        probed_at: codec::parse_optional_timestamp(
            "candidates.probed_at",
            row.try_get("probed_at")?,
        )?,
        reason: row.try_get("reason")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: codec::parse_optional_timestamp(
            "candidates.decided_at",
            row.try_get("decided_at")?,
        )?,
        target_id: row.try_get("target_id")?,
        sources: Vec::new(),
    })
}

fn decode_source(row: &AnyRow) -> Result<CandidateSource, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(CandidateSource {
        kind: SourceKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("candidate_sources.kind `{kind}`")))?,
        source: row.try_get("source")?,
        detail: row.try_get("detail")?,
        first_seen: codec::parse_timestamp(
            "candidate_sources.first_seen",
            row.try_get("first_seen")?,
        )?,
        last_seen: codec::parse_timestamp(
            "candidate_sources.last_seen",
            row.try_get("last_seen")?,
        )?,
    })
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn stored_count(what: &str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Encode(format!("{what} {value}")))
}

impl Store {
    /// Records `found` (hosts already on the target list are counted, not candidates)
    /// and, when given, the log position they were read up to, in one transaction.
    pub async fn record_discoveries(
        &self,
        found: &[Discovery],
        log_position: Option<(&str, &str)>,
        now: OffsetDateTime,
    ) -> Result<DiscoverySummary, StoreError> {
        let at = timestamp(now)?;
        let mut summary = DiscoverySummary::default();
        let mut tx = self.db.begin_write().await?;
        for discovery in found {
            let is_target: Option<i64> =
                sqlx::query_scalar("SELECT id FROM targets WHERE host = $1")
                    .bind(&discovery.host)
                    .fetch_optional(&mut *tx)
                    .await?;
            if is_target.is_some() {
                summary.already_targets += 1;
                continue;
            }
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM candidates WHERE host = $1")
                    .bind(&discovery.host)
                    .fetch_optional(&mut *tx)
                    .await?;
            let id = match existing {
                Some(id) => {
                    sqlx::query("UPDATE candidates SET last_seen = $1 WHERE id = $2")
                        .bind(&at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    summary.seen_again += 1;
                    id
                }
                None => {
                    summary.new_candidates += 1;
                    sqlx::query_scalar(
                        "INSERT INTO candidates (host, state, first_seen, last_seen) \
                         VALUES ($1, $2, $3, $3) RETURNING id",
                    )
                    .bind(&discovery.host)
                    .bind(CandidateState::Pending.as_str())
                    .bind(&at)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            sqlx::query(
                "INSERT INTO candidate_sources (candidate_id, kind, source, detail, first_seen, \
                 last_seen) VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (candidate_id, kind, source) \
                 DO UPDATE SET detail = excluded.detail, last_seen = excluded.last_seen",
            )
            .bind(id)
            .bind(discovery.kind.as_str())
            .bind(&discovery.source)
            .bind(&discovery.detail)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        if let Some((url, frontier)) = log_position {
            let done =
                sqlx::query("UPDATE ct_logs SET frontier = $1, updated_at = $2 WHERE url = $3")
                    .bind(frontier)
                    .bind(&at)
                    .bind(url)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("log {url}")));
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// The stored state of the log at `url`, creating it at the start (`empty_frontier`)
    /// on first use.
    pub async fn ct_log_state(
        &self,
        url: &str,
        empty_frontier: &str,
        now: OffsetDateTime,
    ) -> Result<CtLogState, StoreError> {
        sqlx::query(
            "INSERT INTO ct_logs (url, frontier, verified_frontier, tree_size, sth_timestamp, \
             sth_root, updated_at) VALUES ($1, $2, $2, 0, 0, '', $3) \
             ON CONFLICT (url) DO NOTHING",
        )
        .bind(url)
        .bind(empty_frontier)
        .bind(timestamp(now)?)
        .execute(self.db.writer())
        .await?;
        let row = sqlx::query(
            "SELECT url, frontier, verified_frontier, tree_size, sth_timestamp, sth_root \
             FROM ct_logs WHERE url = $1",
        )
        .bind(url)
        .fetch_one(self.db.writer())
        .await?;
        Ok(CtLogState {
            url: row.try_get("url")?,
            frontier: row.try_get("frontier")?,
            verified_frontier: row.try_get("verified_frontier")?,
            tree_size: count(row.try_get("tree_size")?),
            sth_timestamp: count(row.try_get("sth_timestamp")?),
            sth_root: row.try_get("sth_root")?,
        })
    }

    /// The log's tree head verified up to `frontier` (whose size is `tree_size`).
    pub async fn ct_log_verified(
        &self,
        url: &str,
        frontier: &str,
        tree_size: u64,
        sth_timestamp: u64,
        sth_root: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ct_logs SET frontier = $1, verified_frontier = $1, tree_size = $2, \
             sth_timestamp = $3, sth_root = $4, updated_at = $5 WHERE url = $6",
        )
        .bind(frontier)
        .bind(stored_count("tree size", tree_size)?)
        .bind(stored_count("timestamp", sth_timestamp)?)
        .bind(sth_root)
        .bind(timestamp(now)?)
        .bind(url)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The log contradicted its signed tree head: following restarts from the last
    /// verified position (candidates already stored stay; they only wait for a person).
    pub async fn ct_log_rewind(&self, url: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ct_logs SET frontier = verified_frontier, updated_at = $1 WHERE url = $2",
        )
        .bind(timestamp(now)?)
        .bind(url)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Candidates under `filter`, most recently seen first, each with its sources.
    pub async fn candidates(&self, filter: &CandidateFilter) -> Result<Vec<Candidate>, StoreError> {
        let mut sql = format!("SELECT {CANDIDATE_COLUMNS} FROM candidates c WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(state) = filter.state {
            binds.push(state.as_str().to_string());
            sql.push_str(&format!(" AND state = ${}", binds.len()));
        }
        if let Some(kind) = filter.kind {
            binds.push(kind.as_str().to_string());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM candidate_sources s WHERE s.candidate_id = c.id \
                 AND s.kind = ${})",
                binds.len()
            ));
        }
        if let Some(suffix) = filter.suffix.as_deref().filter(|s| !s.is_empty()) {
            let escaped = suffix
                .to_ascii_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(format!("%{escaped}"));
            sql.push_str(&format!(" AND host LIKE ${} ESCAPE '\\'", binds.len()));
        }
        sql.push_str(" ORDER BY last_seen DESC, host");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {}", limit.min(i64::MAX as u64)));
        }
        let mut query = sqlx::query(&sql);
        for bind in &binds {
            query = query.bind(bind);
        }
        let mut candidates = query
            .fetch_all(self.db.reader())
            .await?
            .iter()
            .map(decode_candidate)
            .collect::<Result<Vec<_>, _>>()?;
        for candidate in &mut candidates {
            candidate.sources = self.candidate_sources(candidate.id).await?;
        }
        Ok(candidates)
    }

    async fn candidate_sources(&self, id: i64) -> Result<Vec<CandidateSource>, StoreError> {
        sqlx::query(
            "SELECT kind, source, detail, first_seen, last_seen FROM candidate_sources \
             WHERE candidate_id = $1 ORDER BY first_seen, kind, source",
        )
        .bind(id)
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_source)
        .collect()
    }

    pub async fn candidate(&self, host: &str) -> Result<Option<Candidate>, StoreError> {
        let found = sqlx::query(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM candidates WHERE host = $1"
        ))
        .bind(host)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_candidate(&row))
        .transpose()?;
        match found {
            Some(mut c) => {
                c.sources = self.candidate_sources(c.id).await?;
                Ok(Some(c))
            }
            None => Ok(None),
        }
    }

    /// Pending candidates the light probe has not answered for yet.
    pub async fn unprobed_candidates(&self, limit: u64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT host FROM candidates WHERE state = 'pending' AND probed_at IS NULL \
             ORDER BY id LIMIT {}",
            limit.min(i64::MAX as u64)
        ))
        .fetch_all(self.db.reader())
        .await?)
    }

    pub async fn record_probe(
        &self,
        host: &str,
        probe: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE candidates SET probe = $1, probed_at = $2 WHERE host = $3")
            .bind(probe)
            .bind(timestamp(now)?)
            .bind(host)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    /// Staff accept a pending (or dismissed) candidate: it becomes `target`, the decision
    /// and the audit entry are written in the same transaction.
    pub async fn accept_candidate(
        &self,
        target: &Target,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<StoredTarget, StoreError> {
        let at = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        engine::lock_targets(self.db.engine(), &mut tx).await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM candidates WHERE host = $1")
                .bind(&target.host)
                .fetch_optional(&mut *tx)
                .await?;
        match state.as_deref().and_then(CandidateState::parse) {
            None => return Err(StoreError::NotFound(format!("candidate {}", target.host))),
            Some(CandidateState::Accepted) => {
                return Err(StoreError::Conflict(format!(
                    "{} was already accepted",
                    target.host
                )));
            }
            Some(_) => {}
        }
        let existing = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets t WHERE t.host = $1"
        ))
        .bind(&target.host)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| decode_target(&row))
        .transpose()?;
        let stored = match existing {
            Some(stored) => stored,
            None => StoredTarget {
                id: insert_target(&mut tx, target, &at).await?,
                target: target.clone(),
            },
        };
        sqlx::query(
            "UPDATE candidates SET state = 'accepted', reason = $1, decided_by = $2, \
             decided_at = $3, target_id = $4 WHERE host = $5",
        )
        .bind(audit.detail)
        .bind(audit.actor)
        .bind(&at)
        .bind(stored.id)
        .bind(&target.host)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit, &at).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Staff dismiss a pending candidate with `reason`; audited in the same transaction.
    pub async fn dismiss_candidate(
        &self,
        host: &str,
        reason: &str,
        audit: Audit<'_>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE candidates SET state = 'dismissed', reason = $1, decided_by = $2, \
             decided_at = $3 WHERE host = $4 AND state = 'pending'",
        )
        .bind(reason)
        .bind(audit.actor)
        .bind(&at)
        .bind(host)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("pending candidate {host}")));
        }
        insert_audit(&mut tx, audit, &at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many candidates are in each state.
    pub async fn candidate_counts(&self) -> Result<Vec<(CandidateState, u64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM candidates GROUP BY state")
            .fetch_all(self.db.reader())
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let state: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            if let Some(state) = CandidateState::parse(&state) {
                out.push((state, count(n)));
            }
        }
        Ok(out)
    }
}
