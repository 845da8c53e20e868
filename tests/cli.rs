//! The `trustlabel` binary as a user runs it: import, scan, status, demo, exit codes,
//! and a scan killed with SIGKILL that resumes where it stopped.

use crate::common::cli_env::{Env, fleet_args};
use crate::common::{DOMAIN, host};
use std::time::Duration;
use trustlabel_fleet::{Fleet, SiteSpec, TlsBehaviour};
use trustlabel_store::Store;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn import_names_bad_lines_keeps_good_ones_and_is_idempotent() {
    let env = Env::new();
    let list = env.write(
        "sites.csv",
        "host,organisation,category,province,contact_email\n\
         # comment\n\
         a.example.gov.vn,Sở A,government,Hà Nội,it@a.example.gov.vn\n\
         not a host,Org,government,,\n\
         bộgiáodục.vn,Bộ,government,,\n",
    );
    let out = env
        .run(&["targets", "import", list.to_str().unwrap()])
        .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "some lines refused: {stderr}");
    assert!(stderr.contains("sites.csv:4: "), "{stderr}");
    assert!(stderr.contains("1 lines refused"), "{stderr}");
    let again = env
        .run(&["targets", "import", list.to_str().unwrap()])
        .await;
    assert!(
        text(&again.stderr).contains("0 new, 0 updated, 2 unchanged"),
        "{}",
        text(&again.stderr)
    );
    let listed = env.run(&["targets", "list", "--format", "json"]).await;
    let value: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    let hosts: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 2);
    assert!(hosts.contains(&"a.example.gov.vn"));
    assert!(
        hosts.iter().any(|h| h.starts_with("xn--")),
        "IDN stored as punycode: {hosts:?}"
    );
    assert!(
        value
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "not_assessed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_with_a_reason() {
    let env = Env::new();
    let out = env.run(&["scan", "--resolve", "bad", "x.example.vn"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("expected HOST:PORT:ADDR"),
        "{}",
        text(&out.stderr)
    );
    let out = env.run(&["scan"]).await;
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["targets", "import", "missing.csv"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.csv"));
    let cfg = env.write("bad.toml", "[scan]\nconcurency = 3\n");
    let out = env
        .run(&["--config", cfg.to_str().unwrap(), "targets", "list"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.toml:2:"),
        "{}",
        text(&out.stderr)
    );
    let help = env.run(&["--help"]).await;
    assert!(text(&help.stdout).contains("EXIT CODES"));
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_stores_results_and_status_shows_them() {
    let env = Env::new();
    let good = host("good");
    let expired = host("expired");
    let fleet = Fleet::start(
        DOMAIN,
        vec![
            SiteSpec::good(&good),
            SiteSpec::good(&expired).with_cert(trustlabel_fleet::CertKind::Expired),
        ],
    )
    .await
    .expect("fleet");
    let list = env.write(
        "t.csv",
        &format!("{good},Good Org,government,Hà Nội,\n{expired},Old Org,ecommerce,,\n"),
    );
    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "scan".into(),
        "--targets".into(),
        list.display().to_string(),
        "--quiet".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one site fails: {stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("cert.expired"), "{stdout}");
    assert!(stdout.contains("labelled (basic)"), "{stdout}");

    // JSON for one known host: stored, labelled, exit 0.
    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "scan".into(),
        good.clone(),
        "--format".into(),
        "json".into(),
        "--quiet".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value["sites"][0]["label"], "labelled");
    assert_eq!(value["sites"][0]["grade"], "A+");
    assert!(value["sites"][0]["scan_id"].is_i64());

    let out = env.run(&["status", &expired]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(shown.contains("status: not_labelled"), "{shown}");
    assert!(shown.contains("not_assessed → not_labelled"), "{shown}");
    assert!(shown.contains("cert.expired"), "{shown}");

    let out = env.run(&["status", &good, "--format", "json"]).await;
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value["label"]["status"], "labelled");
    assert_eq!(
        value["history"].as_array().unwrap().len(),
        1,
        "second pass adds no transition"
    );

    // CSV: a header row and one row per finding.
    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "scan".into(),
        expired.clone(),
        "--format".into(),
        "csv".into(),
        "--quiet".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    let csv = text(&out.stdout);
    assert!(csv.starts_with("host,grade,score,label,finding"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("{expired},F,")) && l.contains("cert.expired"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_host_is_scanned_but_not_stored_without_add() {
    let env = Env::new();
    let good = host("good");
    let fleet = Fleet::start(DOMAIN, vec![SiteSpec::good(&good)])
        .await
        .expect("fleet");
    let mut args = fleet_args(&env, &fleet);
    args.extend(["scan".into(), good.clone(), "--quiet".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("not stored"));
    let store = Store::open(&env.db()).await.unwrap();
    assert_eq!(store.scan_count().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_scans_the_built_in_fleet() {
    let env = Env::new();
    let out = env
        .run(&[
            "--site-deadline",
            "10",
            "demo",
            "--no-serve",
            "--format",
            "json",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sites = value["sites"].as_array().unwrap();
    let by_host = |h: &str| {
        sites
            .iter()
            .find(|s| s["host"].as_str().unwrap().starts_with(h))
            .unwrap_or_else(|| panic!("{h} missing"))
    };
    assert_eq!(by_host("good.")["label"], "labelled");
    assert_eq!(by_host("good.")["grade"], "A+");
    assert_eq!(
        by_host("soft-404.")["label"],
        "labelled",
        "answering 200 everywhere is not an exposure"
    );
    for (site, id) in [
        ("expired.", "cert.expired"),
        ("self-signed.", "cert.self_signed"),
        ("revoked.", "cert.revoked"),
        ("no-https.", "tls.none"),
        ("no-hsts.", "header.hsts.missing"),
        ("exposed-files.", "exposure.vcs"),
        ("exposed-files.", "exposure.dir_listing"),
        ("silent.", "site.timeout"),
        ("unreachable.", "site.unreachable"),
        ("privacy-form.", "privacy.notice.missing"),
        ("gambling-spam.", "compromise.spam_injection"),
        ("www.bad-mail.", "mail.spf.allow_all"),
        ("www.bad-mail.", "mail.dmarc.missing"),
        ("www.bad-mail.", "mail.starttls.missing"),
    ] {
        let s = by_host(site);
        assert_ne!(s["label"], "labelled", "{site}");
        let ids: Vec<&str> = s["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&id), "{site}: {ids:?}");
    }
    // The well-run mail domain: nothing about SPF, DMARC or STARTTLS to fix.
    let good_mail: Vec<&str> = by_host("www.good-mail.")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .filter(|id| {
            id.starts_with("mail.spf")
                || id.starts_with("mail.dmarc")
                || id.starts_with("mail.starttls")
                || id.starts_with("dns.dnssec")
        })
        .collect();
    assert!(good_mail.is_empty(), "{good_mail:?}");
    assert!(env.path("trustlabel-demo.db").exists() || env.path("t.db").exists());
}

async fn scans_in(db: &str) -> i64 {
    let store = Store::open(db).await.expect("open");
    let n = store.scan_count().await.expect("count");
    store.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_scan_loses_nothing_stored_and_resumes() {
    let env = Env::new();
    // Slow sites (a silent TLS port held for the whole site deadline) between fast ones,
    // one at a time, so the kill lands mid-run.
    let mut specs = Vec::new();
    let mut lines = String::new();
    for i in 0..8 {
        let name = host(&format!("site{i}"));
        let spec = if i % 2 == 1 {
            SiteSpec::good(&name).with_tls(TlsBehaviour::Silent)
        } else {
            SiteSpec::good(&name)
        };
        specs.push(spec);
        lines.push_str(&format!("{name},Org {i},government,,\n"));
    }
    let fleet = Fleet::start(DOMAIN, specs).await.expect("fleet");
    let list = env.write("t.csv", &lines);
    let list_arg = list.display().to_string();
    let mut args = fleet_args(&env, &fleet);
    args.extend(
        [
            "--concurrency",
            "1",
            "--site-deadline",
            "1",
            "scan",
            "--targets",
            &list_arg,
            "--quiet",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = env
        .command(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let db = env.db();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while scans_in(&db).await < 2 {
        let ended = child.try_wait().ok().flatten();
        if ended.is_some() || tokio::time::Instant::now() > deadline {
            let _ = child.start_kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut err).await;
            }
            panic!("scan made no progress ({ended:?}): {err}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    let stored_before = scans_in(&db).await;
    assert!(
        (2..8).contains(&stored_before),
        "killed mid-run: {stored_before}"
    );

    let out = env.run(&args).await;
    assert!(
        text(&out.stderr).contains("resuming run"),
        "{}",
        text(&out.stderr)
    );
    let store = Store::open(&db).await.unwrap();
    assert_eq!(
        store.scan_count().await.unwrap(),
        8,
        "each site scanned exactly once overall"
    );
    for t in store.targets().await.unwrap() {
        assert!(
            store.latest_scan(t.id).await.unwrap().is_some(),
            "{} has no result",
            t.target.host
        );
    }
    assert!(
        store
            .unfinished_run(&format!("scan --targets {list_arg}"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checks_directory_replaces_the_exposure_rules_and_changes_the_rules_hash() {
    let env = Env::new();
    let name = host("own-rules");
    let fleet = Fleet::start(
        DOMAIN,
        vec![SiteSpec::good(&name).with_route(
            trustlabel_fleet::Route::new("/old-site.tar", 200).with_body("ustar archive"),
        )],
    )
    .await
    .expect("fleet");
    let rules = |proof: &str| {
        format!(
            "version = \"own\"\n[[rule]]\nid = \"backup.old-site\"\nfinding = \"exposure.backup\"\n\
             severity = \"high\"\npaths = [\"/old-site.tar\"]\nrationale = \"an old copy\"\n\
             reference = \"https://example.org/\"\n[rule.proof]\n{proof}\n"
        )
    };
    std::fs::create_dir(env.path("bad")).unwrap();
    env.write("bad/exposures.toml", &rules("all = ['(ustar']"));
    let out = env
        .run(&["--checks", env.path("bad").to_str().unwrap(), "scan", &name])
        .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad/exposures.toml:10: bad regular expression `(ustar`"),
        "{stderr}"
    );

    std::fs::create_dir(env.path("own")).unwrap();
    env.write("own/exposures.toml", &rules("all = ['ustar']"));
    let store = Store::open(&env.db()).await.unwrap();
    let ids = scan_finding_ids(&env, &fleet, &name, None).await;
    assert!(!ids.iter().any(|id| id == "exposure.backup"), "{ids:?}");
    let target = store.target_by_host(&name).await.unwrap().unwrap();
    let latest_hash = || async {
        let scan = store.latest_scan(target.id).await.unwrap();
        scan.expect("stored").rules_hash
    };
    let builtin_hash = latest_hash().await;
    let ids = scan_finding_ids(&env, &fleet, &name, Some("own")).await;
    assert!(ids.iter().any(|id| id == "exposure.backup"), "{ids:?}");
    assert_ne!(
        builtin_hash,
        latest_hash().await,
        "the rules in force are traceable"
    );
}

/// `scan HOST --add --format json` against the fleet; the finding ids of the one site.
async fn scan_finding_ids(
    env: &Env,
    fleet: &Fleet,
    host: &str,
    checks: Option<&str>,
) -> Vec<String> {
    let mut args = fleet_args(env, fleet);
    if let Some(dir) = checks {
        args.extend(["--checks".into(), env.path(dir).display().to_string()]);
    }
    args.extend(["scan", host, "--add", "--format", "json", "--quiet"].map(String::from));
    let out = env
        .run(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    let value: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    value["sites"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str().map(String::from))
        .collect()
}
