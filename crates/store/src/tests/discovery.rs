//! Discovery: candidates with their sources, log positions stored with the batch that
//! reached them, and staff decisions written with their audit entry.

use super::fixtures::{IMPORTED_AT, target, temp_store_on};
use super::{Backend, store_test};
use crate::{Audit, CandidateFilter, CandidateState, Discovery, SourceKind, StoreError};
use time::Duration;

fn seen(host: &str, kind: SourceKind, source: &str, detail: &str) -> Discovery {
    Discovery {
        host: host.into(),
        kind,
        source: source.into(),
        detail: detail.into(),
    }
}

async fn candidates_keep_their_sources_and_log_positions_move_with_their_batch(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let now = IMPORTED_AT;
    store
        .upsert_targets(&[target("known.gov.vn")], now)
        .await
        .unwrap();
    let log = "http://127.0.0.1:1/";
    let state = store.ct_log_state(log, "0:", now).await.unwrap();
    assert_eq!((state.frontier.as_str(), state.tree_size), ("0:", 0));

    let summary = store
        .record_discoveries(
            &[
                seen("a.gov.vn", SourceKind::CtLog, log, "index 0"),
                seen("known.gov.vn", SourceKind::CtLog, log, "index 1"),
                seen("a.gov.vn", SourceKind::CtLog, log, "index 2"),
            ],
            Some((log, "3:ab")),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            summary.new_candidates,
            summary.seen_again,
            summary.already_targets
        ),
        (1, 1, 1)
    );
    let later = now + Duration::hours(1);
    store
        .record_discoveries(
            &[seen(
                "a.gov.vn",
                SourceKind::Link,
                "https://known.gov.vn/",
                "known.gov.vn",
            )],
            None,
            later,
        )
        .await
        .unwrap();
    let a = store
        .candidate("a.gov.vn")
        .await
        .unwrap()
        .expect("candidate");
    assert_eq!(a.state, CandidateState::Pending);
    assert_eq!((a.first_seen, a.last_seen), (now, later));
    let sources: Vec<(SourceKind, &str, &str)> = a
        .sources
        .iter()
        .map(|s| (s.kind, s.source.as_str(), s.detail.as_str()))
        .collect();
    assert_eq!(
        sources,
        [
            (SourceKind::CtLog, log, "index 2"),
            (SourceKind::Link, "https://known.gov.vn/", "known.gov.vn")
        ]
    );
    assert!(store.candidate("known.gov.vn").await.unwrap().is_none());
    assert_eq!(
        store.ct_log_state(log, "0:", now).await.unwrap().frontier,
        "3:ab"
    );

    // A lying log: following restarts from the last verified position.
    store.ct_log_rewind(log, now).await.unwrap();
    assert_eq!(
        store.ct_log_state(log, "0:", now).await.unwrap().frontier,
        "0:"
    );
    store
        .ct_log_verified(log, "3:ab", 3, 99, "root", now)
        .await
        .unwrap();
    let state = store.ct_log_state(log, "0:", now).await.unwrap();
    assert_eq!(
        (
            state.verified_frontier.as_str(),
            state.tree_size,
            state.sth_root.as_str()
        ),
        ("3:ab", 3, "root")
    );

    let by_link = store
        .candidates(&CandidateFilter {
            kind: Some(SourceKind::Link),
            ..CandidateFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(by_link.len(), 1);
    assert!(
        store
            .candidates(&CandidateFilter {
                suffix: Some("hanoi.gov.vn".into()),
                ..CandidateFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}
store_test!(candidates_keep_their_sources_and_log_positions_move_with_their_batch);

async fn accepting_makes_a_target_and_every_decision_is_audited(backend: Backend) {
    let (_db, store) = temp_store_on(backend).await;
    let now = IMPORTED_AT;
    store
        .record_discoveries(
            &[
                seen("b.gov.vn", SourceKind::Certificate, "known.gov.vn", "ff"),
                seen("c.gov.vn", SourceKind::Certificate, "known.gov.vn", "ff"),
            ],
            None,
            now,
        )
        .await
        .unwrap();
    let audit = |action, host, detail| Audit {
        actor: "lan",
        action,
        host: Some(host),
        detail,
    };
    let stored = store
        .accept_candidate(
            &target("b.gov.vn"),
            audit("discover.accept", "b.gov.vn", "Sở X"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .target_by_host("b.gov.vn")
            .await
            .unwrap()
            .map(|t| t.id),
        Some(stored.id)
    );
    let b = store.candidate("b.gov.vn").await.unwrap().unwrap();
    assert_eq!(
        (b.state, b.target_id, b.decided_by.as_deref()),
        (CandidateState::Accepted, Some(stored.id), Some("lan"))
    );
    assert!(matches!(
        store
            .accept_candidate(
                &target("b.gov.vn"),
                audit("discover.accept", "b.gov.vn", ""),
                now
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .dismiss_candidate(
            "c.gov.vn",
            "parked",
            audit("discover.dismiss", "c.gov.vn", "parked"),
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .dismiss_candidate(
                "c.gov.vn",
                "again",
                audit("discover.dismiss", "c.gov.vn", ""),
                now
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let c = store.candidate("c.gov.vn").await.unwrap().unwrap();
    assert_eq!(
        (c.state, c.reason.as_deref()),
        (CandidateState::Dismissed, Some("parked"))
    );
    let actions: Vec<String> = store
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.host.unwrap_or_default()))
        .collect();
    assert!(actions.contains(&"discover.accept b.gov.vn".to_string()));
    assert!(actions.contains(&"discover.dismiss c.gov.vn".to_string()));
    let counts = store.candidate_counts().await.unwrap();
    assert!(counts.contains(&(CandidateState::Accepted, 1)));
    assert!(counts.contains(&(CandidateState::Dismissed, 1)));
}
store_test!(accepting_makes_a_target_and_every_decision_is_audited);
