//! The batch API's state: API tokens of partner agencies (only their hashes, scopes,
//! expiry and revocation), and the batches of hosts a token submitted, each host answered
//! by a job of the same scan queue the workers serve.

use super::codec::{self, timestamp};
use super::engine;
use super::publish::{JOB_COLUMNS, ScanJob, decode_job};
use super::scans::{TARGET_COLUMNS, decode_target};
use super::{Store, StoreError, StoredTarget};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use time::OffsetDateTime;
use trustlabel_core::policy::{Grade, LabelStatus};
use trustlabel_core::target::Target;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiScope {
    /// Submit batches of hosts and read their statuses and grades.
    Batch,
    /// Also read the findings of the sites of its batches (a partner that follows up
    /// with the owners).
    Findings,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Batch => "batch",
            ApiScope::Findings => "findings",
        }
    }

    pub fn parse(text: &str) -> Option<ApiScope> {
        match text.trim() {
            "batch" => Some(ApiScope::Batch),
            "findings" => Some(ApiScope::Findings),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    /// The agency it was issued to (also what its submitted sites are filed under when
    /// the list says nothing).
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiToken {
    pub fn allows(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// One host of a batch: its site, the job that answers it, and the label it has now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub position: i64,
    pub target: StoredTarget,
    pub job: ScanJob,
    pub status: LabelStatus,
    pub grade: Option<Grade>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub token_id: i64,
    pub created_at: OffsetDateTime,
    pub items: Vec<BatchItem>,
}

const TOKEN_COLUMNS: &str = "id, name, scopes, created_by, created_at, expires_at, revoked_at";

fn decode_token(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                ApiScope::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("api_tokens.scopes `{s}`")))
            })
            .collect::<Result<_, _>>()?,
        created_by: row.try_get("created_by")?,
        created_at: codec::parse_timestamp("api_tokens.created_at", row.try_get("created_at")?)?,
        expires_at: codec::parse_timestamp("api_tokens.expires_at", row.try_get("expires_at")?)?,
        revoked_at: codec::parse_optional_timestamp(
            "api_tokens.revoked_at",
            row.try_get("revoked_at")?,
        )?,
    })
}

impl Store {
    pub async fn create_api_token(
        &self,
        name: &str,
        token_hash: &str,
        scopes: &[ApiScope],
        created_by: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let scopes = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(scopes)
        .bind(created_by)
        .bind(timestamp(now)?)
        .bind(timestamp(expires_at)?)
        .fetch_one(self.db.writer())
        .await?)
    }

    /// The live token with this hash (not revoked, not expired at `now`).
    pub async fn api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<ApiToken>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 \
             AND revoked_at IS NULL AND expires_at > $2"
        ))
        .bind(token_hash)
        .bind(timestamp(now)?)
        .fetch_optional(self.db.reader())
        .await?
        .map(|row| decode_token(&row))
        .transpose()
    }

    /// Every token, newest first (staff pages).
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"
        ))
        .fetch_all(self.db.reader())
        .await?
        .iter()
        .map(decode_token)
        .collect()
    }

    pub async fn revoke_api_token(&self, id: i64, now: OffsetDateTime) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(timestamp(now)?)
        .bind(id)
        .execute(self.db.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a batch for `token_id`: each host becomes a target when it is not one yet
    /// (as given), and is answered by its pending scan job or a new one, all in one
    /// transaction. Returns the batch id.
    pub async fn create_batch(
        &self,
        token_id: i64,
        hosts: &[Target],
        requested_by: &str,
        now: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let at = timestamp(now)?;
        let mut tx = self.db.begin_write().await?;
        engine::lock_targets(self.db.engine(), &mut tx).await?;
        let batch_id: i64 = sqlx::query_scalar(
            "INSERT INTO batches (token_id, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(token_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        for (position, target) in hosts.iter().enumerate() {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM targets WHERE host = $1")
                    .bind(&target.host)
                    .fetch_optional(&mut *tx)
                    .await?;
            let target_id = match existing {
                Some(id) => id,
                None => super::scans::insert_target(&mut tx, target, &at).await?,
            };
            engine::lock_site(self.db.engine(), &mut tx, target_id).await?;
            let pending: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM scan_jobs WHERE target_id = $1 \
                 AND state IN ('queued', 'running') ORDER BY id DESC LIMIT 1",
            )
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?;
            let job_id = match pending {
                Some(id) => id,
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO scan_jobs (target_id, requested_by, state, created_at) \
                         VALUES ($1, $2, 'queued', $3) RETURNING id",
                    )
                    .bind(target_id)
                    .bind(requested_by)
                    .bind(&at)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            sqlx::query(
                "INSERT INTO batch_items (batch_id, position, target_id, job_id) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(batch_id)
            .bind(position as i64)
            .bind(target_id)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(batch_id)
    }

    /// A batch of `token_id` with its items in submission order; `None` when there is no
    /// such batch, or it is another token's.
    pub async fn batch(&self, batch_id: i64, token_id: i64) -> Result<Option<Batch>, StoreError> {
        let mut tx = self.db.begin_snapshot().await?;
        let head = sqlx::query(
            "SELECT id, token_id, created_at FROM batches WHERE id = $1 AND token_id = $2",
        )
        .bind(batch_id)
        .bind(token_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(head) = head else {
            return Ok(None);
        };
        let rows = sqlx::query(&format!(
            "SELECT i.position, i.job_id, {TARGET_COLUMNS}, \
             COALESCE(l.status, 'not_assessed') AS label_status, l.grade AS label_grade \
             FROM batch_items i JOIN targets t ON t.id = i.target_id \
             LEFT JOIN labels l ON l.target_id = i.target_id \
             WHERE i.batch_id = $1 ORDER BY i.position"
        ))
        .bind(batch_id)
        .fetch_all(&mut *tx)
        .await?;
        let jobs: HashMap<i64, ScanJob> = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM scan_jobs WHERE id IN \
             (SELECT job_id FROM batch_items WHERE batch_id = $1)"
        ))
        .bind(batch_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| decode_job(row).map(|job| (job.id, job)))
        .collect::<Result<_, _>>()?;
        tx.commit().await?;
        let items = rows
            .iter()
            .map(|row| {
                let job_id: i64 = row.try_get("job_id")?;
                Ok(BatchItem {
                    position: row.try_get("position")?,
                    target: decode_target(row)?,
                    job: jobs.get(&job_id).cloned().ok_or_else(|| {
                        StoreError::Corrupt(format!("batch job {job_id} is gone"))
                    })?,
                    status: codec::parse_enum("labels.status", row.try_get("label_status")?)?,
                    grade: codec::parse_optional_enum("labels.grade", row.try_get("label_grade")?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(Batch {
            id: head.try_get("id")?,
            token_id: head.try_get("token_id")?,
            created_at: codec::parse_timestamp("batches.created_at", head.try_get("created_at")?)?,
            items,
        }))
    }
}
