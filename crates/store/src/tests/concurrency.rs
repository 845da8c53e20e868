//! Many scan tasks recording at once must all land, without "database is locked".

use super::fixtures::{IMPORTED_AT, Scan, TestDb, seeded_targets};
use super::{Backend, store_test};
use crate::Store;
use std::collections::HashSet;

async fn thirty_two_concurrent_recordings_all_land(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::open(db.url()).await.unwrap();
    let sites = seeded_targets(&store, 32).await;
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let run = store
        .start_run("concurrent", &ids, IMPORTED_AT)
        .await
        .unwrap();

    let tasks: Vec<_> = sites
        .into_iter()
        .map(|site| {
            let store = store.clone();
            tokio::spawn(async move {
                let scan = Scan::failing(&site.target.host);
                scan.record_into(&store, site.id, Some(run)).await
            })
        })
        .collect();
    let mut scan_ids = HashSet::new();
    for task in tasks {
        scan_ids.insert(task.await.unwrap().unwrap().scan_id);
    }

    assert_eq!(scan_ids.len(), 32);
    assert_eq!(store.scan_count().await.unwrap(), 32);
    assert_eq!(
        store.unfinished_run("concurrent").await.unwrap(),
        None,
        "every item done"
    );
}
store_test!(
    thirty_two_concurrent_recordings_all_land,
    flavor = "multi_thread",
    worker_threads = 4
);

/// Two handles on one file stand for two processes (a CLI import beside a running
/// server): they do not share the in-process writer queue, so this exercises the
/// `BEGIN IMMEDIATE` + busy-timeout path.
async fn two_handles_on_one_file_write_concurrently(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = Store::open(db.url()).await.unwrap();
    let second = Store::open(db.url()).await.unwrap();
    let sites = seeded_targets(&first, 16).await;

    let tasks: Vec<_> = sites
        .into_iter()
        .enumerate()
        .map(|(i, site)| {
            let store = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move {
                // A changed target makes the import read, then write: the pattern a
                // deferred BEGIN fails with "database is locked" under contention.
                let mut renamed = site.target.clone();
                renamed.organisation = format!("renamed {i}");
                store.upsert_targets(&[renamed], IMPORTED_AT).await?;
                let scan = Scan::failing(&site.target.host);
                scan.record_into(&store, site.id, None).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(second.scan_count().await.unwrap(), 16);
}
store_test!(
    two_handles_on_one_file_write_concurrently,
    flavor = "multi_thread",
    worker_threads = 4
);

/// A scan and an import (two processes, here two independent stores) opening a brand-new
/// database at the same moment must both end up with the schema, not an error.
async fn simultaneous_opens_of_a_new_database_all_succeed(backend: Backend) {
    for _ in 0..10 {
        let db = TestDb::unborn(backend);
        let url = db.url();
        let (a, b, c, d) = tokio::join!(
            Store::open(url),
            Store::open(url),
            Store::open(url),
            Store::open(url)
        );
        for store in [a, b, c, d] {
            let store = store.expect("every open succeeds");
            assert_eq!(store.scan_count().await.unwrap(), 0);
            store.close().await;
        }
    }
}
store_test!(simultaneous_opens_of_a_new_database_all_succeed);
