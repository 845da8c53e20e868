//! Continuous operation: the loops that `trustlabel worker` and `trustlabel serve` run.
//!
//! - the **job loop** leases queued scan jobs (owner and staff requests, the scheduler's
//!   picks) and runs up to `jobs` of them at once, renewing each lease while its scan
//!   runs; the result and the job's completion are stored in one transaction that only
//!   commits while this worker still holds the lease, so a job has at most one result
//!   even when a stalled worker's lease was taken over;
//! - the **scheduler tick** queues the sites that are due (`schedule.rs`) and lapses
//!   labels whose validity ended without a passing scan;
//! - the outbox sender (`notify/`) runs beside them.
//!
//! Several processes may run these against one database: leases make the job loop
//! safe, and the scheduler only adds jobs for sites with none pending.

use crate::notify::{Notices, message_for};
use crate::scan::{ScanError, Scanner};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use trustlabel_core::policy::{LabelRules, expire_label};
use trustlabel_core::schedule::{Cadence, due_scans};
use trustlabel_store::{JobClaim, ScanJob, Store, StoreError};

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Lease owner name; unique per process (host name and process id by default).
    pub name: String,
    /// Jobs scanned at once.
    pub jobs: usize,
    /// How long a claimed job stays ours without a heartbeat. Heartbeats come every
    /// third of it, so only a dead or stalled worker loses a job.
    pub lease: Duration,
    /// How often the queue is polled when nobody wakes the loop.
    pub poll: StdDuration,
}

/// Runs jobs until `stop` turns true, then lets the scans in flight finish (each is
/// bounded by the per-site deadline) and returns.
pub async fn run_jobs(
    store: Store,
    scanner: Arc<Scanner>,
    options: WorkerOptions,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let options = Arc::new(options);
    let mut running: JoinSet<()> = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        if running.len() < options.jobs.max(1) {
            match store
                .claim_scan_job(&options.name, OffsetDateTime::now_utc(), options.lease)
                .await
            {
                Ok(Some(job)) => {
                    let (store, scanner, options) =
                        (store.clone(), scanner.clone(), options.clone());
                    running.spawn(async move { run_one(&store, &scanner, &options, job).await });
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("scan queue unavailable: {e}"),
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(options.poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break; // whoever could stop us is gone: stop
                }
            }
        }
    }
    while running.join_next().await.is_some() {}
}

async fn run_one(store: &Store, scanner: &Scanner, options: &WorkerOptions, job: ScanJob) {
    let target = match store.target_by_id(job.target_id).await {
        Ok(Some(target)) => target,
        Ok(None) => {
            finish_failed(store, &job, "the site is no longer in the target list").await;
            return;
        }
        Err(e) => {
            finish_failed(store, &job, &e.to_string()).await;
            return;
        }
    };
    let claim = JobClaim {
        id: job.id,
        worker: &options.name,
    };
    let heartbeat = async {
        let every: Duration = (options.lease / 3_i32).max(Duration::seconds(1));
        loop {
            tokio::time::sleep(every.unsigned_abs()).await;
            let until = OffsetDateTime::now_utc() + options.lease;
            match store
                .extend_scan_job_lease(job.id, &options.name, until)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!("cannot renew the lease of job {}: {e}", job.id),
            }
        }
    };
    tokio::select! {
        result = scanner.scan_job(target, claim) => match result {
            Ok(_) => {}
            Err(ScanError::Store(StoreError::Conflict(why))) => {
                tracing::warn!("result of job {} dropped: {why}", job.id);
            }
            Err(e) => finish_failed(store, &job, &e.to_string()).await,
        },
        () = heartbeat => {
            tracing::warn!("job {} was taken over by another worker; its scan is abandoned", job.id);
        }
    }
}

async fn finish_failed(store: &Store, job: &ScanJob, why: &str) {
    let outcome = Err(why.to_string());
    if let Err(e) = store
        .finish_scan_job(job.id, OffsetDateTime::now_utc(), outcome)
        .await
    {
        tracing::warn!("cannot record the end of scan job {}: {e}", job.id);
    }
}

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub queued: usize,
    pub expired: usize,
}

/// One scheduler tick at `now`: queue what is due (at most `limit` jobs) and lapse
/// labels past their validity.
pub async fn schedule_tick(
    store: &Store,
    cadence: &Cadence,
    rules: &LabelRules,
    notices: Option<&Notices>,
    now: OffsetDateTime,
    limit: usize,
) -> Result<Tick, StoreError> {
    let sites = store.schedule_view().await?;
    let due = due_scans(&sites, cadence, now, limit);
    let queued = store.enqueue_due(&due, "scheduler", now).await?;
    let mut expired = 0;
    let cutoff = now - Duration::days(rules.validity_days);
    for (target, label) in store.labels_passed_before(cutoff).await? {
        let Some((next, transition)) = expire_label(&label, now, rules) else {
            continue;
        };
        let message = notices.and_then(|n| message_for(&target.target, &transition, n));
        if store
            .record_label_change(target.id, &label, &next, &transition, message.as_ref())
            .await?
        {
            expired += 1;
        }
    }
    Ok(Tick { queued, expired })
}

/// Runs [`schedule_tick`] every `every` until `stop`, waking the job loop when work
/// was queued.
#[allow(clippy::too_many_arguments)] // reason: the scheduler's whole configuration, passed once
pub async fn run_scheduler(
    store: Store,
    cadence: Cadence,
    rules: LabelRules,
    notices: Option<Notices>,
    every: StdDuration,
    limit: usize,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match schedule_tick(
            &store,
            &cadence,
            &rules,
            notices.as_ref(),
            OffsetDateTime::now_utc(),
            limit,
        )
        .await
        {
            Ok(tick) if tick.queued > 0 => wake.notify_one(),
            Ok(_) => {}
            Err(e) => tracing::warn!("scheduler tick failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
