//! Our web server over TLS on loopback, with a store of fleet sites already scanned and
//! a scan worker pointed at the fleet, for browser and HTTP-level tests.

use super::{DOMAIN, host, settings_for};
use std::sync::Arc;
use trustlabel::publish::settings::PublishSettings;
use trustlabel::scan::{ScanItem, Scanner, StopFlag};
use trustlabel::web::{self, AppState, RunningServer};
use trustlabel_core::target::Target;
use trustlabel_fleet::{Fleet, SiteSpec};
use trustlabel_store::Store;

pub struct WebApp {
    pub fleet: Fleet,
    pub store: Store,
    /// The store's database URL, for the `trustlabel` binary run beside the server.
    pub database: String,
    pub base: String,
    server: Option<RunningServer>,
    worker: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// The labelled site (`Bộ Tài chính`), the failing one (no HSTS) and one never scanned.
pub fn good() -> String {
    host("good")
}
pub fn failing() -> String {
    host("no-hsts")
}
pub const NOT_ASSESSED: &str = "chua-danh-gia.example.vn";

fn target(host: &str, organisation: &str, category: &str, province: &str) -> Target {
    Target {
        host: host.to_string(),
        https_port: 443,
        organisation: organisation.into(),
        category: category.into(),
        province: province.into(),
        contact_email: String::new(),
        parent: String::new(),
    }
}

impl WebApp {
    pub async fn start() -> WebApp {
        let fleet = Fleet::start(
            DOMAIN,
            vec![
                SiteSpec::good(&good()),
                SiteSpec::good(&failing()).without_header("Strict-Transport-Security"),
            ],
        )
        .await
        .expect("fleet starts");
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", dir.path().join("web.db").display());
        let store = Store::open(&database).await.unwrap();
        store
            .upsert_targets(
                &[
                    target(&good(), "Bộ Tài chính", "government", "Hà Nội"),
                    target(&failing(), "Sở Y tế Đà Nẵng", "government", "Đà Nẵng"),
                    target(NOT_ASSESSED, "Cửa hàng Chưa Đánh Giá", "ecommerce", "Huế"),
                ],
                time::OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
        let scanner = Scanner::new(
            super::collector(settings_for(&fleet)),
            super::rules(),
            Some(store.clone()),
            2,
        );
        let mut items = Vec::new();
        for h in [good(), failing()] {
            items.push(ScanItem::Stored(
                store.target_by_host(&h).await.unwrap().unwrap(),
            ));
        }
        scanner
            .run(items, None, &StopFlag::default(), |_| {})
            .await
            .expect("initial scans");

        let (chain, key) = fleet.issue_pem(&host("tinnhiem")).unwrap();
        let tls = web::load_tls_config(&chain, &key).unwrap();
        // Port held by its server: this listener, bound to port 0, is the one the web
        // server serves on; its address is read back from it, never found free first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("https://{}", listener.local_addr().unwrap());
        let settings = PublishSettings {
            public_url: base.clone(),
            ..PublishSettings::default()
        };
        let state = AppState::new(store.clone(), crate::common::rules(), settings, true).unwrap();
        let worker = web::spawn_worker(
            store.clone(),
            Arc::clone(&scanner),
            Arc::clone(&state.queue_wake),
            time::Duration::minutes(2),
        );
        let server = web::spawn_server(listener, web::router(state), Some(tls)).unwrap();
        WebApp {
            fleet,
            store,
            database,
            base,
            server: Some(server),
            worker,
            _dir: dir,
        }
    }

    /// A live owner link (valid a day) for `host`: its token.
    pub async fn owner_token(&self, host: &str) -> String {
        let target = self.store.target_by_host(host).await.unwrap().unwrap();
        let token = trustlabel::auth::new_token();
        let now = time::OffsetDateTime::now_utc();
        self.store
            .create_owner_link(
                target.id,
                &trustlabel::auth::token_hash(&token),
                now,
                now + time::Duration::days(1),
            )
            .await
            .unwrap();
        token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        self.worker.abort();
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// A plain-HTTP GET on loopback: status and body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use http_body_util::{BodyExt, Empty};
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let request = hyper::Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<bytes::Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
