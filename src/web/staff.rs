//! Staff routes: sign-in/out, the working list with CSV import, a site's full picture
//! with scan / attest / override, and the audit log. Every state change checks the
//! session's CSRF token and is written to the audit log.

use super::ctx::{Ctx, PageForm, html, private, see_other};
use super::login_throttle::{Attempt, MAX_USERNAME_CHARS, account_key};
use super::public::{host_key, site_view};
use super::security::client_ip;
use super::{AppState, WebResult};
use crate::auth::{constant_time_eq, new_token, token_hash, verify_password};
use crate::publish::html::{
    ImportReport, PageCtx, StaffSiteView, login_page, staff_audit_page, staff_home_page,
    staff_site_page,
};
use crate::publish::i18n::Lang;
use crate::publish::listing::ListParams;
use axum::Extension;
use axum::extract::{ConnectInfo, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Instant;
use time::OffsetDateTime;
use trustlabel_core::policy::{LabelStatus, staff_override};
use trustlabel_store::{Audit, StaffSession};

fn cookie_name(tls: bool) -> &'static str {
    // `__Host-` binds the cookie to this exact origin over HTTPS; browsers refuse that
    // prefix without TLS, so plain HTTP (local use) gets the bare name.
    if tls {
        "__Host-trustlabel_staff"
    } else {
        "trustlabel_staff"
    }
}

/// The browser's sign-in history with us: see `login_throttle`. Half a year, so the
/// browsers staff use every week keep their exemption.
fn device_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-trustlabel_device"
    } else {
        "trustlabel_device"
    }
}

const DEVICE_COOKIE_SECS: u32 = 180 * 24 * 3600;

fn session_cookie(headers: &HeaderMap, tls: bool) -> Option<String> {
    cookie_value(headers, cookie_name(tls))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(super) async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<StaffSession>, trustlabel_store::StoreError> {
    match session_cookie(headers, state.tls) {
        Some(token) => {
            state
                .store
                .session(&token_hash(&token), OffsetDateTime::now_utc())
                .await
        }
        None => Ok(None),
    }
}

pub(super) fn lang_q(lang: Lang, first: bool) -> &'static str {
    match (lang, first) {
        (Lang::En, true) => "?lang=en",
        (Lang::En, false) => "&lang=en",
        (Lang::Vi, _) => "",
    }
}

pub(super) fn staff_ctx<'a>(
    ctx: &Ctx,
    state: &'a AppState,
    session: &'a StaffSession,
) -> PageCtx<'a> {
    let mut page = ctx.page(state);
    page.staff_user = Some(&session.user.username);
    page
}

