//! Hardening: every hostile site of `fleet::hostile` scanned at once, next to good sites,
//! through the real collector and scanner with an 8-second site deadline. Each hostile
//! site must end with its finding (or its capped body) within the deadline, the scanner's
//! memory must stay bounded, and the good sites must be judged exactly as when each is
//! scanned alone.
//!
//! This file holds one test on purpose: the memory figure is the whole process's.

use crate::common::{DOMAIN, host, settings_for};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use trustlabel::scan::{ScanItem, Scanner, SiteResult, StopFlag};
use trustlabel_collect::CollectorSettings;
use trustlabel_core::evidence::{ChainEnd, HttpResponse};
use trustlabel_core::finding::{FindingId, Severity};
use trustlabel_core::policy::{Decision, Grade};
use trustlabel_fleet::{Fleet, Route, SiteSpec, hostile};

const SITE_DEADLINE: Duration = Duration::from_secs(8);
/// Time a site may take beyond its deadline: the evidence is finished, not abandoned,
/// when the deadline strikes (connections closed, the last step's result written).
const DEADLINE_SLACK: Duration = Duration::from_millis(1500);
/// Peak resident memory the scan may add to the process (fleet included), in MiB.
const MEMORY_BOUND_MIB: u64 = 300;
/// The collector's default body cap (bytes kept per response, after decompression).
const BODY_CAP: usize = 2 * 1024 * 1024;

/// What a hostile site must end with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This finding (and no other reachability finding).
    Finding(FindingId),
    /// Judged like the good site (same findings), its home page cut at the body cap.
    CappedLikeGood,
    /// Judged like the good site, its home page whole.
    LikeGood,
}

fn expectations() -> Vec<(&'static str, Expect)> {
    vec![
        ("trickle", Expect::Finding(FindingId::SiteTimeout)),
        ("endless", Expect::CappedLikeGood),
        ("gzip-bomb", Expect::CappedLikeGood),
        ("brotli-bomb", Expect::CappedLikeGood),
        (
            "redirect-loop",
            Expect::Finding(FindingId::HttpRedirectLoop),
        ),
        ("long-chain", Expect::Finding(FindingId::HttpRedirectLoop)),
        ("silent-tls", Expect::Finding(FindingId::SiteTimeout)),
        ("garbage-tls", Expect::Finding(FindingId::TlsNone)),
        ("big-headers", Expect::LikeGood),
        ("cookie-flood", Expect::Finding(FindingId::SiteUnreachable)),
        ("invalid-utf8", Expect::LikeGood),
        ("deep-nesting", Expect::LikeGood),
        ("big-page", Expect::CappedLikeGood),
    ]
}

/// Good sites with different verdicts: a clean one, one without HSTS, one exposing `.git`.
fn good_specs() -> Vec<SiteSpec> {
    vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good(&host("no-hsts")).without_header("Strict-Transport-Security"),
        SiteSpec::good(&host("exposed")).with_route(
            Route::new("/.git/HEAD", 200)
                .with_header("Content-Type", "text/plain")
                .with_body("ref: refs/heads/main\n"),
        ),
    ]
}

/// The scanner's settings: the CLI defaults (timeouts, politeness, body cap), the fleet's
/// DNS and trust anchor, and the short site deadline.
fn settings(fleet: &Fleet) -> CollectorSettings {
    let defaults = CollectorSettings::default();
    CollectorSettings {
        connect_timeout: defaults.connect_timeout,
        handshake_timeout: defaults.handshake_timeout,
        request_timeout: defaults.request_timeout,
        per_host: defaults.per_host,
        per_ip: defaults.per_ip,
        site_deadline: SITE_DEADLINE,
        ..settings_for(fleet)
    }
}

fn scanner(fleet: &Fleet) -> Arc<Scanner> {
    let collector = crate::common::collector(settings(fleet));
    Scanner::new(collector, crate::common::rules(), None, 64)
}

async fn scan(scanner: &Arc<Scanner>, hosts: &[String]) -> BTreeMap<String, SiteResult> {
    let items = hosts
        .iter()
        .map(|h| ScanItem::AdHoc {
            host: h.clone(),
            https_port: 443,
        })
        .collect();
    let results = scanner
        .run(items, None, &StopFlag::default(), |_| {})
        .await
        .expect("the scan runs");
    results.into_iter().map(|r| (r.host.clone(), r)).collect()
}

/// What must match between two scans of one good site.
fn outcome(result: &SiteResult) -> (Vec<(FindingId, Severity)>, Grade, Decision, i32) {
    let mut findings: Vec<(FindingId, Severity)> =
        result.findings.iter().map(|f| (f.id, f.severity)).collect();
    findings.sort_by_key(|(id, _)| id.as_str());
    (
        findings,
        result.verdict.grade,
        result.verdict.decision,
        result.verdict.score,
    )
}

