//! The label is a compare-and-set: a scan's change is stored only over the label it was
//! computed from, and recomputed by the policy over whatever committed in between, so
//! nothing is overwritten and every history row starts where the previous one ended.

use super::fixtures::{Scan, seeded_targets, temp_store_on, verdict};
use super::{Backend, store_test};
use crate::{Audit, LabelUpdate, Store, StoredTransition};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use trustlabel_core::policy::{Decision, LabelState, LabelStatus, Transition, staff_override};

const GRANTED: OffsetDateTime = datetime!(2025-06-01 08:00 UTC);

fn staff<'a>(detail: &'a str) -> Audit<'a> {
    Audit {
        actor: "lan",
        action: "override",
        host: None,
        detail,
    }
}

/// A scan of `host` finished at `at` with this decision.
fn scan(host: &str, decision: Decision, at: OffsetDateTime) -> Scan {
    let mut scan = Scan::failing(host);
    scan.verdict = verdict(decision);
    scan.evidence.finished_at = at;
    scan
}

/// Reads the label and computes the scan's update from it, as the runner does before
/// it records the scan.
async fn read_and_judge(store: &Store, target_id: i64, scan: &mut Scan) {
    scan.label_read = store.label(target_id).await.unwrap();
    let update = scan.recompute()(&scan.label_read);
    scan.update = update;
}

/// A site labelled by a passing scan at `GRANTED`.
async fn labelled_site(store: &Store) -> (i64, String) {
    let site = seeded_targets(store, 1).await.remove(0);
    let mut first = scan(&site.target.host, Decision::Pass, GRANTED);
    read_and_judge(store, site.id, &mut first).await;
    first.record_into(store, site.id, None).await.unwrap();
    assert_eq!(
        store.label(site.id).await.unwrap().status,
        LabelStatus::Labelled
    );
    (site.id, site.target.host)
}

/// A staff decision revoking the label at `at`; the transition, if the status changed.
async fn revoke(store: &Store, target_id: i64, at: OffsetDateTime) -> Option<Transition> {
    let reason = "staff decision by lan: phishing reported";
    store
        .override_label(target_id, staff("phishing reported"), at, |previous| {
            staff_override(previous, LabelStatus::Revoked, None, at, reason.into())
        })
        .await
        .unwrap()
}

/// Each row starts where the previous one ended, from `not_assessed`, and the last
/// one ends at the stored label.
fn assert_truthful(history: &[StoredTransition], label: &LabelState) {
    let mut status = LabelStatus::NotAssessed;
    for row in history {
        assert_eq!(row.transition.from, status, "history: {history:#?}");
        status = row.transition.to;
    }
    assert_eq!(status, label.status, "history: {history:#?}");
}

async fn a_staff_override_committed_after_a_scan_read_the_label_is_kept(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let (id, host) = labelled_site(&store).await;

    // A scan finds the site failing and reads the label: labelled → at risk, it thinks.
    let mut failing = scan(&host, Decision::Fail, GRANTED + Duration::days(1));
    read_and_judge(&store, id, &mut failing).await;
    assert_eq!(failing.update.label.status, LabelStatus::AtRisk);
    // Before it is recorded, staff revoke the label.
    let decided = GRANTED + Duration::days(1) + Duration::minutes(1);
    assert!(revoke(&store, id, decided).await.is_some());

    let recorded = failing.record_into(&store, id, None).await.unwrap();

    let label = store.label(id).await.unwrap();
    assert_eq!(label.status, LabelStatus::Revoked, "the decision stands");
    let history = store.history(id).await.unwrap();
    assert_truthful(&history, &label);
    assert_eq!(history.len(), 2, "no stale labelled → at risk row");
    assert_eq!(recorded.label, label, "what was stored is what is reported");
    assert_eq!(
        recorded.transition, None,
        "a failing scan keeps a revoked label"
    );
    assert!(recorded.recomputed);
}
store_test!(a_staff_override_committed_after_a_scan_read_the_label_is_kept);

async fn a_scan_recomputed_over_an_override_follows_the_policy_from_it(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let (id, host) = labelled_site(&store).await;
    let judged = GRANTED + Duration::days(1);
    let decided = judged + Duration::minutes(1);

    // A passing scan reads the label (no status change, it thinks), then staff revoke.
    let mut passing = scan(&host, Decision::Pass, judged);
    read_and_judge(&store, id, &mut passing).await;
    assert_eq!(passing.update.transition, None);
    assert!(revoke(&store, id, decided).await.is_some());

    let recorded = passing.record_into(&store, id, None).await.unwrap();

    let label = store.label(id).await.unwrap();
    let history = store.history(id).await.unwrap();
    assert_truthful(&history, &label);
    assert!(recorded.recomputed);
    let t = recorded.transition.clone().expect("revoked → labelled");
    assert_eq!(
        (t.from, t.to),
        (LabelStatus::Revoked, LabelStatus::Labelled)
    );
    assert!(t.reason.starts_with("label granted again"), "{}", t.reason);
    assert_eq!(t.at, decided, "not dated before the decision it follows");
    assert_eq!(recorded.label, label);
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].scan_id, Some(recorded.scan_id));
}
store_test!(a_scan_recomputed_over_an_override_follows_the_policy_from_it);

async fn a_scan_nothing_interleaved_with_stores_exactly_what_it_computed(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let (id, host) = labelled_site(&store).await;
    let mut failing = scan(&host, Decision::Fail, GRANTED + Duration::days(1));
    read_and_judge(&store, id, &mut failing).await;

    let mut recomputed = false;
    let recorded = store
        .record_scan(&failing.record(id, None), failing.at(), |_| {
            recomputed = true;
            LabelUpdate {
                label: LabelState::not_assessed(),
                transition: None,
                notification: None,
            }
        })
        .await
        .unwrap();

    assert!(!recomputed && !recorded.recomputed);
    assert_eq!(recorded.label, failing.update.label);
    assert_eq!(recorded.transition, failing.update.transition);
    assert_eq!(store.label(id).await.unwrap(), failing.update.label);
    let history = store.history(id).await.unwrap();
    assert_eq!(
        history.last().map(|h| &h.transition),
        failing.update.transition.as_ref()
    );
    assert_eq!(
        history.last().and_then(|h| h.scan_id),
        Some(recorded.scan_id)
    );
    assert_truthful(&history, &failing.update.label);
}
store_test!(a_scan_nothing_interleaved_with_stores_exactly_what_it_computed);

/// Scans and staff decisions racing on one site, for real: on PostgreSQL the writers
/// serialise on the site's row, so each reads the label the previous one committed.
async fn racing_scans_and_decisions_leave_a_truthful_history(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let (id, host) = labelled_site(&store).await;
    // One time for every change, so the history is in commit order (by id).
    let at = GRANTED + Duration::days(1);
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = store.clone();
            let host = host.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let mut passing = scan(&host, Decision::Pass, at);
                    read_and_judge(&store, id, &mut passing).await;
                    passing.record_into(&store, id, None).await.unwrap();
                } else {
                    revoke(&store, id, at).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let label = store.label(id).await.unwrap();
    assert_truthful(&store.history(id).await.unwrap(), &label);
}
store_test!(
    racing_scans_and_decisions_leave_a_truthful_history,
    flavor = "multi_thread",
    worker_threads = 4
);
