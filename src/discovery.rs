//! Inventory discovery, end to end: follow the configured Certificate Transparency logs
//! into the candidate queue (storing each batch with the log position it reached),
//! apply the auto-accept rules, and run the light probe on new candidates. The CLI and
//! the staff pages both call these; the pure parts are `trustlabel_core::ct`, the network
//! parts `trustlabel_collect::ct` and `light_probe`, the SQL the store's `discovery`.

use crate::config::DiscoverySection;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel_collect::Collector;
use trustlabel_collect::ct::{CtClient, CtError, CtSettings};
use trustlabel_core::ct::{DiscoveryScope, Frontier, LogKey};
use trustlabel_core::target::Target;
use trustlabel_store::{
    Audit, CandidateFilter, CandidateState, Discovery, DiscoverySummary, SourceKind, Store,
    StoreError,
};

/// Candidates probed at once (each probe opens at most two connections).
const PROBE_CONCURRENCY: usize = 16;
/// The default suffix: government sites.
pub const DEFAULT_SUFFIXES: &[&str] = &["gov.vn"];

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("[discovery]: {0}")]
    Scope(#[from] trustlabel_core::ct::ScopeError),
    #[error("[discovery] log {url}: {source}")]
    Key {
        url: String,
        source: trustlabel_core::ct::LogKeyError,
    },
    #[error("[discovery] auto_accept suffix `{0}` is not under the discovery suffixes")]
    AutoAccept(String),
    #[error("[discovery] {0} must be a positive number")]
    Setting(&'static str),
    #[error("stored position of log {url} is damaged: {source}")]
    Position {
        url: String,
        source: trustlabel_core::ct::FrontierError,
    },
    #[error(transparent)]
    Log(#[from] CtError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A log to follow and the key its tree heads must verify under.
#[derive(Debug, Clone)]
pub struct ConfiguredLog {
    pub url: String,
    pub key: LogKey,
}

/// A suffix whose candidates become this target without a person.
#[derive(Debug, Clone)]
pub struct AutoAccept {
    pub suffix: String,
    pub organisation: String,
    pub category: String,
    pub province: String,
    pub parent: String,
}

/// `[discovery]`, checked.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    pub scope: DiscoveryScope,
    pub logs: Vec<ConfiguredLog>,
    pub auto_accept: Vec<AutoAccept>,
    pub ct: CtSettings,
}

fn positive_secs(
    value: Option<f64>,
    what: &'static str,
) -> Result<Option<Duration>, DiscoveryError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v > 0.0 && v < 86_400.0 => Ok(Some(Duration::from_secs_f64(v))),
        Some(_) => Err(DiscoveryError::Setting(what)),
    }
}