pub(super) fn forbidden(ctx: &Ctx, state: &AppState) -> Response {
    private(ctx.message(state, StatusCode::FORBIDDEN, ctx.lang.t().bad_request))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn login_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    private(html(login_page(&ctx.page(&state), None, "")).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    PageForm(form): PageForm<LoginForm>,
) -> WebResult {
    let t = ctx.lang.t();
    let ip = client_ip(peer.as_ref().map(|e| &e.0), &headers, &state.proxies);
    // Bounded before it goes anywhere: the page echoes it and the audit log stores it.
    let username: String = form
        .username
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USERNAME_CHARS)
        .collect();
    let account = account_key(&username);
    let device_cookie = cookie_value(&headers, device_cookie_name(state.tls));
    let attempt = Attempt {
        ip,
        username: &account,
        device: device_cookie
            .as_deref()
            .and_then(|c| state.device_key.verify(c, &account)),
    };
    // Only failures are charged, and a spent budget answers before the password is
    // looked at: a guesser cannot lock staff out from elsewhere, and a throttled guess
    // costs no Argon2 work.
    if let Err(wait) = state.login.check(&attempt, Instant::now()) {
        let page = login_page(&ctx.page(&state), Some(t.login_throttled), &username);
        let mut response = (StatusCode::TOO_MANY_REQUESTS, html(page)).into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(private(response));
    }
    let user = state.store.staff_by_username(&username).await?;
    let phc = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash.to_string());
    let password = form.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the request workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let now = OffsetDateTime::now_utc();
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        state.login.failed(&attempt, Instant::now());
        state
            .store
            .record_audit(
                Audit {
                    actor: &username,
                    action: "login_failed",
                    host: None,
                    detail: &format!("from {ip}"),
                },
                now,
            )
            .await?;
        let page = login_page(&ctx.page(&state), Some(t.login_failed), &username);
        return Ok(private(
            (StatusCode::UNAUTHORIZED, html(page)).into_response(),
        ));
    };
    let token = new_token();
    let csrf = new_token();
    let ttl = state.settings.session_ttl;
    state
        .store
        .create_session(&token_hash(&token), user.id, &csrf, now, now + ttl)
        .await?;
    state
        .store
        .record_audit(
            Audit {
                actor: &user.username,
                action: "login",
                host: None,
                detail: &format!("from {ip}"),
            },
            now,
        )
        .await?;
    let session_cookie = format!(
        "{}={token}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict",
        cookie_name(state.tls),
        ttl.whole_seconds()
    );
    let device_cookie = format!(
        "{}={}; Path=/; Max-Age={DEVICE_COOKIE_SECS}; Secure; HttpOnly; SameSite=Strict",
        device_cookie_name(state.tls),
        state.device_key.issue(&account_key(&user.username)),
    );
    let mut response = see_other(&format!("/staff{}", lang_q(ctx.lang, true)));
    for cookie in [session_cookie, device_cookie] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(private(response))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other("/staff/login"));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    if let Some(token) = session_cookie(&headers, state.tls) {
        state.store.delete_session(&token_hash(&token)).await?;
    }
    state
        .store
        .record_audit(
            Audit {
                actor: &session.user.username,
                action: "logout",
                host: None,
                detail: "",
            },
            OffsetDateTime::now_utc(),
        )
        .await?;
    let mut response = see_other(&format!("/{}", lang_q(ctx.lang, true)));
    let expired = format!(
        "{}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
        cookie_name(state.tls)
    );
    if let Ok(v) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(private(response))
}

async fn render_home(
    state: &AppState,
    ctx: &Ctx,
    session: &StaffSession,
    params: &ListParams,
    import: Option<&ImportReport>,
) -> WebResult {
    let page = state.store.list_sites(&params.to_query(100)).await?;
    let markup = staff_home_page(
        &staff_ctx(ctx, state, session),
        &session.csrf_token,
        params,
        &page.rows,
        page.total,
        import,
    );
    Ok(private(html(markup).into_response()))
}

pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other(&format!(
            "/staff/login{}",
            lang_q(ctx.lang, true)
        )));
    };
    let params = match super::public::page_params(query.as_deref()) {
        Ok(params) => params,
        Err(e) => return Ok(private(super::public::bad_params(&state, &ctx, &e))),
    };
    render_home(&state, &ctx, &session, &params, None).await
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    csrf: String,
    csv: String,
}

pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    PageForm(form): PageForm<ImportForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(forbidden(&ctx, &state));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    let parsed = trustlabel_core::target::parse_list_filed(
        "import.csv",
        form.csv.as_bytes(),
        Some(&state.rules.provinces),
    );
    let summary = state
        .store
        .upsert_targets(&parsed.targets, OffsetDateTime::now_utc())
        .await?;
    super::public::forget_facets(&state);
    let report = ImportReport {
        read: parsed.targets.len(),
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        refused: parsed.errors.iter().map(|e| e.to_string()).collect(),
    };
    state
        .store
        .record_audit(
            Audit {
                actor: &session.user.username,
                action: "import",
                host: None,
                detail: &format!(
                    "{} read: {} new, {} updated, {} unchanged; {} lines refused",
                    report.read,
                    report.inserted,
                    report.updated,
                    report.unchanged,
                    report.refused.len()
                ),
            },
            OffsetDateTime::now_utc(),
        )
        .await?;
    render_home(
        &state,
        &ctx,
        &session,
        &ListParams::default(),
        Some(&report),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SiteFlash {
    msg: Option<String>,
}

pub async fn site(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    Query(flash): Query<SiteFlash>,
) -> WebResult {
    let t = ctx.lang.t();
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other(&format!(
            "/staff/login{}",
            lang_q(ctx.lang, true)
        )));
    };
    let row = match host_key(&host) {
        Some(h) => state.store.site_row(&h).await?,
        None => None,
    };
    let Some(row) = row else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::NOT_FOUND,
            t.not_found,
        )));
    };
    let history = state.store.history(row.target_id).await?;
    let outlines = state
        .store
        .scan_outlines(row.target_id, super::public::CHANGES_LOOKBACK)
        .await?;
    let changes = trustlabel_core::changes::changes(&outlines);
    let latest = state.store.latest_scan(row.target_id).await?;
    let job = state.store.latest_scan_job(row.target_id).await?;
    let contact = state
        .store
        .target_by_id(row.target_id)
        .await?
        .map(|t| t.target.contact_email)
        .filter(|c| !c.is_empty());
    let flash = match flash.msg.as_deref() {
        Some("done") => Some(t.done.to_string()),
        Some("attest_refused") => Some(t.attest_refused.to_string()),
        Some("reason_required") => Some(t.reason_required.to_string()),
        _ => None,
    };
    let mut page_ctx = staff_ctx(&ctx, &state, &session);
    if job.as_ref().is_some_and(|j| j.state.is_pending()) {
        page_ctx.refresh_secs = Some(3);
    }
    let markup = staff_site_page(
        &page_ctx,
        &session.csrf_token,
        &StaffSiteView {
            site: site_view(&state, &row, &history, changes.as_ref()),
            findings: latest
                .as_ref()
                .map(|s| s.findings.as_slice())
                .unwrap_or(&[]),
            catalog: &state.rules.catalog,
            latest_job: job.as_ref(),
            flash,
            contact: contact.as_deref(),
        },
    );
    Ok(private(html(markup).into_response()))
}

