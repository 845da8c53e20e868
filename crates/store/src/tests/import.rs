//! Importing target lists: re-imports update in place and never duplicate.

use super::fixtures::{IMPORTED_AT, TestDb, target, temp_store_on};
use super::{Backend, store_test};
use crate::{Store, UpsertSummary};

async fn reimporting_a_list_updates_changed_sites_and_never_duplicates(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let first = store
        .upsert_targets(&[target("a.gov.vn"), target("b.gov.vn")], IMPORTED_AT)
        .await
        .unwrap();
    assert_eq!(
        first,
        UpsertSummary {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let id_a = store.target_by_host("a.gov.vn").await.unwrap().unwrap().id;

    let mut moved = target("b.gov.vn");
    moved.organisation = "Sở Y tế".into();
    moved.https_port = 8443;
    let second = store
        .upsert_targets(
            &[target("a.gov.vn"), moved.clone(), target("c.gov.vn")],
            IMPORTED_AT,
        )
        .await
        .unwrap();
    assert_eq!(
        second,
        UpsertSummary {
            inserted: 1,
            updated: 1,
            unchanged: 1
        }
    );

    let all = store.targets().await.unwrap();
    let hosts: Vec<&str> = all.iter().map(|t| t.target.host.as_str()).collect();
    assert_eq!(hosts, ["a.gov.vn", "b.gov.vn", "c.gov.vn"]);
    assert_eq!(all[1].target, moved);
    assert_eq!(all[0].id, id_a, "an unchanged site keeps its id");
}
store_test!(reimporting_a_list_updates_changed_sites_and_never_duplicates);

async fn importing_the_same_list_twice_changes_nothing(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let list = [target("a.gov.vn"), target("xn--btichnh-jya4b.gov.vn")];
    store.upsert_targets(&list, IMPORTED_AT).await.unwrap();
    let before = store.targets().await.unwrap();
    let again = store.upsert_targets(&list, IMPORTED_AT).await.unwrap();
    assert_eq!(again.unchanged, 2);
    assert_eq!((again.inserted, again.updated), (0, 0));
    assert_eq!(store.targets().await.unwrap(), before);
}
store_test!(importing_the_same_list_twice_changes_nothing);

async fn targets_survive_reopening_and_are_found_by_exact_host(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url();
    let store = Store::open(url).await.unwrap();
    store
        .upsert_targets(&[target("a.gov.vn")], IMPORTED_AT)
        .await
        .unwrap();
    store.close().await;

    let reopened = Store::open(url).await.unwrap();
    let found = reopened.target_by_host("a.gov.vn").await.unwrap().unwrap();
    assert_eq!(found.target, target("a.gov.vn"));
    assert_eq!(reopened.target_by_host("b.gov.vn").await.unwrap(), None);
}
store_test!(targets_survive_reopening_and_are_found_by_exact_host);

#[tokio::test]
async fn an_in_memory_store_keeps_its_data_across_calls() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    store
        .upsert_targets(&[target("a.gov.vn")], IMPORTED_AT)
        .await
        .unwrap();
    assert_eq!(store.targets().await.unwrap().len(), 1);
}
