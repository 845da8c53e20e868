//! Advisory feeds and the public-sector software stack (issue 12) through the real
//! collector and the `trustlabel` binary: fleet sites serve the pages and headers that
//! give versions away, feeds are small files written for these tests in the published
//! formats (`tests/fixtures/feeds/`).

use crate::common::cli_env::{Env, fleet_args};
use crate::common::{DOMAIN, host, rules, settings_for};
use crate::must_fire::{WORDPRESS_472_HOME, liferay_portal};
use time::OffsetDateTime;
use time::macros::datetime;
use trustlabel_core::checks::run_all;
use trustlabel_core::finding::FindingId;
use trustlabel_core::policy::Decision;
use trustlabel_fleet::{Fleet, SiteSpec};

/// Inside the policy's grace for the new blocking rules (blocking since 2026-12-05).
const IN_GRACE: OffsetDateTime = datetime!(2026-12-10 09:00 UTC);
/// After `new_blocking_grace_days` (30) have passed.
const AFTER_GRACE: OffsetDateTime = datetime!(2027-01-05 09:00 UTC);

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `trustlabel --checks CHECKS checks update FILES…`.
async fn update(env: &Env, checks: &str, files: &[&str]) -> std::process::Output {
    let mut args = vec!["--checks", checks, "checks", "update"];
    args.extend(files);
    env.run(&args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn wordpress_4_7_2_loses_the_label_and_liferay_is_recognised_by_its_header() {
    let wordpress = host("wp-472");
    let good = host("good");
    let fleet = Fleet::start(
        DOMAIN,
        vec![
            SiteSpec::good(&good),
            SiteSpec::good(&wordpress).with_home_body(WORDPRESS_472_HOME),
            liferay_portal(),
        ],
    )
    .await
    .expect("fleet");
    let rules = rules();
    let collector = crate::common::collector(settings_for(&fleet));
    let judge = |evidence: &trustlabel_core::evidence::Evidence, now| {
        let findings = run_all(evidence, &rules.check_context(now));
        let mut verdict = rules
            .policy
            .evaluate_at(&findings, evidence.legacy.as_ref(), Some(now));
        rules.stamp_feeds(&mut verdict, now);
        (findings, verdict)
    };

    let evidence = collector.collect(&wordpress, 443).await;
    let (findings, after) = judge(&evidence, AFTER_GRACE);
    let vulnerable: Vec<_> = findings
        .iter()
        .filter(|f| f.id == FindingId::SoftwareVulnerable)
        .collect();
    assert_eq!(vulnerable.len(), 1, "{findings:#?}");
    let detail = &vulnerable[0].detail;
    assert!(
        detail.starts_with(
            "WordPress 4.7.2 (seen in generator: WordPress 4.7.2; meta generator, confidence high)"
        ) && detail.contains("CVE-2022-21661")
            && detail.contains("fixed in 5.8.3"),
        "{detail}"
    );
    assert_eq!(after.decision, Decision::Fail, "{:?}", after.reasons);
    assert!(
        after.blocking.contains(&FindingId::SoftwareVulnerable),
        "{:?}",
        after.blocking
    );
    // During the grace the verdict names the rule but does not block on it.
    let (_, in_grace) = judge(&evidence, IN_GRACE);
    assert!(!in_grace.blocking.contains(&FindingId::SoftwareVulnerable));
    assert!(
        in_grace
            .reasons
            .iter()
            .any(|r| r.contains("software.vulnerable")),
        "{:?}",
        in_grace.reasons
    );
    // The verdict records the feeds; the built-in ones are named once they are old.
    assert_eq!(after.feeds.len(), 3);
    assert!(
        in_grace.stale_feeds.is_empty(),
        "{:?}",
        in_grace.stale_feeds
    );
    let (_, much_later) = judge(&evidence, datetime!(2027-03-01 00:00 UTC));
    assert!(
        much_later
            .stale_feeds
            .iter()
            .any(|s| s.starts_with("known_exploited_vulnerabilities.json dated 2026-12-05")),
        "{:?}",
        much_later.stale_feeds
    );

    let (findings, _) = judge(
        &collector.collect(&host("liferay-portal"), 443).await,
        AFTER_GRACE,
    );
    let exploited = findings
        .iter()
        .find(|f| f.id == FindingId::SoftwareKnownExploited)
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        exploited
            .detail
            .starts_with("Liferay Portal 7.0.4 (seen in liferay-portal: ")
            && exploited.detail.contains("header, confidence high")
            && exploited.detail.contains("CVE-2020-7961")
            && exploited.detail.contains("known exploited (CISA KEV)"),
        "{}",
        exploited.detail
    );

    let (findings, verdict) = judge(&collector.collect(&good, 443).await, AFTER_GRACE);
    assert_eq!(verdict.decision, Decision::Pass, "{findings:#?}");
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_update_installs_valid_feeds_atomically_and_scans_record_them() {
    let env = Env::new();
    let checks = env.path("checks");
    std::fs::create_dir(&checks).unwrap();
    let checks_arg = checks.display().to_string();
    let fixture_arg = |name: &str| fixture(name).display().to_string();

    let out = env
        .run(&["checks", "update", &fixture_arg("kev.json")])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--checks DIR"),
        "{}",
        text(&out.stderr)
    );

    let out = update(
        &env,
        &checks_arg,
        &[
            &fixture_arg("kev.json"),
            &fixture_arg("osv.json"),
            &fixture_arg("jsrepository.json"),
        ],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("installed known_exploited_vulnerabilities.json from")
            && stdout.contains("dated 2026-11-20 (feed)"),
        "{stdout}"
    );
    let installed = checks.join("feeds/known_exploited_vulnerabilities.json");
    let kev_bytes = std::fs::read(fixture("kev.json")).unwrap();
    assert_eq!(std::fs::read(&installed).unwrap(), kev_bytes);

    // An invalid feed (with a valid one beside it) installs nothing and leaves the
    // installed feed as it was.
    let out = update(
        &env,
        &checks_arg,
        &[
            &fixture_arg("jsrepository.json"),
            &fixture_arg("kev_bad_cve.json"),
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("kev_bad_cve.json: $.vulnerabilities[1].cveID: `CVE-99-1` is not a CVE id"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing installed"), "{stderr}");
    assert_eq!(std::fs::read(&installed).unwrap(), kev_bytes);
    let out = update(
        &env,
        &checks_arg,
        &[&fixture_arg("jsrepository_bad_syntax.json")],
    )
    .await;
    assert!(
        text(&out.stderr).contains("jsrepository_bad_syntax.json:5: trailing comma"),
        "{}",
        text(&out.stderr)
    );
    let leftovers: Vec<_> = std::fs::read_dir(checks.join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An old catalog, installed, is named as stale in the verdict of a scan.
    let old_kev = env.write(
        "old_kev.json",
        r#"{"catalogVersion": "2025.01.02", "dateReleased": "2025-01-02T10:00:00Z",
            "vulnerabilities": [{"cveID": "CVE-2022-21661"}]}"#,
    );
    let out = update(&env, &checks_arg, &[&old_kev.display().to_string()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let wordpress = host("wp-472-cli");
    let fleet = Fleet::start(
        DOMAIN,
        vec![SiteSpec::good(&wordpress).with_home_body(WORDPRESS_472_HOME)],
    )
    .await
    .expect("fleet");
    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "--checks".into(),
        checks_arg.clone(),
        "scan".into(),
        wordpress.clone(),
    ]);
    args.extend(["--format".into(), "json".into(), "--quiet".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args).await;
    let value: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let site = &value["sites"][0];
    let feeds = site["feeds"].as_array().expect("feeds recorded");
    assert_eq!(feeds.len(), 3, "{feeds:?}");
    let kev = feeds
        .iter()
        .find(|f| f["name"] == "known_exploited_vulnerabilities.json")
        .unwrap();
    assert_eq!(kev["date"], "2025-01-02");
    assert_eq!(kev["entries"], 1);
    let stale = site["stale_feeds"].to_string();
    assert!(
        stale.contains("known_exploited_vulnerabilities.json dated 2025-01-02"),
        "{stale}"
    );
    // The installed catalog marks WordPress's SQL injection as exploited in the wild.
    let findings = site["findings"].to_string();
    assert!(findings.contains("software.known_exploited"), "{findings}");
    fleet.shutdown().await;
}
