//! Public routes: list, site page, dashboard, open data, feed, badge, JSON API.

use super::ctx::{Ctx, html};
use super::{AppState, WebResult};
use crate::publish::html::{self as pages, DashboardData, ListPage, SitePage};
use crate::publish::listing::{ListParams, ParamError};
use crate::publish::{self, badge, charts, feed, openapi, opendata};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use trustlabel_store::{Facet, LeagueBy, LeagueRow, SiteQuery, SiteRow};

/// Public data changes at most once per scan; a short cache spares the database.
const PUBLIC_CACHE: &str = "public, max-age=60";

fn cached(mut response: Response) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(PUBLIC_CACHE) {
        response.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    response
}

/// The stored ASCII host for what was typed in the URL (IDN or ASCII, any case).
pub fn host_key(raw: &str) -> Option<String> {
    trustlabel_core::target::normalise_host(raw)
        .ok()
        .map(|(host, _)| host)
}

async fn find_site(
    state: &AppState,
    raw: &str,
) -> Result<Option<SiteRow>, trustlabel_store::StoreError> {
    match host_key(raw) {
        Some(host) => state.store.site_row(&host).await,
        None => Ok(None),
    }
}

/// Categories and provinces with their site counts, as of `at`.
#[derive(Debug)]
pub struct FacetCache {
    at: std::time::Instant,
    facets: Arc<Facets>,
}

pub type Facets = (Vec<(String, u64)>, Vec<(String, u64)>);

const FACET_TTL: std::time::Duration = std::time::Duration::from_secs(60);

async fn facets(state: &AppState) -> Result<Arc<Facets>, trustlabel_store::StoreError> {
    let cached = state.facets.lock().ok().and_then(|c| {
        c.as_ref()
            .filter(|c| c.at.elapsed() < FACET_TTL)
            .map(|c| Arc::clone(&c.facets))
    });
    if let Some(f) = cached {
        return Ok(f);
    }
    let fresh = Arc::new((
        state.store.facet(Facet::Category).await?,
        state.store.facet(Facet::Province).await?,
    ));
    if let Ok(mut slot) = state.facets.lock() {
        *slot = Some(FacetCache {
            at: std::time::Instant::now(),
            facets: Arc::clone(&fresh),
        });
    }
    Ok(fresh)
}

/// League tables by grouping, with when they were computed.
pub type LeagueCache = std::collections::HashMap<
    LeagueBy,
    (
        std::time::Instant,
        time::OffsetDateTime,
        Arc<Vec<LeagueRow>>,
    ),
>;

/// How long a computed league table is served before it is computed again.
const LEAGUE_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// The ranked league table for `by`, and when it was computed.
async fn league_rows(
    state: &AppState,
    by: LeagueBy,
) -> Result<(time::OffsetDateTime, Arc<Vec<LeagueRow>>), trustlabel_store::StoreError> {
    let cached = state.league.lock().ok().and_then(|c| {
        c.get(&by)
            .filter(|(at, _, _)| at.elapsed() < LEAGUE_TTL)
            .map(|(_, when, rows)| (*when, Arc::clone(rows)))
    });
    if let Some(hit) = cached {
        return Ok(hit);
    }
    let mut rows = state.store.league(by).await?;
    pages::rank(&mut rows);
    let rows = Arc::new(rows);
    let now = time::OffsetDateTime::now_utc();
    if let Ok(mut slot) = state.league.lock() {
        slot.insert(by, (std::time::Instant::now(), now, Arc::clone(&rows)));
    }
    Ok((now, rows))
}

