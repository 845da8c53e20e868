//! League tables: per ministry (through the parent of an organisation), province and
//! category; in-scope counts, grades and open findings of the latest scans.

use super::fixtures::{IMPORTED_AT, Scan, target, temp_store_on};
use super::{Backend, store_test};
use crate::LeagueBy;
use trustlabel_core::finding::{Finding, FindingId, Severity};
use trustlabel_core::policy::{Grade, LabelStatus};

async fn league_tables_count_scope_labels_grades_and_open_findings_per_group(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = |host: &str, organisation: &str, parent: &str, province: &str| {
        let mut t = target(host);
        t.organisation = organisation.into();
        t.parent = parent.into();
        t.province = province.into();
        t
    };
    store
        .upsert_targets(
            &[
                site("a.gov.vn", "Cục A", "Bộ Y tế", "Hà Nội"),
                site("b.gov.vn", "Cục B", "Bộ Y tế", "Huế"),
                site("c.gov.vn", "Cục C", "Bộ Y tế", "Huế"),
                site("d.gov.vn", "Bộ Tài chính", "", "Hà Nội"),
            ],
            IMPORTED_AT,
        )
        .await
        .unwrap();
    // a: collects personal data, labelled; b: collects none, not labelled; c and d: never
    // scanned (in scope until a scan says otherwise).
    let a = store.target_by_host("a.gov.vn").await.unwrap().unwrap();
    let mut labelled = Scan::failing("a.gov.vn");
    labelled.findings.push(Finding::new(
        FindingId::PrivacyCollectsPersonalData,
        Severity::Info,
        "họ tên, số CCCD",
    ));
    labelled.update.label.status = LabelStatus::Labelled;
    labelled.record_into(&store, a.id, None).await.unwrap();
    let b = store.target_by_host("b.gov.vn").await.unwrap().unwrap();
    Scan::failing("b.gov.vn")
        .record_into(&store, b.id, None)
        .await
        .unwrap();

    let ministries = store.league(LeagueBy::Ministry).await.unwrap();
    let health = ministries
        .iter()
        .find(|r| r.group == "Bộ Y tế")
        .expect("a ministry");
    assert_eq!(health.sites, 3);
    assert_eq!(
        health.collecting, 1,
        "only a was seen collecting personal data"
    );
    assert_eq!(health.collecting_labelled, 1);
    assert_eq!(health.not_assessed, 1);
    assert_eq!(health.in_scope(), 2, "a, and c which nobody assessed yet");
    assert_eq!(health.grades, [(Grade::BPlus, 2)]);
    let (worst, severity, n) = health.open[0];
    assert_eq!(
        (worst, severity, n),
        (FindingId::CertExpiringSoon, Severity::Medium, 2)
    );
    let finance = ministries
        .iter()
        .find(|r| r.group == "Bộ Tài chính")
        .expect("its own top");
    assert_eq!((finance.sites, finance.not_assessed), (1, 1));

    let provinces = store.league(LeagueBy::Province).await.unwrap();
    let hue = provinces.iter().find(|r| r.group == "Huế").unwrap();
    assert_eq!((hue.sites, hue.collecting, hue.not_assessed), (2, 0, 1));

    // A later scan replaces the open findings of the site.
    let mut fixed = Scan::failing("b.gov.vn");
    fixed.findings.clear();
    fixed.label_read = fixed.update.label.clone();
    fixed.update.transition = None;
    fixed.record_into(&store, b.id, None).await.unwrap();
    let health = store.league(LeagueBy::Ministry).await.unwrap();
    let health = health.iter().find(|r| r.group == "Bộ Y tế").unwrap();
    assert_eq!(health.open[0].2, 1, "b's findings are no longer open");

    // c blocks the scanner from its first scan: still in scope, not read yet.
    let c = store.target_by_host("c.gov.vn").await.unwrap().unwrap();
    let mut blocked = Scan::failing("c.gov.vn");
    blocked.findings = vec![Finding::new(FindingId::SiteBlocked, Severity::High, "403")];
    blocked.verdict.decision = trustlabel_core::policy::Decision::Blocked;
    blocked.update.label.status = LabelStatus::Blocked;
    blocked.record_into(&store, c.id, None).await.unwrap();
    let health = store.league(LeagueBy::Ministry).await.unwrap();
    let health = health.iter().find(|r| r.group == "Bộ Y tế").unwrap();
    assert_eq!(
        (health.not_assessed, health.in_scope()),
        (1, 2),
        "a site that blocks the scanner does not leave its group's scope"
    );
}
store_test!(league_tables_count_scope_labels_grades_and_open_findings_per_group);
