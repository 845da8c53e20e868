//! One function per subcommand; each returns the process exit code.

use super::args::ScanArgs;
use super::settings::{DEFAULT_DATABASE, Settings};
use super::{CliError, EXIT_NOT_LABELLED, EXIT_OK, EXIT_RUNTIME, runtime, usage};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;
use trustlabel::report::{self, Format};
use trustlabel::scan::{ScanItem, Scanner, SiteResult, StopFlag};
use trustlabel_collect::Collector;
use trustlabel_core::policy::Decision;
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::target::{normalise_host, parse_list_file};
use trustlabel_store::Store;

/// The rules in force (`--checks DIR` over the built-in files), shared by the collector,
/// the checks, the reports and the web pages of one command.
pub(super) fn load_rules(settings: &Settings) -> Result<Arc<RuleSet>, CliError> {
    match &settings.checks_dir {
        Some(dir) => RuleSet::load(Some(dir)).map_err(usage),
        // The built-in files are tested; failing to load them is a broken build.
        None => RuleSet::builtin().map_err(runtime),
    }
    .map(Arc::new)
}

/// A collector that fetches and probes by the rules in force, so every scan path (CLI,
/// demo, the web worker) collects what the checks will judge.
pub(super) fn collector(settings: &Settings, rules: &RuleSet) -> Result<Collector, CliError> {
    Collector::new(settings.collector.clone(), rules).map_err(usage)
}

/// The hosts discovery keeps (`[discovery]` suffixes and domains), also from scans.
pub(super) fn discovery_scope(
    settings: &Settings,
) -> Result<trustlabel_core::ct::DiscoveryScope, CliError> {
    trustlabel::discovery::DiscoveryConfig::from_section(&settings.discovery)
        .map(|c| c.scope)
        .map_err(usage)
}

pub(super) async fn open_store(url: &str) -> Result<Store, CliError> {
    Store::open(url).await.map_err(|e| {
        let shown = trustlabel_store::display_location(url);
        usage(format!("cannot open database {shown}: {e}"))
    })
}

fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    let style =
        ProgressStyle::with_template("{bar:30} {pos}/{len} sites · {per_sec} · ETA {eta} · {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("0 failing");
    bar
}

/// Ctrl-C once: stop starting sites, finish the ones in flight. Twice: leave now
/// (stored results are safe either way; the next run resumes).
fn install_ctrl_c(stop: StopFlag) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.stop();
            eprintln!("\ninterrupted: finishing the sites in flight (Ctrl-C again to quit now)");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_RUNTIME));
            }
        }
    });
}

pub(super) async fn run_scan(
    settings: &Settings,
    rules: Arc<RuleSet>,
    store: Option<Store>,
    items: Vec<ScanItem>,
    run_id: Option<i64>,
    format: Format,
    quiet: bool,
) -> Result<u8, CliError> {
    let scanner = Scanner::discovering(
        collector(settings, &rules)?,
        Arc::clone(&rules),
        store.clone(),
        settings.concurrency,
        None,
        discovery_scope(settings)?,
    );
    let stop = StopFlag::default();
    install_ctrl_c(stop.clone());
    let total = items.len();
    let bar = progress_bar(total, quiet);
    let mut failing = 0usize;
    let results = scanner
        .run(items, run_id, &stop, |r: &SiteResult| {
            if r.verdict.decision != Decision::Pass {
                failing += 1;
                bar.set_message(format!("{failing} failing"));
            }
            bar.inc(1);
        })
        .await
        .map_err(runtime)?;
    bar.finish_and_clear();
    let mut results = results;
    results.sort_by(|a, b| a.host.cmp(&b.host));
    print!("{}", report::render(format, &results, &rules.catalog));
    let interrupted = stop.is_stopped() && results.len() < total;
    if let (Some(store), Some(run_id)) = (&store, run_id) {
        if !interrupted {
            store
                .finish_run(run_id, time::OffsetDateTime::now_utc())
                .await
                .map_err(runtime)?;
        }
    }
    if interrupted {
        eprintln!(
            "scan interrupted after {} of {total} sites; every finished site is stored. \
             Run the same command again to resume.",
            results.len()
        );
        return Ok(EXIT_RUNTIME);
    }
    Ok(
        if results.iter().all(|r| r.verdict.decision == Decision::Pass) {
            EXIT_OK
        } else {
            EXIT_NOT_LABELLED
        },
    )
}