fn league_by(raw: Option<&str>) -> Option<LeagueBy> {
    match raw.unwrap_or("ministry") {
        "ministry" => Some(LeagueBy::Ministry),
        "province" => Some(LeagueBy::Province),
        "category" => Some(LeagueBy::Category),
        _ => None,
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LeagueQuery {
    by: Option<String>,
}

pub async fn league(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(query): axum::extract::Query<LeagueQuery>,
) -> WebResult {
    let Some(by) = league_by(query.by.as_deref()) else {
        let e = ParamError {
            parameter: "by".into(),
            value: query.by.unwrap_or_default(),
            problem: crate::publish::listing::ParamProblem::NotOneOf(vec![
                "ministry".into(),
                "province".into(),
                "category".into(),
            ]),
        };
        return Ok(bad_params(&state, &ctx, &e));
    };
    let (computed_at, rows) = league_rows(&state, by).await?;
    let markup = pages::league_page(
        &ctx.page(&state),
        &pages::LeagueView {
            by,
            rows: &rows,
            computed_at,
            catalog: &state.rules.catalog,
            provinces: &state.rules.provinces,
        },
    );
    Ok(cached(html(markup).into_response()))
}

pub async fn api_league(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<LeagueQuery>,
) -> WebResult {
    let Some(by) = league_by(query.by.as_deref()) else {
        return Ok(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "by must be ministry, province or category",
            json!({ "parameter": "by", "allowed": ["ministry", "province", "category"] }),
        ));
    };
    let (computed_at, rows) = league_rows(&state, by).await?;
    Ok(cached(
        Json(opendata::league_json(
            by,
            computed_at,
            &rows,
            &state.settings,
        ))
        .into_response(),
    ))
}

/// Forgets the filter menus (after an import changed the target list).
pub fn forget_facets(state: &AppState) {
    if let Ok(mut slot) = state.facets.lock() {
        *slot = None;
    }
}

/// The list parameters of a page (unknown ones ignored, known ones checked).
pub fn page_params(query: Option<&str>) -> Result<ListParams, ParamError> {
    ListParams::parse(query.unwrap_or(""), false).and_then(|p| p.check().map(|()| p))
}

/// The 400 page that names the bad parameter.
pub fn bad_params(state: &AppState, ctx: &Ctx, e: &ParamError) -> Response {
    ctx.message(state, StatusCode::BAD_REQUEST, &ctx.lang.param_error(e))
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, RawQuery(query): RawQuery) -> WebResult {
    let params = match page_params(query.as_deref()) {
        Ok(params) => params,
        Err(e) => return Ok(bad_params(&state, &ctx, &e)),
    };
    let per_page = u64::from(state.settings.page_size);
    let page = state.store.list_sites(&params.to_query(per_page)).await?;
    let pages = page.total.div_ceil(params.per_page(per_page)).max(1);
    if params.page() > pages {
        let text = ctx.lang.page_missing(params.page(), pages);
        return Ok(ctx.message(&state, StatusCode::NOT_FOUND, &text));
    }
    let facets = facets(&state).await?;
    let (categories, provinces) = (&facets.0, &facets.1);
    let (_, league) = league_rows(&state, LeagueBy::Province).await?;
    let programme = pages::Programme::from_league(&league, None);
    let markup = pages::list_page(
        &ctx.page(&state),
        &ListPage {
            params: &params,
            rows: &page.rows,
            total: page.total,
            per_page: params.per_page(per_page),
            categories,
            provinces,
            programme: Some(programme),
        },
    );
    Ok(cached(html(markup).into_response()))
}

/// How many of a site's latest scans "what changed" looks back over (a first-seen date
/// older than that reads as the oldest scan's).
pub const CHANGES_LOOKBACK: u32 = 120;

pub fn site_view<'a>(
    state: &AppState,
    row: &'a SiteRow,
    history: &'a [trustlabel_store::StoredTransition],
    changes: Option<&'a trustlabel_core::changes::Changes>,
) -> SitePage<'a> {
    SitePage {
        row,
        history,
        changes,
        next_assessment: publish::next_assessment(row, &state.settings),
        valid_until: publish::valid_until(row, &state.settings),
        verify_url: publish::verify_url(&state.settings, &row.host),
        badge_url: publish::badge_url(&state.settings, &row.host),
    }
}

pub async fn site(State(state): State<AppState>, ctx: Ctx, Path(host): Path<String>) -> WebResult {
    let Some(row) = find_site(&state, &host).await? else {
        return Ok(ctx.message(&state, StatusCode::NOT_FOUND, ctx.lang.t().not_found));
    };
    let history = state.store.history(row.target_id).await?;
    let outlines = state.store.scan_outlines(row.target_id, 2).await?;
    let changes = trustlabel_core::changes::changes(&outlines);
    let markup = pages::site_page(
        &ctx.page(&state),
        &site_view(&state, &row, &history, changes.as_ref()),
    );
    Ok(cached(html(markup).into_response()))
}

pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let by_category = state.store.status_counts(Facet::Category).await?;
    let by_province = state.store.status_counts(Facet::Province).await?;
    let overall = opendata::overall(&by_category);
    let trend = charts::trend(&state.store.hourly_changes().await?, &state.settings.zone);
    let (_, provinces) = league_rows(&state, LeagueBy::Province).await?;
    let pending = state
        .store
        .candidate_counts()
        .await?
        .into_iter()
        .find(|(s, _)| *s == trustlabel_store::CandidateState::Pending)
        .map_or(0, |(_, n)| n);
    let programme = pages::Programme::from_league(&provinces, Some(pending));
    let markup = pages::dashboard_page(
        &ctx.page(&state),
        &DashboardData {
            overall: &overall,
            by_category: &by_category,
            by_province: &by_province,
            trend: &trend,
            province_league: &provinces,
            provinces: &state.rules.provinces,
            programme,
        },
    );
    Ok(cached(html(markup).into_response()))
}

pub async fn criteria(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let markup = pages::criteria_page(
        &ctx.page(&state),
        &pages::CriteriaView {
            policy: &state.rules.policy,
            catalog: &state.rules.catalog,
            cadence: &state.settings.cadence,
            today: time::OffsetDateTime::now_utc(),
        },
    );
    Ok(cached(html(markup).into_response()))
}

/// How to report a weakness in this service (RFC 9116); 404 without a usable contact.
pub async fn security_txt(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    match crate::publish::security_txt::security_txt(
        &state.settings,
        time::OffsetDateTime::now_utc(),
    ) {
        Some(text) => Ok(cached(
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        )),
        None => Ok(ctx.message(&state, StatusCode::NOT_FOUND, ctx.lang.t().not_found)),
    }
}

