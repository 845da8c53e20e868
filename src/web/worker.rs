//! The job loop inside `serve` for callers that manage nothing else (tests, embedding):
//! [`crate::worker::run_jobs`] with one job at a time, until the task is aborted.
//! `trustlabel serve` itself runs the full background (jobs, scheduler, outbox).

use crate::scan::Scanner;
use crate::worker::{WorkerOptions, run_jobs};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use trustlabel_store::Store;

/// `lease` should exceed the scanner's per-site deadline, so a live worker's job is
/// never taken over by another.
pub fn spawn_worker(
    store: Store,
    scanner: Arc<Scanner>,
    wake: Arc<Notify>,
    lease: time::Duration,
) -> JoinHandle<()> {
    let options = WorkerOptions {
        name: format!("serve-{}", std::process::id()),
        jobs: 1,
        lease,
        poll: Duration::from_secs(5),
    };
    tokio::spawn(async move {
        // Kept alive for as long as the loop runs: it stops only when aborted.
        let (_keep, stop) = watch::channel(false);
        run_jobs(store, scanner, options, wake, stop).await;
    })
}
