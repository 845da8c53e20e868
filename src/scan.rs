//! The scan runner: collect → check → judge → store, for many sites at once.
//!
//! Each site is its own task (so both cores work), as many at once as the admission
//! allows (`capacity::Admission`); each site's
//! result is stored in one transaction as soon as it is known, so an interrupted run
//! loses only the sites in flight, and the run's pending items say where to resume.

use crate::capacity::Admission;
use crate::notify::{ChangeLine, Notices, message_with_changes};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use time::OffsetDateTime;
use tokio::task::JoinSet;
use trustlabel_collect::Collector;
use trustlabel_core::changes::{ScanOutline, changes};
use trustlabel_core::checks;
use trustlabel_core::ct::{DiscoveryScope, Sighting, sightings};
use trustlabel_core::evidence::Evidence;
use trustlabel_core::finding::Finding;
use trustlabel_core::page::AnalysedPages;
use trustlabel_core::policy::{
    LabelState, Policy, Transition, Verdict, next_label, personal_data_collected,
};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::target::Target;
use trustlabel_store::{
    Discovery, JobClaim, LabelUpdate, ScanRecord, SourceKind, Store, StoreError, StoredTarget,
};

/// The outcome of one site scan.
#[derive(Debug, Clone)]
pub struct SiteResult {
    pub host: String,
    pub target_id: Option<i64>,
    pub evidence: Evidence,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// The label after this scan as stored (only for stored targets): the policy applied
    /// to the label the store held when the scan was recorded.
    pub label: Option<LabelState>,
    pub transition: Option<Transition>,
    pub scan_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a scan task failed: {0}")]
    Task(String),
}

/// What a scan is about: a stored target (result stored) or an ad-hoc host (not stored).
#[derive(Debug, Clone)]
pub enum ScanItem {
    Stored(StoredTarget),
    AdHoc { host: String, https_port: u16 },
}

impl ScanItem {
    fn host(&self) -> &str {
        match self {
            ScanItem::Stored(t) => &t.target.host,
            ScanItem::AdHoc { host, .. } => host,
        }
    }

    fn https_port(&self) -> u16 {
        match self {
            ScanItem::Stored(t) => t.target.https_port,
            ScanItem::AdHoc { https_port, .. } => *https_port,
        }
    }
}

/// Cooperative stop: set it (on Ctrl-C) and no new site starts; sites in flight finish
/// and are stored.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct Scanner {
    collector: Collector,
    /// The rules in force; the collector was built with the same ones.
    rules: Arc<RuleSet>,
    store: Option<Store>,
    /// Sites in flight at most; a run starts below and grows only while it waits on the
    /// network (see [`Admission`]).
    concurrency: usize,
    /// The most sites a run of this scanner let in flight at once (its admission's peak).
    peak_in_flight: AtomicUsize,
    /// When set, label changes that matter queue an e-mail to the site's contact.
    notices: Option<Notices>,
    /// When set, in-scope hosts in a stored scan's links and certificate become
    /// discovery candidates.
    discovery: Option<DiscoveryScope>,
}

impl Scanner {
    /// `collector` must have been built with `rules` ([`Collector::new`]), so that the
    /// checks judge with the rules the evidence was collected by.
    pub fn new(
        collector: Collector,
        rules: Arc<RuleSet>,
        store: Option<Store>,
        concurrency: usize,
    ) -> Arc<Scanner> {
        Scanner::notifying(collector, rules, store, concurrency, None)
    }

    /// [`Scanner::new`] that also writes owner notifications to the outbox.
    pub fn notifying(
        collector: Collector,
        rules: Arc<RuleSet>,
        store: Option<Store>,
        concurrency: usize,
        notices: Option<Notices>,
    ) -> Arc<Scanner> {
        Scanner::assemble(collector, rules, store, concurrency, notices, None)
    }

