//! Exposure probes through the real collector: each kind of exposed file fires, the
//! look-alikes (a site that answers 200 everywhere, a login redirect) do not, and every
//! site receives exactly the requests the budget allows, over the verified connection.

use crate::common::{TestFleet, assert_fires, host, settings_for};
use std::time::Duration;
use trustlabel_collect::{Collector, RateLimit};
use trustlabel_core::evidence::{FetchFailureKind, NotSentReason, ProbeChannel, ProbeOutcome};
use trustlabel_core::exposures::ExposureRules;
use trustlabel_core::finding::{Category, Finding, FindingId, Severity};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_fleet::{CertKind, HttpBehaviour, Route, SiteSpec, TlsBehaviour};

fn exposure_ids(findings: &[Finding]) -> Vec<FindingId> {
    let mut ids: Vec<FindingId> = findings
        .iter()
        .filter(|f| f.id.category() == Category::Exposure)
        .map(|f| f.id)
        .collect();
    ids.dedup();
    ids
}

fn text(path: &str, body: &str) -> Route {
    Route::new(path, 200)
        .with_header("Content-Type", "text/plain")
        .with_body(body)
}

fn probe_paths() -> usize {
    ExposureRules::builtin().unwrap().paths().len()
}

const LOGIN_PAGE: &str = "<!doctype html><html><body><form action=\"/login\" method=\"post\">\
    <input name=\"username\"><input type=\"password\" name=\"password\"></form></body></html>";

/// Every kind of exposure, each behind the path the built-in rules probe.
fn leaky(name: &str) -> SiteSpec {
    SiteSpec::good(name)
        .with_route(text("/.git/HEAD", "ref: refs/heads/main\n"))
        .with_route(text(
            "/.env",
            "APP_ENV=production\nAPP_KEY=base64:c2VjcmV0\nDB_HOST=10.0.0.5\nDB_PASSWORD=hunter2\n",
        ))
        .with_route(text(
            "/backup.sql",
            "-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)\n--\n-- Host: localhost\n\
             CREATE TABLE `cong_dan` (`cccd` varchar(12));\n",
        ))
        .with_route(Route::page(
            "/uploads/",
            "<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1>\
             <a href=\"ho-so-2024.pdf\">ho-so-2024.pdf</a></body></html>",
        ))
        .with_route(Route::page(
            "/phpinfo.php",
            "<!DOCTYPE html><html><head><title>PHP 7.4.3 - phpinfo()</title></head>\
             <body><h1 class=\"p\">PHP Version 7.4.3</h1></body></html>",
        ))
        .with_route(Route::page(
            "/server-status",
            "<html><head><title>Apache Status</title></head><body>\
             <h1>Apache Server Status for leaky (via 10.0.0.5)</h1></body></html>",
        ))
        .with_route(Route::page("/wp-login.php", WP_LOGIN))
}

const WP_LOGIN: &str = "<html><body><form name=\"loginform\" id=\"loginform\" \
    action=\"/wp-login.php\" method=\"post\"><input type=\"text\" name=\"log\">\
    <input type=\"password\" name=\"pwd\"></form></body></html>";

