//! Runs: an interrupted `scan --all` resumes with exactly the targets it did not finish.

use super::fixtures::{IMPORTED_AT, Scan, TestDb, seeded_targets};
use super::{Backend, store_test};
use crate::{Store, StoreError};

async fn an_interrupted_run_resumes_with_its_pending_targets_after_reopening(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url();
    let store = Store::open(url).await.unwrap();
    let sites = seeded_targets(&store, 3).await;
    // Run order differs from id order: resumption must keep the run's order.
    let order = [sites[2].id, sites[0].id, sites[1].id];
    let run = store
        .start_run("scan --all", &order, IMPORTED_AT)
        .await
        .unwrap();
    Scan::failing(&sites[0].target.host)
        .record_into(&store, sites[0].id, Some(run))
        .await
        .unwrap();
    drop(store); // as if the process died here

    let store = Store::open(url).await.unwrap();
    let (resumed, pending) = store.unfinished_run("scan --all").await.unwrap().unwrap();
    assert_eq!(resumed, run);
    let pending_ids: Vec<i64> = pending.iter().map(|t| t.id).collect();
    assert_eq!(pending_ids, [sites[2].id, sites[1].id]);
    assert_eq!(pending[0].target, sites[2].target);

    for site in &pending {
        Scan::failing(&site.target.host)
            .record_into(&store, site.id, Some(run))
            .await
            .unwrap();
    }
    store.finish_run(run, IMPORTED_AT).await.unwrap();
    assert_eq!(store.unfinished_run("scan --all").await.unwrap(), None);
    assert_eq!(store.scan_count().await.unwrap(), 3);
}
store_test!(an_interrupted_run_resumes_with_its_pending_targets_after_reopening);

async fn the_most_recent_unfinished_run_is_the_one_resumed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::open(db.url()).await.unwrap();
    let sites = seeded_targets(&store, 2).await;
    let older = store
        .start_run("scan --all", &[sites[0].id], IMPORTED_AT)
        .await
        .unwrap();
    let newer = store
        .start_run("scan --all", &[sites[1].id, sites[1].id], IMPORTED_AT)
        .await
        .unwrap();
    let other = store
        .start_run("scan --targets x.csv", &[sites[0].id], IMPORTED_AT)
        .await
        .unwrap();

    let (run, pending) = store.unfinished_run("scan --all").await.unwrap().unwrap();
    assert_eq!(run, newer);
    assert_eq!(pending.len(), 1, "a target listed twice is scanned once");

    store.finish_run(newer, IMPORTED_AT).await.unwrap();
    let (run, _) = store.unfinished_run("scan --all").await.unwrap().unwrap();
    assert_eq!(run, older, "a finished run is never offered again");

    let (run, _) = store
        .unfinished_run("scan --targets x.csv")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run, other, "runs of another command are not mixed in");
    assert_eq!(
        store.unfinished_run("scan --targets y.csv").await.unwrap(),
        None
    );
}
store_test!(the_most_recent_unfinished_run_is_the_one_resumed);

async fn finishing_an_unknown_run_is_not_found(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::open(db.url()).await.unwrap();
    let err = store.finish_run(999, IMPORTED_AT).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
}
store_test!(finishing_an_unknown_run_is_not_found);
