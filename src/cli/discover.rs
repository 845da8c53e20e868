//! `trustlabel discover …`: follow CT logs, probe, list, accept and dismiss candidates.

use super::args::DiscoverCommand;
use super::commands::{cli_actor, collector, load_rules, open_store};
use super::settings::{DEFAULT_DATABASE, Settings};
use super::{CliError, EXIT_OK, EXIT_RUNTIME, runtime, usage};
use comfy_table::Table;
use time::OffsetDateTime;
use trustlabel::discovery::{
    DiscoveryConfig, apply_auto_accept, candidate_target, follow_log, probe_pending,
};
use trustlabel::report::Format;
use trustlabel_collect::ct::CtClient;
use trustlabel_core::target::normalise_host;
use trustlabel_store::{Audit, Candidate, CandidateFilter, CandidateState, SourceKind, Store};

/// Why staff may dismiss a candidate.
const DISMISS_REASONS: &[&str] = &["out-of-scope", "duplicate", "parked"];
/// New candidates probed after a `discover ct` run at most.
const PROBE_AFTER_FOLLOW: u64 = 1000;

pub async fn run(settings: &Settings, command: DiscoverCommand) -> Result<u8, CliError> {
    let config = DiscoveryConfig::from_section(&settings.discovery).map_err(usage)?;
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    match command {
        DiscoverCommand::Ct { logs, no_probe } => {
            follow_ct(settings, &config, &store, &logs, !no_probe).await
        }
        DiscoverCommand::Probe { limit } => probe(settings, &store, limit).await,
        DiscoverCommand::List {
            state,
            source,
            suffix,
            format,
        } => {
            let state = state
                .map(|s| {
                    CandidateState::parse(&s).ok_or_else(|| {
                        usage(format!("--state `{s}`: pending, accepted or dismissed"))
                    })
                })
                .transpose()?;
            let kind = source
                .map(|s| {
                    SourceKind::parse(&s)
                        .ok_or_else(|| usage(format!("--source `{s}`: ct, link or certificate")))
                })
                .transpose()?;
            let filter = CandidateFilter {
                state,
                kind,
                suffix,
                limit: None,
            };
            let candidates = store.candidates(&filter).await.map_err(runtime)?;
            print_candidates(&candidates, format);
            Ok(EXIT_OK)
        }
        DiscoverCommand::Accept {
            host,
            organisation,
            category,
            province,
            parent,
            contact_email,
        } => {
            let rules = load_rules(settings)?;
            let (host, _) = normalise_host(&host).map_err(usage)?;
            let unit = rules.provinces.resolve(&province).ok_or_else(|| {
                usage(format!("--province `{province}` is not a provincial unit"))
            })?;
            if organisation.trim().is_empty() || category.trim().is_empty() {
                return Err(usage("--organisation and --category must not be empty"));
            }
            let mut target = candidate_target(&host, &organisation, &category, &unit.name, &parent);
            target.contact_email = contact_email;
            let actor = cli_actor();
            let detail = format!("{organisation} · {category} · {}", unit.name);
            let stored = store
                .accept_candidate(
                    &target,
                    Audit {
                        actor: &actor,
                        action: "discover.accept",
                        host: Some(&host),
                        detail: &detail,
                    },
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(usage)?;
            println!("{host}: accepted as target {} ({detail})", stored.id);
            Ok(EXIT_OK)
        }
        DiscoverCommand::Dismiss { host, reason, note } => {
            if !DISMISS_REASONS.contains(&reason.as_str()) {
                return Err(usage(format!(
                    "--reason `{reason}`: one of {}",
                    DISMISS_REASONS.join(", ")
                )));
            }
            let (host, _) = normalise_host(&host).map_err(usage)?;
            let stated = if note.trim().is_empty() {
                reason.clone()
            } else {
                format!("{reason}: {}", note.trim())
            };
            let actor = cli_actor();
            store
                .dismiss_candidate(
                    &host,
                    &stated,
                    Audit {
                        actor: &actor,
                        action: "discover.dismiss",
                        host: Some(&host),
                        detail: &stated,
                    },
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(usage)?;
            println!("{host}: dismissed ({stated})");
            Ok(EXIT_OK)
        }
    }
}

async fn follow_ct(
    settings: &Settings,
    config: &DiscoveryConfig,
    store: &Store,
    wanted: &[String],
    then_probe: bool,
) -> Result<u8, CliError> {
    for url in wanted {
        if !config.logs.iter().any(|l| &l.url == url) {
            return Err(usage(format!(
                "log {url} is not configured: add it with its key under [[discovery.logs]]"
            )));
        }
    }
    let logs: Vec<_> = config
        .logs
        .iter()
        .filter(|l| wanted.is_empty() || wanted.contains(&l.url))
        .collect();
    if logs.is_empty() {
        return Err(usage(
            "no Certificate Transparency log configured ([[discovery.logs]] url and key)",
        ));
    }
    let rules = load_rules(settings)?;
    let collector = collector(settings, &rules)?;
    let client = CtClient::new(config.ct.clone(), collector.strict_tls_config());
    let mut failed = false;
    for log in logs {
        let (run, result) = follow_log(store, &client, log, &config.scope).await;
        println!(
            "{}: entries {}..{} of {} read; {} new candidates, {} seen again, {} already targets{}",
            run.url,
            run.from,
            run.to,
            run.tree_size.map_or("?".to_string(), |n| n.to_string()),
            run.summary.new_candidates,
            run.summary.seen_again,
            run.summary.already_targets,
            if run.verified {
                "; tree head verified"
            } else {
                ""
            }
        );
        if run.malformed_count > 0 {
            eprintln!(
                "{}: {} malformed entries skipped: {}",
                run.url,
                run.malformed_count,
                run.malformed.join("; ")
            );
        }
        if let Err(e) = result {
            eprintln!("error: {e}");
            failed = true;
        }
    }
    let accepted = apply_auto_accept(store, &config.auto_accept)
        .await
        .map_err(runtime)?;
    for host in &accepted {
        println!("{host}: accepted by an auto-accept rule");
    }
    if then_probe {
        let probed = probe_pending(store, &collector, PROBE_AFTER_FOLLOW)
            .await
            .map_err(runtime)?;
        println!("{} new candidates probed", probed.len());
    }
    Ok(if failed { EXIT_RUNTIME } else { EXIT_OK })
}

async fn probe(settings: &Settings, store: &Store, limit: u64) -> Result<u8, CliError> {
    let rules = load_rules(settings)?;
    let collector = collector(settings, &rules)?;
    for (host, answer) in probe_pending(store, &collector, limit)
        .await
        .map_err(runtime)?
    {
        println!("{host}: {answer}");
    }
    Ok(EXIT_OK)
}

fn sources_text(c: &Candidate) -> String {
    c.sources
        .iter()
        .map(|s| format!("{} {} ({})", s.kind.as_str(), s.source, s.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

fn print_candidates(candidates: &[Candidate], format: Format) {
    match format {
        Format::Json => {
            let value: Vec<serde_json::Value> = candidates
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "host": c.host,
                        "state": c.state.as_str(),
                        "first_seen": c.first_seen.unix_timestamp(),
                        "last_seen": c.last_seen.unix_timestamp(),
                        "probe": c.probe,
                        "reason": c.reason,
                        "decided_by": c.decided_by,
                        "sources": c.sources.iter().map(|s| serde_json::json!({
                            "kind": s.kind.as_str(),
                            "source": s.source,
                            "detail": s.detail,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            let _ = out.write_record(["host", "state", "probe", "reason", "sources"]);
            for c in candidates {
                let _ = out.write_record([
                    c.host.as_str(),
                    c.state.as_str(),
                    c.probe.as_deref().unwrap_or(""),
                    c.reason.as_deref().unwrap_or(""),
                    &sources_text(c),
                ]);
            }
            let _ = out.flush();
        }
        Format::Table => {
            let mut table = Table::new();
            table.set_header(["host", "state", "probe", "reason", "sources"]);
            for c in candidates {
                table.add_row([
                    c.host.as_str(),
                    c.state.as_str(),
                    c.probe.as_deref().unwrap_or("—"),
                    c.reason.as_deref().unwrap_or(""),
                    &sources_text(c),
                ]);
            }
            println!("{table}");
        }
    }
}
