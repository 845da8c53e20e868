//! The batch API's state: hashed, scoped, revocable tokens and batches answered by jobs
//! of the one scan queue.

use super::fixtures::{IMPORTED_AT, target, temp_store_on};
use super::{Backend, store_test};
use crate::{ApiScope, Enqueued, JobState};
use time::Duration;

async fn a_batch_files_new_hosts_reuses_pending_jobs_and_is_read_only_by_its_token(
    backend: Backend,
) {
    let (_db, store) = temp_store_on(backend).await;
    let now = IMPORTED_AT;
    let token = store
        .create_api_token(
            "Sở TT&TT Huế",
            "hash-1",
            &[ApiScope::Batch],
            "lan",
            now,
            now + Duration::days(30),
        )
        .await
        .unwrap();
    let other = store
        .create_api_token(
            "B",
            "hash-2",
            &[ApiScope::Batch, ApiScope::Findings],
            "lan",
            now,
            now + Duration::days(1),
        )
        .await
        .unwrap();
    let found = store.api_token("hash-1", now).await.unwrap().expect("live");
    assert_eq!((found.id, found.name.as_str()), (token, "Sở TT&TT Huế"));
    assert!(found.allows(ApiScope::Batch) && !found.allows(ApiScope::Findings));
    assert!(
        store
            .api_token("hash-2", now + Duration::days(2))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    // One host is a target already, with a job pending; the other is new.
    store
        .upsert_targets(&[target("a.gov.vn")], now)
        .await
        .unwrap();
    let a = store.target_by_host("a.gov.vn").await.unwrap().unwrap();
    let Enqueued::Queued(pending) = store.enqueue_scan(a.id, "owner", now, None).await.unwrap()
    else {
        panic!("queued");
    };
    let batch = store
        .create_batch(
            token,
            &[target("a.gov.vn"), target("b.gov.vn")],
            "api:Sở TT&TT Huế",
            now,
        )
        .await
        .unwrap();
    let view = store
        .batch(batch, token)
        .await
        .unwrap()
        .expect("its own batch");
    let hosts: Vec<_> = view
        .items
        .iter()
        .map(|i| i.target.target.host.as_str())
        .collect();
    assert_eq!(hosts, ["a.gov.vn", "b.gov.vn"]);
    assert_eq!(
        view.items[0].job.id, pending.id,
        "the pending job answers it"
    );
    assert_eq!(view.items[1].job.state, JobState::Queued);
    assert_eq!(view.items[1].job.requested_by, "api:Sở TT&TT Huế");
    assert!(
        store.target_by_host("b.gov.vn").await.unwrap().is_some(),
        "filed as a target"
    );
    assert!(
        store.batch(batch, other).await.unwrap().is_none(),
        "another token sees nothing"
    );

    assert!(store.revoke_api_token(token, now).await.unwrap());
    assert!(store.api_token("hash-1", now).await.unwrap().is_none());
    assert!(!store.revoke_api_token(token, now).await.unwrap(), "once");
    assert_eq!(store.api_tokens().await.unwrap().len(), 2);
}
store_test!(a_batch_files_new_hosts_reuses_pending_jobs_and_is_read_only_by_its_token);
