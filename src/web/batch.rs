//! The batch API for partner agencies: with a token staff issued, `POST` a list of hosts,
//! follow its progress, fetch the results as JSON or CSV. The hosts join the target list
//! and are answered by jobs of the same queue the workers serve.
//!
//! Tokens travel as `Authorization: Bearer …` and are looked up by their hash; each has
//! its own request budget, answers are never cached, and every batch is audited.

use super::ctx::private;
use super::public::api_error;
use super::security::KeyedLimiter;
use super::{AppState, WebResult};
use crate::auth::token_hash;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use trustlabel_core::target::{Target, normalise_host, parse_list_filed};
use trustlabel_store::{ApiScope, ApiToken, Audit, Batch, JobState};

pub use crate::publish::opendata::MAX_BATCH_HOSTS;

/// Requests per minute per token, after a burst: generous for polling, slow for abuse.
pub const TOKEN_REQUESTS_PER_MINUTE: u32 = 60;
pub const TOKEN_BURST: u32 = 30;

pub type TokenLimiter = KeyedLimiter<i64>;

pub fn token_limiter() -> TokenLimiter {
    KeyedLimiter::per_minute(TOKEN_REQUESTS_PER_MINUTE, TOKEN_BURST)
}

fn no_store(response: Response) -> Response {
    private(response)
}

/// The token of the request, or the 401/403/429 to answer instead.
async fn authorise(
    state: &AppState,
    headers: &HeaderMap,
    scope: ApiScope,
) -> Result<ApiToken, Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let unauthorised = || {
        let mut r = api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "an API token issued by the authority is needed: Authorization: Bearer TOKEN",
            json!({}),
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        no_store(r)
    };
    let Some(bearer) = bearer else {
        return Err(unauthorised());
    };
    let token = match state
        .store
        .api_token(&token_hash(bearer), OffsetDateTime::now_utc())
        .await
    {
        Ok(Some(token)) => token,
        Ok(None) => return Err(unauthorised()),
        Err(e) => return Err(super::WebError::from(e).into_response()),
    };
    if let Err(wait) = state.tokens.check(token.id) {
        let mut r = api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests with this token; slow down",
            json!({}),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(no_store(r));
    }
    if !token.allows(scope) {
        return Err(no_store(api_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("this token lacks the `{}` scope", scope.as_str()),
            json!({}),
        )));
    }
    Ok(token)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBatch {
    hosts: Vec<String>,
}