#[tokio::test]
async fn every_exposed_file_fires_with_proof_and_look_alikes_do_not() {
    let leaky_host = host("leaky");
    let catch_all = host("catch-all");
    let redirect = host("login-redirect");
    let login_everywhere = host("login-everywhere");
    let home = SiteSpec::good(&catch_all).routes[0].clone();
    let fleet = TestFleet::start(vec![
        leaky(&leaky_host),
        // Answers 200 with its home page for every path, probes included.
        SiteSpec::good(&catch_all).with_fallback(home),
        // Unknown and sensitive paths redirect to a login page that answers 200.
        SiteSpec::good(&redirect)
            .with_route(Route::redirect("/.env", 302, "/login?next=/.env"))
            .with_route(Route::redirect("/wp-login.php", 302, "/login"))
            .with_route(Route::page("/login", LOGIN_PAGE))
            .with_fallback(Route::redirect("/", 302, "/login")),
        // A CMS that renders its (WordPress-looking) login form for every unknown path:
        // the form is the catch-all page, not an exposed panel at /wp-login.php.
        SiteSpec::good(&login_everywhere).with_fallback(Route::page("/", WP_LOGIN)),
    ])
    .await;

    let (evidence, findings) = fleet.findings(&leaky_host).await;
    assert_eq!(
        exposure_ids(&findings),
        vec![
            FindingId::ExposureVcs,
            FindingId::ExposureEnv,
            FindingId::ExposureBackup,
            FindingId::ExposureDirListing,
            FindingId::ExposureDebugPage,
            FindingId::ExposureAdminPanel,
        ],
        "{findings:#?}"
    );
    let vcs = findings
        .iter()
        .find(|f| f.id == FindingId::ExposureVcs)
        .unwrap();
    assert!(
        vcs.detail.contains("/.git/HEAD answered 200"),
        "{}",
        vcs.detail
    );
    assert!(
        vcs.detail.contains("ref: refs/heads/main"),
        "{}",
        vcs.detail
    );
    let env = findings
        .iter()
        .find(|f| f.id == FindingId::ExposureEnv)
        .unwrap();
    assert_eq!(env.severity, Severity::Critical);
    assert!(
        !env.detail.contains("hunter2"),
        "secrets stay out: {}",
        env.detail
    );
    let debug: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.id == FindingId::ExposureDebugPage)
        .collect();
    assert_eq!(debug.len(), 2, "phpinfo and server-status: {debug:#?}");
    let admin = findings
        .iter()
        .find(|f| f.id == FindingId::ExposureAdminPanel)
        .unwrap();
    assert_eq!(admin.severity, Severity::Info);
    let exposure = evidence.exposure.as_ref().expect("probed");
    assert_eq!(exposure.channel, ProbeChannel::VerifiedHttps);
    assert_eq!(
        exposure.baseline.response().map(|r| r.status),
        Some(404),
        "the baseline is a path that cannot exist"
    );

    let (evidence, findings) = fleet.findings(&catch_all).await;
    assert_eq!(exposure_ids(&findings), vec![], "{findings:#?}");
    let exposure = evidence.exposure.as_ref().expect("probed");
    assert_eq!(exposure.baseline.response().map(|r| r.status), Some(200));
    for probe in &exposure.probes {
        let answer = probe.response().expect("answered");
        assert_eq!(answer.status, 200, "{}", probe.path);
        assert!(
            answer.excerpt.is_empty(),
            "{}: the catch-all page is not stored again",
            probe.path
        );
    }

    let (_, findings) = fleet.findings(&login_everywhere).await;
    assert_eq!(exposure_ids(&findings), vec![], "{findings:#?}");

    let (evidence, findings) = fleet.findings(&redirect).await;
    assert_eq!(exposure_ids(&findings), vec![], "{findings:#?}");
    let env = evidence.exposure.as_ref().unwrap().probe("/.env").unwrap();
    let answer = env.response().unwrap();
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (302, Some("/login?next=/.env")),
        "recorded, not followed"
    );
}

#[tokio::test]
async fn a_real_file_behind_a_catch_all_site_still_fires() {
    let name = host("catch-all-git");
    let home = SiteSpec::good(&name).routes[0].clone();
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name)
            .with_fallback(home)
            .with_route(text("/.git/HEAD", "ref: refs/heads/production\n")),
    ])
    .await;
    let (_, findings) = fleet.findings(&name).await;
    assert_eq!(exposure_ids(&findings), vec![FindingId::ExposureVcs]);
}

#[tokio::test]
async fn a_site_receives_exactly_the_budgeted_requests_over_https_with_the_honest_agent() {
    let name = host("counted");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    assert_eq!(exposure_ids(&findings), vec![]);
    let seen = fleet.fleet.site(&name).unwrap().requests.requests();
    let paths = probe_paths();
    // http:// redirect, https home, two cloaking views, security.txt, the baseline, every
    // probe path.
    assert_eq!(seen.len(), 1 + 1 + 2 + 1 + 1 + paths, "{seen:#?}");
    assert!(
        paths < 20,
        "the default budget of 20 covers the baseline and every path"
    );
    assert_eq!(seen.iter().filter(|r| r.scheme == "http").count(), 1);
    let honest = trustlabel_collect::default_user_agent();
    let dishonest: Vec<_> = seen
        .iter()
        .filter(|r| r.user_agent.as_deref() != Some(honest.as_str()))
        .collect();
    assert_eq!(
        dishonest.len(),
        2,
        "only the two cloaking views: {dishonest:#?}"
    );
    assert!(seen.iter().all(|r| r.method == "GET"));
    let exposure = evidence.exposure.unwrap();
    assert_eq!(exposure.probes.len(), paths);
    assert!(exposure.probes.iter().all(|p| p.response().is_some()));
    // The https requests ride the verified connection and at most five more opened for
    // the page fetches that run side by side (six, as a browser opens to a host), each
    // kept alive for several requests; the legacy probe's hellos never complete a
    // handshake.
    let sessions = fleet.fleet.site(&name).unwrap().requests.tls_sessions();
    assert!(
        (1..=6).contains(&sessions),
        "TLS handshakes completed: {sessions}"
    );
    let https = seen.iter().filter(|r| r.scheme == "https").count();
    assert!(
        https >= 3 * sessions,
        "{https} https requests over {sessions} connections"
    );
}