impl DiscoveryConfig {
    pub fn from_section(section: &DiscoverySection) -> Result<DiscoveryConfig, DiscoveryError> {
        let mut suffixes: Vec<String> = match &section.suffixes {
            Some(s) => s.clone(),
            None => DEFAULT_SUFFIXES.iter().map(|s| s.to_string()).collect(),
        };
        suffixes.extend(section.domains.iter().cloned());
        let scope = DiscoveryScope::new(&suffixes)?;
        let logs = section
            .logs
            .iter()
            .map(|log| {
                LogKey::from_base64(&log.key)
                    .map(|key| ConfiguredLog {
                        url: log.url.clone(),
                        key,
                    })
                    .map_err(|source| DiscoveryError::Key {
                        url: log.url.clone(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let auto_accept = section
            .auto_accept
            .iter()
            .map(|rule| {
                let suffix = rule
                    .suffix
                    .trim()
                    .trim_start_matches('.')
                    .to_ascii_lowercase();
                let covered = scope.covers(&suffix) || scope.suffixes().contains(&suffix);
                if !covered {
                    return Err(DiscoveryError::AutoAccept(rule.suffix.clone()));
                }
                Ok(AutoAccept {
                    suffix,
                    organisation: rule.organisation.clone(),
                    category: rule.category.clone(),
                    province: rule.province.clone(),
                    parent: rule.parent.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut ct = CtSettings::default();
        if let Some(n) = section.batch_size {
            if n == 0 {
                return Err(DiscoveryError::Setting("batch_size"));
            }
            ct.batch_size = n;
        }
        if let Some(rate) = section.requests_per_second {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(DiscoveryError::Setting("requests_per_second"));
            }
            ct.requests_per_second = rate;
        }
        if let Some(t) = positive_secs(section.request_timeout_secs, "request_timeout_secs")? {
            ct.request_timeout = t;
        }
        if let Some(t) = positive_secs(section.backoff_secs, "backoff_secs")? {
            ct.backoff = t;
        }
        if let Some(n) = section.max_retries {
            ct.max_retries = n;
        }
        Ok(DiscoveryConfig {
            scope,
            logs,
            auto_accept,
            ct,
        })
    }
}

/// What following one log did.
#[derive(Debug, Clone, Default)]
pub struct LogRun {
    pub url: String,
    /// Entries `from..to` were read in this run.
    pub from: u64,
    pub to: u64,
    /// The verified tree head's size, when one was read.
    pub tree_size: Option<u64>,
    pub summary: DiscoverySummary,
    /// Entries whose leaf did not parse (named, first few only) and how many.
    pub malformed: Vec<String>,
    pub malformed_count: u64,
    /// Whether the whole log up to its signed head was read and its root matched.
    pub verified: bool,
}

fn add(total: &mut DiscoverySummary, part: DiscoverySummary) {
    total.new_candidates += part.new_candidates;
    total.seen_again += part.seen_again;
    total.already_targets += part.already_targets;
}

/// Follows one log from its stored position to its signed tree head. Every batch is
/// stored with the position it reached, so an error leaves everything read so far
/// stored and the next run resumes after it; a log that contradicts its signed head is
/// rewound to its last verified position. The run report comes back with the error.
pub async fn follow_log(
    store: &Store,
    client: &CtClient,
    log: &ConfiguredLog,
    scope: &DiscoveryScope,
) -> (LogRun, Result<(), DiscoveryError>) {
    let mut run = LogRun {
        url: log.url.clone(),
        ..LogRun::default()
    };
    let result = follow(store, client, log, scope, &mut run).await;
    if let Err(DiscoveryError::Log(e)) = &result {
        if e.is_inconsistent() {
            if let Err(rewind) = store
                .ct_log_rewind(&log.url, OffsetDateTime::now_utc())
                .await
            {
                return (run, Err(rewind.into()));
            }
        }
    }
    (run, result)
}

async fn follow(
    store: &Store,
    client: &CtClient,
    log: &ConfiguredLog,
    scope: &DiscoveryScope,
    run: &mut LogRun,
) -> Result<(), DiscoveryError> {
    let empty = Frontier::default().to_text();
    let state = store
        .ct_log_state(&log.url, &empty, OffsetDateTime::now_utc())
        .await?;
    let frontier =
        Frontier::from_text(&state.frontier).map_err(|source| DiscoveryError::Position {
            url: log.url.clone(),
            source,
        })?;
    run.from = frontier.size();
    run.to = frontier.size();
    let mut position = state.frontier;
    let mut following = client.open(&log.url, &log.key, frontier, scope).await?;
    run.tree_size = Some(following.head().tree_size);
    while let Some(batch) = following.next_batch().await? {
        // One sighting per host and batch: the latest entry names it.
        let mut latest: BTreeMap<&str, String> = BTreeMap::new();
        for name in &batch.names {
            latest.insert(
                &name.host,
                format!(
                    "entry {}, certificate sha256 {}",
                    name.index, name.certificate_sha256
                ),
            );
        }
        let found: Vec<Discovery> = latest
            .into_iter()
            .map(|(host, detail)| Discovery {
                host: host.to_string(),
                kind: SourceKind::CtLog,
                source: log.url.clone(),
                detail,
            })
            .collect();
        position = batch.frontier.to_text();
        let summary = store
            .record_discoveries(
                &found,
                Some((&log.url, &position)),
                OffsetDateTime::now_utc(),
            )
            .await?;
        add(&mut run.summary, summary);
        run.malformed_count += batch.malformed.len() as u64;
        for e in batch.malformed {
            if run.malformed.len() < 10 {
                run.malformed.push(e.to_string());
            }
        }
        run.to = batch.end;
    }
    let head = following.finish()?;
    store
        .ct_log_verified(
            &log.url,
            &position,
            head.tree_size,
            head.timestamp,
            &hex::encode(head.root_hash),
            OffsetDateTime::now_utc(),
        )
        .await?;
    run.verified = true;
    Ok(())
}

/// The auto-accept rule covering `host`, if any (the longest suffix wins).
pub fn auto_accept_rule<'a>(rules: &'a [AutoAccept], host: &str) -> Option<&'a AutoAccept> {
    rules
        .iter()
        .filter(|r| host == r.suffix || host.ends_with(&format!(".{}", r.suffix)))
        .max_by_key(|r| r.suffix.len())
}

/// The target a candidate becomes.
pub fn candidate_target(
    host: &str,
    organisation: &str,
    category: &str,
    province: &str,
    parent: &str,
) -> Target {
    Target {
        host: host.to_string(),
        https_port: 443,
        organisation: organisation.to_string(),
        category: category.to_string(),
        province: province.to_string(),
        contact_email: String::new(),
        parent: parent.to_string(),
    }
}

/// Accepts every pending candidate an auto-accept rule covers; returns their hosts.
pub async fn apply_auto_accept(
    store: &Store,
    rules: &[AutoAccept],
) -> Result<Vec<String>, DiscoveryError> {
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let pending = store
        .candidates(&CandidateFilter {
            state: Some(CandidateState::Pending),
            ..CandidateFilter::default()
        })
        .await?;
    let mut accepted = Vec::new();
    for candidate in pending {
        let Some(rule) = auto_accept_rule(rules, &candidate.host) else {
            continue;
        };
        let target = candidate_target(
            &candidate.host,
            &rule.organisation,
            &rule.category,
            &rule.province,
            &rule.parent,
        );
        let detail = format!("auto-accept rule for {}", rule.suffix);
        store
            .accept_candidate(
                &target,
                Audit {
                    actor: "auto:discovery",
                    action: "discover.accept",
                    host: Some(&candidate.host),
                    detail: &detail,
                },
                OffsetDateTime::now_utc(),
            )
            .await?;
        accepted.push(candidate.host);
    }
    Ok(accepted)
}

/// Runs the light probe on up to `limit` pending candidates not probed yet; returns
/// `(host, answer)` for each.
pub async fn probe_pending(
    store: &Store,
    collector: &Collector,
    limit: u64,
) -> Result<Vec<(String, &'static str)>, DiscoveryError> {
    let hosts = store.unprobed_candidates(limit).await?;
    let answers: Vec<(String, &'static str)> = futures::stream::iter(hosts)
        .map(|host| async move {
            let answer = collector.light_probe(&host).await.as_str();
            (host, answer)
        })
        .buffer_unordered(PROBE_CONCURRENCY)
        .collect()
        .await;
    for (host, answer) in &answers {
        store
            .record_probe(host, answer, OffsetDateTime::now_utc())
            .await?;
    }
    Ok(answers)
}