/// The common part of the site actions: a valid session, a matching CSRF token, a
/// known site. `Err` is the response to send instead.
async fn site_action(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    host: &str,
    csrf: &str,
) -> Result<Result<(StaffSession, i64, String), Response>, trustlabel_store::StoreError> {
    let Some(session) = current(state, headers).await? else {
        return Ok(Err(forbidden(ctx, state)));
    };
    if !constant_time_eq(csrf, &session.csrf_token) {
        return Ok(Err(forbidden(ctx, state)));
    }
    let row = match host_key(host) {
        Some(h) => state.store.site_row(&h).await?,
        None => None,
    };
    match row {
        Some(row) => Ok(Ok((session, row.target_id, row.host))),
        None => Ok(Err(private(ctx.message(
            state,
            StatusCode::NOT_FOUND,
            ctx.lang.t().not_found,
        )))),
    }
}

fn back(ctx: &Ctx, host: &str, msg: &str) -> Response {
    see_other(&format!(
        "/staff/site/{host}?msg={msg}{}",
        lang_q(ctx.lang, false)
    ))
}

pub async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    PageForm(form): PageForm<CsrfForm>,
) -> WebResult {
    let (session, target_id, host) =
        match site_action(&state, &ctx, &headers, &host, &form.csrf).await? {
            Ok(ok) => ok,
            Err(response) => return Ok(response),
        };
    let now = OffsetDateTime::now_utc();
    let requested_by = format!("staff:{}", session.user.username);
    let outcome = state
        .store
        .enqueue_scan(target_id, &requested_by, now, None)
        .await?;
    state.queue_wake.notify_one();
    let detail = match outcome {
        trustlabel_store::Enqueued::Queued(job) => format!("scan job {} queued", job.id),
        trustlabel_store::Enqueued::AlreadyPending(job) => {
            format!("scan job {} already pending", job.id)
        }
        trustlabel_store::Enqueued::TooSoon { last, .. } => {
            format!("scan job {} too recent", last.id)
        }
    };
    state
        .store
        .record_audit(
            Audit {
                actor: &session.user.username,
                action: "scan",
                host: Some(&host),
                detail: &detail,
            },
            now,
        )
        .await?;
    Ok(back(&ctx, &host, "done"))
}

#[derive(Debug, Deserialize)]
pub struct AttestForm {
    csrf: String,
    note: String,
}

pub async fn attest(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    PageForm(form): PageForm<AttestForm>,
) -> WebResult {
    let (session, target_id, host) =
        match site_action(&state, &ctx, &headers, &host, &form.csrf).await? {
            Ok(ok) => ok,
            Err(response) => return Ok(response),
        };
    let note = form.note.trim();
    if note.is_empty() {
        return Ok(back(&ctx, &host, "reason_required"));
    }
    let audit = Audit {
        actor: &session.user.username,
        action: "attest",
        host: Some(&host),
        detail: note,
    };
    let done = state
        .store
        .attest(target_id, note, audit, OffsetDateTime::now_utc())
        .await?;
    Ok(back(
        &ctx,
        &host,
        if done { "done" } else { "attest_refused" },
    ))
}

