//! Continuous operation: scheduler reads and routine jobs, label expiry, the outbox, and
//! the job lease that keeps a job to at most one stored result.

use super::fixtures::{Scan, label, seeded_targets, temp_store_on, transition};
use super::{Backend, store_test};
use crate::{Enqueued, JobClaim, Notification};
use time::Duration;
use time::macros::datetime;
use trustlabel_core::policy::{LabelRules, LabelStatus, expire_label};
use trustlabel_core::schedule::{DueScan, PRIORITY_ROUTINE};

fn mail(to: &str) -> Notification {
    Notification {
        recipient: to.into(),
        subject: "s".into(),
        body: "b".into(),
    }
}

async fn the_scheduler_sees_last_scans_and_pending_jobs_and_never_doubles_a_job(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 3).await;
    let now = datetime!(2026-11-29 12:00 UTC);
    Scan::failing(&sites[0].target.host)
        .record_into(&store, sites[0].id, None)
        .await
        .unwrap();
    let owner = store
        .enqueue_scan(sites[1].id, "owner", now, None)
        .await
        .unwrap();
    assert!(matches!(owner, Enqueued::Queued(_)));

    let view = store.schedule_view().await.unwrap();
    assert_eq!(view.len(), 3);
    assert_eq!(view[0].status, LabelStatus::NotLabelled);
    assert!(view[0].last_scanned.is_some() && !view[0].pending);
    assert!(view[1].pending && view[1].last_scanned.is_none());
    assert_eq!(view[2].status, LabelStatus::NotAssessed);

    let due: Vec<DueScan> = sites
        .iter()
        .map(|s| DueScan {
            target_id: s.id,
            priority: PRIORITY_ROUTINE,
        })
        .collect();
    assert_eq!(store.enqueue_due(&due, "scheduler", now).await.unwrap(), 2);
    assert_eq!(store.enqueue_due(&due, "scheduler", now).await.unwrap(), 0);
    // The person's request (priority 0) is served before the routine ones.
    let first = store
        .claim_scan_job("w", now, Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.target_id, first.requested_by.as_str()),
        (sites[1].id, "owner")
    );
}
store_test!(the_scheduler_sees_last_scans_and_pending_jobs_and_never_doubles_a_job);

async fn a_job_keeps_one_result_even_when_its_lease_was_taken_over(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 1).await;
    let t0 = datetime!(2026-11-29 12:00 UTC);
    store
        .enqueue_scan(sites[0].id, "owner", t0, None)
        .await
        .unwrap();
    let lease = Duration::minutes(1);
    let job = store
        .claim_scan_job("slow", t0, lease)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .extend_scan_job_lease(job.id, "slow", t0 + lease * 2)
            .await
            .unwrap()
    );
    // The slow worker stalls; after its lease another worker takes the job.
    let later = t0 + lease * 3;
    let again = store
        .claim_scan_job("fast", later, lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, job.id);
    assert!(
        !store
            .extend_scan_job_lease(job.id, "slow", later + lease)
            .await
            .unwrap()
    );

    let scan = Scan::failing(&sites[0].target.host);
    let mut stale = scan.record(sites[0].id, None);
    stale.job = Some(JobClaim {
        id: job.id,
        worker: "slow",
    });
    let err = store
        .record_scan(&stale, scan.at(), scan.recompute())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no longer held by slow"), "{err}");
    assert_eq!(
        store.scan_count().await.unwrap(),
        0,
        "the stale result is rolled back"
    );

    let mut fresh = scan.record(sites[0].id, None);
    fresh.job = Some(JobClaim {
        id: job.id,
        worker: "fast",
    });
    let scan_id = store
        .record_scan(&fresh, scan.at(), scan.recompute())
        .await
        .unwrap()
        .scan_id;
    let done = store.latest_scan_job(sites[0].id).await.unwrap().unwrap();
    assert_eq!(done.scan_id, Some(scan_id));
    assert_eq!(store.scan_count().await.unwrap(), 1);
    // A finished job cannot be stored twice either.
    assert!(
        store
            .record_scan(&fresh, scan.at(), scan.recompute())
            .await
            .is_err()
    );
    assert_eq!(store.scan_count().await.unwrap(), 1);
}
store_test!(a_job_keeps_one_result_even_when_its_lease_was_taken_over);

