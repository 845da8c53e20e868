//! Header and cookie findings through the real collector (duplicates, the CORS probe).

use crate::common::{TestFleet, host};
use trustlabel_core::evidence::CORS_PROBE_ORIGIN;
use trustlabel_core::finding::{Category, FindingId};
use trustlabel_fleet::{Route, SiteSpec};

fn header_ids(findings: &[trustlabel_core::finding::Finding]) -> Vec<FindingId> {
    findings
        .iter()
        .filter(|f| f.id.category() == Category::Headers && !f.id.is_strength())
        .map(|f| f.id)
        .collect()
}

#[tokio::test]
async fn strict_headers_raise_nothing_and_missing_ones_each_raise_their_finding() {
    let good = host("good");
    let bare = host("bare");
    let mut bare_spec = SiteSpec::good(&bare);
    for name in [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Permissions-Policy",
        "Referrer-Policy",
    ] {
        bare_spec = bare_spec.without_header(name);
    }
    let fleet = TestFleet::start(vec![SiteSpec::good(&good), bare_spec]).await;
    let (_, findings) = fleet.findings(&good).await;
    assert_eq!(header_ids(&findings), vec![]);
    let (_, findings) = fleet.findings(&bare).await;
    assert_eq!(
        header_ids(&findings),
        vec![
            FindingId::HeaderHstsMissing,
            FindingId::HeaderCspMissing,
            FindingId::HeaderFrameMissing,
            FindingId::HeaderXctoMissing,
            FindingId::HeaderPermissionsMissing,
        ],
        "a missing Referrer-Policy falls back to a safe browser default"
    );
}

#[tokio::test]
async fn weak_values_duplicates_and_leaks() {
    let name = host("weak");
    let route = Route::page("/", "<p>xin chào</p>")
        .with_header("Content-Type", "text/html; charset=utf-8")
        .with_header("Strict-Transport-Security", "max-age=31536000")
        .with_added_header("Strict-Transport-Security", "max-age=300")
        .with_header(
            "Content-Security-Policy",
            "default-src * 'unsafe-inline' 'unsafe-eval'",
        )
        .with_header("X-Frame-Options", "ALLOW-FROM https://a.example")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header("Referrer-Policy", "unsafe-url")
        .with_header("Permissions-Policy", "camera=()")
        .with_header("Server", "Apache/2.4.41 (Ubuntu)")
        .with_header("Set-Cookie", "PHPSESSID=secret; Path=/");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_route(route)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    let page = evidence
        .https
        .as_ref()
        .and_then(|c| c.final_response())
        .expect("page");
    assert_eq!(
        page.header_values("strict-transport-security").count(),
        2,
        "duplicates are kept as sent"
    );
    assert_eq!(
        header_ids(&findings),
        vec![
            FindingId::HeaderHstsMissing,
            FindingId::HeaderCspUnsafe,
            FindingId::HeaderFrameMissing,
            FindingId::HeaderReferrerUnsafe,
            FindingId::HeaderVersionLeak,
            FindingId::CookieInsecure,
            FindingId::CookieNoHttponly,
            FindingId::CookieNoSamesite,
        ]
    );
    let leak = findings
        .iter()
        .find(|f| f.id == FindingId::HeaderVersionLeak)
        .unwrap();
    assert!(leak.detail.contains("Apache/2.4.41"), "{}", leak.detail);
    let cookie = findings
        .iter()
        .find(|f| f.id == FindingId::CookieInsecure)
        .unwrap();
    assert!(
        !cookie.detail.contains("secret"),
        "cookie values must never be reported"
    );
}

#[tokio::test]
async fn a_cors_policy_reflecting_the_probe_origin_with_credentials_is_found() {
    let name = host("cors");
    let route = Route::page("/", "ok")
        .with_header("Access-Control-Allow-Origin", CORS_PROBE_ORIGIN)
        .with_header("Access-Control-Allow-Credentials", "true");
    let good_route = Route::page("/", "ok");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name).with_route(route),
        SiteSpec::good(&host("nocors")).with_route(good_route),
    ])
    .await;
    let (_, findings) = fleet.findings(&name).await;
    assert!(header_ids(&findings).contains(&FindingId::CorsWildcardCredentials));
    let (_, findings) = fleet.findings(&host("nocors")).await;
    assert!(!header_ids(&findings).contains(&FindingId::CorsWildcardCredentials));
}