fn elapsed(result: &SiteResult) -> Duration {
    let e = &result.evidence;
    (e.finished_at - e.started_at)
        .try_into()
        .unwrap_or_default()
}

/// `VmRSS` or `VmHWM` of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

fn home_response(result: &SiteResult) -> &HttpResponse {
    result
        .evidence
        .https
        .as_ref()
        .and_then(|c| c.last_response())
        .unwrap_or_else(|| panic!("{}: no https home page", result.host))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sites_end_in_time_in_bounded_memory_and_good_sites_are_unaffected() {
    let mut specs = good_specs();
    specs.extend(hostile::hostile_specs(DOMAIN));
    let fleet = Fleet::start(DOMAIN, specs).await.expect("fleet starts");
    let good_hosts: Vec<String> = good_specs().into_iter().map(|s| s.host).collect();

    // Each good site alone, in a scan of its own.
    let mut alone = BTreeMap::new();
    for h in &good_hosts {
        let result = scan(&scanner(&fleet), std::slice::from_ref(h)).await;
        alone.insert(h.clone(), outcome(&result[h]));
    }
    let good_alone = alone[&host("good")].0.clone();

    // Everything at once. Peak RSS is reset first where the kernel allows it; otherwise
    // the growth below is an over-estimate, which is still a valid upper bound.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kib("VmRSS:");
    let all: Vec<String> = fleet.sites().iter().map(|s| s.host.clone()).collect();
    let results = scan(&scanner(&fleet), &all).await;
    let peak = status_kib("VmHWM:");
    let growth_mib = peak.saturating_sub(rss_before) / 1024;

    let mut report = Vec::new();
    for (slug, expect) in expectations() {
        let h = host(slug);
        let result = &results[&h];
        let took = elapsed(result);
        let ids: Vec<FindingId> = result.findings.iter().map(|f| f.id).collect();
        report.push(format!("{slug}: {took:.1?} {ids:?}"));
        assert!(
            took <= SITE_DEADLINE + DEADLINE_SLACK,
            "{slug} took {took:?}, past the {SITE_DEADLINE:?} deadline"
        );
        let (findings, ..) = outcome(result);
        match expect {
            Expect::Finding(id) => {
                assert!(ids.contains(&id), "{slug}: expected {id}, got {ids:?}");
                let reach: Vec<_> = ids
                    .iter()
                    .filter(|i| i.as_str().starts_with("site.") && **i != id)
                    .collect();
                assert!(reach.is_empty(), "{slug}: also {reach:?}");
                assert_ne!(result.verdict.decision, Decision::Pass, "{slug} labelled");
            }
            Expect::CappedLikeGood | Expect::LikeGood => {
                assert_eq!(
                    findings, good_alone,
                    "{slug} is not judged like the good site"
                );
                let body = &home_response(result).body;
                let capped = matches!(expect, Expect::CappedLikeGood);
                assert_eq!(body.truncated, capped, "{slug}: truncated");
                assert!(!body.timed_out, "{slug}: the body timed out");
                if capped {
                    assert_eq!(body.bytes.len(), BODY_CAP, "{slug}: bytes kept");
                }
            }
        }
    }
    eprintln!("per-site elapsed and findings:\n  {}", report.join("\n  "));
    eprintln!("peak RSS growth during the scan: {growth_mib} MiB (bound {MEMORY_BOUND_MIB} MiB)");

    // The redirect chains ended where they should.
    let end = |slug: &str| {
        results[&host(slug)]
            .evidence
            .https
            .as_ref()
            .map(|c| c.end.clone())
    };
    assert!(matches!(end("redirect-loop"), Some(ChainEnd::Loop { .. })));
    assert!(matches!(
        end("long-chain"),
        Some(ChainEnd::TooManyRedirects { limit: 10 })
    ));
    let utf8 = home_response(&results[&host("invalid-utf8")]);
    assert!(
        utf8.headers
            .iter()
            .any(|h| h.name == "x-junk" && h.invalid_utf8),
        "the non-UTF-8 header is kept and flagged"
    );
    assert!(
        home_response(&results[&host("big-headers")]).headers.len() > 100,
        "all 100 KB of headers are kept"
    );

    for h in &good_hosts {
        assert_eq!(
            outcome(&results[h]),
            alone[h],
            "{h} is judged differently next to hostile sites"
        );
        assert!(
            elapsed(&results[h]) < SITE_DEADLINE,
            "{h} was slowed to its deadline"
        );
    }
    assert!(
        growth_mib < MEMORY_BOUND_MIB,
        "peak RSS grew by {growth_mib} MiB (bound {MEMORY_BOUND_MIB} MiB)"
    );
    fleet.shutdown().await;
}
