//! What citizens and owners meet in real Chromium: Vietnamese stays the language unless
//! they choose English, dates are Vietnam's, a phone shows status and grade without
//! sideways scrolling, and the dashboard reads as counts rather than dates.

use crate::common::webapp::{WebApp, failing, good};
use crate::common::webdriver::Browser;
use serde_json::json;
use time::OffsetDateTime;

async fn lang(browser: &Browser) -> String {
    browser.find("html").await.attribute("lang").await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_that_prefers_english_still_starts_in_vietnamese_and_the_switch_works_both_ways()
{
    let app = WebApp::start().await;
    let browser = Browser::start_in("en-US,en").await;
    browser.goto(&app.url("/")).await;
    assert_eq!(lang(&browser).await, "vi", "Vietnamese first");
    browser.find("a.lang").await.click().await;
    browser
        .wait_for_text("Websites", std::time::Duration::from_secs(15))
        .await;
    assert_eq!(lang(&browser).await, "en");
    // English follows the reader through the links.
    browser
        .find(&format!("a[href^='/site/{}']", good()))
        .await
        .click()
        .await;
    browser
        .wait_for_text("Label valid until", std::time::Duration::from_secs(15))
        .await;
    assert_eq!(lang(&browser).await, "en");
    browser.find("a.lang").await.click().await;
    browser
        .wait_for_text("Nhãn có hiệu lực đến", std::time::Duration::from_secs(15))
        .await;
    assert_eq!(lang(&browser).await, "vi", "and back to Vietnamese");
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_the_list_shows_status_and_grade_without_sideways_scrolling() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;
    browser.set_window_size(390, 844).await;
    for path in ["/", "/dashboard", &format!("/site/{}", failing())] {
        browser.goto(&app.url(path)).await;
        let fits = browser
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await;
        assert_eq!(fits, json!(true), "{path} scrolls sideways at 390 px");
    }
    browser.goto(&app.url("/")).await;
    let pills = browser
        .execute(
            "return [...document.querySelectorAll('main table .pill')].map(p => {
                 const r = p.getBoundingClientRect();
                 return r.right <= window.innerWidth && r.width > 0 && r.left >= 0;
             });",
            vec![],
        )
        .await;
    let pills = pills.as_array().unwrap();
    assert!(!pills.is_empty());
    assert!(
        pills.iter().all(|p| p == &json!(true)),
        "every status in view: {pills:?}"
    );
    let grades = browser
        .execute(
            "return [...document.querySelectorAll('main table td[data-label]')]
                 .filter(td => td.getAttribute('data-label') === 'Xếp hạng')
                 .map(td => td.getBoundingClientRect().right <= window.innerWidth);",
            vec![],
        )
        .await;
    assert!(
        grades
            .as_array()
            .is_some_and(|g| !g.is_empty() && g.iter().all(|v| v == &json!(true))),
        "every grade in view: {grades}"
    );
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn owners_read_vietnam_time_and_evidence_keeps_a_readable_width_on_a_phone() {
    let app = WebApp::start().await;
    let token = app.owner_token(&failing()).await;
    let now = OffsetDateTime::now_utc();
    let browser = Browser::start().await;
    browser.set_window_size(390, 844).await;
    browser.goto(&app.url(&format!("/owner/{token}"))).await;
    let text = browser.find("main").await.text().await;
    assert!(text.contains("(GMT+7)"), "times say their zone: {text}");
    assert!(!text.contains(" UTC"), "{text}");
    let today = now.to_offset(time::macros::offset!(+7)).date();
    let vietnam_day = format!(
        "{:02}/{:02}/{}",
        today.day(),
        u8::from(today.month()),
        today.year()
    );
    assert!(
        text.contains(&vietnam_day),
        "Vietnam's date {vietnam_day}: {text}"
    );
    let widths = browser
        .execute(
            "return [...document.querySelectorAll('code.evidence')]
                 .map(c => c.getBoundingClientRect().width);",
            vec![],
        )
        .await;
    let widths: Vec<f64> = widths
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_f64())
        .collect();
    assert!(!widths.is_empty());
    assert!(
        widths.iter().all(|w| *w > 200.0),
        "evidence is not squeezed to a few characters a line: {widths:?}"
    );
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_reads_as_counts_and_its_chart_text_stays_legible_on_a_phone() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;
    browser.set_window_size(390, 844).await;
    browser.goto(&app.url("/dashboard")).await;
    let text = browser.find("main").await.text().await;
    assert!(text.contains(" trên "), "counts as 'n trên m': {text}");
    let slashed = regex_like_date(&text);
    assert!(
        slashed.is_none(),
        "no count that reads like a date: {slashed:?}"
    );
    let sizes = browser
        .execute(
            "return [...document.querySelectorAll('svg.chart text')]
                 .map(t => t.getBoundingClientRect().height);",
            vec![],
        )
        .await;
    let sizes: Vec<f64> = sizes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_f64())
        .collect();
    assert!(!sizes.is_empty());
    assert!(
        sizes.iter().all(|h| *h >= 10.0),
        "chart labels at least 10 px tall on a phone: {sizes:?}"
    );
    let dots = browser
        .execute(
            "return document.querySelectorAll('svg.chart circle').length;",
            vec![],
        )
        .await;
    assert!(
        dots.as_u64().unwrap_or(0) >= 2,
        "the day's points are drawn"
    );
    browser.close().await;
    app.stop().await;
}

/// A `n/n/n` group of small numbers (what "4/23/23" looked like), if the text has one.
fn regex_like_date(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| {
            let parts: Vec<&str> = w.split('/').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_string)
}

/// A citizen's walk: from the home page to the province league table, to their
/// province's sites, to one site's change history, by clicking links only.
#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_walks_from_the_home_page_to_a_province_table_to_a_site_history() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;
    let wait = std::time::Duration::from_secs(15);
    browser.goto(&app.url("/")).await;
    browser.find("nav a[href^='/league']").await.click().await;
    browser.wait_for_text("Xếp hạng", wait).await;
    browser
        .find("a[href^='/league?by=province']")
        .await
        .click()
        .await;
    let table = browser.wait_for_text("Hà Nội", wait).await;
    assert!(
        table.contains("Đà Nẵng"),
        "every province with sites is ranked"
    );
    assert!(browser.url().await.contains("by=province"));
    // Hà Nội's row leads to the list of its sites.
    browser
        .find("a[href*='province=H%C3%A0+N%E1%BB%99i']")
        .await
        .click()
        .await;
    let list = browser.wait_for_text(&good(), wait).await;
    assert!(!list.contains(&failing()), "only Hà Nội's sites: {list}");
    browser
        .find(&format!("a[href^='/site/{}']", good()))
        .await
        .click()
        .await;
    let page = browser.wait_for_text("Lịch sử", wait).await;
    assert!(
        page.contains("Chưa đánh giá") && page.contains("Đã gắn nhãn"),
        "the history shows the change from not assessed to labelled: {page}"
    );
    browser.close().await;
    app.stop().await;
}
