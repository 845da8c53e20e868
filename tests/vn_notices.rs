//! Privacy notices judged by what their sentences state, through the real collector:
//! each notice fixture is served as the page `gov_home.html` links, and
//! `privacy.notice.incomplete` must list exactly the elements a reader finds missing,
//! under the law in force at scan time (issue 11).

use crate::common::{TestFleet, assert_fires, assert_silent, host, judge};
use time::macros::datetime;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_fleet::{Route, SiteSpec};

const GOV_HOME: &str = include_str!("fixtures/pages/gov_home.html");
/// Where `gov_home.html` links its privacy notice.
const NOTICE_PATH: &str = "/chinh-sach-bao-mat/";

/// (site label, notice fixture, elements a reader finds missing under Law 91/2025).
const NOTICES: &[(&str, &str, &[&str])] = &[
    (
        "bank",
        include_str!("fixtures/pages/vn_notice_bank.html"),
        &[],
    ),
    (
        "gov-table",
        include_str!("fixtures/pages/vn_notice_gov_table.html"),
        &[],
    ),
    (
        "english",
        include_str!("fixtures/pages/vn_notice_english.html"),
        &[],
    ),
    (
        "marketplace",
        include_str!("fixtures/pages/vn_notice_marketplace.html"),
        &[],
    ),
    (
        "shop",
        include_str!("fixtures/pages/vn_notice_shop.html"),
        &["cách thức xử lý", "chuyển dữ liệu ra nước ngoài", "hậu quả"],
    ),
    (
        "plain",
        include_str!("fixtures/pages/vn_notice_plain.html"),
        &[
            "cách thức xử lý",
            "bên thứ ba",
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "hậu quả",
        ],
    ),
    (
        "lookalikes",
        include_str!("fixtures/pages/vn_notice_lookalikes.html"),
        &[
            "mục đích xử lý",
            "cách thức xử lý",
            "bên thứ ba",
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "thời gian lưu trữ",
            "bên kiểm soát",
            "hậu quả",
        ],
    ),
    (
        "hospital",
        include_str!("fixtures/pages/vn_notice_hospital.html"),
        &[],
    ),
    (
        "complete",
        include_str!("fixtures/pages/notice_complete.html"),
        &[],
    ),
    (
        "lines",
        include_str!("fixtures/pages/vn_notice_lines.html"),
        &["cách thức xử lý", "chuyển dữ liệu ra nước ngoài", "hậu quả"],
    ),
    (
        "university",
        include_str!("fixtures/pages/vn_notice_university.html"),
        &[
            "cách thức xử lý",
            "bên thứ ba",
            "chuyển dữ liệu ra nước ngoài",
            "thời gian lưu trữ",
            "hậu quả",
        ],
    ),
    (
        "weak",
        include_str!("fixtures/pages/vn_notice_weak.html"),
        &[
            "cách thức xử lý",
            "bên thứ ba",
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "hậu quả",
        ],
    ),
    (
        "incomplete",
        include_str!("fixtures/pages/notice_incomplete.html"),
        &[
            "cách thức xử lý",
            "bên thứ ba",
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "thời gian lưu trữ",
            "hậu quả",
        ],
    ),
    (
        "decree13",
        include_str!("fixtures/pages/vn_notice_decree13.html"),
        &[
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "bên kiểm soát",
        ],
    ),
];

/// Every element name the notice check can report, as it appears in the summary line.
const ALL: &[&str] = &[
    "mục đích xử lý",
    "loại dữ liệu cá nhân",
    "cách thức xử lý",
    "bên thứ ba",
    "chuyển dữ liệu ra nước ngoài",
    "quyền của chủ thể",
    "thời gian lưu trữ",
    "bên kiểm soát",
    "hậu quả",
];

fn incomplete(findings: &[Finding]) -> Option<&Finding> {
    findings
        .iter()
        .find(|f| f.id == FindingId::PrivacyNoticeIncomplete)
}

