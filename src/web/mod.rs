//! `trustlabel serve`: the axum application (public list, site pages, open data, feed,
//! badge, API, owner and staff pages) and the listeners that run it.
//!
//! Handlers are thin: parse the request, call the store or a `publish` renderer, answer.
//! This module and `collect` (and the fleet) are the only ones that touch sockets; here
//! it is inbound only.

pub mod batch;
mod ctx;
mod discovery;
pub mod login_throttle;
mod owner;
pub mod proxy;
mod public;
mod security;
mod serve;
mod staff;
mod worker;

pub use login_throttle::LoginThrottle;
pub use security::IpLimiter;
pub use serve::{
    RunningServer, ServeError, TlsFiles, load_tls_config, spawn_redirect, spawn_server,
};
pub use worker::spawn_worker;

use crate::publish::settings::PublishSettings;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use tokio::sync::Notify;
use trustlabel_core::ruleset::RuleSet;
use trustlabel_store::{Store, StoreError};

/// Everything a handler may use; cheap to clone (one per request).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The rules in force: the finding texts owners and staff read come from here.
    pub rules: Arc<RuleSet>,
    pub settings: Arc<PublishSettings>,
    /// Served over TLS: send HSTS and use `__Host-` cookies.
    pub tls: bool,
    pub limiter: Arc<IpLimiter>,
    pub login: Arc<LoginThrottle>,
    /// Signs the device cookies that exempt an account's own browsers from the
    /// account-wide sign-in budget.
    pub device_key: Arc<crate::auth::DeviceCookieKey>,
    /// Each API token's request budget.
    pub tokens: Arc<batch::TokenLimiter>,
    /// Our reverse proxies, whose forwarded client address is believed.
    pub proxies: Arc<proxy::TrustedProxies>,
    /// Wakes the scan worker when a job is queued.
    pub queue_wake: Arc<Notify>,
    /// Verified against when a user name does not exist, so both failures take as long.
    pub dummy_hash: Arc<str>,
    /// The filter menus (categories, provinces with counts): two scans of the whole
    /// target list that change only on import, so they are kept for a minute.
    pub facets: Arc<std::sync::Mutex<Option<public::FacetCache>>>,
    /// League tables group every site: computed at most every few minutes, and dated.
    pub league: Arc<std::sync::Mutex<public::LeagueCache>>,
}

impl AppState {
    pub fn new(
        store: Store,
        rules: Arc<RuleSet>,
        settings: PublishSettings,
        tls: bool,
    ) -> Result<AppState, crate::auth::AuthError> {
        let dummy_hash = crate::auth::hash_password(&crate::auth::new_token())?;
        Ok(AppState {
            limiter: Arc::new(IpLimiter::new(settings.rate_per_ip, settings.burst_per_ip)),
            login: Arc::new(LoginThrottle::new()),
            device_key: Arc::new(crate::auth::DeviceCookieKey::new()),
            proxies: Arc::default(),
            tokens: Arc::new(batch::token_limiter()),
            store,
            rules,
            settings: Arc::new(settings),
            tls,
            queue_wake: Arc::new(Notify::new()),
            dummy_hash: dummy_hash.into(),
            facets: Arc::default(),
            league: Arc::default(),
        })
    }
}

/// Why a request failed; rendered as a page (or JSON under `/api`) by the handlers.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!("request failed: {self}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            "Lỗi máy chủ / Server error",
        )
            .into_response()
    }
}

pub type WebResult = Result<Response, WebError>;

/// The whole application. Security headers and the per-IP limit wrap every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(public::list))
        .route("/site/{host}", get(public::site))
        .route("/dashboard", get(public::dashboard))
        .route("/criteria", get(public::criteria))
        .route("/scanner", get(public::scanner))
        .route("/.well-known/security.txt", get(public::security_txt))
        .route("/league", get(public::league))
        .route("/api/v1/league", get(public::api_league))
        .route("/data", get(public::open_data))
        .route("/data/sites.csv", get(public::sites_csv))
        .route("/data/sites.json", get(public::sites_json))
        .route("/feed.atom", get(public::feed))
        .route("/badge/{file}", get(public::badge))
        .route("/api/v1/sites", get(public::api_sites))
        .route("/api/v1/sites/{host}", get(public::api_site))
        .route("/api/v1/stats", get(public::api_stats))
        .route("/api/v1/batches", post(batch::submit))
        .route("/api/v1/batches/{id}", get(batch::progress))
        .route("/api/v1/batches/{id}/results", get(batch::results))
        .route("/openapi.json", get(public::openapi))
        .route("/static/style.css", get(public::style))
        .route("/owner/{token}", get(owner::page))
        .route("/owner/{token}/rescan", post(owner::rescan))
        .route("/staff", get(staff::home))
        .route("/staff/login", get(staff::login_form).post(staff::login))
        .route("/staff/logout", post(staff::logout))
        .route("/staff/import", post(staff::import))
        .route("/staff/audit", get(staff::audit))
        .route(
            "/staff/tokens",
            get(staff::tokens).post(staff::create_token),
        )
        .route("/staff/tokens/{id}/revoke", post(staff::revoke_token))
        .route("/staff/discovery", get(discovery::queue))
        .route("/staff/discovery/{host}/accept", post(discovery::accept))
        .route("/staff/discovery/{host}/dismiss", post(discovery::dismiss))
        .route("/staff/site/{host}", get(staff::site))
        .route("/staff/site/{host}/scan", post(staff::scan))
        .route("/staff/site/{host}/attest", post(staff::attest))
        .route("/staff/site/{host}/override", post(staff::override_label))
        .fallback(public::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests;
