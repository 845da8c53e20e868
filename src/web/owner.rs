//! Owner routes: the private page behind a token link, and its "re-scan now".

use super::ctx::{Ctx, html, private, see_other};
use super::public::site_view;
use super::{AppState, WebResult};
use crate::auth::token_hash;
use crate::publish::html::{OwnerView, date_time, owner_page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use time::OffsetDateTime;
use trustlabel_store::{Enqueued, OwnerLink};

/// The outcome of the last action, as a fixed code in the URL: nothing the page shows
/// is taken from the URL itself.
#[derive(Debug, Deserialize)]
pub struct Flash {
    msg: Option<String>,
}

async fn link(
    state: &AppState,
    token: &str,
) -> Result<Option<OwnerLink>, trustlabel_store::StoreError> {
    state
        .store
        .owner_link(&token_hash(token), OffsetDateTime::now_utc())
        .await
}

fn lang_query(ctx: &Ctx) -> &'static str {
    match ctx.lang {
        crate::publish::i18n::Lang::En => "lang=en",
        crate::publish::i18n::Lang::Vi => "",
    }
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(flash): Query<Flash>,
) -> WebResult {
    let t = ctx.lang.t();
    let Some(link) = link(&state, &token).await? else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::NOT_FOUND,
            t.link_invalid,
        )));
    };
    let Some(target) = state.store.target_by_id(link.target_id).await? else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::NOT_FOUND,
            t.link_invalid,
        )));
    };
    let Some(row) = state.store.site_row(&target.target.host).await? else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::NOT_FOUND,
            t.link_invalid,
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
    let mut page_ctx = ctx.page(&state);
    let flash = match flash.msg.as_deref() {
        Some("queued") => Some(t.rescan_queued.to_string()),
        Some("pending") => Some(t.rescan_pending.to_string()),
        Some("soon") => Some(match &job {
            Some(job) => format!(
                "{} {}",
                t.rescan_too_soon,
                date_time(&page_ctx, job.created_at + state.settings.rescan_cooldown)
            ),
            None => t.rescan_too_soon.to_string(),
        }),
        _ => None,
    };
    if job.as_ref().is_some_and(|j| j.state.is_pending()) {
        page_ctx.refresh_secs = Some(3);
    }
    let findings = latest
        .as_ref()
        .map(|s| s.findings.as_slice())
        .unwrap_or(&[]);
    let markup = owner_page(
        &page_ctx,
        &OwnerView {
            site: site_view(&state, &row, &history, changes.as_ref()),
            findings,
            catalog: &state.rules.catalog,
            latest_job: job.as_ref(),
            rescan_action: format!("/owner/{token}/rescan"),
            flash,
            link_expires: link.expires_at,
        },
    );
    Ok(private(html(markup).into_response()))
}

pub async fn rescan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> WebResult {
    let now = OffsetDateTime::now_utc();
    let Some(link) = link(&state, &token).await? else {
        return Ok(private(ctx.message(
            &state,
            StatusCode::NOT_FOUND,
            ctx.lang.t().link_invalid,
        )));
    };
    let outcome = state
        .store
        .enqueue_scan(
            link.target_id,
            &format!("owner-link:{}", link.id),
            now,
            Some(state.settings.rescan_cooldown),
        )
        .await?;
    let msg = match outcome {
        Enqueued::Queued(_) => {
            state.queue_wake.notify_one();
            "msg=queued".to_string()
        }
        Enqueued::AlreadyPending(_) => "msg=pending".to_string(),
        Enqueued::TooSoon { .. } => "msg=soon".to_string(),
    };
    let lang = lang_query(&ctx);
    let sep = if lang.is_empty() { "" } else { "&" };
    Ok(see_other(&format!("/owner/{token}?{msg}{sep}{lang}")))
}
