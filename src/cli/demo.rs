//! The built-in fleet of local sites (feature `demo`, on by default): `trustlabel demo`
//! scans it and serves the results; the hidden `fleet-serve` runs one for the
//! benchmarks, in a process of its own.

use super::commands::{collector, load_rules, open_store, run_scan};
use super::settings::Settings;
use super::{CliError, EXIT_OK, EXIT_RUNTIME, runtime};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use trustlabel::report::Format;
use trustlabel::scan::{ScanItem, Scanner, SiteResult, StopFlag};
use trustlabel_core::policy::{next_label, personal_data_collected};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::target::Target;
use trustlabel_fleet::{Fleet, FleetExtras, Latency, SiteSpec, demo_specs};
use trustlabel_store::{LabelUpdate, ScanRecord, Store, StoredTarget};

/// The demo's own database, so trying the demo never touches a real one.
pub const DEMO_DATABASE: &str = "sqlite://trustlabel-demo.db";

/// Who runs each demo site: organisation, the body it answers to, category and province.
/// Invented for the demonstration (the sites live under `.test`), but shaped like the
/// country's: ministries and provincial committees, their agencies, schools, hospitals
/// and shops, across the provinces in force.
const DEMO_ORGANISATIONS: [(&str, &str, &str, &str); 12] = [
    (
        "Cổng Dịch vụ công tỉnh",
        "UBND tỉnh Lào Cai",
        "government",
        "Lào Cai",
    ),
    ("Sở Y tế", "UBND Thành phố Hà Nội", "health", "Hà Nội"),
    (
        "Cục Quản lý thuế (trình diễn)",
        "Bộ Tài chính",
        "government",
        "Hà Nội",
    ),
    (
        "Trường THPT Chuyên (trình diễn)",
        "Sở Giáo dục và Đào tạo Đắk Lắk",
        "education",
        "Đắk Lắk",
    ),
    (
        "Bệnh viện Đa khoa tỉnh",
        "Sở Y tế Quảng Trị",
        "health",
        "Quảng Trị",
    ),
    ("Cửa hàng Điện máy Sao Việt", "", "ecommerce", "Hồ Chí Minh"),
    (
        "Sở Tư pháp",
        "UBND Thành phố Đà Nẵng",
        "government",
        "Đà Nẵng",
    ),
    (
        "Ví điện tử Phương Nam (trình diễn)",
        "",
        "finance",
        "Cần Thơ",
    ),
    (
        "Trung tâm Phục vụ hành chính công",
        "UBND tỉnh Nghệ An",
        "government",
        "Nghệ An",
    ),
    ("Chợ trực tuyến Miền Tây", "", "ecommerce", "An Giang"),
    (
        "Cục Bảo hiểm (trình diễn)",
        "Bộ Y tế",
        "government",
        "Hà Nội",
    ),
    (
        "Sở Văn hóa và Thể thao",
        "UBND Thành phố Huế",
        "government",
        "Huế",
    ),
];

/// How far back `demo` dates its first scans, so trends, league tables and histories
/// show weeks of a programme rather than one morning.
const DEMO_HISTORY_DAYS: i64 = 28;

