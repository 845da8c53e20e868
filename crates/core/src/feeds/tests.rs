//! The parsers over small feeds written for these tests in each published format
//! (`tests/fixtures/feeds/`), never copies of the real feeds.

use super::*;
use crate::rules::version::Version;
use time::macros::date;

fn fixture(name: &str) -> (String, Vec<u8>) {
    let path = format!(
        "{}/../../tests/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    (name.to_string(), bytes)
}

fn parsed(name: &str) -> Parsed {
    let (file, bytes) = fixture(name);
    parse(&file, &bytes).unwrap()
}

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

#[test]
fn the_kev_catalog_gives_its_cve_ids_and_release_date() {
    let Parsed::Kev(catalog) = parsed("kev.json") else {
        panic!("not read as KEV")
    };
    assert_eq!(catalog.version, "2026.11.20");
    assert_eq!(catalog.date_released, date!(2026 - 11 - 20));
    assert!(catalog.cves.contains("CVE-2099-0001") && catalog.cves.contains("CVE-2099-0002"));
}

#[test]
fn osv_events_become_ranges_with_their_fixed_versions() {
    let Parsed::Osv(advisories, newest) = parsed("osv.json") else {
        panic!("not read as OSV")
    };
    assert_eq!(newest, Some(date!(2026 - 11 - 10)), "the newest `modified`");
    let affected = |version: &str| -> Vec<(&str, Option<&str>)> {
        advisories
            .iter()
            .filter(|a| a.range.contains(&v(version)))
            .map(|a| (a.id.as_str(), a.fixed.as_deref()))
            .collect()
    };
    assert_eq!(affected("2.4.0"), [("GHSA-test-0001-aaaa", Some("2.4.1"))]);
    assert_eq!(affected("2.4.1"), []);
    assert_eq!(affected("3.1.1"), [("GHSA-test-0001-aaaa", Some("3.1.2"))]);
    assert_eq!(
        affected("4.2.0"),
        [("OSV-TEST-2", None)],
        "last_affected is inclusive"
    );
    assert_eq!(affected("4.2.1"), []);
    assert_eq!(
        affected("1.0.0"),
        [("GHSA-test-0001-aaaa", Some("2.4.1")), ("OSV-TEST-2", None)]
    );
    let first = &advisories[0];
    assert_eq!(first.package, "Packagist:example/portal");
    assert_eq!(first.cves, ["CVE-2099-0001"]);
    assert_eq!(first.severity, Severity::Critical);
    assert_eq!(
        first.reference,
        "https://advisories.example/GHSA-test-0001-aaaa"
    );
    assert_eq!(first.range_text, "<2.4.1");
    assert_eq!(advisories[1].range_text, ">=3.0.0, <3.1.2");
    assert!(
        advisories.iter().all(|a| !a.range_text.contains("a1b2")),
        "GIT ranges name commits and are skipped"
    );
    let moderate = advisories.iter().find(|a| a.id == "OSV-TEST-2").unwrap();
    assert_eq!(moderate.severity, Severity::Medium);
}

#[test]
fn retire_js_libraries_bring_ranges_and_url_patterns() {
    let Parsed::RetireJs(repo) = parsed("jsrepository.json") else {
        panic!("not read as retire.js")
    };
    assert_eq!(repo.advisories.len(), 2);
    let xss = &repo.advisories[0];
    assert_eq!(
        (xss.id.as_str(), xss.fixed.as_deref()),
        ("CVE-2099-0002", Some("1.4.2"))
    );
    assert!(xss.range.contains(&v("1.4.1")) && !xss.range.contains(&v("1.4.2")));
    assert!(!xss.range.contains(&v("0.9.9")));
    assert_eq!(xss.severity, Severity::High);
    assert_eq!(repo.advisories[1].id, "GHSA-test-0002-bbbb");
    let example = repo
        .libraries
        .iter()
        .find(|l| l.name == "examplejs")
        .unwrap();
    assert_eq!(example.uri.len(), 1);
    assert_eq!(
        example.filename.len(),
        1,
        "the look-ahead pattern is skipped"
    );
    assert_eq!(example.skipped_patterns, 1);
    let caps = example.filename[0]
        .captures("examplejs-1.4.1.min.js")
        .unwrap();
    assert_eq!(
        Version::parse(&caps["version"]),
        Some(v("1.4.1")),
        "retire.js's greedy version pattern takes `.min` too; the version stops before it"
    );
    assert!(repo.libraries.iter().any(|l| l.name == "dont check"));
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let (file, bytes) = fixture("jsrepository_bad_syntax.json");
    let err = parse(&file, &bytes).unwrap_err().to_string();
    assert!(
        err.starts_with("jsrepository_bad_syntax.json:5: trailing comma"),
        "{err}"
    );
}

#[test]
fn a_schema_error_names_the_file_and_json_path() {
    let (file, bytes) = fixture("kev_bad_cve.json");
    let err = parse(&file, &bytes).unwrap_err().to_string();
    assert_eq!(
        err,
        "kev_bad_cve.json: $.vulnerabilities[1].cveID: `CVE-99-1` is not a CVE id (CVE-YYYY-NNNN)"
    );
    let (file, bytes) = fixture("osv_bad_event.json");
    let err = parse(&file, &bytes).unwrap_err().to_string();
    assert_eq!(
        err,
        "osv_bad_event.json: $[0].affected[0].ranges[0].events[1].patched: `patched` is not an event"
    );
    let err = parse(
        "x.json",
        br#"{"jquery": {"vulnerabilities": [{"severity": "high"}]}}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "x.json: $.jquery.vulnerabilities[0]: needs `below` or `atOrAbove`"
    );
}

#[test]
fn oversized_or_shapeless_input_is_refused_not_parsed() {
    let huge = vec![b' '; MAX_FEED_BYTES + 1];
    assert!(matches!(
        parse("big.json", &huge),
        Err(FeedError::Whole { .. })
    ));
    assert!(
        parse("n.json", b"42")
            .unwrap_err()
            .to_string()
            .contains("not a feed")
    );
    let deep = "[".repeat(100_000);
    assert!(matches!(
        parse("deep.json", deep.as_bytes()),
        Err(FeedError::Syntax { .. })
    ));
    let (file, bytes) = fixture("kev.json");
    let text = FeedText {
        file: &file,
        bytes: &bytes,
        installed: None,
        builtin: false,
    };
    let err = parse_as(FeedFormat::Osv, &text).unwrap_err().to_string();
    assert!(
        err.contains("is a Kev feed, but osv.json must hold a Osv feed"),
        "{err}"
    );
}

#[test]
fn installed_feeds_replace_the_builtin_ones_and_are_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let feeds_dir = dir.path().join(FEEDS_DIR);
    std::fs::create_dir(&feeds_dir).unwrap();
    std::fs::write(
        feeds_dir.join(FeedFormat::Kev.file_name()),
        fixture("kev.json").1,
    )
    .unwrap();
    std::fs::write(
        feeds_dir.join(FeedFormat::RetireJs.file_name()),
        fixture("jsrepository.json").1,
    )
    .unwrap();
    let feeds = Feeds::load(Some(dir.path())).unwrap();
    assert!(feeds.known_exploited.contains("CVE-2099-0001"));
    assert!(
        !feeds.known_exploited.contains("CVE-2020-7961"),
        "the built-in KEV is replaced"
    );
    let stamp = |format| feeds.stamps.iter().find(|s| s.format == format).unwrap();
    let kev = stamp(FeedFormat::Kev);
    assert_eq!(
        (kev.date, kev.date_from.as_str(), kev.builtin),
        (Some(date!(2026 - 11 - 20)), "feed", false)
    );
    assert_eq!(
        kev.sha256,
        hex::encode(Sha256::digest(fixture("kev.json").1))
    );
    let retire = stamp(FeedFormat::RetireJs);
    assert_eq!(
        retire.date_from, "installed",
        "retire.js has no date of its own"
    );
    assert!(retire.date.is_some());
    assert!(
        stamp(FeedFormat::Osv).builtin,
        "no OSV file installed: the built-in one"
    );
    let json = serde_json::to_value(kev).unwrap();
    assert_eq!(json["date"], "2026-11-20", "{json}");
    let stale: Vec<&str> = feeds
        .stale(date!(2026 - 12 - 21), 30)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert!(
        stale.contains(&"known_exploited_vulnerabilities.json"),
        "{stale:?}"
    );
    std::fs::write(
        feeds_dir.join(FeedFormat::Osv.file_name()),
        b"[{\"id\": 1}]",
    )
    .unwrap();
    let err = Feeds::load(Some(dir.path())).unwrap_err().to_string();
    assert!(err.contains("osv.json: $[0].id: must be a string"), "{err}");
}

#[test]
fn the_builtin_feeds_parse_and_mark_known_exploited_cves() {
    let feeds = Feeds::load(None).unwrap();
    assert_eq!(feeds.stamps.len(), 3);
    assert!(feeds.known_exploited.contains("CVE-2020-7961"));
    assert!(
        feeds
            .advisories
            .iter()
            .any(|a| a.package == "WordPress:wordpress")
    );
    assert!(feeds.libraries.iter().all(|l| l.skipped_patterns == 0));
}

#[test]
fn verdicts_record_feed_dates_as_iso_days() {
    let feeds = Feeds::load(None).unwrap();
    let mut verdict = crate::policy::Policy::builtin().unwrap().evaluate(&[]);
    verdict.feeds = feeds.stamps.clone();
    let json = serde_json::to_value(&verdict).unwrap();
    let kev = json["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "kev")
        .unwrap();
    assert_eq!(kev["date"], "2026-12-05", "{json}");
    let back: crate::policy::Verdict = serde_json::from_value(json).unwrap();
    assert_eq!(back.feeds, feeds.stamps);
}
