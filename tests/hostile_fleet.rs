//! Hardening: every hostile site of `fleet::hostile` scanned at once, next to good sites,
//! through the real collector and scanner. Each hostile site must end on its own limit,
//! shown by the evidence (the step that timed out, the cap that cut a body, the redirect
//! limit, the header limit) and by its finding; the scanner's memory must stay bounded;
//! and the good sites must be judged exactly as when each is scanned alone.
//!
//! Nothing here measures how long anything took: a loaded CI machine may be slow. The
//! steps have short timeouts (so the test is short) and the site deadline is generous,
//! so a site that ends on the deadline instead of its own limit shows in the evidence
//! (`deadline_exceeded`); an overall guard many times the deadline only turns a hang
//! into a failure.
//!
//! This file is a test binary of its own and holds one test on purpose: the memory
//! figure is the whole process's, and the integration binary runs tests side by side.

#[path = "common/mod.rs"]
mod common;

use crate::common::{DOMAIN, host, settings_for};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use trustlabel::scan::{ScanItem, Scanner, SiteResult, StopFlag};
use trustlabel_collect::CollectorSettings;
use trustlabel_core::evidence::{
    ChainEnd, FetchFailureKind, HttpResponse, TlsProbe, TlsVersion, VersionOutcome,
};
use trustlabel_core::finding::{FindingId, Severity};
use trustlabel_core::policy::{Decision, Grade};
use trustlabel_fleet::{Fleet, Route, SiteSpec, hostile};

/// The TLS handshake and request timeouts: the limits the slow sites must end on.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);
/// Far beyond what any site needs when each step ends on its own limit.
const SITE_DEADLINE: Duration = Duration::from_secs(60);
/// Turns a hung scan into a failure; never reached by a working scanner.
const HANG_GUARD: Duration = Duration::from_secs(180);
/// Peak resident memory the scan may add to the process (fleet included), in MiB.
const MEMORY_BOUND_MIB: u64 = 300;
/// The collector's default body cap (bytes kept per response, after decompression).
const BODY_CAP: usize = 2 * 1024 * 1024;

/// The limit each hostile site must end on.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The home page's body stopped at the request timeout (headers came, the body
    /// trickles): `site.timeout`.
    BodyTimedOut,
    /// The TLS handshake stopped at the handshake timeout (the port never answers):
    /// `site.timeout`.
    HandshakeTimedOut,
    /// The TLS answer is not TLS: the handshake failed at once, `tls.none`.
    NotTls,
    /// The https chain came back to a URL it had fetched: `http.redirect_loop`.
    RedirectLoop,
    /// The https chain hit the redirect limit: `http.redirect_loop`.
    RedirectLimit,
    /// The response head broke the header limit: no home page, `site.unreachable`.
    HeaderLimit,
    /// Judged like the good site, its home page cut at the body cap after decoding
    /// this `Content-Encoding` (none: the raw body was cut).
    CappedLikeGood(Option<&'static str>),
    /// Judged like the good site, its home page whole.
    LikeGood,
}