#[tokio::test]
async fn notices_are_judged_by_what_their_sentences_state() {
    let fleet = TestFleet::start(
        NOTICES
            .iter()
            .map(|(label, notice, _)| {
                SiteSpec::good(&host(&format!("notice-{label}")))
                    .with_route(Route::page("/", GOV_HOME))
                    .with_route(Route::page(NOTICE_PATH, notice))
            })
            .collect(),
    )
    .await;
    for (label, _, missing) in NOTICES {
        let (evidence, findings) = fleet.findings(&host(&format!("notice-{label}"))).await;
        assert!(
            evidence.privacy_page.is_some(),
            "{label}: the notice was fetched"
        );
        assert_silent(&findings, FindingId::PrivacyNoticeMissing);
        match incomplete(&findings) {
            None => assert!(missing.is_empty(), "{label}: expected {missing:?} missing"),
            Some(f) => {
                let summary = f.detail.lines().next().unwrap_or("");
                for element in ALL {
                    assert_eq!(
                        summary.contains(element),
                        missing.contains(element),
                        "{label}: {element} in «{summary}»"
                    );
                }
                assert!(
                    f.detail
                        .contains("Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15"),
                    "{label}: the verdict names the law it applied: {}",
                    f.detail
                );
            }
        }
    }
}

#[tokio::test]
async fn the_owner_sees_the_proving_sentence_and_what_to_add() {
    let (_, lookalikes, _) = NOTICES[6];
    let (_, plain, _) = NOTICES[5];
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&host("lookalikes"))
            .with_route(Route::page("/", GOV_HOME))
            .with_route(Route::page(NOTICE_PATH, lookalikes)),
        SiteSpec::good(&host("plain"))
            .with_route(Route::page("/", GOV_HOME))
            .with_route(Route::page(NOTICE_PATH, plain)),
    ])
    .await;
    // The policy's own goal, the company's legal consequences and an e-mail field are
    // no purpose, no consequence for the data subject and no contact.
    let (_, findings) = fleet.findings(&host("lookalikes")).await;
    let f = incomplete(&findings).expect("incomplete");
    assert!(f.detail.contains("✗ mục đích xử lý"), "{}", f.detail);
    assert!(
        f.detail
            .contains("thêm: Nêu rõ dữ liệu cá nhân được dùng để làm gì"),
        "{}",
        f.detail
    );
    assert!(!f.detail.contains("✓ mục đích xử lý"), "{}", f.detail);
    assert!(f.detail.contains("✓ loại dữ liệu cá nhân"), "{}", f.detail);

    // Data listed without a heading, and "chỉ được sử dụng để…" without "mục đích",
    // are stated: the proving sentences are shown.
    let (_, findings) = fleet.findings(&host("plain")).await;
    let f = incomplete(&findings).expect("incomplete");
    assert!(
        f.detail.contains(
            "✓ mục đích xử lý (purposes of processing): “Các thông tin này chỉ được sử dụng để"
        ),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("✓ loại dữ liệu cá nhân"), "{}", f.detail);
}

#[tokio::test]
async fn the_law_in_force_at_scan_time_decides_what_is_required() {
    let (_, decree13, _) = NOTICES
        .iter()
        .find(|(label, _, _)| *label == "decree13")
        .expect("the decree13 notice");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&host("decree13"))
            .with_route(Route::page("/", GOV_HOME))
            .with_route(Route::page(NOTICE_PATH, decree13)),
    ])
    .await;
    let evidence = fleet.evidence(&host("decree13")).await;
    // The same stored evidence, judged on two days.
    let in_2025 = judge(&evidence, datetime!(2025-06-01 08:00 UTC));
    assert_silent(&in_2025, FindingId::PrivacyNoticeIncomplete);
    let collects = in_2025
        .iter()
        .find(|f| f.id == FindingId::PrivacyCollectsPersonalData)
        .expect("collects");
    assert!(
        collects.detail.contains("Nghị định 13/2023/NĐ-CP"),
        "{}",
        collects.detail
    );
    let in_2026 = judge(&evidence, datetime!(2026-01-02 08:00 UTC));
    assert_fires(&in_2026, FindingId::PrivacyNoticeIncomplete);
}