pub async fn scan(settings: &Settings, args: ScanArgs) -> Result<u8, CliError> {
    let rules = load_rules(settings)?;
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    if args.all || args.targets.is_some() {
        let description = match &args.targets {
            Some(path) => {
                import_file(&store, path, &rules).await?;
                format!("scan --targets {}", path.display())
            }
            None => "scan --all".to_string(),
        };
        let unfinished = store.unfinished_run(&description).await.map_err(runtime)?;
        let (run_id, items) = match unfinished {
            Some((run_id, pending)) if !args.restart => {
                eprintln!("resuming run #{run_id}: {} sites left", pending.len());
                (run_id, pending)
            }
            _ => {
                let targets = match &args.targets {
                    Some(path) => {
                        let parsed =
                            parse_list_file(path, Some(&rules.provinces)).map_err(usage)?;
                        let mut stored = Vec::new();
                        for t in parsed.targets {
                            if let Some(s) = store.target_by_host(&t.host).await.map_err(runtime)? {
                                stored.push(s);
                            }
                        }
                        stored
                    }
                    None => store.targets().await.map_err(runtime)?,
                };
                if targets.is_empty() {
                    return Err(usage(
                        "no targets to scan: import a list with `trustlabel targets import FILE`",
                    ));
                }
                let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
                let run_id = store
                    .start_run(&description, &ids, time::OffsetDateTime::now_utc())
                    .await
                    .map_err(runtime)?;
                (run_id, targets)
            }
        };
        let items = items.into_iter().map(ScanItem::Stored).collect();
        return run_scan(
            settings,
            rules,
            Some(store),
            items,
            Some(run_id),
            args.format,
            args.quiet,
        )
        .await;
    }
    if args.hosts.is_empty() {
        return Err(usage(
            "name the sites to scan, or use --all or --targets FILE (see `trustlabel scan --help`)",
        ));
    }
    let mut items = Vec::new();
    let mut not_stored = Vec::new();
    for raw in &args.hosts {
        let (host, port) = normalise_host(raw).map_err(|e| usage(format!("`{raw}`: {e}")))?;
        match store.target_by_host(&host).await.map_err(runtime)? {
            Some(t) => items.push(ScanItem::Stored(t)),
            None if args.add => {
                let target = trustlabel_core::target::Target {
                    host: host.clone(),
                    https_port: port,
                    organisation: String::new(),
                    category: String::new(),
                    province: String::new(),
                    contact_email: String::new(),
                    parent: String::new(),
                };
                store
                    .upsert_targets(&[target], time::OffsetDateTime::now_utc())
                    .await
                    .map_err(runtime)?;
                let stored = store
                    .target_by_host(&host)
                    .await
                    .map_err(runtime)?
                    .ok_or_else(|| runtime(format!("{host} vanished after being added")))?;
                items.push(ScanItem::Stored(stored));
            }
            None => {
                not_stored.push(host.clone());
                items.push(ScanItem::AdHoc {
                    host,
                    https_port: port,
                });
            }
        }
    }
    if !not_stored.is_empty() {
        eprintln!(
            "note: {} not in the target list; results are shown but not stored (use --add to add)",
            not_stored.join(", ")
        );
    }
    run_scan(
        settings,
        rules,
        Some(store),
        items,
        None,
        args.format,
        args.quiet,
    )
    .await
}

async fn import_file(
    store: &Store,
    path: &Path,
    rules: &RuleSet,
) -> Result<(usize, usize), CliError> {
    let parsed = parse_list_file(path, Some(&rules.provinces)).map_err(usage)?;
    for error in &parsed.errors {
        eprintln!("refused: {error}");
    }
    let summary = store
        .upsert_targets(&parsed.targets, time::OffsetDateTime::now_utc())
        .await
        .map_err(runtime)?;
    let outcome = format!(
        "{}: {} targets read: {} new, {} updated, {} unchanged; {} lines refused",
        path.display(),
        parsed.targets.len(),
        summary.inserted,
        summary.updated,
        summary.unchanged,
        parsed.errors.len()
    );
    eprintln!("{outcome}");
    // An import changes what is assessed and published, from the CLI as from the staff
    // pages: both are in the audit log.
    cli_audit(store, "import", None, &outcome).await?;
    Ok((parsed.targets.len(), parsed.errors.len()))
}

