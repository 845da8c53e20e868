//! `/.well-known/security.txt` through the real collector: one request over the verified
//! connection, redirects followed on the host only (another host or plain http recorded,
//! never asked), the body capped, nothing asked of a site without HTTPS.

use crate::common::{TestFleet, assert_fires, host};
use trustlabel_core::evidence::{ChainEnd, SECURITY_TXT_CAP, SECURITY_TXT_PATH};
use trustlabel_core::finding::{Category, FindingId};
use trustlabel_fleet::{
    BodyStream, HttpBehaviour, Route, SiteSpec, TlsBehaviour, security_txt_body, security_txt_route,
};

fn asked(fleet: &TestFleet, name: &str, path: &str) -> usize {
    let site = fleet.fleet.site(name).expect("site");
    site.requests
        .requests()
        .iter()
        .filter(|r| r.target == path)
        .count()
}

#[tokio::test]
async fn redirects_are_followed_on_the_host_only() {
    let moved = host("moved-sectxt");
    let offsite = host("offsite-sectxt");
    let plain = host("plain-sectxt");
    let elsewhere = host("elsewhere-sectxt");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&moved)
            .with_route(Route::redirect(SECURITY_TXT_PATH, 301, "/security.txt"))
            .with_route(Route {
                path: "/security.txt".into(),
                ..security_txt_route(
                    &security_txt_body(&moved)
                        .replace("/.well-known/security.txt", "/security.txt"),
                )
            }),
        SiteSpec::good(&offsite).with_route(Route::redirect(
            SECURITY_TXT_PATH,
            302,
            &format!("https://{elsewhere}{SECURITY_TXT_PATH}"),
        )),
        SiteSpec::good(&plain).with_route(Route::redirect(
            SECURITY_TXT_PATH,
            301,
            &format!("http://{plain}{SECURITY_TXT_PATH}"),
        )),
        SiteSpec::good(&elsewhere),
    ])
    .await;

    let (evidence, findings) = fleet.findings(&moved).await;
    let chain = evidence.security_txt.expect("fetched");
    assert_eq!(chain.hops.len(), 2);
    assert_eq!(chain.end, ChainEnd::Final);
    assert_fires(&findings, FindingId::SecurityTxtPublished);
    assert_eq!(asked(&fleet, &moved, "/security.txt"), 1);

    let (evidence, findings) = fleet.findings(&offsite).await;
    let chain = evidence.security_txt.expect("fetched");
    assert_eq!(chain.hops.len(), 1);
    assert_eq!(
        chain.end,
        ChainEnd::Offsite {
            location: format!("https://{elsewhere}{SECURITY_TXT_PATH}")
        },
        "recorded, not followed"
    );
    assert_fires(&findings, FindingId::SecurityTxtMissing);
    assert_eq!(asked(&fleet, &elsewhere, SECURITY_TXT_PATH), 0);

    let (evidence, findings) = fleet.findings(&plain).await;
    let chain = evidence.security_txt.expect("fetched");
    assert!(
        matches!(chain.end, ChainEnd::Offsite { .. }),
        "{:?}",
        chain.end
    );
    assert_fires(&findings, FindingId::SecurityTxtInvalid);
    let site = fleet.fleet.site(&plain).expect("site");
    assert!(
        site.requests
            .requests()
            .iter()
            .filter(|r| r.target == SECURITY_TXT_PATH)
            .all(|r| r.scheme == "https"),
        "the http:// location is never asked"
    );
}

#[tokio::test]
async fn a_huge_file_is_read_up_to_the_cap_and_judged() {
    let name = host("huge-sectxt");
    let mut route = security_txt_route("# padding of a file far larger than any real one\n");
    route.stream = BodyStream::Repeat {
        total: 50 * 1024 * 1024,
    };
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_route(route)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    let chain = evidence.security_txt.expect("fetched");
    let body = &chain.final_response().expect("answered").body;
    assert!(body.truncated);
    assert_eq!(body.bytes.len(), SECURITY_TXT_CAP);
    let invalid = findings
        .iter()
        .find(|f| f.id == FindingId::SecurityTxtInvalid)
        .expect("no Contact in what was read");
    assert!(
        invalid.detail.contains("only the first 32 KiB were read"),
        "{}",
        invalid.detail
    );
    assert!(!evidence.deadline_exceeded);
}

#[tokio::test]
async fn a_site_without_https_is_not_asked() {
    let name = host("no-https-sectxt");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name)
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Serve),
    ])
    .await;
    let (evidence, findings) = fleet.findings(&name).await;
    assert_eq!(evidence.security_txt, None);
    assert_eq!(asked(&fleet, &name, SECURITY_TXT_PATH), 0);
    assert!(
        findings
            .iter()
            .all(|f| f.id.category() != Category::Disclosure),
        "unknown, not missing: {findings:?}"
    );
}