    /// [`Scanner::notifying`] that also files the in-scope hosts each stored scan links
    /// to or names in its certificate as discovery candidates.
    pub fn discovering(
        collector: Collector,
        rules: Arc<RuleSet>,
        store: Option<Store>,
        concurrency: usize,
        notices: Option<Notices>,
        scope: DiscoveryScope,
    ) -> Arc<Scanner> {
        Scanner::assemble(collector, rules, store, concurrency, notices, Some(scope))
    }

    fn assemble(
        collector: Collector,
        rules: Arc<RuleSet>,
        store: Option<Store>,
        concurrency: usize,
        notices: Option<Notices>,
        discovery: Option<DiscoveryScope>,
    ) -> Arc<Scanner> {
        Arc::new(Scanner {
            collector,
            rules,
            store,
            concurrency: concurrency.max(1),
            peak_in_flight: AtomicUsize::new(0),
            notices,
            discovery,
        })
    }

    /// The most sites any run of this scanner let in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight.load(Ordering::Relaxed)
    }

    pub fn policy(&self) -> &Policy {
        &self.rules.policy
    }

    /// Scans every item, calling `on_result` as each finishes (in completion order).
    /// Returns the results in completion order.
    pub async fn run(
        self: &Arc<Self>,
        items: Vec<ScanItem>,
        run_id: Option<i64>,
        stop: &StopFlag,
        mut on_result: impl FnMut(&SiteResult),
    ) -> Result<Vec<SiteResult>, ScanError> {
        let mut admission = Admission::new(self.concurrency);
        let mut tasks: JoinSet<Result<SiteResult, ScanError>> = JoinSet::new();
        let mut results = Vec::with_capacity(items.len());
        let mut first_error = None;
        for item in items {
            // Wait for a free slot, collecting finished sites and adjusting the number
            // of slots meanwhile.
            while tasks.len() >= admission.limit() {
                tokio::select! {
                    Some(done) = tasks.join_next() => {
                        Self::absorb(done, &mut results, &mut first_error, &mut on_result);
                    }
                    () = admission.sample() => {}
                }
            }
            if stop.is_stopped() || first_error.is_some() {
                break;
            }
            let scanner = self.clone();
            tasks.spawn(async move { scanner.scan_one(item, run_id, None).await });
        }
        self.peak_in_flight
            .fetch_max(admission.peak(), Ordering::Relaxed);
        while let Some(done) = tasks.join_next().await {
            Self::absorb(done, &mut results, &mut first_error, &mut on_result);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(results),
        }
    }

    fn absorb(
        done: Result<Result<SiteResult, ScanError>, tokio::task::JoinError>,
        results: &mut Vec<SiteResult>,
        first_error: &mut Option<ScanError>,
        on_result: &mut impl FnMut(&SiteResult),
    ) {
        match done {
            Ok(Ok(result)) => {
                on_result(&result);
                results.push(result);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(join) => {
                first_error.get_or_insert(ScanError::Task(join.to_string()));
            }
        }
    }

    /// Judges evidence with the rules in force at `now`; `analysed` are the pages the
    /// collector already read from this same evidence (empty for stored evidence).
    pub fn judge(
        &self,
        evidence: &Evidence,
        analysed: AnalysedPages,
        now: OffsetDateTime,
    ) -> (Vec<Finding>, Verdict) {
        let findings = checks::run_all_with(evidence, &self.rules.check_context(now), analysed);
        let mut verdict =
            self.rules
                .policy
                .evaluate_at(&findings, evidence.legacy.as_ref(), Some(now));
        self.rules.stamp_feeds(&mut verdict, now);
        (findings, verdict)
    }

    /// Scans one queued job's site and stores the result together with the job's
    /// completion, only while `job.worker` still holds the job's lease.
    pub async fn scan_job(
        &self,
        target: StoredTarget,
        job: JobClaim<'_>,
    ) -> Result<SiteResult, ScanError> {
        self.scan_one(ScanItem::Stored(target), None, Some(job))
            .await
    }

    /// The policy's next label for `previous` after `verdict`, and the owner's e-mail
    /// about the transition when it matters. Pure: the store may call it again inside
    /// its transaction.
    fn label_update(
        &self,
        target: &Target,
        previous: &LabelState,
        verdict: &Verdict,
        now: OffsetDateTime,
        changed: &[ChangeLine],
    ) -> LabelUpdate {
        let (label, transition) =
            next_label(previous, verdict, now, &self.rules.policy.label_rules);
        let notification = match (&transition, &self.notices) {
            (Some(t), Some(notices)) => {
                message_with_changes(target, t, notices, Some(&self.rules.catalog), changed)
            }
            _ => None,
        };
        LabelUpdate {
            label,
            transition,
            notification,
        }
    }

    async fn scan_one(
        &self,
        item: ScanItem,
        run_id: Option<i64>,
        job: Option<JobClaim<'_>>,
    ) -> Result<SiteResult, ScanError> {
        let collected = self
            .collector
            .collect_with_pages(item.host(), item.https_port())
            .await;
        let evidence = collected.evidence;
        // The wall clock is read once per site, here at the edge; the checks and the
        // policy get it as a value.
        let now = OffsetDateTime::now_utc();
        let seen = self
            .discovery
            .as_ref()
            .map(|scope| sightings(&evidence, collected.pages.home.as_ref(), scope))
            .unwrap_or_default();
        let (findings, verdict) = self.judge(&evidence, collected.pages, now);
        let mut result = SiteResult {
            host: item.host().to_string(),
            target_id: None,
            evidence,
            findings,
            verdict,
            label: None,
            transition: None,
            scan_id: None,
        };
        if let (ScanItem::Stored(target), Some(store)) = (&item, &self.store) {
            let label_read = store.label(target.id).await?;
            // What this scan changed since the previous one, for the owner's e-mail.
            let previous = store.scan_outlines(target.id, 1).await?;
            let this = ScanOutline {
                scan_id: 0,
                at: now,
                grade: result.verdict.grade,
                findings: result.findings.iter().map(|f| f.id).collect(),
            };
            let outlines: Vec<ScanOutline> = std::iter::once(this).chain(previous).collect();
            let changed = changes(&outlines)
                .map(|c| ChangeLine::from_changes(&c, &self.rules.catalog))
                .unwrap_or_default();
            let update =
                self.label_update(&target.target, &label_read, &result.verdict, now, &changed);
            // When the label changed after it was read (a staff decision, a lapse,
            // another worker), the store applies the same policy to the label it finds,
            // dated no earlier than that label's own change.
            let recompute = |current: &LabelState| {
                let at = current.next_change_at(now);
                self.label_update(&target.target, current, &result.verdict, at, &changed)
            };
            let stored = store
                .record_scan(
                    &ScanRecord {
                        target_id: target.id,
                        run_id,
                        evidence: &result.evidence,
                        findings: &result.findings,
                        verdict: &result.verdict,
                        tool_version: env!("CARGO_PKG_VERSION"),
                        rules_hash: self.rules.hash(),
                        label_read: &label_read,
                        update: &update,
                        collects_personal_data: personal_data_collected(
                            &result.findings,
                            result.verdict.decision,
                        ),
                        job,
                    },
                    now,
                    recompute,
                )
                .await?;
            if !seen.is_empty() {
                store
                    .record_discoveries(&discoveries(&seen), None, now)
                    .await?;
            }
            result.target_id = Some(target.id);
            result.label = Some(stored.label);
            result.transition = stored.transition;
            result.scan_id = Some(stored.scan_id);
        }
        Ok(result)
    }
}

/// What the store keeps of each sighting on a scanned site.
fn discoveries(seen: &[Sighting]) -> Vec<Discovery> {
    seen.iter()
        .map(|s| match s {
            Sighting::Link { host, page } => Discovery {
                host: host.clone(),
                kind: SourceKind::Link,
                source: page.clone(),
                detail: String::new(),
            },
            Sighting::Certificate {
                host,
                site,
                fingerprint,
            } => Discovery {
                host: host.clone(),
                kind: SourceKind::Certificate,
                source: site.clone(),
                detail: format!("certificate sha256 {fingerprint}"),
            },
        })
        .collect()
}
