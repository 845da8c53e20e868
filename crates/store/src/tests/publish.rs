//! The publishing side of the store: search, filters, paging, the queue, owner links,
//! staff sessions and staff decisions.

use super::fixtures::{
    IMPORTED_AT, Scan, label, seeded_targets, target, temp_store_on, transition,
};
use super::{Backend, store_test};
use crate::{Audit, Enqueued, Facet, JobState, SiteQuery, SortKey, StoreError, View};
use time::Duration;
use time::macros::datetime;
use trustlabel_core::fold::fold;
use trustlabel_core::policy::{LabelLevel, LabelStatus, staff_override};

fn audit<'a>(action: &'a str, detail: &'a str) -> Audit<'a> {
    Audit {
        actor: "lan",
        action,
        host: None,
        detail,
    }
}

async fn search_ignores_diacritics_and_case(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let mut a = target("mof.gov.vn");
    a.organisation = "Bộ Tài chính".into();
    let mut b = target("shop.example.vn");
    b.organisation = "Cửa hàng Đà Nẵng".into();
    store.upsert_targets(&[a, b], IMPORTED_AT).await.unwrap();

    for typed in ["bo tai chinh", "Bộ Tài Chính", "BO TAI", "mof.gov"] {
        let page = store
            .list_sites(&SiteQuery {
                search: Some(fold(typed)),
                limit: 10,
                ..SiteQuery::default()
            })
            .await
            .unwrap();
        let hosts: Vec<_> = page.rows.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(hosts, ["mof.gov.vn"], "query {typed:?}");
    }
    let page = store
        .list_sites(&SiteQuery {
            search: Some(fold("da nang")),
            limit: 10,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].host, "shop.example.vn");
}
store_test!(search_ignores_diacritics_and_case);