fn expectations() -> Vec<(&'static str, Expect)> {
    vec![
        ("trickle", Expect::BodyTimedOut),
        ("endless", Expect::CappedLikeGood(None)),
        ("gzip-bomb", Expect::CappedLikeGood(Some("gzip"))),
        ("brotli-bomb", Expect::CappedLikeGood(Some("br"))),
        ("redirect-loop", Expect::RedirectLoop),
        ("long-chain", Expect::RedirectLimit),
        ("silent-tls", Expect::HandshakeTimedOut),
        ("garbage-tls", Expect::NotTls),
        ("big-headers", Expect::LikeGood),
        ("cookie-flood", Expect::HeaderLimit),
        ("invalid-utf8", Expect::LikeGood),
        ("deep-nesting", Expect::LikeGood),
        ("big-page", Expect::CappedLikeGood(None)),
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

/// The scanner's settings: the CLI defaults (politeness, body cap, redirect limit), the
/// fleet's DNS and trust anchor, short step timeouts and the generous site deadline.
fn settings(fleet: &Fleet) -> CollectorSettings {
    let defaults = CollectorSettings::default();
    CollectorSettings {
        connect_timeout: defaults.connect_timeout,
        handshake_timeout: STEP_TIMEOUT,
        request_timeout: STEP_TIMEOUT,
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
    let stop = StopFlag::default();
    let run = scanner.run(items, None, &stop, |_| {});
    let results = tokio::time::timeout(HANG_GUARD, run)
        .await
        .unwrap_or_else(|_| panic!("the scan of {hosts:?} hung past {HANG_GUARD:?}"))
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

/// The ids of a result's findings, in order.
fn ids(result: &SiteResult) -> Vec<FindingId> {
    result.findings.iter().map(|f| f.id).collect()
}

/// Asserts that the hostile site `slug` ended on the limit `expect` names, as its
/// evidence and findings show; `good` is the clean site's outcome.
fn assert_ended_on_its_limit(
    slug: &str,
    expect: Expect,
    result: &SiteResult,
    good: &[(FindingId, Severity)],
) {
    let evidence = &result.evidence;
    let ids = ids(result);
    assert!(
        !evidence.deadline_exceeded,
        "{slug} ran into the site deadline instead of its own limit: {ids:?}"
    );
    let finding = match expect {
        Expect::BodyTimedOut => {
            let body = &home_response(result).body;
            assert!(
                body.timed_out,
                "{slug}: the body did not stop at the timeout"
            );
            assert!(!body.truncated, "{slug}: cut by the cap, not the timeout");
            assert!(body.bytes.len() < 120, "{slug}: all of the body arrived");
            Some(FindingId::SiteTimeout)
        }
        Expect::HandshakeTimedOut => {
            assert!(
                matches!(
                    evidence.tls,
                    Some(TlsProbe::HandshakeFailed {
                        timed_out: true,
                        ..
                    })
                ),
                "{slug}: {:?}",
                evidence.tls
            );
            let legacy = evidence.legacy.as_ref().expect("legacy probe");
            assert_eq!(
                legacy.version(TlsVersion::Tls12).map(|v| &v.outcome),
                Some(&VersionOutcome::Timeout),
                "{slug}: the legacy hello timed out too"
            );
            Some(FindingId::SiteTimeout)
        }
        Expect::NotTls => {
            assert!(
                matches!(
                    evidence.tls,
                    Some(TlsProbe::HandshakeFailed {
                        timed_out: false,
                        ..
                    })
                ),
                "{slug}: {:?}",
                evidence.tls
            );
            Some(FindingId::TlsNone)
        }
        Expect::RedirectLoop => {
            let end = evidence.https.as_ref().map(|c| &c.end);
            assert!(
                matches!(end, Some(ChainEnd::Loop { .. })),
                "{slug}: {end:?}"
            );
            Some(FindingId::HttpRedirectLoop)
        }
        Expect::RedirectLimit => {
            let chain = evidence.https.as_ref().expect("https chain");
            assert_eq!(
                chain.end,
                ChainEnd::TooManyRedirects { limit: 10 },
                "{slug}"
            );
            assert_eq!(
                chain.hops.len(),
                11,
                "{slug}: the first request and 10 redirects"
            );
            Some(FindingId::HttpRedirectLoop)
        }
        Expect::HeaderLimit => {
            let chain = evidence.https.as_ref().expect("https chain");
            assert!(
                matches!(
                    &chain.end,
                    ChainEnd::Failed {
                        kind: FetchFailureKind::Protocol,
                        ..
                    }
                ) && chain.last_response().is_none(),
                "{slug}: {:?}",
                chain.end
            );
            Some(FindingId::SiteUnreachable)
        }
        Expect::CappedLikeGood(encoding) => {
            let body = &home_response(result).body;
            assert!(body.truncated, "{slug}: not cut at the cap");
            assert!(!body.timed_out, "{slug}: the body timed out");
            assert_eq!(body.bytes.len(), BODY_CAP, "{slug}: bytes kept");
            assert_eq!(
                body.content_encoding.as_deref(),
                encoding,
                "{slug}: decoded"
            );
            None
        }
        Expect::LikeGood => {
            let body = &home_response(result).body;
            assert!(
                !body.truncated && !body.timed_out,
                "{slug}: the page is whole"
            );
            None
        }
    };
    match finding {
        Some(id) => {
            assert!(ids.contains(&id), "{slug}: expected {id}, got {ids:?}");
            let reach: Vec<_> = ids
                .iter()
                .filter(|i| i.as_str().starts_with("site.") && **i != id)
                .collect();
            assert!(reach.is_empty(), "{slug}: also {reach:?}");
            assert_ne!(result.verdict.decision, Decision::Pass, "{slug} labelled");
        }
        None => assert_eq!(
            outcome(result).0,
            good,
            "{slug} is not judged like the good site"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sites_end_on_their_own_limits_in_bounded_memory_and_good_sites_are_unaffected() {
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

    let report: Vec<String> = expectations()
        .iter()
        .map(|(slug, _)| format!("{slug}: {:?}", ids(&results[&host(slug)])))
        .collect();
    eprintln!(
        "hostile sites and their findings:\n  {}",
        report.join("\n  ")
    );
    eprintln!("peak RSS growth during the scan: {growth_mib} MiB (bound {MEMORY_BOUND_MIB} MiB)");
    for (slug, expect) in expectations() {
        assert_ended_on_its_limit(slug, expect, &results[&host(slug)], &good_alone);
    }

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
    }
    assert!(
        growth_mib < MEMORY_BOUND_MIB,
        "peak RSS grew by {growth_mib} MiB (bound {MEMORY_BOUND_MIB} MiB)"
    );
    fleet.shutdown().await;
}
