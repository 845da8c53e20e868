//! Router tests without sockets (`oneshot`), one file per audience, over a real SQLite
//! store holding three sites: a labelled ministry, a failing shop and one never scanned.

mod batch;
mod owner;
mod public;
mod staff;

use super::{AppState, router};
use crate::publish::settings::PublishSettings;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use std::net::SocketAddr;
use tempfile::TempDir;
use time::macros::datetime;
use tower::ServiceExt;
use trustlabel_core::policy::{LabelStatus, Transition};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_store::Store;
use trustlabel_store::test_support::fixtures::{Scan, label, target};

pub const MINISTRY: &str = "mof.gov.vn";
pub const SHOP: &str = "shop.example.vn";
pub const NEW: &str = "new.example.vn";

pub struct TestApp {
    pub _dir: TempDir,
    pub store: Store,
    pub state: AppState,
    pub app: Router,
}

pub async fn test_app_with(settings: PublishSettings) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let mut ministry = target(MINISTRY);
    ministry.organisation = "Bộ Tài chính".into();
    ministry.province = "Hà Nội".into();
    let mut shop = target(SHOP);
    shop.organisation = "Cửa hàng Đà Nẵng".into();
    shop.category = "ecommerce".into();
    shop.province = "Đà Nẵng".into();
    let mut new = target(NEW);
    new.organisation = "Sở Y tế".into();
    store
        .upsert_targets(&[ministry, shop, new], time::OffsetDateTime::now_utc())
        .await
        .unwrap();

    let at = datetime!(2026-03-01 08:00 UTC);
    let m = store.target_by_host(MINISTRY).await.unwrap().unwrap();
    let mut scan = Scan::failing(MINISTRY);
    scan.update.label = label(LabelStatus::Labelled, at);
    scan.update.transition = Some(Transition {
        from: LabelStatus::NotAssessed,
        to: LabelStatus::Labelled,
        reason: "label granted: header.csp.missing is informational".into(),
        at,
    });
    scan.record_into(&store, m.id, None).await.unwrap();
    let s = store.target_by_host(SHOP).await.unwrap().unwrap();
    let scan = Scan::failing(SHOP);
    scan.record_into(&store, s.id, None).await.unwrap();

    let state = AppState::new(
        store.clone(),
        std::sync::Arc::new(RuleSet::builtin().unwrap()),
        settings,
        false,
    )
    .unwrap();
    TestApp {
        _dir: dir,
        store,
        app: router(state.clone()),
        state,
    }
}

pub async fn test_app() -> TestApp {
    let defaults = PublishSettings::default();
    test_app_with(PublishSettings {
        public_url: "https://tinnhiem.example.vn".into(),
        branding: crate::publish::settings::Branding {
            authority_name: "Cơ quan Thử nghiệm".into(),
            ..defaults.branding.clone()
        },
        rate_per_ip: 1000,
        burst_per_ip: 1000,
        ..defaults
    })
    .await
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub fn from_ip(mut request: Request<Body>, ip: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(app: &Router, uri: &str) -> Answer {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A same-origin form post, as a browser sends it.
pub fn form_post(uri: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut builder = Request::post(uri)
        .header("host", "tinnhiem.example.vn")
        .header("origin", "https://tinnhiem.example.vn")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    builder.body(Body::from(body)).unwrap()
}