/// The targets a request body names, or the entries it refused. JSON (`{"hosts":
/// [...]}`) files new hosts under the token's agency; CSV is a target list (the import
/// format), with its organisation and province columns.
fn read_hosts(
    state: &AppState,
    token: &ApiToken,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<Target>, Vec<Value>> {
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if csv {
        let parsed = parse_list_filed("batch.csv", body, Some(&state.rules.provinces));
        if !parsed.errors.is_empty() {
            return Err(parsed
                .errors
                .iter()
                .map(|e| json!({ "line": e.line, "reason": e.reason }))
                .collect());
        }
        return Ok(parsed
            .targets
            .into_iter()
            .map(|mut t| {
                if t.organisation.is_empty() {
                    t.organisation = token.name.clone();
                }
                t
            })
            .collect());
    }
    let request: JsonBatch = serde_json::from_slice(body).map_err(|e| {
        vec![json!({ "reason": format!("expected {{\"hosts\": [\"a.gov.vn\", ...]}}: {e}") })]
    })?;
    let mut errors = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for (i, raw) in request.hosts.iter().enumerate() {
        match normalise_host(raw) {
            Ok((host, https_port)) if !targets.iter().any(|t| t.host == host) => targets.push(Target {
                host,
                https_port,
                organisation: token.name.clone(),
                category: String::new(),
                province: String::new(),
                contact_email: String::new(),
                parent: String::new(),
            }),
            Ok(_) => {}
            Err(e) => errors.push(json!({ "index": i, "host": raw.chars().take(100).collect::<String>(), "reason": e.to_string() })),
        }
    }
    if errors.is_empty() {
        Ok(targets)
    } else {
        Err(errors)
    }
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> WebResult {
    let token = match authorise(&state, &headers, ApiScope::Batch).await {
        Ok(token) => token,
        Err(response) => return Ok(response),
    };
    let targets = match read_hosts(&state, &token, &headers, &body) {
        Ok(targets) => targets,
        Err(errors) => {
            return Ok(no_store(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_batch",
                "some entries are not usable hosts; nothing was queued",
                json!({ "entries": errors }),
            )));
        }
    };
    if targets.is_empty() || targets.len() > MAX_BATCH_HOSTS {
        return Ok(no_store(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            &format!("a batch holds 1 to {MAX_BATCH_HOSTS} hosts"),
            json!({ "hosts": targets.len() }),
        )));
    }
    let now = OffsetDateTime::now_utc();
    let requested_by = format!("api:{}", token.name);
    let id = state
        .store
        .create_batch(token.id, &targets, &requested_by, now)
        .await?;
    state.queue_wake.notify_one();
    super::public::forget_facets(&state);
    state
        .store
        .record_audit(
            Audit {
                actor: &requested_by,
                action: "batch",
                host: None,
                detail: &format!("batch {id}: {} hosts", targets.len()),
            },
            now,
        )
        .await?;
    let status_url = format!("/api/v1/batches/{id}");
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({
            "id": id,
            "hosts": targets.len(),
            "status_url": status_url,
            "results_url": format!("{status_url}/results"),
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(no_store(response))
}

fn counts(batch: &Batch) -> Value {
    let count = |state: JobState| batch.items.iter().filter(|i| i.job.state == state).count();
    let (queued, running, done, failed) = (
        count(JobState::Queued),
        count(JobState::Running),
        count(JobState::Done),
        count(JobState::Failed),
    );
    json!({
        "total": batch.items.len(),
        "queued": queued,
        "running": running,
        "done": done,
        "failed": failed,
        "complete": queued + running == 0,
    })
}

async fn own_batch(
    state: &AppState,
    token: &ApiToken,
    id: i64,
) -> Result<Result<Batch, Response>, super::WebError> {
    Ok(match state.store.batch(id, token.id).await? {
        Some(batch) => Ok(batch),
        None => Err(no_store(api_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such batch for this token",
            json!({}),
        ))),
    })
}

fn ts(state: &AppState, at: Option<OffsetDateTime>) -> Value {
    at.and_then(|t| {
        state
            .settings
            .zone
            .local(t)
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map_or(Value::Null, Value::String)
}

pub async fn progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> WebResult {
    let token = match authorise(&state, &headers, ApiScope::Batch).await {
        Ok(token) => token,
        Err(response) => return Ok(response),
    };
    let batch = match own_batch(&state, &token, id).await? {
        Ok(batch) => batch,
        Err(response) => return Ok(response),
    };
    let items: Vec<Value> = batch
        .items
        .iter()
        .map(|i| {
            json!({
                "host": i.target.target.host,
                "job": i.job.state,
                "finished_at": ts(&state, i.job.finished_at),
                "error": i.job.error,
            })
        })
        .collect();
    Ok(no_store(
        Json(json!({
            "id": batch.id,
            "created_at": ts(&state, Some(batch.created_at)),
            "progress": counts(&batch),
            "items": items,
        }))
        .into_response(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ResultsQuery {
    format: Option<String>,
}

pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<ResultsQuery>,
) -> WebResult {
    let token = match authorise(&state, &headers, ApiScope::Batch).await {
        Ok(token) => token,
        Err(response) => return Ok(response),
    };
    let batch = match own_batch(&state, &token, id).await? {
        Ok(batch) => batch,
        Err(response) => return Ok(response),
    };
    let with_findings = token.allows(ApiScope::Findings);
    let mut rows = Vec::with_capacity(batch.items.len());
    for item in &batch.items {
        let findings = if with_findings && item.job.state == JobState::Done {
            state
                .store
                .latest_scan(item.target.id)
                .await?
                .map(|s| s.findings)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        rows.push((item, findings));
    }
    if let Some(format) = query
        .format
        .as_deref()
        .filter(|f| !["json", "csv"].contains(f))
    {
        return Ok(no_store(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "format is json or csv",
            json!({ "parameter": "format", "value": format.chars().take(40).collect::<String>(), "allowed": ["json", "csv"] }),
        )));
    }
    let wants_csv = query.format.as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"));
    if wants_csv {
        let body = crate::publish::opendata::batch_csv(
            rows.iter()
                .map(|(item, findings)| crate::publish::opendata::BatchRow {
                    host: &item.target.target.host,
                    job: item.job.state.as_str(),
                    finished_at: item.job.finished_at,
                    status: item.status,
                    grade: item.grade,
                    findings,
                }),
            &state.settings,
            with_findings,
        );
        return Ok(no_store(
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response(),
        ));
    }
    let items: Vec<Value> = rows
        .iter()
        .map(|(item, findings)| {
            let mut v = json!({
                "host": item.target.target.host,
                "job": item.job.state,
                "finished_at": ts(&state, item.job.finished_at),
                "status": item.status,
                "grade": item.grade,
                "verify_url": crate::publish::verify_url(&state.settings, &item.target.target.host),
            });
            if with_findings {
                // Strengths (a strict CSP, hardened cookies) are no faults to follow up.
                let (strengths, problems): (Vec<_>, Vec<_>) =
                    findings.iter().partition(|f| f.id.is_strength());
                v["findings"] = problems
                    .iter()
                    .map(|f| json!({ "id": f.id.as_str(), "severity": f.severity.as_str(), "detail": f.detail }))
                    .collect();
                v["strengths"] = strengths.iter().map(|f| json!(f.id.as_str())).collect();
            }
            v
        })
        .collect();
    Ok(no_store(
        Json(json!({
            "id": batch.id,
            "progress": counts(&batch),
            "items": items,
        }))
        .into_response(),
    ))
}
