//! Forms read as a person reads them, through the real collector: labels in table cells,
//! `aria-labelledby`, titles, unaccented names, controls outside `<form>` sent by a
//! button; and sensitive personal data with the stricter notice it needs (issue 11).

use crate::common::{TestFleet, assert_fires, assert_silent, host};
use trustlabel_core::finding::{Finding, FindingId, Severity};
use trustlabel_fleet::{Route, SiteSpec};

const QUESTION_TABLE: &str = include_str!("fixtures/pages/vn_form_question_table.html");
const TABLE_SEARCH: &str = include_str!("fixtures/pages/vn_form_table_search.html");
const DETACHED: &str = include_str!("fixtures/pages/vn_form_detached.html");
const APPOINTMENT: &str = include_str!("fixtures/pages/vn_form_appointment.html");
const ENROLMENT: &str = include_str!("fixtures/pages/vn_form_enrolment.html");
const JOB: &str = include_str!("fixtures/pages/vn_form_job.html");
const NOTICE_HOSPITAL: &str = include_str!("fixtures/pages/vn_notice_hospital.html");
const NOTICE_WEAK: &str = include_str!("fixtures/pages/vn_notice_weak.html");
const NOTICE_COMPLETE: &str = include_str!("fixtures/pages/notice_complete.html");

fn site(name: &str, body: &str) -> SiteSpec {
    SiteSpec::good(&host(name)).with_route(Route::page("/", body))
}

fn the(findings: &[Finding], id: FindingId) -> &Finding {
    findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id}: {findings:#?}"))
}

#[tokio::test]
async fn labels_in_table_cells_and_elsewhere_name_the_fields() {
    let fleet = TestFleet::start(vec![
        site("question", QUESTION_TABLE),
        site("table-search", TABLE_SEARCH),
        site("detached", DETACHED).with_route(Route::page(
            "/chinh-sach-bao-ve-du-lieu-ca-nhan/",
            NOTICE_COMPLETE,
        )),
        site(
            "detached-no-button",
            &DETACHED.replace(
                "<button type=\"button\" onclick=\"dangKy()\">Đăng ký</button>",
                "",
            ),
        ),
    ])
    .await;

    let (_, findings) = fleet.findings(&host("question")).await;
    let f = the(&findings, FindingId::PrivacyCollectsPersonalData);
    assert!(
        f.detail.contains(
            "họ tên, số CCCD/CMND, số điện thoại, email, địa chỉ, ngày sinh, hộ chiếu, giới tính"
        ),
        "labels of the previous cells, not the TextBox names: {}",
        f.detail
    );
    assert_fires(&findings, FindingId::PrivacyNoticeMissing);

    let (_, findings) = fleet.findings(&host("table-search")).await;
    assert_silent(&findings, FindingId::PrivacyCollectsPersonalData);

    let (_, findings) = fleet.findings(&host("detached")).await;
    let f = the(&findings, FindingId::PrivacyCollectsPersonalData);
    assert!(
        f.detail
            .contains("họ tên, số CCCD/CMND, số điện thoại, email, ngày sinh, mật khẩu"),
        "aria-labelledby, name tokens, title and aria-label: {}",
        f.detail
    );
    assert_silent(&findings, FindingId::PrivacyNoticeMissing);

    let (_, findings) = fleet.findings(&host("detached-no-button")).await;
    assert_silent(&findings, FindingId::PrivacyCollectsPersonalData);
}

#[tokio::test]
async fn sensitive_data_is_reported_with_its_category_and_the_stricter_notice() {
    let fleet = TestFleet::start(vec![
        site("clinic-strict", APPOINTMENT)
            .with_route(Route::page("/thong-bao-xu-ly-du-lieu/", NOTICE_HOSPITAL)),
        site("clinic-weak", APPOINTMENT)
            .with_route(Route::page("/thong-bao-xu-ly-du-lieu/", NOTICE_WEAK)),
        site("school", ENROLMENT),
        site("jobs", JOB).with_route(Route::page("/chinh-sach-bao-mat/", NOTICE_COMPLETE)),
    ])
    .await;

    let (_, strict) = fleet.findings(&host("clinic-strict")).await;
    let f = the(&strict, FindingId::PrivacyCollectsSensitiveData);
    assert_eq!(f.severity, Severity::Info, "{}", f.detail);
    assert!(
        f.detail
            .contains("tình trạng sức khỏe, bệnh sử (health and medical data)"),
        "{}",
        f.detail
    );
    assert_silent(&strict, FindingId::PrivacyNoticeIncomplete);

    let (_, weak) = fleet.findings(&host("clinic-weak")).await;
    let f = the(&weak, FindingId::PrivacyCollectsSensitiveData);
    assert_eq!(f.severity, Severity::Critical, "{}", f.detail);
    assert!(
        f.detail.contains("✗ thông báo về dữ liệu cá nhân nhạy cảm"),
        "{}",
        f.detail
    );

    let (_, school) = fleet.findings(&host("school")).await;
    let f = the(&school, FindingId::PrivacyCollectsSensitiveData);
    assert_eq!(f.severity, Severity::Critical);
    for category in ["dữ liệu của trẻ em", "dân tộc", "tôn giáo"] {
        assert!(f.detail.contains(category), "{category}: {}", f.detail);
    }
    assert_fires(&school, FindingId::PrivacyNoticeMissing);

    // "Vị trí ứng tuyển", "Trình độ lý luận chính trị" and "Tiền sử công tác" are no
    // location, political opinion or medical history.
    let (_, jobs) = fleet.findings(&host("jobs")).await;
    assert_fires(&jobs, FindingId::PrivacyCollectsPersonalData);
    assert_silent(&jobs, FindingId::PrivacyCollectsSensitiveData);
}