/// `serve`: `Some(listen)` keeps the fleet running and serves the results afterwards.
pub async fn demo(
    mut settings: Settings,
    format: Format,
    serve: Option<Option<String>>,
) -> Result<u8, CliError> {
    let domain = "demo.trustlabel.test";
    let (mail_sites, mail_extras) = trustlabel_fleet::demo_mail();
    let mut specs = demo_specs(domain);
    specs.extend(mail_sites);
    let fleet = Fleet::start_with(domain, specs, mail_extras)
        .await
        .map_err(runtime)?;
    settings
        .collector
        .overrides
        .extend(fleet.connect_overrides());
    settings.collector.dns = trustlabel_collect::DnsConfig::Servers(vec![fleet.dns_addr()]);
    settings.collector.extra_roots_pem = vec![fleet.root_ca_pem()];
    settings.collector.only_extra_roots = true;
    settings.collector.allow_private_addresses = true;
    // DNSSEC validated from the fleet's own signed `test.` zone, not the root's keys.
    settings.collector.domain.trust_anchors = fleet.trust_anchors();
    let store = open_store(&settings.database_or(DEMO_DATABASE)).await?;
    let targets: Vec<Target> = fleet
        .sites()
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let (organisation, parent, category, province) =
                DEMO_ORGANISATIONS[i % DEMO_ORGANISATIONS.len()];
            Target {
                host: site.host.clone(),
                https_port: 443,
                organisation: organisation.into(),
                category: category.into(),
                province: province.into(),
                contact_email: format!("quantri@{}", site.host),
                parent: parent.into(),
            }
        })
        .collect();
    store
        .upsert_targets(&targets, time::OffsetDateTime::now_utc())
        .await
        .map_err(runtime)?;
    let mut items = Vec::new();
    for t in &targets {
        if let Some(stored) = store.target_by_host(&t.host).await.map_err(runtime)? {
            items.push(ScanItem::Stored(stored));
        }
    }
    eprintln!(
        "demo: {} local sites on loopback (domain {domain}), results in {}",
        items.len(),
        trustlabel_store::display_location(&settings.database_or(DEMO_DATABASE))
    );
    let rules = load_rules(&settings)?;
    let code = if store.scan_count().await.map_err(runtime)? == 0 {
        // A fresh demo database: one scan, recorded over a few weeks of history.
        let stored: Vec<StoredTarget> = items
            .iter()
            .filter_map(|i| match i {
                ScanItem::Stored(t) => Some(t.clone()),
                ScanItem::AdHoc { .. } => None,
            })
            .collect();
        let (mut results, earlier) = backfill(&settings, &rules, &store, &stored).await?;
        eprintln!(
            "demo: {earlier} earlier scans dated over the last {DEMO_HISTORY_DAYS} days \
             (the same results, so trends and histories have weeks to show)"
        );
        results.sort_by(|a, b| a.host.cmp(&b.host));
        print!(
            "{}",
            trustlabel::report::render(format, &results, &rules.catalog)
        );
        EXIT_OK
    } else {
        run_scan(
            &settings,
            rules,
            Some(store.clone()),
            items,
            None,
            format,
            false,
        )
        .await?
    };
    if let Some(listen) = serve {
        if code != EXIT_RUNTIME {
            let options = super::publishing::ServeOptions {
                listen,
                ..Default::default()
            };
            super::publishing::serve_store(&settings, store, options).await?;
        }
    }
    drop(fleet);
    // The demo fleet is built to fail on purpose; the demo itself succeeded.
    Ok(if code == EXIT_RUNTIME { code } else { EXIT_OK })
}

/// A fresh demo database gets a few weeks of history: the fleet is scanned once without
/// storing, then each site's result is recorded as if its first assessment had happened
/// on a day spread over the past weeks and it had been re-assessed weekly since and once
/// more now, through the same policy and store calls as a live scan, oldest first.
/// Returns today's results (with their labels) and how many earlier scans were dated.
async fn backfill(
    settings: &Settings,
    rules: &Arc<RuleSet>,
    store: &Store,
    targets: &[StoredTarget],
) -> Result<(Vec<SiteResult>, usize), CliError> {
    let scanner = Scanner::new(
        collector(settings, rules)?,
        Arc::clone(rules),
        None,
        settings.concurrency,
    );
    let items = targets
        .iter()
        .map(|t| ScanItem::AdHoc {
            host: t.target.host.clone(),
            https_port: t.target.https_port,
        })
        .collect();
    let results = scanner
        .run(items, None, &StopFlag::default(), |_| {})
        .await
        .map_err(runtime)?;
    let now = OffsetDateTime::now_utc();
    let start = now - Duration::days(DEMO_HISTORY_DAYS);
    let mut events: Vec<(OffsetDateTime, &StoredTarget, &SiteResult)> = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let Some(result) = results.iter().find(|r| r.host == target.target.host) else {
            continue;
        };
        // First assessments spread over the first two thirds of the window, at office
        // hours in Viet Nam (02:00-09:00 UTC), then one a week until a day ago.
        let first = start
            + Duration::days((i as i64 * 2 * DEMO_HISTORY_DAYS / 3) / targets.len().max(1) as i64)
            + Duration::hours(2 + (i as i64 % 7));
        let mut at = first;
        while at < now - Duration::days(1) {
            events.push((at, target, result));
            at += Duration::days(7);
        }
        events.push((now, target, result));
    }
    events.sort_by_key(|(at, target, _)| (*at, target.id));
    let mut today = Vec::new();
    for (at, target, result) in &events {
        let mut evidence = result.evidence.clone();
        let took = evidence.finished_at - evidence.started_at;
        evidence.started_at = *at - took;
        evidence.finished_at = *at;
        let label_rules = &rules.policy.label_rules;
        let label_read = store.label(target.id).await.map_err(runtime)?;
        let decide = |current: &trustlabel_core::policy::LabelState| {
            let (label, transition) = next_label(current, &result.verdict, *at, label_rules);
            LabelUpdate {
                label,
                transition,
                notification: None,
            }
        };
        let update = decide(&label_read);
        let stored = store
            .record_scan(
                &ScanRecord {
                    target_id: target.id,
                    run_id: None,
                    evidence: &evidence,
                    findings: &result.findings,
                    verdict: &result.verdict,
                    tool_version: env!("CARGO_PKG_VERSION"),
                    rules_hash: rules.hash(),
                    label_read: &label_read,
                    update: &update,
                    collects_personal_data: personal_data_collected(
                        &result.findings,
                        result.verdict.decision,
                    ),
                    job: None,
                },
                *at,
                decide,
            )
            .await
            .map_err(runtime)?;
        if *at == now {
            today.push(SiteResult {
                target_id: Some(target.id),
                label: Some(stored.label),
                transition: stored.transition,
                scan_id: Some(stored.scan_id),
                ..(*result).clone()
            });
        }
    }
    let earlier = events.len() - today.len();
    Ok((today, earlier))
}

