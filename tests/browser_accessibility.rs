//! Accessibility of every page people read, checked by axe-core (the npm package, run
//! inside real headless Chromium) at desktop width and at a phone's 390 CSS pixels:
//! public pages, the owner page and the staff pages, in Vietnamese and English. Zero
//! violations of any rule axe runs by default (WCAG 2.0/2.1 A and AA, and its best
//! practices). Also: every control is reached with the keyboard and shows its focus.
//!
//! axe-core comes from the npm registry (`.ci/run` downloads it to
//! `target/ci-tools/axe.min.js`, or set `TRUSTLABEL_AXE_JS`); without it the test fails.

use crate::common::webapp::{NOT_ASSESSED, WebApp, failing, good};
use crate::common::webdriver::Browser;
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;

const PASSWORD: &str = "một mật khẩu đủ dài";

fn axe_source() -> String {
    let path = std::env::var("TRUSTLABEL_AXE_JS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/ci-tools/axe.min.js").to_string()
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed at {path} ({e}): run .ci/run, or download \
             https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz and extract \
             package/axe.min.js there"
        )
    })
}

/// axe's violations on the current page, one line each, empty when there are none.
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.execute(axe, vec![]).await;
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)
               }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await;
    result
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v: &Value| {
            format!(
                "{} ({}): {} — {}",
                v["id"].as_str().unwrap_or(""),
                v["impact"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_public_owner_and_staff_page_has_no_accessibility_violation_on_desktop_and_phone() {
    let axe = axe_source();
    let app = WebApp::start().await;
    let token = app.owner_token(&failing()).await;
    let now = OffsetDateTime::now_utc();
    app.store
        .create_staff(
            "lan",
            &trustlabel::auth::hash_password(PASSWORD).unwrap(),
            now,
        )
        .await
        .unwrap();
    // One discovered candidate, so the queue shows its sources and both forms.
    app.store
        .record_discoveries(
            &[trustlabel_store::Discovery {
                host: "moi.example.vn".into(),
                kind: trustlabel_store::SourceKind::CtLog,
                source: "https://ct.example/log/".into(),
                detail: "entry 7".into(),
            }],
            None,
            now,
        )
        .await
        .unwrap();

    let public = [
        "/".to_string(),
        "/?view=assessed".into(),
        "/?view=not_assessed".into(),
        "/?status=labelled&sort=grade&order=desc".into(),
        format!("/site/{}", good()),
        format!("/site/{}", failing()),
        format!("/site/{NOT_ASSESSED}"),
        "/dashboard".into(),
        "/data".into(),
        "/criteria".into(),
        "/league".into(),
        "/league?by=province".into(),
        "/league?by=category&lang=en".into(),
        "/site/khong-co.example.vn".into(),
        "/?status=labeled".into(),
        "/?lang=en".into(),
        format!("/site/{}?lang=en", good()),
        "/dashboard?lang=en".into(),
        "/criteria?lang=en".into(),
        "/scanner".into(),
        "/scanner?lang=en".into(),
        format!("/owner/{token}"),
        format!("/owner/{token}?lang=en"),
        "/staff/login".into(),
    ];
    let staff = [
        "/staff".to_string(),
        format!("/staff/site/{}", failing()),
        format!("/staff/site/{}", good()),
        "/staff/audit".into(),
        "/staff/tokens".into(),
        "/staff/tokens?lang=en".into(),
        "/staff/discovery".into(),
        "/staff/discovery?lang=en&state=pending".into(),
        "/staff?lang=en".into(),
    ];

    let browser = Browser::start().await;
    // The harness itself can fail: a picture without a text alternative is reported.
    browser.goto(&app.url("/")).await;
    browser
        .execute(
            "const i = document.createElement('img'); i.src = '/static/style.css';
             document.querySelector('main').appendChild(i);",
            vec![],
        )
        .await;
    let planted = violations(&browser, &axe).await;
    assert!(
        planted.iter().any(|v| v.starts_with("image-alt")),
        "axe runs and reports: {planted:?}"
    );
    let mut found = Vec::new();
    for (width, height) in [(1200, 900), (390, 844)] {
        browser.set_window_size(width, height).await;
        for path in &public {
            browser.goto(&app.url(path)).await;
            for v in violations(&browser, &axe).await {
                found.push(format!("{width}px {path}: {v}"));
            }
        }
    }
    // Sign in as staff, then the staff pages.
    browser.set_window_size(1200, 900).await;
    browser.goto(&app.url("/staff/login")).await;
    browser.find("#username").await.type_text("lan").await;
    browser.find("#password").await.type_text(PASSWORD).await;
    browser.find("form button").await.click().await;
    browser
        .wait_for_text("Đăng nhập với tên", Duration::from_secs(15))
        .await;
    for (width, height) in [(1200, 900), (390, 844)] {
        browser.set_window_size(width, height).await;
        for path in &staff {
            browser.goto(&app.url(path)).await;
            assert!(
                browser.url().await.contains("/staff") && !browser.url().await.contains("login"),
                "signed in for {path}"
            );
            for v in violations(&browser, &axe).await {
                found.push(format!("{width}px {path}: {v}"));
            }
        }
    }
    browser.close().await;
    app.stop().await;
    assert!(
        found.is_empty(),
        "axe-core found {} violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The element that has the keyboard focus: its tag, id and visible outline.
async fn focused(browser: &Browser) -> Value {
    browser
        .execute(
            "const e = document.activeElement;
             const s = getComputedStyle(e);
             return { tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim().slice(0, 40),
                      outline: s.outlineStyle + ' ' + s.outlineWidth,
                      shadow: s.boxShadow };",
            vec![],
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyboard_reaches_the_search_and_every_focus_is_visible() {
    let app = WebApp::start().await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    let tab = "\u{E004}";
    // Keys sent to a window without the focus land nowhere (or on body). A
    // headless Chromium never gives its window the system focus, so
    // `document.hasFocus()` stayed false here for good: emulate the focus,
    // then wait until the document has it, so the first Tab is the page's.
    browser.emulate_focus().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while browser
        .execute("window.focus(); return document.hasFocus();", vec![])
        .await
        != json!(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the page never got the keyboard focus"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The first Tab lands on the skip link, which is visible once focused.
    browser.press(tab).await;
    let first = focused(&browser).await;
    assert_eq!(first["tag"], "a", "{first}");
    let skip_visible = browser
        .execute(
            "const r = document.activeElement.getBoundingClientRect();
             return r.left >= 0 && r.top >= 0 && r.width > 0;",
            vec![],
        )
        .await;
    assert_eq!(
        skip_visible,
        json!(true),
        "the skip link shows when focused"
    );
    let mut reached_search = false;
    for _ in 0..30 {
        browser.press(tab).await;
        let f = focused(&browser).await;
        let outline = f["outline"].as_str().unwrap_or("");
        assert!(
            !outline.starts_with("none") || f["shadow"].as_str().unwrap_or("none") != "none",
            "a focused control shows it: {f}"
        );
        if f["tag"] == "input" {
            reached_search = true;
            break;
        }
    }
    assert!(reached_search, "Tab reaches the search field");
    browser.close().await;
    app.stop().await;
}
