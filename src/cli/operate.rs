//! `trustlabel worker`, and the same background work inside `serve`: scan jobs from the
//! shared queue, the scheduler, and the notification outbox (see `trustlabel::worker`).

use super::CliError;
use super::settings::Settings;
use super::{EXIT_OK, usage};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use trustlabel::notify::{Notices, OutboxSender, SenderSettings};
use trustlabel::publish::settings::{DEFAULT_LISTEN, PublishSettings};
use trustlabel::scan::Scanner;
use trustlabel::worker::{WorkerOptions, run_jobs, run_scheduler};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::schedule::Cadence;
use trustlabel_store::Store;

/// What runs in the background, and how to stop it.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Wakes the job loop when a job is queued in this process.
    pub wake: Arc<Notify>,
}

impl Background {
    /// Stops claiming work and waits for the scans in flight (each bounded by the
    /// per-site deadline), so nothing is half-written.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

pub struct Parts {
    pub jobs: usize,
    pub scheduler: bool,
    /// Lease length in seconds, when not the default.
    pub lease_secs: Option<f64>,
}

fn hours(value: f64, what: &str) -> Result<Duration, CliError> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::seconds_f64(value * 3600.0))
    } else {
        Err(usage(format!("{what} must be a positive number of hours")))
    }
}

pub fn cadence(settings: &Settings) -> Result<Cadence, CliError> {
    let s = &settings.schedule;
    let mut by_category = HashMap::new();
    for (category, h) in &s.cadence_hours_by_category {
        by_category.insert(
            category.clone(),
            hours(
                *h,
                &format!("schedule.cadence_hours_by_category.{category}"),
            )?,
        );
    }
    Ok(Cadence {
        default: hours(s.cadence_hours.unwrap_or(24.0), "schedule.cadence_hours")?,
        by_category,
        ..Cadence::default()
    })
}

/// The notification identity (the published authority and URL), when `[notify]` has a
/// mail server.
fn notices(settings: &Settings, publish: &PublishSettings) -> Option<Notices> {
    settings.notify.smtp_url.as_ref()?;
    Some(Notices {
        authority_name: publish.branding.authority_name.clone(),
        public_url: publish.public_url.clone(),
        contact: publish.branding.contact.clone(),
    })
}

/// Starts the job loop (and the scheduler and outbox sender, when configured).
pub fn start(
    settings: &Settings,
    rules: &Arc<RuleSet>,
    store: &Store,
    publish: &PublishSettings,
    parts: Parts,
) -> Result<Background, CliError> {
    let notices = notices(settings, publish);
    let scanner = Scanner::discovering(
        super::commands::collector(settings, rules)?,
        Arc::clone(rules),
        Some(store.clone()),
        parts.jobs,
        notices.clone(),
        super::commands::discovery_scope(settings)?,
    );
    let (stop, stop_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let lease = match parts.lease_secs {
        Some(secs) if secs.is_finite() && secs >= 1.0 => Duration::seconds_f64(secs),
        Some(_) => return Err(usage("--lease-secs must be at least 1")),
        None => Duration::seconds_f64(settings.collector.site_deadline.as_secs_f64() * 2.0 + 30.0),
    };
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let options = WorkerOptions {
        name: format!("{host}-{}", std::process::id()),
        jobs: parts.jobs.max(1),
        lease,
        poll: StdDuration::from_secs(5),
    };
    let mut tasks = vec![tokio::spawn(run_jobs(
        store.clone(),
        scanner,
        options,
        wake.clone(),
        stop_rx.clone(),
    ))];
    if parts.scheduler {
        let tick = settings.schedule.tick_seconds.unwrap_or(60.0);
        if !(tick.is_finite() && tick > 0.0) {
            return Err(usage("schedule.tick_seconds must be a positive number"));
        }
        tasks.push(tokio::spawn(run_scheduler(
            store.clone(),
            cadence(settings)?,
            rules.policy.label_rules,
            notices.clone(),
            StdDuration::from_secs_f64(tick),
            settings.schedule.max_queued_per_tick.unwrap_or(1000),
            wake.clone(),
            stop_rx.clone(),
        )));
    }
    if let Some(url) = &settings.notify.smtp_url {
        let sender = OutboxSender::new(
            store.clone(),
            &SenderSettings {
                smtp_url: url.clone(),
                from: settings
                    .notify
                    .from
                    .clone()
                    .ok_or_else(|| usage("notify.from is required with notify.smtp_url"))?,
                batch: 50,
                timeout: StdDuration::from_secs(30),
            },
        )
        .map_err(usage)?;
        let every =
            StdDuration::from_secs_f64(settings.notify.every_seconds.unwrap_or(30.0).max(0.1));
        let mut rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            sender
                .run(every, async move {
                    let _ = rx.changed().await;
                })
                .await;
        }));
    }
    Ok(Background { stop, tasks, wake })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `trustlabel worker`: runs until SIGINT/SIGTERM, then finishes the scans in flight.
pub async fn worker(settings: &Settings, parts: Parts) -> Result<u8, CliError> {
    let rules = super::commands::load_rules(settings)?;
    let database = settings.database_or(super::settings::DEFAULT_DATABASE);
    let store = super::commands::open_store(&database).await?;
    let listen = settings.publish.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let publish = PublishSettings::from_section(
        &settings.publish,
        &format!("http://{listen}"),
        rules.policy.label_rules,
    )
    .map_err(super::usage)?;
    let jobs = parts.jobs;
    let background = start(settings, &rules, &store, &publish, parts)?;
    eprintln!("worker: {jobs} jobs at a time on {database} (SIGINT/SIGTERM to stop)");
    shutdown_signal().await;
    eprintln!("worker: stopping; finishing the scans in flight");
    background.shutdown().await;
    store.close().await;
    Ok(EXIT_OK)
}