/// What `fleet-serve` serves besides its site count (see its flags).
pub struct FleetShape {
    pub mixed: bool,
    pub own_domains: bool,
    pub ocsp_responders: usize,
    pub site_ipv6: Option<std::net::Ipv6Addr>,
}

/// `latency`: a round-trip time on every connection and DNS answer of the fleet (the
/// latency benchmark's internet), `None` for loopback speed.
pub async fn fleet_serve(
    sites: usize,
    domain: &str,
    shape: &FleetShape,
    latency: Option<Latency>,
) -> Result<u8, CliError> {
    use tokio::io::AsyncReadExt;
    let (specs, extras) = if shape.own_domains {
        trustlabel_fleet::own_mail_domains(sites)
    } else if shape.mixed {
        (mixed_specs(sites, domain), FleetExtras::default())
    } else {
        let specs = (0..sites)
            .map(|i| SiteSpec::good(&format!("site{i}.{domain}")))
            .collect();
        (specs, FleetExtras::default())
    };
    let extras = FleetExtras {
        ocsp_responders: shape.ocsp_responders,
        site_ipv6: shape.site_ipv6,
        ..extras
    };
    let fleet = Fleet::start_with_latency(domain, specs, extras, latency)
        .await
        .map_err(runtime)?;
    let manifest = serde_json::json!({
        "root_ca_pem": fleet.root_ca_pem(),
        "dns": fleet.dns_addr().to_string(),
        "trust_anchors": fleet.trust_anchors(),
        "overrides": fleet.connect_overrides(),
        "hosts": fleet.sites().iter().map(|s| s.host.clone()).collect::<Vec<_>>(),
    });
    println!("{manifest}");
    // Serve until whoever started us closes our standard input.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    fleet.shutdown().await;
    Ok(EXIT_OK)
}

/// `sites` sites: three good ones, then one of the demo fleet's defect profiles in turn.
/// The silent TLS port is left out: it would measure the site deadline, not the scanner.
fn mixed_specs(sites: usize, domain: &str) -> Vec<SiteSpec> {
    let defects: Vec<SiteSpec> = demo_specs("x")
        .into_iter()
        .filter(|s| s.host != "silent.x")
        .collect();
    (0..sites)
        .map(|i| {
            let host = format!("site{i}.{domain}");
            match defects.get((i / 4) % defects.len().max(1)) {
                Some(defect) if i % 4 == 3 => SiteSpec {
                    host,
                    ..defect.clone()
                },
                _ => SiteSpec::good(&host),
            }
        })
        .collect()
}