pub async fn scanner(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let markup = pages::scanner_page(
        &ctx.page(&state),
        &pages::ScannerView {
            identity: &state.settings.scanner,
            cadence: &state.settings.cadence,
            label_rules: &state.settings.label_rules,
        },
    );
    Ok(cached(html(markup).into_response()))
}

pub async fn open_data(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    Ok(cached(
        html(pages::open_data_page(&ctx.page(&state))).into_response(),
    ))
}

async fn all_rows(state: &AppState) -> Result<Vec<SiteRow>, trustlabel_store::StoreError> {
    Ok(state
        .store
        .list_sites(&SiteQuery {
            limit: 0,
            ..SiteQuery::default()
        })
        .await?
        .rows)
}

pub async fn sites_csv(State(state): State<AppState>) -> WebResult {
    let body = opendata::sites_csv(&all_rows(&state).await?, &state.settings);
    Ok(cached(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"sites.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
    ))
}

pub async fn sites_json(State(state): State<AppState>) -> WebResult {
    let body = opendata::sites_json(&all_rows(&state).await?, &state.settings);
    Ok(cached(
        ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
    ))
}

pub async fn feed(State(state): State<AppState>) -> WebResult {
    let changes = state.store.recent_changes(100).await?;
    Ok(cached(
        (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            feed::render(&state.settings, &changes),
        )
            .into_response(),
    ))
}

pub async fn badge(State(state): State<AppState>, ctx: Ctx, Path(file): Path<String>) -> WebResult {
    let Some(raw) = file.strip_suffix(".svg") else {
        return Ok(ctx.message(&state, StatusCode::NOT_FOUND, ctx.lang.t().not_found));
    };
    let Some(row) = find_site(&state, raw).await? else {
        return Ok(ctx.message(&state, StatusCode::NOT_FOUND, ctx.lang.t().not_found));
    };
    let verify = publish::verify_url(&state.settings, &row.host);
    let svg = badge::render(&badge::BadgeData {
        lang: ctx.lang,
        host: &trustlabel_core::target::display_host(&row.host),
        status: row.status,
        level: row.level,
        grade: publish::public_grade(&row),
        authority_short: &state.settings.branding.authority_short,
        verify_url: &verify,
    });
    // Short cache: the badge must follow the status closely.
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        svg,
    )
        .into_response())
}

/// A JSON error of the API: a stable code, what was wrong, and a readable message.
pub fn api_error(
    status: StatusCode,
    code: &str,
    message: &str,
    extra: serde_json::Value,
) -> Response {
    let mut body = json!({ "error": code, "message": message });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    (status, Json(body)).into_response()
}

pub async fn api_sites(State(state): State<AppState>, RawQuery(query): RawQuery) -> WebResult {
    let params = match ListParams::parse(query.as_deref().unwrap_or(""), true)
        .and_then(|p| p.check().map(|()| p))
    {
        Ok(params) => params,
        Err(e) => {
            let allowed = match &e.problem {
                crate::publish::listing::ParamProblem::NotOneOf(allowed) => json!(allowed),
                _ => serde_json::Value::Null,
            };
            return Ok(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                &e.to_string(),
                json!({ "parameter": e.parameter, "value": e.value, "allowed": allowed }),
            ));
        }
    };
    let per_page = params.per_page(u64::from(state.settings.page_size));
    let page = state.store.list_sites(&params.to_query(per_page)).await?;
    let items: Vec<_> = page
        .rows
        .iter()
        .map(|r| opendata::site_json(r, &state.settings))
        .collect();
    Ok(cached(
        Json(json!({
            "total": page.total,
            "page": params.page(),
            "per_page": per_page,
            "items": items,
        }))
        .into_response(),
    ))
}

pub async fn api_site(State(state): State<AppState>, Path(host): Path<String>) -> WebResult {
    let Some(row) = find_site(&state, &host).await? else {
        return Ok(api_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such site in the list",
            json!({}),
        ));
    };
    let history = state.store.history(row.target_id).await?;
    Ok(cached(
        Json(opendata::site_detail_json(&row, &history, &state.settings)).into_response(),
    ))
}

pub async fn api_stats(State(state): State<AppState>) -> WebResult {
    let by_category = state.store.status_counts(Facet::Category).await?;
    let by_province = state.store.status_counts(Facet::Province).await?;
    let overall = opendata::overall(&by_category);
    Ok(cached(
        Json(opendata::stats_json(&overall, &by_category, &by_province)).into_response(),
    ))
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    cached(Json(openapi::document(&state.settings.public_url)).into_response())
}

pub async fn style() -> Response {
    cached(
        (
            [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
            pages::STYLE_CSS,
        )
            .into_response(),
    )
}

/// Unknown paths: a page for people, JSON for programs under `/api/`.
pub async fn not_found(State(state): State<AppState>, ctx: Ctx, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such API route (see /openapi.json)",
            json!({}),
        );
    }
    ctx.message(&state, StatusCode::NOT_FOUND, ctx.lang.t().not_found)
}