#[tokio::test]
async fn a_small_budget_is_honoured_and_what_was_left_out_is_recorded() {
    let name = host("budget");
    let fleet = TestFleet::start(vec![leaky(&name)]).await;
    let mut settings = settings_for(&fleet.fleet);
    settings.exposure_max_requests = 3;
    let collector = crate::common::collector(settings);
    let evidence = collector.collect(&name, 443).await;
    let requests = fleet.fleet.site(&name).unwrap().requests.count();
    assert_eq!(
        requests,
        1 + 1 + 2 + 1 + 3,
        "redirect, home, two views, security.txt, baseline + 2 probes"
    );
    let exposure = evidence.exposure.unwrap();
    let sent: Vec<&str> = exposure
        .probes
        .iter()
        .filter(|p| p.response().is_some())
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(sent, ["/.git/HEAD", "/.env"], "rule-file order");
    assert!(exposure.probes[2..].iter().all(|p| p.outcome
        == ProbeOutcome::NotSent {
            reason: NotSentReason::Budget
        }));

    let mut settings = settings_for(&fleet.fleet);
    settings.exposure_max_requests = 0;
    let evidence = crate::common::collector(settings).collect(&name, 443).await;
    assert_eq!(evidence.exposure, None, "0 turns probing off");
}

#[tokio::test]
async fn only_verified_https_is_probed_and_plain_http_only_without_any_https() {
    let untrusted = host("untrusted");
    let plain = host("plain-only");
    let fleet = TestFleet::start(vec![
        leaky(&untrusted).with_cert(CertKind::UntrustedRoot),
        leaky(&plain)
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Serve),
    ])
    .await;

    let (evidence, findings) = fleet.findings(&untrusted).await;
    assert_eq!(evidence.exposure, None);
    assert_eq!(exposure_ids(&findings), vec![]);
    let seen = fleet.fleet.site(&untrusted).unwrap().requests.requests();
    assert!(
        seen.iter().all(|r| r.scheme == "http"),
        "nothing is requested over the unverified connection: {seen:#?}"
    );
    assert_eq!(seen.len(), 1, "only the http:// redirect");

    let (evidence, findings) = fleet.findings(&plain).await;
    let exposure = evidence.exposure.as_ref().expect("probed over http");
    assert_eq!(exposure.channel, ProbeChannel::PlainHttpNoHttps);
    assert!(
        exposure.base_url.starts_with("http://"),
        "{}",
        exposure.base_url
    );
    assert_fires(&findings, FindingId::ExposureVcs);
}

#[tokio::test]
async fn rules_from_a_checks_directory_drive_the_probes() {
    let name = host("custom");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name).with_route(text("/secret.txt", "TOP SECRET\n")),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(trustlabel_core::exposures::EXPOSURES_FILE),
        r#"version = "c1"
[[rule]]
id = "backup.secret"
finding = "exposure.backup"
severity = "high"
paths = ["/secret.txt"]
rationale = "test"
reference = "https://example.org/"
[rule.proof]
all = ['\ATOP SECRET']
"#,
    )
    .unwrap();
    let rules = RuleSet::load(Some(dir.path())).unwrap();
    let collector = Collector::new(settings_for(&fleet.fleet), &rules).unwrap();
    let evidence = collector.collect(&name, 443).await;
    let exposure = evidence.exposure.as_ref().unwrap();
    assert_eq!(exposure.probes.len(), 1);
    let requests = fleet.fleet.site(&name).unwrap().requests.count();
    assert_eq!(requests, 1 + 1 + 2 + 1 + 2);
    let findings = trustlabel_core::checks::run_all(
        &evidence,
        &rules.check_context(time::OffsetDateTime::now_utc()),
    );
    assert_eq!(exposure_ids(&findings), vec![FindingId::ExposureBackup]);
}