#[derive(Debug, Deserialize)]
pub struct OverrideForm {
    csrf: String,
    status: String,
    reason: String,
}

pub async fn override_label(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(host): Path<String>,
    PageForm(form): PageForm<OverrideForm>,
) -> WebResult {
    let (session, target_id, host) =
        match site_action(&state, &ctx, &headers, &host, &form.csrf).await? {
            Ok(ok) => ok,
            Err(response) => return Ok(response),
        };
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Ok(back(&ctx, &host, "reason_required"));
    }
    let Ok(status) = form.status.parse::<LabelStatus>() else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::BAD_REQUEST,
            ctx.lang.t().bad_form,
        )));
    };
    let detail = format!("set status to {status}: {reason}");
    let audit = Audit {
        actor: &session.user.username,
        action: "override",
        host: Some(&host),
        detail: &detail,
    };
    let now = OffsetDateTime::now_utc();
    let why = format!("staff decision by {}: {detail}", session.user.username);
    state
        .store
        .override_label(target_id, audit, now, |previous| {
            staff_override(previous, status, None, now, why)
        })
        .await?;
    Ok(back(&ctx, &host, "done"))
}

pub async fn audit(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other(&format!(
            "/staff/login{}",
            lang_q(ctx.lang, true)
        )));
    };
    let entries = state.store.audit_log(500).await?;
    let markup = staff_audit_page(
        &staff_ctx(&ctx, &state, &session),
        &session.csrf_token,
        &entries,
    );
    Ok(private(html(markup).into_response()))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    days: String,
    #[serde(default)]
    findings: Option<String>,
}

async fn render_tokens(
    state: &AppState,
    ctx: &Ctx,
    session: &StaffSession,
    issued: Option<&crate::api_tokens::IssuedToken>,
    error: Option<&str>,
) -> WebResult {
    let tokens = state.store.api_tokens().await?;
    let markup = crate::publish::html::staff_tokens_page(
        &staff_ctx(ctx, state, session),
        &session.csrf_token,
        &tokens,
        issued,
        error,
        OffsetDateTime::now_utc(),
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(private((status, html(markup)).into_response()))
}

/// The batch API's tokens (`/staff/tokens`).
pub async fn tokens(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(see_other(&format!(
            "/staff/login{}",
            lang_q(ctx.lang, true)
        )));
    };
    render_tokens(&state, &ctx, &session, None, None).await
}

/// Issues a token and shows it on the answer, once; it is never readable again.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    PageForm(form): PageForm<TokenForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(forbidden(&ctx, &state));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    let days = form.days.trim().parse::<i64>().unwrap_or(0);
    let scopes = if form.findings.is_some() {
        vec![
            trustlabel_store::ApiScope::Batch,
            trustlabel_store::ApiScope::Findings,
        ]
    } else {
        vec![trustlabel_store::ApiScope::Batch]
    };
    let now = OffsetDateTime::now_utc();
    match crate::api_tokens::issue(
        &state.store,
        &form.name,
        scopes,
        days,
        &session.user.username,
        now,
    )
    .await
    {
        Ok(issued) => render_tokens(&state, &ctx, &session, Some(&issued), None).await,
        Err(crate::api_tokens::TokenRequestError::Store(e)) => Err(e.into()),
        Err(e) => render_tokens(&state, &ctx, &session, None, Some(&e.to_string())).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    PageForm(form): PageForm<CsrfForm>,
) -> WebResult {
    let Some(session) = current(&state, &headers).await? else {
        return Ok(forbidden(&ctx, &state));
    };
    if !constant_time_eq(&form.csrf, &session.csrf_token) {
        return Ok(forbidden(&ctx, &state));
    }
    let now = OffsetDateTime::now_utc();
    match crate::api_tokens::revoke(&state.store, id, &session.user.username, now).await {
        Ok(()) => Ok(see_other(&format!(
            "/staff/tokens{}",
            lang_q(ctx.lang, true)
        ))),
        Err(crate::api_tokens::TokenRequestError::Store(e)) => Err(e.into()),
        Err(e) => render_tokens(&state, &ctx, &session, None, Some(&e.to_string())).await,
    }
}