async fn an_organisation_renamed_on_reimport_is_found_by_its_new_name(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let mut t = target("a.gov.vn");
    store
        .upsert_targets(std::slice::from_ref(&t), IMPORTED_AT)
        .await
        .unwrap();
    t.organisation = "Sở Y tế".into();
    store.upsert_targets(&[t], IMPORTED_AT).await.unwrap();
    let page = store
        .list_sites(&SiteQuery {
            search: Some(fold("so y te")),
            limit: 10,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}
store_test!(an_organisation_renamed_on_reimport_is_found_by_its_new_name);

async fn views_filters_and_paging_split_the_list(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let sites = seeded_targets(&store, 25).await;
    // Five assessed sites (failing scans), the rest never scanned.
    for site in &sites[..5] {
        let scan = Scan::failing(&site.target.host);
        scan.record_into(&store, site.id, None).await.unwrap();
    }
    let assessed = store
        .list_sites(&SiteQuery {
            view: View::Assessed,
            limit: 100,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(assessed.total, 5);
    assert!(
        assessed
            .rows
            .iter()
            .all(|r| r.status == LabelStatus::NotLabelled)
    );
    assert!(assessed.rows.iter().all(|r| r.last_assessed.is_some()));

    let page2 = store
        .list_sites(&SiteQuery {
            view: View::NotAssessed,
            offset: 10,
            limit: 10,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page2.total, 20);
    assert_eq!(page2.rows.len(), 10);
    assert!(
        page2
            .rows
            .iter()
            .all(|r| r.status == LabelStatus::NotAssessed)
    );

    let by_status = store
        .list_sites(&SiteQuery {
            statuses: vec![LabelStatus::NotLabelled],
            category: Some("government".into()),
            province: Some("Hà Nội".into()),
            sort: SortKey::Host,
            descending: true,
            limit: 3,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_status.total, 5);
    let hosts: Vec<_> = by_status.rows.iter().map(|r| r.host.as_str()).collect();
    let mut sorted = hosts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(hosts, sorted, "descending by host");

    let none = store
        .list_sites(&SiteQuery {
            province: Some("Huế".into()),
            limit: 10,
            ..SiteQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(none.total, 0);

    let counts = store.status_counts(Facet::Category).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].count(LabelStatus::NotAssessed), 20);
    assert_eq!(counts[0].count(LabelStatus::NotLabelled), 5);
    assert_eq!(
        store.facet(Facet::Province).await.unwrap(),
        vec![("Hà Nội".to_string(), 25)]
    );
}
store_test!(views_filters_and_paging_split_the_list);

async fn the_queue_holds_one_pending_request_per_site_and_rate_limits_requests(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let t0 = datetime!(2026-01-01 10:00 UTC);
    let hour = Some(Duration::hours(1));
    let first = match store
        .enqueue_scan(site.id, "owner", t0, hour)
        .await
        .unwrap()
    {
        Enqueued::Queued(job) => job,
        other => panic!("expected a queued job, got {other:?}"),
    };
    assert!(matches!(
        store.enqueue_scan(site.id, "owner", t0, hour).await.unwrap(),
        Enqueued::AlreadyPending(job) if job.id == first.id
    ));

    let claimed = store
        .claim_scan_job("w1", t0, Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (claimed.id, claimed.state, claimed.attempts),
        (first.id, JobState::Running, 1)
    );
    assert!(
        store
            .claim_scan_job("w2", t0, Duration::minutes(5))
            .await
            .unwrap()
            .is_none(),
        "a leased job is not handed out twice"
    );
    // The lease runs out (the worker died): another worker takes it over.
    let later = t0 + Duration::minutes(6);
    let retaken = store
        .claim_scan_job("w2", later, Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((retaken.id, retaken.attempts), (first.id, 2));
    store
        .finish_scan_job(first.id, later, Err("collector failed".into()))
        .await
        .unwrap();
    let last = store.latest_scan_job(site.id).await.unwrap().unwrap();
    assert_eq!(last.state, JobState::Failed);
    assert_eq!(last.error.as_deref(), Some("collector failed"));

    match store
        .enqueue_scan(site.id, "owner", t0 + Duration::minutes(30), hour)
        .await
        .unwrap()
    {
        Enqueued::TooSoon { retry_at, .. } => assert_eq!(retry_at, t0 + Duration::hours(1)),
        other => panic!("expected TooSoon, got {other:?}"),
    }
    assert!(matches!(
        store
            .enqueue_scan(site.id, "staff:lan", t0 + Duration::minutes(30), None)
            .await
            .unwrap(),
        Enqueued::Queued(_)
    ));
}
store_test!(the_queue_holds_one_pending_request_per_site_and_rate_limits_requests);

async fn owner_links_expire_and_can_be_revoked(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let t0 = datetime!(2026-01-01 10:00 UTC);
    let id = store
        .create_owner_link(site.id, "hash-a", t0, t0 + Duration::days(30))
        .await
        .unwrap();
    store
        .create_owner_link(site.id, "hash-b", t0, t0 + Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        store.owner_link("hash-a", t0).await.unwrap().unwrap().id,
        id
    );
    assert!(
        store
            .owner_link("hash-a", t0 + Duration::days(31))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.owner_link("unknown", t0).await.unwrap().is_none());
    assert_eq!(
        store
            .revoke_owner_links(site.id, Some(id), t0)
            .await
            .unwrap(),
        1
    );
    assert!(store.owner_link("hash-a", t0).await.unwrap().is_none());
    assert!(store.owner_link("hash-b", t0).await.unwrap().is_some());
    assert_eq!(
        store.revoke_owner_links(site.id, None, t0).await.unwrap(),
        1
    );
    assert!(store.owner_link("hash-b", t0).await.unwrap().is_none());
}
store_test!(owner_links_expire_and_can_be_revoked);

async fn sessions_end_with_expiry_disabling_or_a_new_password(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let t0 = datetime!(2026-01-01 10:00 UTC);
    let user = store.create_staff("lan", "phc", t0).await.unwrap();
    assert!(matches!(
        store.create_staff("lan", "phc", t0).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .create_session("s1", user, "csrf1", t0, t0 + Duration::hours(8))
        .await
        .unwrap();
    let session = store.session("s1", t0).await.unwrap().unwrap();
    assert_eq!(
        (session.user.username.as_str(), session.csrf_token.as_str()),
        ("lan", "csrf1")
    );
    assert!(
        store
            .session("s1", t0 + Duration::hours(9))
            .await
            .unwrap()
            .is_none()
    );
    store.set_staff_disabled("lan", true).await.unwrap();
    assert!(store.session("s1", t0).await.unwrap().is_none());
    store.set_staff_disabled("lan", false).await.unwrap();
    assert!(
        store.session("s1", t0).await.unwrap().is_none(),
        "re-enabling the account does not revive a session from before"
    );
    store
        .create_session("s2", user, "csrf2", t0, t0 + Duration::hours(8))
        .await
        .unwrap();
    assert!(store.session("s2", t0).await.unwrap().is_some());
    store.set_staff_password("lan", "phc2").await.unwrap();
    assert!(store.session("s2", t0).await.unwrap().is_none());
}
store_test!(sessions_end_with_expiry_disabling_or_a_new_password);

async fn an_override_changes_the_label_records_history_without_a_scan_and_is_audited(
    backend: Backend,
) {
    let (_db, store) = temp_store_on(backend).await;
    let site = &seeded_targets(&store, 1).await[0];
    let at = datetime!(2025-06-01 08:00 UTC);
    let mut scan = Scan::failing(&site.target.host);
    scan.update.label = label(LabelStatus::Labelled, at);
    scan.update.transition = Some(transition(
        LabelStatus::NotAssessed,
        LabelStatus::Labelled,
        at,
    ));
    scan.record_into(&store, site.id, None).await.unwrap();

    let now = datetime!(2025-06-02 09:00 UTC);
    assert!(
        store
            .attest(
                site.id,
                "manual review ok",
                audit("attest", "manual review ok"),
                now
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.label(site.id).await.unwrap().level,
        Some(LabelLevel::Advanced)
    );

    let t = store
        .override_label(
            site.id,
            audit("override", "phishing reported"),
            now,
            |previous| {
                staff_override(
                    previous,
                    LabelStatus::Revoked,
                    None,
                    now,
                    "staff decision by lan: phishing reported".into(),
                )
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.from, t.to),
        (LabelStatus::Labelled, LabelStatus::Revoked)
    );
    let label = store.label(site.id).await.unwrap();
    assert_eq!((label.status, label.level), (LabelStatus::Revoked, None));
    let history = store.history(site.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.scan_id, None);
    assert!(last.transition.reason.contains("phishing reported"));
    assert!(
        !store
            .attest(site.id, "x", audit("attest", "x"), now)
            .await
            .unwrap(),
        "only a labelled site can be attested"
    );
    let log = store.audit_log(10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["override", "attest"],
        "newest first; the refused attest wrote nothing"
    );
    let changes = store.recent_changes(10).await.unwrap();
    assert_eq!(changes[0].host, site.target.host);
    assert_eq!(changes[0].change.transition.to, LabelStatus::Revoked);
    let hourly = store.hourly_changes().await.unwrap();
    assert_eq!(hourly.len(), 2);
    assert!(
        hourly
            .iter()
            .all(|c| c.hour.minute() == 0 && c.hour.second() == 0)
    );
}
store_test!(an_override_changes_the_label_records_history_without_a_scan_and_is_audited);