/// Records a CLI action in the audit log, by the operating-system user who ran it.
/// Who acts from the command line, as the audit log names them (`cli:` and the login).
pub(super) fn cli_actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"));
    match user {
        Ok(user) if !user.is_empty() => format!("cli:{user}"),
        _ => "cli".to_string(),
    }
}

pub(super) async fn cli_audit(
    store: &Store,
    action: &str,
    host: Option<&str>,
    detail: &str,
) -> Result<(), CliError> {
    let actor = cli_actor();
    store
        .record_audit(
            trustlabel_store::Audit {
                actor: &actor,
                action,
                host,
                detail,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .map_err(runtime)
}

pub async fn import(settings: &Settings, file: &Path) -> Result<u8, CliError> {
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let rules = load_rules(settings)?;
    let (_, refused) = import_file(&store, file, &rules).await?;
    Ok(if refused == 0 {
        EXIT_OK
    } else {
        EXIT_NOT_LABELLED
    })
}

pub async fn list(settings: &Settings, format: Format) -> Result<u8, CliError> {
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let targets = store.targets().await.map_err(runtime)?;
    let mut rows = Vec::new();
    for t in &targets {
        let label = store.label(t.id).await.map_err(runtime)?;
        rows.push((t, label));
    }
    match format {
        Format::Json => {
            let value: Vec<serde_json::Value> = rows
                .iter()
                .map(|(t, l)| {
                    serde_json::json!({
                        "host": t.target.host,
                        "display_host": trustlabel_core::target::display_host(&t.target.host),
                        "organisation": t.target.organisation,
                        "category": t.target.category,
                        "province": t.target.province,
                        "status": l.status,
                        "level": l.level,
                        "grade": l.grade,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        Format::Csv | Format::Table => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(if format == Format::Csv { b',' } else { b'\t' })
                .from_writer(std::io::stdout());
            let _ = w.write_record([
                "host",
                "organisation",
                "category",
                "province",
                "status",
                "grade",
            ]);
            for (t, l) in rows {
                let _ = w.write_record([
                    trustlabel_core::target::display_host(&t.target.host),
                    t.target.organisation.clone(),
                    t.target.category.clone(),
                    t.target.province.clone(),
                    l.status.to_string(),
                    l.grade.map(|g| g.to_string()).unwrap_or_default(),
                ]);
            }
            let _ = w.flush();
        }
    }
    Ok(EXIT_OK)
}

/// The stored target for what the user typed (URL, IDN or ASCII host).
pub(super) async fn stored_target(
    store: &Store,
    host: &str,
) -> Result<trustlabel_store::StoredTarget, CliError> {
    let (ascii, _) = normalise_host(host).map_err(|e| usage(format!("`{host}`: {e}")))?;
    store
        .target_by_host(&ascii)
        .await
        .map_err(runtime)?
        .ok_or_else(|| usage(format!("{host} is not in the target list")))
}

pub async fn status(settings: &Settings, host: &str, format: Format) -> Result<u8, CliError> {
    let rules = load_rules(settings)?;
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let target = stored_target(&store, host).await?;
    let label = store.label(target.id).await.map_err(runtime)?;
    let history = store.history(target.id).await.map_err(runtime)?;
    let latest = store.latest_scan(target.id).await.map_err(runtime)?;
    print!(
        "{}",
        report::render_status(
            format,
            &target,
            &label,
            &history,
            latest.as_ref(),
            &rules.catalog
        )
    );
    Ok(EXIT_OK)
}

/// `checks lint DIR`: one line per rule file, errors as `file:line: reason`.
pub fn lint(dir: &Path) -> Result<u8, CliError> {
    if !dir.is_dir() {
        return Err(usage(format!("{} is not a directory", dir.display())));
    }
    let mut failed = 0;
    for entry in RuleSet::lint(dir) {
        match (&entry.error, entry.present) {
            (Some(error), _) => {
                failed += 1;
                println!("FAIL  {}: {error}", entry.file);
            }
            (None, true) => println!("ok    {}", entry.file),
            (None, false) => println!(
                "-     {} (not in {}: built-in used)",
                entry.file,
                dir.display()
            ),
        }
    }
    if failed > 0 {
        eprintln!("{failed} rule file(s) refused");
        Ok(super::EXIT_USAGE)
    } else {
        Ok(EXIT_OK)
    }
}
