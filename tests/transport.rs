//! Reachability, HTTPS availability and redirects, against real local sites.

use crate::common::{DOMAIN, TestFleet, assert_fires, assert_silent, host, settings_for};
use trustlabel_core::evidence::{ChainEnd, Resolution, TlsProbe};
use trustlabel_core::finding::{Category, Finding, FindingId};
use trustlabel_fleet::{HttpBehaviour, Route, SiteSpec, TlsBehaviour};

fn transport_ids(findings: &[trustlabel_core::finding::Finding]) -> Vec<FindingId> {
    findings
        .iter()
        .filter(|f| {
            matches!(
                f.id.category(),
                Category::Transport | Category::Reachability
            )
        })
        .map(|f| f.id)
        .collect()
}

#[tokio::test]
async fn a_good_site_redirects_http_to_https_and_raises_nothing() {
    let name = host("good");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    let (strengths, problems): (Vec<_>, Vec<_>) = findings.iter().partition(|f| f.id.is_strength());
    assert_eq!(problems, Vec::<&Finding>::new(), "good site must be clean");
    let strengths: Vec<FindingId> = strengths.iter().map(|f| f.id).collect();
    assert_eq!(
        strengths,
        [
            FindingId::HeaderCspStrict,
            FindingId::HeaderFrameProtected,
            FindingId::HeaderReferrerPrivate,
            FindingId::CookieHardened,
            FindingId::SecurityTxtPublished,
        ],
        "its strict headers earn the Observatory's bonuses, its security.txt one more"
    );
    let http = evidence.http.expect("http chain");
    assert!(
        matches!(http.end, ChainEnd::UpgradedToHttps { .. }),
        "{:?}",
        http.end
    );
    assert!(matches!(evidence.resolution, Resolution::Resolved { .. }));
}

#[tokio::test]
async fn http_served_without_redirect() {
    let name = host("no-redirect");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_http(HttpBehaviour::Serve)]).await;
    let (_, findings) = fleet.findings(&name).await;
    assert_eq!(
        transport_ids(&findings),
        vec![FindingId::HttpNoHttpsRedirect]
    );
}

#[tokio::test]
async fn no_https_at_all() {
    let name = host("no-https");
    let spec = SiteSpec::good(&name)
        .with_tls(TlsBehaviour::Closed)
        .with_http(HttpBehaviour::Serve);
    let fleet = TestFleet::start(vec![spec]).await;
    let (_, findings) = fleet.findings(&name).await;
    assert_eq!(
        transport_ids(&findings),
        vec![FindingId::TlsNone, FindingId::HttpNoHttpsRedirect]
    );
}

#[tokio::test]
async fn redirect_loop_and_offsite_redirect() {
    let looping = host("loop");
    let offsite = host("offsite");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&looping)
            .with_route(Route::redirect("/", 302, "/a"))
            .with_route(Route::redirect("/a", 302, "/")),
        SiteSpec::good(&offsite).with_route(Route::redirect(
            "/",
            301,
            "https://elsewhere.example/",
        )),
    ])
    .await;
    let (_, findings) = fleet.findings(&looping).await;
    assert_eq!(transport_ids(&findings), vec![FindingId::HttpRedirectLoop]);
    let (evidence, findings) = fleet.findings(&offsite).await;
    assert_eq!(
        transport_ids(&findings),
        vec![FindingId::HttpRedirectOffsite]
    );
    let https = evidence.https.expect("https chain");
    assert_eq!(https.hops.len(), 1, "an off-site redirect is not followed");
}

#[tokio::test]
async fn a_silent_tls_port_times_out_within_the_deadline() {
    let name = host("silent");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_tls(TlsBehaviour::Silent)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    assert_eq!(transport_ids(&findings), vec![FindingId::SiteTimeout]);
    // The handshake timeout ended it, not the site deadline.
    assert!(
        matches!(
            evidence.tls,
            Some(TlsProbe::HandshakeFailed {
                timed_out: true,
                ..
            })
        ),
        "{:?}",
        evidence.tls
    );
    assert!(!evidence.deadline_exceeded);
}

#[tokio::test]
async fn a_dead_host_is_unreachable() {
    let name = host("dead");
    let spec = SiteSpec::good(&name)
        .with_tls(TlsBehaviour::Closed)
        .with_http(HttpBehaviour::Closed);
    let fleet = TestFleet::start(vec![spec]).await;
    let (_, findings) = fleet.findings(&name).await;
    assert_eq!(transport_ids(&findings), vec![FindingId::SiteUnreachable]);
}

#[tokio::test]
async fn an_unknown_name_is_a_dns_failure() {
    let fleet = TestFleet::start(vec![SiteSpec::good(&host("good"))]).await;
    let (evidence, findings) = fleet.findings(&format!("nowhere.{DOMAIN}")).await;
    assert_eq!(transport_ids(&findings), vec![FindingId::SiteDnsFailed]);
    assert!(matches!(evidence.resolution, Resolution::Failed { .. }));
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let name = host("good");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name)]).await;
    let mut settings = settings_for(&fleet.fleet);
    settings.allow_private_addresses = false;
    let strict = crate::common::collector(settings);
    let evidence = strict.collect(&name, 443).await;
    let findings = crate::common::judge(&evidence, time::OffsetDateTime::now_utc());
    assert_eq!(
        transport_ids(&findings),
        vec![FindingId::SiteAddressRefused]
    );
    assert!(evidence.tls.is_none(), "no connection may be attempted");
    assert!(evidence.http.is_none());
    // The same site is fine when allowed (the fleet default).
    let (_, findings) = fleet.findings(&name).await;
    assert_silent(&findings, FindingId::SiteAddressRefused);
}

#[tokio::test]
async fn an_https_page_that_never_answers_is_a_timeout() {
    let name = host("slow");
    // The fleet's Silent behaviour applies to TLS; a page that answers slower than the
    // request timeout is emulated by the site deadline being shorter than the handshake.
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_tls(TlsBehaviour::Silent)]).await;
    let mut settings = settings_for(&fleet.fleet);
    settings.handshake_timeout = std::time::Duration::from_secs(30);
    // Long enough that resolving the name never runs into it on a loaded machine.
    settings.site_deadline = std::time::Duration::from_secs(3);
    let collector = crate::common::collector(settings);
    let evidence = collector.collect(&name, 443).await;
    assert!(evidence.deadline_exceeded);
    let findings = crate::common::judge(&evidence, time::OffsetDateTime::now_utc());
    assert_fires(&findings, FindingId::SiteTimeout);
}
