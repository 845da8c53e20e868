//! Blocked is not down: a site whose firewall answers the scanner with a challenge while
//! it serves visitors gets the status `blocked` with the evidence (never `unreachable`,
//! never a grade), and its public page says how to let the scanner through.

use crate::common::cli_env::{Env, fleet_args};
use crate::common::{DOMAIN, host};
use tokio::process::Command;
use trustlabel_fleet::{Fleet, SiteSpec, bot_wall};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_firewall_that_stops_the_scanner_makes_the_site_blocked_not_unreachable() {
    let walled = host("waf");
    let fleet = Fleet::start(DOMAIN, vec![bot_wall(SiteSpec::good(&walled))])
        .await
        .expect("fleet");
    let env = Env::new();

    // Visitors get the site: curl with a browser's User-Agent (not our client).
    let site = fleet.site(&walled).expect("the site");
    let root = env.write("visitor-root.pem", &fleet.root_ca_pem());
    let visitor = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
        ])
        .arg("--cacert")
        .arg(&root)
        .args([
            "--resolve",
            &format!(
                "{walled}:{}:{}",
                site.https_addr.port(),
                site.https_addr.ip()
            ),
        ])
        .args([
            "-A",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ])
        .arg(format!("https://{walled}:{}/", site.https_addr.port()))
        .output()
        .await
        .expect("curl runs");
    assert_eq!(text(&visitor.stdout), "200", "{}", text(&visitor.stderr));

    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "scan".into(),
        "--add".into(),
        walled.clone(),
        "--quiet".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    let report = text(&out.stdout);
    assert!(
        report.contains("site.blocked"),
        "{report}\n{}",
        text(&out.stderr)
    );

    let out = env.run(&["status", &walled, "--format", "json"]).await;
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status["label"]["status"], "blocked", "{status}");
    assert_eq!(status["latest_scan"]["decision"], "blocked", "{status}");
    let findings = status["latest_scan"]["findings"]
        .as_array()
        .expect("findings");
    let blocked = findings
        .iter()
        .find(|f| f["id"] == "site.blocked")
        .expect("the evidence is stored");
    assert!(
        blocked["detail"].as_str().unwrap().contains("Cloudflare"),
        "names the firewall: {blocked}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["id"].as_str().unwrap().starts_with("privacy.")),
        "the challenge page is not judged as the site's pages: {findings:?}"
    );

    // The static export shows the status with the way out, and no grade.
    let out_dir = env.path("public");
    let out = env
        .run(&["publish", "--out", &out_dir.display().to_string()])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(out_dir.join(format!("site/{walled}.html")))
        .expect("the site page is exported (Vietnamese at the root)");
    assert!(page.contains("Chặn công cụ đánh giá"), "status named");
    assert!(page.contains("scanner.html"), "links to the scanner page");
    let scanner = std::fs::read_to_string(out_dir.join("scanner.html"))
        .expect("the scanner page is exported");
    assert!(scanner.contains("trustlabel/"), "names the User-Agent");
    fleet.shutdown().await;
}
