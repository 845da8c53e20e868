//! Real Chromium (headless, through chromedriver) against our server over TLS on
//! loopback: search and filter, a site page, the language switch, the badge link.
//! Fails, never skips, when Chromium is missing.

use crate::common::webapp::{NOT_ASSESSED, WebApp, failing, good};
use crate::common::webdriver::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_searches_filters_and_opens_a_site_page() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;

    browser.goto(&app.url("/")).await;
    assert_eq!(browser.find("html").await.attribute("lang").await, "vi");
    let all = browser.find("main").await.text().await;
    assert!(all.contains(&good()) && all.contains(&failing()) && all.contains(NOT_ASSESSED));

    // Search without tone marks.
    browser.find("#q").await.type_text("bo tai chinh").await;
    browser.find("form.filters button").await.click().await;
    let found = browser
        .wait_for_text("1 kết quả", std::time::Duration::from_secs(15))
        .await;
    assert!(
        found.contains(&good()) && !found.contains(&failing()),
        "{found}"
    );

    // Filter by status.
    browser.goto(&app.url("/")).await;
    browser
        .find("#status option[value=not_labelled]")
        .await
        .click()
        .await;
    browser.find("form.filters button").await.click().await;
    let filtered = browser
        .wait_for_text("1 kết quả", std::time::Duration::from_secs(15))
        .await;
    assert!(
        filtered.contains(&failing()) && !filtered.contains(&good()),
        "{filtered}"
    );

    // The not-yet-assessed view.
    browser.goto(&app.url("/?view=not_assessed")).await;
    let view = browser.find("main").await.text().await;
    assert!(view.contains(NOT_ASSESSED) && !view.contains(&good()));

    // A site page: status and grade, never the weakness itself.
    browser.goto(&app.url("/")).await;
    browser
        .find(&format!("a[href='/site/{}']", failing()))
        .await
        .click()
        .await;
    let page = browser
        .wait_for_text("Không đạt", std::time::Duration::from_secs(15))
        .await;
    assert!(
        browser
            .url()
            .await
            .ends_with(&format!("/site/{}", failing()))
    );
    assert!(
        !page.contains("header.hsts") && !page.contains("HSTS"),
        "{page}"
    );

    // Switch to English and back.
    browser.find("a.lang").await.click().await;
    browser
        .wait_for_text("Not labelled", std::time::Duration::from_secs(15))
        .await;
    assert_eq!(browser.find("html").await.attribute("lang").await, "en");

    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_badge_links_to_the_verification_page() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/badge/{}.svg", good())))
        .await;
    let source = browser.source().await;
    assert!(source.contains("Đã gắn nhãn"), "{source}");
    browser.find("a").await.click().await;
    browser
        .wait_for_text("Đã gắn nhãn", std::time::Duration::from_secs(15))
        .await;
    assert_eq!(browser.url().await, app.url(&format!("/site/{}", good())));
    assert!(browser.find("main").await.text().await.contains("A+"));
    browser.close().await;
    app.stop().await;
}
