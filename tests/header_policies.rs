//! Policies as browsers enforce them, through the real collector: CSP and referrer
//! policy in `<meta>`, HSTS per host on a bare-domain redirect, cookie roles.

use crate::common::{TestFleet, assert_fires, assert_silent, host};
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_fleet::{HttpBehaviour, Route, SiteSpec};

fn page(head: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">{head}\
         <title>Trang</title></head><body><h1>Trang</h1></body></html>"
    )
}

fn meta_csp(policy: &str) -> String {
    format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">")
}

fn the(findings: &[Finding], id: FindingId) -> &Finding {
    assert_fires(findings, id);
    findings.iter().find(|f| f.id == id).expect("fires")
}

/// A good site whose home page is `body`, with the headers of `SiteSpec::good` except
/// those named.
fn site(label: &str, body: &str, without: &[&str]) -> SiteSpec {
    without.iter().fold(
        SiteSpec::good(&host(label)).with_home_body(body),
        |spec, name| spec.without_header(name),
    )
}

#[tokio::test]
async fn csp_and_referrer_policy_in_meta_count_as_browsers_count_them() {
    let no_csp = ["Content-Security-Policy"];
    let fleet = TestFleet::start(vec![
        site(
            "meta-csp",
            &page(&meta_csp("default-src 'none'; form-action 'none'")),
            &no_csp,
        ),
        site(
            "meta-csp-late",
            &page(&format!(
                "<script src=\"/a.js\"></script>{}",
                meta_csp("default-src 'none'")
            )),
            &no_csp,
        ),
        site(
            "meta-csp-combined",
            &page(&meta_csp("default-src 'none'")),
            &[],
        )
        .with_header("Content-Security-Policy", "img-src 'none'"),
        site(
            "meta-csp-holes",
            &page(&meta_csp("default-src 'self' 'unsafe-inline'")),
            &[],
        )
        .with_header(
            "Content-Security-Policy",
            "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
        ),
        site(
            "meta-referrer-safe",
            &page("<meta name=\"referrer\" content=\"no-referrer\">"),
            &[],
        )
        .with_header("Referrer-Policy", "unsafe-url"),
        site(
            "meta-referrer-leaky",
            &page("<meta name=\"referrer\" content=\"always\">"),
            &[],
        ),
    ])
    .await;

    let (evidence, f) = fleet.findings(&host("meta-csp")).await;
    assert!(
        evidence
            .https
            .as_ref()
            .and_then(|c| c.final_response())
            .is_some_and(|r| r.header_values("content-security-policy").next().is_none()),
        "no CSP header was sent"
    );
    assert_silent(&f, FindingId::HeaderCspMissing);
    assert_silent(&f, FindingId::HeaderCspUnsafe);
    assert_eq!(the(&f, FindingId::HeaderCspStrict).kinds, ["default_none"]);

    let (_, f) = fleet.findings(&host("meta-csp-late")).await;
    assert_eq!(the(&f, FindingId::HeaderCspMissing).kinds, ["meta_ignored"]);

    let (_, f) = fleet.findings(&host("meta-csp-combined")).await;
    assert_silent(&f, FindingId::HeaderCspUnsafe);
    assert_silent(&f, FindingId::HeaderCspMissing);

    let (_, f) = fleet.findings(&host("meta-csp-holes")).await;
    let holes = the(&f, FindingId::HeaderCspUnsafe);
    assert_eq!(
        holes.detail,
        "inline scripts may run ('unsafe-inline')\n  header: script-src 'self' 'unsafe-inline'\n  \
         meta: default-src 'self' 'unsafe-inline'"
    );
    // frame-ancestors in the header keeps framing refused (a meta cannot set it).
    assert_silent(&f, FindingId::HeaderFrameMissing);

    let (_, f) = fleet.findings(&host("meta-referrer-safe")).await;
    assert_silent(&f, FindingId::HeaderReferrerUnsafe);
    assert!(
        the(&f, FindingId::HeaderReferrerPrivate)
            .detail
            .contains("overrides the header")
    );

    let (_, f) = fleet.findings(&host("meta-referrer-leaky")).await;
    let leak = the(&f, FindingId::HeaderReferrerUnsafe);
    assert!(
        leak.detail.starts_with("effective policy unsafe-url")
            && leak.detail.contains(
                "<meta name=\"referrer\" content=\"always\">, which overrides the header"
            ),
        "{}",
        leak.detail
    );
}

#[tokio::test]
async fn a_bare_domain_must_learn_hsts_before_going_to_www() {
    let apex = host("bare");
    let fixed = host("bare-fixed");
    let www = |h: &str| format!("www.{h}");
    let fleet = TestFleet::start(vec![
        // http://bare/ and https://bare/ both send visitors to https://www.bare/.
        SiteSpec::good(&apex)
            .with_http(HttpBehaviour::Serve)
            .with_route(Route::redirect(
                "/",
                301,
                &format!("https://{}/", www(&apex)),
            )),
        SiteSpec::good(&www(&apex)),
        // http://bare-fixed/ goes to https://bare-fixed/ first, which sends HSTS with its
        // redirect to www.
        SiteSpec::good(&fixed).with_route(
            Route::redirect("/", 301, &format!("https://{}/", www(&fixed)))
                .with_header("Strict-Transport-Security", "max-age=63072000"),
        ),
        SiteSpec::good(&www(&fixed)),
    ])
    .await;

    let (_, f) = fleet.findings(&apex).await;
    let off = the(&f, FindingId::HttpRedirectOffHost);
    assert!(
        off.detail.starts_with(&format!(
            "http://{apex}/ redirects straight to https://www.{apex}/"
        )),
        "{}",
        off.detail
    );
    let hsts = the(&f, FindingId::HeaderHstsMissing);
    assert!(
        hsts.detail.contains(&format!(
            "for {apex} itself, no Strict-Transport-Security header"
        )),
        "{}",
        hsts.detail
    );

    let (_, f) = fleet.findings(&fixed).await;
    assert_silent(&f, FindingId::HttpRedirectOffHost);
    assert_silent(&f, FindingId::HeaderHstsMissing);
    assert_silent(&f, FindingId::HttpNoHttpsRedirect);
}

#[tokio::test]
async fn cookie_roles_come_from_evidence_not_substrings() {
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&host("affinity")).with_route(
            Route::page("/", &page(""))
                .with_header(
                    "Set-Cookie",
                    "lb-session-affinity=8f3c2a91d4e5b6a7c8d9e0f1; Path=/; Secure; SameSite=Lax",
                )
                .with_added_header(
                    "Set-Cookie",
                    "PHPSESSID=k2j3h4g5f6d7s8a9q0w1e2r3t4; Path=/; Secure; HttpOnly; SameSite=Lax",
                ),
        ),
        SiteSpec::good(&host("scriptable-session")).with_route(
            Route::page("/", &page("")).with_header(
                "Set-Cookie",
                "app_session=8f3c2a91d4e5b6a7c8d9e0f1; Path=/; Secure; SameSite=Lax",
            ),
        ),
    ])
    .await;

    let (_, f) = fleet.findings(&host("affinity")).await;
    assert_silent(&f, FindingId::CookieNoHttponly);
    assert!(
        the(&f, FindingId::CookieHardened)
            .detail
            .contains("lb-session-affinity (infrastructure: load-balancer affinity)"),
    );

    let (_, f) = fleet.findings(&host("scriptable-session")).await;
    assert_eq!(
        the(&f, FindingId::CookieNoHttponly).detail,
        "session cookies without HttpOnly: app_session (session: session-like name and an id-like value)"
    );
}
