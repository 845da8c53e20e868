//! Page findings end to end: fixture pages served by the local fleet, collected by the
//! real collector, judged by `run_all` with the built-in rule files.

mod common;

use common::{TestFleet, assert_fires, assert_silent, host};
use trustlabel::finding::{FindingId, Severity};
use trustlabel::fleet::{HttpBehaviour, Route, SiteSpec};

const GOV_HOME: &str = include_str!("fixtures/pages/gov_home.html");
const SPAM_HIDDEN: &str = include_str!("fixtures/pages/spam_hidden.html");
const NEWS_GAMBLING: &str = include_str!("fixtures/pages/news_gambling.html");
const SEARCH_ONLY: &str = include_str!("fixtures/pages/search_only.html");

fn site(name: &str, body: &str) -> SiteSpec {
    SiteSpec::good(&host(name)).with_route(Route::page("/", body))
}

#[tokio::test]
async fn fixture_pages_give_their_findings_through_the_real_collector() {
    let fleet = TestFleet::start(vec![
        site("portal", GOV_HOME),
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
