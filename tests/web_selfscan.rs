//! Our own server, scanned by our own scanner over TLS on loopback, must earn an A+ and
//! the label: the strict headers, the HTTPS redirect, HSTS and the certificate set-up
//! that we demand of others.

use crate::common::{DOMAIN, host, settings_for};
use trustlabel::publish::settings::PublishSettings;
use trustlabel::scan::{ScanItem, Scanner, StopFlag};
use trustlabel::web::{self, AppState};
use trustlabel_core::connect_to::ConnectTo;
use trustlabel_core::policy::{Decision, Grade, LabelStatus};
use trustlabel_core::target::Target;
use trustlabel_fleet::{DnsRecord, Fleet, FleetExtras, RecordData, SiteSpec, ZoneRecord, ZoneSpec};
use trustlabel_store::Store;

#[tokio::test(flavor = "multi_thread")]
async fn our_own_server_over_tls_gets_an_a_plus_and_the_label() {
    let ours = host("tinnhiem");
    // Our name in the fleet's signed zone, with an IPv4 and an IPv6 address (loopback;
    // the overrides below say which ports), as we ask of every site.
    let extras = FleetExtras {
        records: vec![DnsRecord {
            name: ours.clone(),
            answers: vec![std::net::Ipv4Addr::LOCALHOST],
        }],
        zones: vec![ZoneSpec::new(DOMAIN).with_record(ZoneRecord::new(
            &ours,
            RecordData::Aaaa(std::net::Ipv6Addr::LOCALHOST),
        ))],
        ..FleetExtras::default()
    };
    let fleet = Fleet::start_with(DOMAIN, vec![SiteSpec::good(&host("good"))], extras)
        .await
        .expect("fleet starts");
    let (chain, key) = fleet.issue_pem(&ours).expect("certificate for our server");
    let tls = web::load_tls_config(&chain, &key).expect("TLS config");

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    store
        .upsert_targets(
            &[Target {
                host: ours.clone(),
                https_port: 443,
                organisation: "Cơ quan cấp nhãn".into(),
                category: "government".into(),
                province: "Hà Nội".into(),
                contact_email: String::new(),
                parent: String::new(),
            }],
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let mut settings = PublishSettings {
        public_url: format!("https://{ours}"),
        ..PublishSettings::default()
    };
    settings.branding.contact = Some(format!("attt@{ours}"));
    let state = AppState::new(store.clone(), crate::common::rules(), settings, true).unwrap();
    // Ports held by their servers: each listener bound to port 0 is handed to the server
    // that serves on it, and the scanner is pointed at the address read back from it.
    let server = web::spawn_server(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        web::router(state.clone()),
        Some(tls.clone()),
    )
    .unwrap();
    let server_v6 = web::spawn_server(
        tokio::net::TcpListener::bind("[::1]:0").await.unwrap(),
        web::router(state),
        Some(tls),
    )
    .unwrap();
    let redirect = web::spawn_redirect(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        format!("https://{ours}"),
    )
    .unwrap();

    let mut collector_settings = settings_for(&fleet);
    for (port, addr) in [
        (443, server.addr),
        (80, redirect.addr),
        (443, server_v6.addr),
    ] {
        collector_settings.overrides.push(ConnectTo {
            host: ours.clone(),
            port,
            addr,
        });
    }
    let scanner = Scanner::new(
        crate::common::collector(collector_settings),
        crate::common::rules(),
        Some(store.clone()),
        1,
    );
    let target = store.target_by_host(&ours).await.unwrap().unwrap();
    let results = scanner
        .run(
            vec![ScanItem::Stored(target.clone())],
            None,
            &StopFlag::default(),
            |_| {},
        )
        .await
        .unwrap();
    let result = &results[0];
    let penalised: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.id != trustlabel_core::finding::FindingId::TlsProtoNoTls13)
        .filter(|f| !f.id.is_strength())
        .collect();
    // Our own strict CSP, framing and referrer policy earn their bonuses.
    assert!(
        result.findings.iter().any(|f| f.id
            == trustlabel_core::finding::FindingId::HeaderCspStrict
            && f.kinds == ["default_none"]),
        "{:#?}",
        result.findings
    );
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.id == trustlabel_core::finding::FindingId::SecurityTxtPublished),
        "we publish a valid security.txt: {:#?}",
        result.findings
    );
    assert!(
        penalised.is_empty(),
        "our own server has findings: {penalised:#?}"
    );
    assert_eq!(result.verdict.grade, Grade::APlus, "{:?}", result.verdict);
    assert_eq!(result.verdict.decision, Decision::Pass);
    assert_eq!(
        store.label(target.id).await.unwrap().status,
        LabelStatus::Labelled
    );
    let https = result
        .evidence
        .https
        .as_ref()
        .expect("fetched over verified HTTPS");
    assert!(https.last_response().is_some());

    redirect.stop().await;
    server.stop().await;
    fleet.shutdown().await;
}
