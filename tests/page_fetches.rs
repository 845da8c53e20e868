//! The page fetches beyond the home page, at the evidence level: the linked privacy
//! notice, and the cloaking views (a site that shows gambling spam only to Googlebot and
//! sends search visitors to a casino). Judging them is the page analysis's job; here the
//! evidence must capture the difference.

use crate::common::{TestFleet, host};
use trustlabel_collect::{GOOGLEBOT_USER_AGENT, SEARCH_VISITOR_USER_AGENT};
use trustlabel_core::evidence::{ChainEnd, CrawlerKind, CrawlerView, Evidence, FetchChain};
use trustlabel_fleet::{HttpBehaviour, Route, SiteSpec, TlsBehaviour};

fn body(chain: &FetchChain) -> String {
    let response = chain.final_response().expect("a final response");
    String::from_utf8_lossy(&response.body.bytes).into_owned()
}

fn view(evidence: &Evidence, kind: CrawlerKind) -> &CrawlerView {
    evidence
        .crawler_views
        .iter()
        .find(|v| v.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} view in {:#?}", evidence.crawler_views))
}

const CLEAN: &str = "<html><body><h1>Ủy ban nhân dân tỉnh</h1></body></html>";
const SPAM: &str = "<html><body><h1>Ủy ban nhân dân tỉnh</h1>\
    <div style=\"display:none\">nhà cái uy tín, cá cược bóng đá, nổ hũ đổi thưởng</div></body></html>";

#[tokio::test]
async fn spam_shown_only_to_googlebot_and_a_search_redirect_are_captured() {
    let name = host("cloaked");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name)
            .with_route(Route::page("/", CLEAN))
            .with_route(Route::page("/", SPAM).when_header("User-Agent", "Googlebot"))
            .with_route(
                Route::redirect("/", 302, "https://nha-cai-so-1.example/")
                    .when_header("Referer", "google."),
            ),
    ])
    .await;
    let evidence = fleet.evidence(&name).await;

    let home = body(evidence.https.as_ref().unwrap());
    assert!(!home.contains("nhà cái"), "the browser view is clean");
    let googlebot = view(&evidence, CrawlerKind::Googlebot);
    assert_eq!(googlebot.user_agent, GOOGLEBOT_USER_AGENT);
    assert!(body(&googlebot.chain).contains("nhà cái uy tín"));
    let visitor = view(&evidence, CrawlerKind::SearchReferrer);
    assert_eq!(visitor.user_agent, SEARCH_VISITOR_USER_AGENT);
    let referer = format!("https://www.google.com/search?q={name}");
    assert_eq!(visitor.referer.as_deref(), Some(referer.as_str()));
    assert_eq!(
        visitor.chain.end,
        ChainEnd::Offsite {
            location: "https://nha-cai-so-1.example/".into()
        },
        "recorded, not followed"
    );

    // What the site saw: the same two requests, carrying what the evidence says.
    let seen = fleet.fleet.site(&name).unwrap().requests.requests();
    let googlebot_requests: Vec<_> = seen
        .iter()
        .filter(|r| r.user_agent.as_deref() == Some(GOOGLEBOT_USER_AGENT))
        .collect();
    assert_eq!(googlebot_requests.len(), 1);
    assert_eq!(googlebot_requests[0].referer, None);
    let referred: Vec<_> = seen.iter().filter(|r| r.referer.is_some()).collect();
    assert_eq!(referred.len(), 1);
    assert_eq!(referred[0].referer.as_deref(), Some(referer.as_str()));
    assert_eq!(referred[0].scheme, "https");
}

#[tokio::test]
async fn an_honest_site_shows_every_view_the_same_page() {
    let name = host("honest");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name)]).await;
    let evidence = fleet.evidence(&name).await;
    let home = body(evidence.https.as_ref().unwrap());
    assert_eq!(evidence.crawler_views.len(), 2);
    for v in &evidence.crawler_views {
        assert_eq!(body(&v.chain), home, "{:?}", v.kind);
    }
    assert_eq!(evidence.privacy_page, None, "no privacy link, no fetch");
}

#[tokio::test]
async fn the_linked_privacy_notice_is_fetched_but_never_off_site() {
    let linked = host("linked");
    let offsite = host("offsite-notice");
    let notice = "<html><body><h1>Chính sách bảo mật</h1><p>Mục đích xử lý dữ liệu cá nhân…</p></body></html>";
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&linked)
            .with_route(Route::page(
                "/",
                "<html><body><form><input name=\"cccd\"></form>\
                 <footer><a href=\"/gioi-thieu\">Giới thiệu</a> \
                 <a href=\"/chinh-sach-bao-mat\">Chính sách bảo mật</a></footer></body></html>",
            ))
            .with_route(Route::redirect(
                "/chinh-sach-bao-mat",
                301,
                "/chinh-sach-bao-mat/",
            ))
            .with_route(Route::page("/chinh-sach-bao-mat/", notice)),
        SiteSpec::good(&offsite).with_route(Route::page(
            "/",
            "<a href=\"https://policies.example.com/privacy\">Privacy</a>",
        )),
    ])
    .await;

    let evidence = fleet.evidence(&linked).await;
    let page = evidence.privacy_page.as_ref().expect("fetched");
    assert_eq!(page.hops.len(), 2, "same-site redirect followed: {page:#?}");
    assert!(page.hops[1].url.ends_with("/chinh-sach-bao-mat/"));
    assert!(body(page).contains("Mục đích xử lý"));

    let evidence = fleet.evidence(&offsite).await;
    assert_eq!(evidence.privacy_page, None);
}

#[tokio::test]
async fn a_site_without_https_is_viewed_over_http() {
    let name = host("http-only");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name)
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Serve)
            .with_route(Route::page("/", "<a href=\"/privacy\">Privacy policy</a>"))
            .with_route(Route::page("/privacy", "notice"))
            .with_route(Route::page("/", SPAM).when_header("User-Agent", "Googlebot")),
    ])
    .await;
    let evidence = fleet.evidence(&name).await;
    let googlebot = view(&evidence, CrawlerKind::Googlebot);
    assert!(googlebot.chain.hops[0].url.starts_with("http://"));
    assert!(body(&googlebot.chain).contains("nổ hũ"));
    assert_eq!(body(evidence.privacy_page.as_ref().unwrap()), "notice");
    let seen = fleet.fleet.site(&name).unwrap().requests.requests();
    assert!(seen.iter().all(|r| r.scheme == "http"));
}