async fn a_released_job_goes_back_to_the_queue(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 1).await;
    let t0 = datetime!(2026-11-29 12:00 UTC);
    store
        .enqueue_scan(sites[0].id, "staff", t0, None)
        .await
        .unwrap();
    let job = store
        .claim_scan_job("w1", t0, Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .claim_scan_job("w2", t0, Duration::hours(1))
            .await
            .unwrap()
            .is_none()
    );
    store.release_scan_job(job.id, "w1").await.unwrap();
    let again = store
        .claim_scan_job("w2", t0, Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.map(|j| j.id), Some(job.id));
}
store_test!(a_released_job_goes_back_to_the_queue);

async fn a_lapsed_label_is_revoked_with_history_and_a_notification(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 1).await;
    let passed = datetime!(2026-10-01 08:00 UTC);
    let mut scan = Scan::failing(&sites[0].target.host);
    scan.update.label = label(LabelStatus::Labelled, passed);
    scan.update.transition = Some(transition(
        LabelStatus::NotAssessed,
        LabelStatus::Labelled,
        passed,
    ));
    scan.record_into(&store, sites[0].id, None).await.unwrap();

    let rules = LabelRules::default();
    let now = passed + Duration::days(31);
    assert!(store.labels_passed_before(passed).await.unwrap().is_empty());
    let lapsed = store
        .labels_passed_before(now - Duration::days(rules.validity_days))
        .await
        .unwrap();
    assert_eq!(lapsed.len(), 1);
    let (target, current) = &lapsed[0];
    let (next, t) = expire_label(current, now, &rules).unwrap();
    let message = mail("admin@example.gov.vn");
    assert!(
        store
            .record_label_change(target.id, current, &next, &t, Some(&message))
            .await
            .unwrap()
    );
    assert_eq!(
        store.label(target.id).await.unwrap().status,
        LabelStatus::Revoked
    );
    let history = store.history(target.id).await.unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.transition.reason.starts_with("label expired"))
    );
    // Read again later: the label changed meanwhile, nothing is written twice.
    assert!(
        !store
            .record_label_change(target.id, current, &next, &t, Some(&message))
            .await
            .unwrap()
    );
    assert_eq!(store.notifications(target.id).await.unwrap().len(), 1);
}
store_test!(a_lapsed_label_is_revoked_with_history_and_a_notification);

async fn the_outbox_retries_until_sent_and_leases_keep_two_senders_apart(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 1).await;
    let at = datetime!(2025-06-01 08:00:03.5 UTC);
    let mut scan = Scan::failing(&sites[0].target.host);
    let message = mail("admin@example.gov.vn");
    scan.update.notification = Some(message.clone());
    scan.record_into(&store, sites[0].id, None).await.unwrap();

    let lease = Duration::minutes(10);
    let claimed = store.claim_notifications("a", at, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message, message);
    assert!(
        store
            .claim_notifications("b", at, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let retry = at + Duration::minutes(1);
    store
        .notification_failed(claimed[0].id, "connection refused", retry)
        .await
        .unwrap();
    assert!(
        store
            .claim_notifications("b", at, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_notifications("b", retry, lease, 10)
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 1);
    store.notification_sent(again[0].id, retry).await.unwrap();
    assert!(
        store
            .claim_notifications("c", retry + Duration::days(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let outbox = store.notifications(sites[0].id).await.unwrap();
    assert_eq!(outbox[0].attempts, 2);
    assert_eq!(outbox[0].sent_at, Some(retry));
    assert_eq!(outbox[0].last_error, None);
}
store_test!(the_outbox_retries_until_sent_and_leases_keep_two_senders_apart);
