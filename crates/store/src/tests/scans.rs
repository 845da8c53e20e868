//! Recording scans: what goes in comes back out, labels and history follow.

use super::fixtures::{
    IMPORTED_AT, RULES_HASH, Scan, TOOL_VERSION, label, seeded_targets, temp_store_on, transition,
};
use super::{Backend, store_test};
use crate::StoreError;
use time::macros::datetime;
use trustlabel_core::finding::FindingId;
use trustlabel_core::policy::{Decision, LabelState, LabelStatus};

async fn a_recorded_scan_reads_back_exactly_as_written(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let scan = Scan::failing(&site.target.host);

    let recorded = scan.record_into(&store, site.id, None).await.unwrap();
    let id = recorded.scan_id;
    assert!(!recorded.recomputed);

    let stored = store.latest_scan(site.id).await.unwrap().unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.target_id, site.id);
    assert_eq!(stored.run_id, None);
    assert_eq!(stored.evidence, scan.evidence);
    assert_eq!(stored.findings, scan.findings, "same findings, same order");
    assert_eq!(stored.verdict, scan.verdict);
    assert_eq!(stored.tool_version, TOOL_VERSION);
    assert_eq!(stored.rules_hash, RULES_HASH);
    assert_eq!(store.label(site.id).await.unwrap(), scan.update.label);
    let history = store.history(site.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        Some(&history[0].transition),
        scan.update.transition.as_ref()
    );
    assert_eq!(history[0].scan_id, Some(id));
    assert_eq!(store.scan_count().await.unwrap(), 1);
}
store_test!(a_recorded_scan_reads_back_exactly_as_written);

async fn history_is_oldest_first_and_the_label_follows_the_latest_scan(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let host = &site.target.host;
    let steps = [
        (
            LabelStatus::NotAssessed,
            LabelStatus::NotLabelled,
            datetime!(2025-06-01 08:00 UTC),
        ),
        (
            LabelStatus::NotLabelled,
            LabelStatus::Labelled,
            datetime!(2025-06-02 08:00 UTC),
        ),
        (
            LabelStatus::Labelled,
            LabelStatus::AtRisk,
            datetime!(2025-06-03 08:00 UTC),
        ),
    ];
    let mut ids = Vec::new();
    let mut last_label = LabelState::not_assessed();
    for (from, to, at) in steps {
        let mut scan = Scan::failing(host);
        scan.evidence.started_at = at;
        scan.evidence.finished_at = at;
        scan.verdict.decision = if to == LabelStatus::Labelled {
            Decision::Pass
        } else {
            Decision::Fail
        };
        scan.label_read = last_label.clone();
        scan.update.label = label(to, at);
        scan.update.transition = Some(transition(from, to, at));
        ids.push(
            scan.record_into(&store, site.id, None)
                .await
                .unwrap()
                .scan_id,
        );
        last_label = scan.update.label;
    }
    // A later scan without a status change adds no history row.
    let mut quiet = Scan::failing(host);
    quiet.evidence.finished_at = datetime!(2025-06-04 08:00 UTC);
    quiet.label_read = last_label.clone();
    quiet.update.label = last_label.clone();
    quiet.update.transition = None;
    let quiet_id = quiet
        .record_into(&store, site.id, None)
        .await
        .unwrap()
        .scan_id;

    let history = store.history(site.id).await.unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.transition.from,
                h.transition.to,
                h.transition.at,
                h.scan_id,
            )
        })
        .collect();
    let expected: Vec<_> = steps
        .iter()
        .zip(&ids)
        .map(|(&(from, to, at), &id)| (from, to, at, Some(id)))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(store.label(site.id).await.unwrap(), last_label);
    assert_eq!(
        store.latest_scan(site.id).await.unwrap().unwrap().id,
        quiet_id
    );
}
store_test!(history_is_oldest_first_and_the_label_follows_the_latest_scan);

async fn a_site_never_scanned_is_not_assessed(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    assert_eq!(
        store.label(site.id).await.unwrap(),
        LabelState::not_assessed()
    );
    assert_eq!(store.latest_scan(site.id).await.unwrap(), None);
    assert!(store.history(site.id).await.unwrap().is_empty());
}
store_test!(a_site_never_scanned_is_not_assessed);

async fn a_scan_for_a_target_outside_its_run_stores_nothing(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 2).await;
    let run = store
        .start_run("only the first", &[sites[0].id], IMPORTED_AT)
        .await
        .unwrap();
    let scan = Scan::failing(&sites[1].target.host);

    let err = scan
        .record_into(&store, sites[1].id, Some(run))
        .await
        .unwrap_err();

    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert_eq!(store.scan_count().await.unwrap(), 0);
    assert_eq!(
        store.label(sites[1].id).await.unwrap(),
        LabelState::not_assessed()
    );
    assert!(store.history(sites[1].id).await.unwrap().is_empty());
}
store_test!(a_scan_for_a_target_outside_its_run_stores_nothing);

async fn undecodable_stored_evidence_is_reported_as_corrupt(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let id = Scan::failing(&site.target.host)
        .record_into(&store, site.id, None)
        .await
        .unwrap()
        .scan_id;
    let changed = store
        .raw_execute(
            "UPDATE scans SET evidence_json = '{\"schema_version\": 1' WHERE id = $1",
            id,
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);

    let err = store.latest_scan(site.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("evidence")),
        "{err}"
    );
}
store_test!(undecodable_stored_evidence_is_reported_as_corrupt);

async fn scan_outlines_list_grades_and_finding_ids_newest_first(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let first = Scan::failing(&site.target.host);
    first.record_into(&store, site.id, None).await.unwrap();
    let mut second = Scan::failing(&site.target.host);
    second.evidence.finished_at += time::Duration::days(1);
    second
        .findings
        .retain(|f| f.id != FindingId::HeaderCspMissing);
    second.label_read = first.update.label.clone();
    second.update.transition = None;
    second.record_into(&store, site.id, None).await.unwrap();
    let never = &seeded_targets(&store, 2).await[1];

    let outlines = store.scan_outlines(site.id, 10).await.unwrap();
    assert_eq!(outlines.len(), 2);
    assert!(outlines[0].at > outlines[1].at, "newest first");
    assert!(!outlines[0].findings.contains(&FindingId::HeaderCspMissing));
    assert!(outlines[1].findings.contains(&FindingId::HeaderCspMissing));
    assert_eq!(outlines[1].findings.len(), 3);
    assert_eq!(store.scan_outlines(site.id, 1).await.unwrap().len(), 1);
    assert!(store.scan_outlines(never.id, 10).await.unwrap().is_empty());
    let changes = trustlabel_core::changes::changes(&outlines).unwrap();
    assert_eq!(changes.resolved.len(), 1);
}
store_test!(scan_outlines_list_grades_and_finding_ids_newest_first);