#[tokio::test]
async fn probing_stops_at_the_site_deadline_under_a_slow_politeness_rate() {
    let name = host("slow");
    let fleet = TestFleet::start(vec![leaky(&name)]).await;
    let mut settings = settings_for(&fleet.fleet);
    let rate = RateLimit {
        per_second: 4,
        burst: 1,
    };
    settings.per_host = rate;
    // Long enough for the home page to come first however loaded the machine, short
    // enough to cut the probes: unbounded, about 24 requests at 4 a second.
    let deadline_secs = 3;
    settings.site_deadline = Duration::from_secs(deadline_secs);
    // The legacy prober shares the host's budget; this test is about the probes alone.
    settings.legacy.enabled = false;
    let evidence = crate::common::collector(settings).collect(&name, 443).await;
    // The deadline ended the scan (not the budget, not the end of the list), and the site
    // saw only what the rate allows in it: unbounded, about 24 requests would arrive.
    assert!(evidence.deadline_exceeded);
    let requests = fleet.fleet.site(&name).unwrap().requests.count();
    let allowed = rate.per_second as usize * deadline_secs as usize + rate.burst as usize;
    assert!(
        requests <= allowed,
        "at most {allowed} in {deadline_secs} s at {} a second, got {requests}",
        rate.per_second
    );
    let exposure = evidence.exposure.expect("the home page came first");
    assert_eq!(
        exposure.probes.len(),
        probe_paths(),
        "every path accounted for"
    );
    let cut: Vec<&ProbeOutcome> = exposure
        .probes
        .iter()
        .map(|p| &p.outcome)
        .filter(|o| !matches!(o, ProbeOutcome::Answered(_)))
        .collect();
    assert!(!cut.is_empty());
    assert!(
        !cut.contains(&&ProbeOutcome::NotSent {
            reason: NotSentReason::Budget
        }),
        "the deadline, not the budget, cut the probes: {cut:?}"
    );
    for outcome in cut {
        assert!(
            matches!(
                outcome,
                ProbeOutcome::NotSent {
                    reason: NotSentReason::Deadline
                        | NotSentReason::BaselineFailed
                        | NotSentReason::Unresponsive
                } | ProbeOutcome::Failed {
                    kind: FetchFailureKind::Timeout,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_site_that_stops_answering_is_left_alone() {
    let hanging_probe = host("hanging-probe");
    let hanging_unknown = host("hanging-unknown");
    let hanging_home = host("hanging-home");
    let hang = Duration::from_secs(30);
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&hanging_probe)
            .with_route(text("/.git/HEAD", "ref: refs/heads/main\n").with_delay(hang)),
        SiteSpec::good(&hanging_unknown).with_fallback(Route::page("/", "late").with_delay(hang)),
        SiteSpec::good(&hanging_home).with_route(Route::page("/", "late").with_delay(hang)),
    ])
    .await;
    let mut settings = settings_for(&fleet.fleet);
    // Far below the 30 s hang, far above what an answering request takes on a loaded
    // machine: only the hanging requests may time out.
    settings.request_timeout = Duration::from_secs(2);
    let collector = crate::common::collector(settings);
    // The three sites at once: each waits out one request timeout.
    let (probe_evidence, unknown_evidence, home_evidence) = tokio::join!(
        collector.collect(&hanging_probe, 443),
        collector.collect(&hanging_unknown, 443),
        collector.collect(&hanging_home, 443),
    );
    let requests = |name: &str| fleet.fleet.site(name).unwrap().requests.count();
    let all_not_sent = |probes: &[trustlabel_core::evidence::Probe], reason| {
        probes
            .iter()
            .all(|p| p.outcome == ProbeOutcome::NotSent { reason })
    };

    // A probe hangs: the probes on the other connections may answer meanwhile, but once
    // it has timed out no further path is sent, and nothing else was left hanging.
    let exposure = probe_evidence.exposure.unwrap();
    assert!(matches!(
        exposure.probes[0].outcome,
        ProbeOutcome::Failed {
            kind: FetchFailureKind::Timeout,
            ..
        }
    ));
    let sent = exposure.probes[1..]
        .iter()
        .filter(|p| {
            assert!(
                p.response().is_some()
                    || p.outcome
                        == ProbeOutcome::NotSent {
                            reason: NotSentReason::Unresponsive
                        },
                "{p:?}"
            );
            p.response().is_some()
        })
        .count();
    // Redirect, home, two views, security.txt, the baseline, the hanging probe and those
    // answered beside it.
    assert_eq!(requests(&hanging_probe), 1 + 1 + 2 + 1 + 1 + 1 + sent);

    // The baseline hangs: no probe is sent.
    let exposure = unknown_evidence.exposure.unwrap();
    assert!(all_not_sent(
        &exposure.probes,
        NotSentReason::BaselineFailed
    ));
    assert_eq!(requests(&hanging_unknown), 1 + 1 + 2 + 1 + 1);

    // The home page hangs: no views, no probes.
    assert_eq!(home_evidence.exposure, None);
    assert!(home_evidence.crawler_views.is_empty());
    assert_eq!(
        requests(&hanging_home),
        2,
        "the http:// redirect and the home page"
    );
}
