//! The `trustlabel` binary on the PostgreSQL store: `demo --no-serve` scans the built-in
//! fleet into a fresh database on a real PostgreSQL server (see
//! `src/store/tests/pg_server.rs`: `TRUSTLABEL_TEST_POSTGRES` or a throwaway cluster),
//! the results are read back through the store, `status` shows them, and a failed open
//! never prints the password.

use trustlabel_store::test_support::pg_server;

use pg_server::TestDatabase;
use std::process::Output;
use tokio::process::Command;
use trustlabel_store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_trustlabel");

async fn run(dir: &std::path::Path, database: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_stores_its_results_in_postgres_and_status_reads_them() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        db.url(),
        &[
            "--site-deadline",
            "10",
            "demo",
            "--no-serve",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sites = value["sites"].as_array().expect("sites");
    assert!(sites.len() > 5, "{value}");
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "no SQLite file was written beside the PostgreSQL store"
    );

    let store = Store::open(db.url()).await.expect("open the same database");
    let targets = store.targets().await.expect("targets");
    assert_eq!(targets.len(), sites.len());
    assert!(
        store.scan_count().await.expect("count") > 2 * sites.len() as i64,
        "a fresh demo database gets weeks of earlier scans as well as today's"
    );
    let host_of = |prefix: &str| {
        targets
            .iter()
            .find(|t| t.target.host.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} not stored"))
            .clone()
    };
    let good = host_of("good.");
    let label = store.label(good.id).await.expect("label");
    assert_eq!(label.status.as_str(), "labelled");
    let expired = host_of("expired.");
    let scan = store
        .latest_scan(expired.id)
        .await
        .expect("scan")
        .expect("stored");
    assert!(
        scan.findings
            .iter()
            .any(|f| f.id.as_str() == "cert.expired"),
        "{:?}",
        scan.findings
    );
    assert_eq!(scan.evidence.host, expired.target.host);
    let history = store.history(expired.id).await.expect("history");
    assert_eq!(history.len(), 1, "one change: its first, dated assessment");
    assert!(
        history[0].transition.at < scan.evidence.finished_at - time::Duration::days(1),
        "the first assessment lies weeks back"
    );
    store.close().await;

    let out = run(dir.path(), db.url(), &["status", &expired.target.host]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(shown.contains("status: not_labelled"), "{shown}");
    assert!(shown.contains("cert.expired"), "{shown}");
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_a_usage_error_without_the_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Port 1 on loopback: nothing listens there.
    let out = run(
        dir.path(),
        "postgres://lan:s3cret@127.0.0.1:1/trust",
        &["status", "a.gov.vn"],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("127.0.0.1:1/trust"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
