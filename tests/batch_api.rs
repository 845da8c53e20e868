//! A partner agency through the batch API end to end: staff issue a token with the
//! `trustlabel` binary, the partner's client is curl (an HTTP/TLS stack of its own),
//! the hosts are scanned by the server's worker from the same queue, and a revoked
//! token stops working at once.

use crate::common::cli_env::BIN;
use crate::common::host;
use crate::common::webapp::{WebApp, good};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::process::Command;

struct Partner {
    root: tempfile::NamedTempFile,
    resolve: String,
    base: String,
    token: String,
}

impl Partner {
    async fn curl(&self, args: &[&str], path: &str) -> (u16, String) {
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20"])
            .arg("--cacert")
            .arg(self.root.path())
            .args(["--resolve", &self.resolve])
            .args(["-H", &format!("Authorization: Bearer {}", self.token)])
            .args(["--write-out", "\n%{http_code}"])
            .args(args)
            .arg(format!("{}{path}", self.base))
            .output()
            .await
            .expect("curl runs (install Debian package curl)");
        assert!(
            output.status.success(),
            "curl failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').expect("status line");
        (code.trim().parse().expect("status code"), body.to_string())
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.curl(&[], path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }
}

async fn cli(app: &WebApp, args: &[&str]) -> (String, String) {
    let output = Command::new(BIN)
        .arg("--database")
        .arg(&app.database)
        .args(args)
        .output()
        .await
        .expect("trustlabel runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{args:?}: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_submits_follows_and_reads_a_batch_until_its_token_is_revoked() {
    let app = WebApp::start().await;
    let (token, said) = cli(
        &app,
        &[
            "api-token",
            "create",
            "Sở Thông tin Huế",
            "--scope",
            "batch,findings",
            "--days",
            "30",
        ],
    )
    .await;
    let token = token.trim().to_string();
    assert!(token.len() >= 32, "a long random token: {token}");
    assert!(said.contains("shown only now"), "{said}");
    let (list, _) = cli(&app, &["api-token", "list"]).await;
    assert!(list.contains("Sở Thông tin Huế\tbatch,findings"), "{list}");
    assert!(!list.contains(&token), "the list never shows a token");
    let id = list.split('\t').next().unwrap().trim().to_string();

    let port = app.base.rsplit(':').next().unwrap().to_string();
    let server_name = host("tinnhiem");
    let mut root = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut root, app.fleet.root_ca_pem().as_bytes()).unwrap();
    let partner = Partner {
        root,
        resolve: format!("{server_name}:{port}:127.0.0.1"),
        base: format!("https://{server_name}:{port}"),
        token,
    };

    let missing = host("khong-ton-tai");
    let body = format!(r#"{{"hosts": ["{}", "https://{missing}/"]}}"#, good());
    let (status, answer) = partner
        .curl(
            &[
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "--data",
                &body,
            ],
            "/api/v1/batches",
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let status_url = answer["status_url"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(120);
    let progress = loop {
        let progress = partner.json(&status_url).await;
        if progress["progress"]["complete"] == true {
            break progress;
        }
        assert!(
            Instant::now() < deadline,
            "the batch never completed: {progress}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(progress["progress"]["done"], 2, "{progress}");

    let results = partner.json(&format!("{status_url}/results")).await;
    let items = results["items"].as_array().unwrap();
    assert_eq!(items[0]["host"], good());
    assert_eq!(items[0]["status"], "labelled", "{results}");
    assert!(items[0]["grade"].as_str().is_some(), "{results}");
    assert!(
        !items[0]["strengths"].as_array().unwrap().is_empty(),
        "the good site's strengths are listed apart: {results}"
    );
    assert!(
        items[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["id"]
                .as_str()
                .unwrap()
                .parse::<trustlabel_core::finding::FindingId>()
                .unwrap()
                .is_strength()),
        "no strength among the findings: {results}"
    );
    assert_eq!(items[1]["host"], missing);
    assert_ne!(items[1]["status"], "labelled", "{results}");
    assert_ne!(items[1]["status"], "not_assessed", "assessed: {results}");
    assert!(
        !items[1]["findings"].as_array().unwrap().is_empty(),
        "the findings say why: {results}"
    );
    let (status, csv) = partner
        .curl(&[], &format!("{status_url}/results?format=csv"))
        .await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("host,job,finished_at,status,grade,verify_url,findings"),
        "{csv}"
    );
    assert!(csv.contains(&format!("{},done,", good())), "{csv}");

    // The new host is on the public list, filed under the agency.
    let stored = app.store.target_by_host(&missing).await.unwrap().unwrap();
    assert_eq!(stored.target.organisation, "Sở Thông tin Huế");

    cli(&app, &["api-token", "revoke", &id]).await;
    let (status, _) = partner.curl(&[], &status_url).await;
    assert_eq!(status, 401, "a revoked token stops at once");
    app.stop().await;
}
