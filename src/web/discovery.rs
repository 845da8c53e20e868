//! `/staff/discovery`: the candidate queue and its accept / dismiss forms (staff session
//! and CSRF token required, every decision audited by the store with the staff user).

use super::ctx::{Ctx, PageForm, html, private, see_other};
use super::staff::{current, forbidden, lang_q, staff_ctx};
use super::{AppState, WebResult};
use crate::auth::constant_time_eq;
use crate::discovery::candidate_target;
use crate::publish::html::{DISMISS_REASONS, QueueFilter, staff_discovery_page};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use time::OffsetDateTime;
use trustlabel_store::{Audit, CandidateFilter, CandidateState, SourceKind, StoreError};

/// Candidates one page shows at most (the newest sightings first).
const QUEUE_PAGE: u64 = 200;

#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    suffix: String,
    #[serde(default)]
    msg: String,
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    csrf: String,
    organisation: String,
    category: String,
    province: String,
}

#[derive(Debug, Deserialize)]
pub struct DismissForm {
    csrf: String,
    reason: String,
    #[serde(default)]
    note: String,
}

pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other(&format!(
            "/staff/login{}",
            lang_q(ctx.lang, true)
        )));
    };
    let filter = QueueFilter {
        state: CandidateState::parse(&query.state),
        kind: SourceKind::parse(&query.source),
        suffix: query.suffix.trim().to_ascii_lowercase(),
    };
    let candidates = state
        .store
        .candidates(&CandidateFilter {
            state: filter.state,
            kind: filter.kind,
            suffix: Some(filter.suffix.clone()),
            limit: Some(QUEUE_PAGE),
        })
        .await?;
    let provinces: Vec<&str> = state
        .rules
        .provinces
        .units()
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    let message = (!query.msg.is_empty()).then_some(query.msg.as_str());
    let markup = staff_discovery_page(
        &staff_ctx(&ctx, &state, &session),
        &session.csrf_token,
        &filter,
        &candidates,
        &provinces,
        message,
    );
    Ok(private(html(markup).into_response()))
}

fn back(ctx: &Ctx, msg: &str) -> axum::response::Response {
    let encoded: String = url::form_urlencoded::byte_serialize(msg.as_bytes()).collect();
    see_other(&format!(
        "/staff/discovery?msg={encoded}{}",
        lang_q(ctx.lang, false)
    ))
}

pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    PageForm(form): PageForm<AcceptForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(forbidden(&ctx, &state));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    let Some(unit) = state.rules.provinces.resolve(&form.province) else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::BAD_REQUEST,
            ctx.lang.t().bad_request,
        )));
    };
    if form.organisation.trim().is_empty() || form.category.trim().is_empty() {
        return Ok(private(ctx.message(
            &state,
            StatusCode::BAD_REQUEST,
            ctx.lang.t().bad_request,
        )));
    }
    let target = candidate_target(
        &host,
        form.organisation.trim(),
        form.category.trim(),
        &unit.name,
        "",
    );
    let detail = format!(
        "{} · {} · {}",
        target.organisation, target.category, unit.name
    );
    let result = state
        .store
        .accept_candidate(
            &target,
            Audit {
                actor: &session.user.username,
                action: "discover.accept",
                host: Some(&host),
                detail: &detail,
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    match result {
        Ok(_) => Ok(back(&ctx, &format!("{host}: {detail}"))),
        Err(StoreError::NotFound(what) | StoreError::Conflict(what)) => Ok(back(&ctx, &what)),
        Err(e) => Err(e.into()),
    }
}

pub async fn dismiss(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    PageForm(form): PageForm<DismissForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(forbidden(&ctx, &state));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    if !DISMISS_REASONS.iter().any(|(r, _, _)| *r == form.reason) {
        return Ok(private(ctx.message(
            &state,
            StatusCode::BAD_REQUEST,
            ctx.lang.t().bad_request,
        )));
    }
    let stated = match form.note.trim() {
        "" => form.reason.clone(),
        note => format!("{}: {note}", form.reason),
    };
    let result = state
        .store
        .dismiss_candidate(
            &host,
            &stated,
            Audit {
                actor: &session.user.username,
                action: "discover.dismiss",
                host: Some(&host),
                detail: &stated,
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    match result {
        Ok(()) => Ok(back(&ctx, &format!("{host}: {stated}"))),
        Err(StoreError::NotFound(what)) => Ok(back(&ctx, &what)),
        Err(e) => Err(e.into()),
    }
}
