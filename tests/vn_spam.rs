//! Gambling spam judged by vocabulary family and page structure, through the real
//! collector: doorway pages, injected footers, glued inline markup and hidden blocks
//! fire; news and police articles that report on gambling, quoting brands and slogans,
//! do not (issue 11).

use crate::common::{TestFleet, assert_fires, assert_silent, host};
use trustlabel_core::finding::{FindingId, Severity};
use trustlabel_fleet::{Route, SiteSpec};

const INJECTED: &[(&str, &str)] = &[
    (
        "doorway",
        include_str!("fixtures/pages/vn_spam_doorway.html"),
    ),
    ("blog", include_str!("fixtures/pages/vn_spam_blog.html")),
    ("footer", include_str!("fixtures/pages/vn_spam_footer.html")),
    ("glued", include_str!("fixtures/pages/vn_spam_glued.html")),
    (
        "hidden-in-news",
        include_str!("fixtures/pages/vn_spam_hidden_news.html"),
    ),
];

const NEWS: &[(&str, &str)] = &[
    (
        "quotes-ads",
        include_str!("fixtures/pages/vn_news_quotes_ads.html"),
    ),
    (
        "hacked-sites",
        include_str!("fixtures/pages/vn_news_hacked_sites.html"),
    ),
    ("police", include_str!("fixtures/pages/vn_news_police.html")),
    ("portal", include_str!("fixtures/pages/vn_news_portal.html")),
    (
        "warning",
        include_str!("fixtures/pages/vn_news_warning_page.html"),
    ),
    (
        "unquoted-ads",
        include_str!("fixtures/pages/vn_news_unquoted_ads.html"),
    ),
    (
        "hidden-tabs",
        include_str!("fixtures/pages/vn_news_hidden_tabs.html"),
    ),
    (
        "lottery",
        include_str!("fixtures/pages/vn_lottery_company.html"),
    ),
];

fn site(name: &str, body: &str) -> SiteSpec {
    SiteSpec::good(&host(name)).with_route(Route::page("/", body))
}

#[tokio::test]
async fn injected_and_doorway_spam_fires_and_news_about_gambling_does_not() {
    let fleet = TestFleet::start(
        INJECTED
            .iter()
            .chain(NEWS)
            .map(|(name, body)| site(name, body))
            .collect(),
    )
    .await;
    for (name, _) in INJECTED {
        let (_, findings) = fleet.findings(&host(name)).await;
        assert_fires(&findings, FindingId::CompromiseSpamInjection);
        if *name == "hidden-in-news" {
            let spam = findings
                .iter()
                .find(|f| f.id == FindingId::CompromiseSpamInjection)
                .map(|f| f.severity);
            assert_eq!(spam, Some(Severity::Critical), "hidden in a news article");
        }
    }
    for (name, _) in NEWS {
        let (_, findings) = fleet.findings(&host(name)).await;
        assert_silent(&findings, FindingId::CompromiseSpamInjection);
    }
}

#[tokio::test]
async fn the_same_words_fire_or_not_by_where_they_stand() {
    // The footer link farm of `vn_spam_footer.html` moved into a news article body: the
    // article reports, its words are quotes. Moved into the footer of the news page,
    // they are spam again.
    let farm = "<p>Quảng cáo cờ bạc được gắn vào chân trang như: trực tiếp bóng đá, nhà cái uy tín, \
                game bài đổi thưởng, soi kèo nhà cái, tài xỉu online, soi cầu xsmb.</p>";
    let news = include_str!("fixtures/pages/vn_news_hacked_sites.html");
    let in_article = news.replace(
        "<p class=\"author\">",
        &format!("{farm}<p class=\"author\">"),
    );
    let footer = "<footer><a href=\"https://nhacai-top.example/\">nhà cái uy tín</a> | \
                  <a href=\"https://soikeo-24h.example/\">soi kèo nhà cái</a> | \
                  <a href=\"https://taixiu-online.example/\">tài xỉu online</a></footer>";
    let in_footer = news.replace("</body>", &format!("{footer}</body>"));
    let fleet = TestFleet::start(vec![
        site("in-article", &in_article),
        site("in-footer", &in_footer),
    ])
    .await;
    let (_, findings) = fleet.findings(&host("in-article")).await;
    assert_silent(&findings, FindingId::CompromiseSpamInjection);
    let (_, findings) = fleet.findings(&host("in-footer")).await;
    assert_fires(&findings, FindingId::CompromiseSpamInjection);
}
