//! Page findings end to end: fixture pages served by the local fleet, collected by the
//! real collector, judged by `run_all` with the built-in rule files.

use crate::common::{TestFleet, assert_fires, assert_silent, host};
use trustlabel_core::finding::{FindingId, Severity};
use trustlabel_fleet::{HttpBehaviour, Route, SiteSpec};

const GOV_HOME: &str = include_str!("fixtures/pages/gov_home.html");
const SPAM_HIDDEN: &str = include_str!("fixtures/pages/spam_hidden.html");
const NEWS_GAMBLING: &str = include_str!("fixtures/pages/news_gambling.html");
const SEARCH_ONLY: &str = include_str!("fixtures/pages/search_only.html");
const NOTICE_COMPLETE: &str = include_str!("fixtures/pages/notice_complete.html");
const NOTICE_INCOMPLETE: &str = include_str!("fixtures/pages/notice_incomplete.html");
const SPAM_VISIBLE: &str = include_str!("fixtures/pages/spam_visible_unaccented.html");
/// Where `gov_home.html` links its privacy notice.
const NOTICE_PATH: &str = "/chinh-sach-bao-mat/";

fn site(name: &str, body: &str) -> SiteSpec {
    SiteSpec::good(&host(name)).with_route(Route::page("/", body))
}

#[tokio::test]
async fn fixture_pages_give_their_findings_through_the_real_collector() {
    let fleet = TestFleet::start(vec![
        site("portal", GOV_HOME).with_route(Route::page(NOTICE_PATH, NOTICE_COMPLETE)),
        site("hacked", SPAM_HIDDEN),
        site("news", NEWS_GAMBLING),
        site("library", SEARCH_ONLY).with_http(HttpBehaviour::Serve),
        site("plain", GOV_HOME).with_http(HttpBehaviour::Serve),
    ])
    .await;

    let (_, portal) = fleet.findings(&host("portal")).await;
    for id in [
        FindingId::PrivacyCollectsPersonalData,
        FindingId::ContentMixedPassive,
        FindingId::ContentSriMissing,
        FindingId::ContentTrackers,
        FindingId::SoftwareOutdated,
        FindingId::SoftwareVulnerableJs,
    ] {
        assert_fires(&portal, id);
    }
    for id in [
        FindingId::PrivacyNoticeMissing,
        FindingId::PrivacyFormOverHttp,
        FindingId::PrivacyFormInsecureAction,
        FindingId::ContentMixedActive,
        FindingId::CompromiseSpamInjection,
    ] {
        assert_silent(&portal, id);
    }

    let (_, hacked) = fleet.findings(&host("hacked")).await;
    assert_fires(&hacked, FindingId::CompromiseSpamInjection);
    let spam = hacked
        .iter()
        .find(|f| f.id == FindingId::CompromiseSpamInjection)
        .map(|f| f.severity);
    assert_eq!(spam, Some(Severity::Critical));

    let (_, news) = fleet.findings(&host("news")).await;
    assert_silent(&news, FindingId::CompromiseSpamInjection);

    let (_, plain) = fleet.findings(&host("plain")).await;
    assert_fires(&plain, FindingId::PrivacyFormOverHttp);
    let (_, library) = fleet.findings(&host("library")).await;
    assert_silent(&library, FindingId::PrivacyFormOverHttp);
    assert_silent(&library, FindingId::PrivacyCollectsPersonalData);
}

#[tokio::test]
async fn the_linked_notice_is_fetched_and_judged() {
    let fleet = TestFleet::start(vec![
        site("complete", GOV_HOME).with_route(Route::page(NOTICE_PATH, NOTICE_COMPLETE)),
        site("incomplete", GOV_HOME).with_route(Route::page(NOTICE_PATH, NOTICE_INCOMPLETE)),
        site("dead-link", GOV_HOME),
    ])
    .await;
    let (evidence, complete) = fleet.findings(&host("complete")).await;
    assert!(evidence.privacy_page.is_some(), "the notice was fetched");
    assert_silent(&complete, FindingId::PrivacyNoticeIncomplete);
    assert_silent(&complete, FindingId::PrivacyNoticeMissing);
    let disclosed = complete
        .iter()
        .find(|f| f.id == FindingId::ContentTrackers)
        .expect("trackers");
    assert!(
        disclosed.detail.contains("named in the privacy notice"),
        "{}",
        disclosed.detail
    );

    let (_, incomplete) = fleet.findings(&host("incomplete")).await;
    assert_fires(&incomplete, FindingId::PrivacyNoticeIncomplete);
    assert_silent(&incomplete, FindingId::PrivacyNoticeMissing);

    let (_, dead) = fleet.findings(&host("dead-link")).await;
    assert_fires(&dead, FindingId::PrivacyNoticeMissing);
}

#[tokio::test]
async fn spam_shown_only_to_googlebot_is_cloaking() {
    let cloaked = SiteSpec::good(&host("cloaked"))
        .with_route(Route::page("/", GOV_HOME))
        .with_route(Route::page("/", SPAM_VISIBLE).when_header("user-agent", "Googlebot"));
    let fleet = TestFleet::start(vec![cloaked, site("honest", GOV_HOME)]).await;
    let (_, findings) = fleet.findings(&host("cloaked")).await;
    assert_fires(&findings, FindingId::CompromiseCloaking);
    assert_silent(&findings, FindingId::CompromiseSpamInjection);
    let (_, honest) = fleet.findings(&host("honest")).await;
    assert_silent(&honest, FindingId::CompromiseCloaking);
}
