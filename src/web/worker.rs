//! The background task of `serve` that runs queued scan requests (owner "re-scan now",
//! staff "scan") with the same `Scanner` as the CLI, one job at a time.

use crate::scan::{ScanItem, Scanner, StopFlag};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How often the queue is polled when nobody wakes the worker (another process may
/// have queued a job).
const POLL: Duration = Duration::from_secs(5);

/// Runs until aborted. `lease` should exceed the scanner's per-site deadline, so a live
/// worker's job is never taken over by another.
pub fn spawn_worker(
    store: Store,
    scanner: Arc<Scanner>,
    wake: Arc<Notify>,
    lease: time::Duration,
) -> JoinHandle<()> {
    let worker = format!("serve-{}", std::process::id());
    tokio::spawn(async move {
        loop {
            let job = match store
                .claim_scan_job(&worker, OffsetDateTime::now_utc(), lease)
                .await
            {
                Ok(job) => job,
                Err(e) => {
                    tracing::warn!("scan queue unavailable: {e}");
                    None
                }
            };
            let Some(job) = job else {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
                continue;
            };
            let outcome = match store.target_by_id(job.target_id).await {
                Ok(Some(target)) => {
                    let results = scanner
                        .run(
                            vec![ScanItem::Stored(target)],
                            None,
                            &StopFlag::default(),
                            |_| {},
                        )
                        .await;
                    match results {
                        Ok(results) => results
                            .first()
                            .and_then(|r| r.scan_id)
                            .ok_or_else(|| "the scan produced no stored result".to_string()),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Ok(None) => Err("the site is no longer in the target list".to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = store
                .finish_scan_job(job.id, OffsetDateTime::now_utc(), outcome)
                .await
            {
                tracing::warn!("cannot record the end of scan job {}: {e}", job.id);
            }
        }
    })
}
