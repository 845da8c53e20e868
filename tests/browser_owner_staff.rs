//! Real Chromium against our server: an owner follows a private link, reads the findings
//! and asks for a re-scan that the server's worker runs; staff sign in, import a list
//! with a bad line, and override a label with a reason that the audit log keeps.

use crate::common::webapp::{WebApp, failing};
use crate::common::webdriver::Browser;
use std::time::Duration;
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_reads_the_findings_and_gets_a_rescan() {
    let app = WebApp::start().await;
    let target = app.store.target_by_host(&failing()).await.unwrap().unwrap();
    let before = app.store.latest_scan(target.id).await.unwrap().unwrap().id;
    let token = app.owner_token(&failing()).await;

    let browser = Browser::start().await;
    browser.goto(&app.url(&format!("/owner/{token}"))).await;
    let page = browser.find("main").await.text().await;
    assert!(page.contains("header.hsts.missing"), "{page}");
    assert!(
        page.contains("Strict-Transport-Security"),
        "remediation advice: {page}"
    );

    browser
        .find("form[action$='/rescan'] button")
        .await
        .click()
        .await;
    browser
        .wait_for_text("Đã nhận yêu cầu quét lại", Duration::from_secs(15))
        .await;
    // The page refreshes itself (no script) until the worker has finished.
    browser
        .wait_for_text("Đã quét xong", Duration::from_secs(90))
        .await;
    let after = app.store.latest_scan(target.id).await.unwrap().unwrap().id;
    assert!(after > before, "the re-scan stored a new scan");

    browser.goto(&app.url("/owner/not-a-valid-token")).await;
    browser
        .wait_for_text("không hợp lệ", Duration::from_secs(15))
        .await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_sign_in_import_a_list_and_override_a_label() {
    let app = WebApp::start().await;
    let password = "mật khẩu đủ dài cho cán bộ";
    app.store
        .create_staff(
            "lan",
            &trustlabel::auth::hash_password(password).unwrap(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let browser = Browser::start().await;

    browser.goto(&app.url("/staff")).await;
    assert!(browser.url().await.contains("/staff/login"));
    browser.find("#username").await.type_text("lan").await;
    browser
        .find("#password")
        .await
        .type_text("sai mật khẩu nhé")
        .await;
    browser.find("main form button").await.click().await;
    browser
        .wait_for_text("Sai tên đăng nhập hoặc mật khẩu", Duration::from_secs(15))
        .await;
    browser.find("#password").await.type_text(password).await;
    browser.find("main form button").await.click().await;
    browser
        .wait_for_text("Đăng nhập với tên lan", Duration::from_secs(15))
        .await;

    let csv = "host,organisation,category,province\nmoi.gov.vn,Sở Mới,government,Huế\nkhong hop le,x,y,z\n";
    browser.find("#csv").await.type_text(csv).await;
    browser
        .find("form[action='/staff/import'] button")
        .await
        .click()
        .await;
    let report = browser
        .wait_for_text("import.csv:3:", Duration::from_secs(15))
        .await;
    assert!(
        report.contains("moi.gov.vn"),
        "imported site listed: {report}"
    );

    browser
        .goto(&app.url(&format!("/staff/site/{}", failing())))
        .await;
    browser
        .find("#status option[value=labelled]")
        .await
        .click()
        .await;
    browser
        .find("#reason")
        .await
        .type_text("HSTS đã được bật, kiểm tra thủ công")
        .await;
    browser
        .find("form[action$='/override'] button")
        .await
        .click()
        .await;
    browser
        .wait_for_text("Đã thực hiện", Duration::from_secs(15))
        .await;

    browser
        .goto(&app.url(&format!("/site/{}", failing())))
        .await;
    browser
        .wait_for_text("Đã gắn nhãn", Duration::from_secs(15))
        .await;

    browser.goto(&app.url("/staff/audit")).await;
    let audit = browser.find("#audit").await.text().await;
    for action in ["login_failed", "login", "import", "override"] {
        assert!(
            audit.contains(action),
            "{action} missing from the audit log:\n{audit}"
        );
    }
    assert!(audit.contains("HSTS đã được bật"));
    browser.close().await;
    app.stop().await;
}
