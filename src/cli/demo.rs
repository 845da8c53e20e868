//! The built-in fleet of local sites (feature `demo`, on by default): `trustlabel demo`
//! scans it and serves the results; the hidden `fleet-serve` runs one for the
//! benchmarks, in a process of its own.

use super::commands::{load_rules, open_store, run_scan};
use super::settings::Settings;
use super::{CliError, EXIT_OK, EXIT_RUNTIME, runtime};
use trustlabel::report::Format;
use trustlabel::scan::ScanItem;
use trustlabel_fleet::{Fleet, SiteSpec, demo_specs};

/// The demo's own database, so trying the demo never touches a real one.
pub const DEMO_DATABASE: &str = "sqlite://trustlabel-demo.db";

/// `serve`: `Some(listen)` keeps the fleet running and serves the results afterwards.
pub async fn demo(
    mut settings: Settings,
    format: Format,
    serve: Option<Option<String>>,
) -> Result<u8, CliError> {
    let domain = "demo.trustlabel.test";
    let fleet = Fleet::start(domain, demo_specs(domain))
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
    let targets: Vec<trustlabel_core::target::Target> = fleet
        .sites()
        .iter()
        .map(|site| trustlabel_core::target::Target {
            host: site.host.clone(),
            https_port: 443,
            organisation: "Demo".into(),
            category: "demo".into(),
            province: String::new(),
            contact_email: String::new(),
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
    let code = run_scan(
        &settings,
        rules,
        Some(store.clone()),
        items,
        None,
        format,
        false,
    )
    .await?;
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

pub async fn fleet_serve(sites: usize, domain: &str, mixed: bool) -> Result<u8, CliError> {
    use tokio::io::AsyncReadExt;
    let specs = if mixed {
        mixed_specs(sites, domain)
    } else {
        (0..sites)
            .map(|i| SiteSpec::good(&format!("site{i}.{domain}")))
            .collect()
    };
    let fleet = Fleet::start(domain, specs).await.map_err(runtime)?;
    let manifest = serde_json::json!({
        "root_ca_pem": fleet.root_ca_pem(),
        "dns": fleet.dns_addr().to_string(),
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
