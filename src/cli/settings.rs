//! Turns the config file and command-line options into library settings.

use super::args::GlobalArgs;
use super::{CliError, usage};
use std::path::PathBuf;
use std::time::Duration;
use trustlabel::config::{ConnectTo, FileConfig, parse_dns_server};
use trustlabel_collect::{CollectorSettings, DnsConfig, RateLimit, load_hosts_file};

pub const DEFAULT_DATABASE: &str = "sqlite://trustlabel.db";
/// Scan jobs `serve` runs at once when no concurrency is set (its worker claims a job,
/// with a lease to renew, per site in flight).
pub const DEFAULT_SERVE_JOBS: usize = 64;

pub struct Settings {
    pub database: Option<String>,
    pub checks_dir: Option<PathBuf>,
    /// Sites a scan keeps in flight: what the descriptors and memory allow, capped by
    /// an explicit setting.
    pub concurrency: usize,
    /// The concurrency the operator set (`--concurrency`, `[scan] concurrency`).
    pub explicit_concurrency: Option<usize>,
    pub collector: CollectorSettings,
    pub publish: trustlabel::config::PublishSection,
    pub schedule: trustlabel::config::ScheduleSection,
    pub notify: trustlabel::config::NotifySection,
    pub discovery: trustlabel::config::DiscoverySection,
}

impl Settings {
    pub fn database_or(&self, default: &str) -> String {
        self.database.clone().unwrap_or_else(|| default.to_string())
    }
}

fn secs(value: f64, what: &str) -> Result<Duration, CliError> {
    if value.is_finite() && value > 0.0 && value < 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(usage(format!(
            "{what} must be a number of seconds between 0 and 86400"
        )))
    }
}

pub fn resolve_settings(args: &GlobalArgs) -> Result<Settings, CliError> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path).map_err(usage)?,
        None => {
            let default = PathBuf::from("trustlabel.toml");
            if default.exists() {
                FileConfig::load(&default).map_err(usage)?
            } else {
                FileConfig::default()
            }
        }
    };
    let scan = &file.scan;
    let net = &file.network;
    let mut c = CollectorSettings::default();

    let mut overrides = Vec::new();
    for entry in net.resolve.iter().chain(&args.resolve) {
        overrides.push(ConnectTo::parse_resolve(entry).map_err(usage)?);
    }
    for entry in net.connect_to.iter().chain(&args.connect_to) {
        overrides.push(ConnectTo::parse_connect_to(entry).map_err(usage)?);
    }
    c.overrides = overrides;
    if let Some(path) = args.hosts_file.as_ref().or(net.hosts_file.as_ref()) {
        c.hosts = load_hosts_file(path).map_err(usage)?;
    }
    if let Some(path) = args.ca_file.as_ref().or(net.ca_file.as_ref()) {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read CA file {}: {e}", path.display())))?;
        c.extra_roots_pem.push(pem);
    }
    if let Some(path) = args.trust_anchors.as_ref().or(net.trust_anchors.as_ref()) {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read trust anchors {}: {e}", path.display())))?;
        c.domain.trust_anchors = trustlabel_core::dns::dnssec::parse_anchors(&text)
            .map_err(|e| usage(format!("{}: {e}", path.display())))?;
    }
    let dns: Vec<&String> = if args.dns_server.is_empty() {
        net.dns_servers.iter().collect()
    } else {
        args.dns_server.iter().collect()
    };
    if !dns.is_empty() {
        let servers = dns
            .into_iter()
            .map(|s| parse_dns_server(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(usage)?;
        c.dns = DnsConfig::Servers(servers);
    }
    c.allow_private_addresses =
        args.allow_private_addresses || net.allow_private_addresses.unwrap_or(false);
    if let Some(v) = args.connect_timeout.or(scan.connect_timeout_secs) {
        c.connect_timeout = secs(v, "connect timeout")?;
    }
    if let Some(v) = scan.handshake_timeout_secs {
        c.handshake_timeout = secs(v, "handshake timeout")?;
    }
    if let Some(v) = args.request_timeout.or(scan.request_timeout_secs) {
        c.request_timeout = secs(v, "request timeout")?;
    }
    if let Some(v) = args.site_deadline.or(scan.site_deadline_secs) {
        c.site_deadline = secs(v, "site deadline")?;
    }
    if let Some(v) = scan.body_cap_bytes {
        c.body_cap = v.clamp(1024, 64 * 1024 * 1024);
    }
    if let Some(v) = scan.max_redirects {
        c.max_redirects = v.min(50);
    }
    if let Some(v) = scan.exposure_max_requests {
        c.exposure_max_requests = v.min(200);
    }
    if let Some(ua) = &scan.user_agent {
        c.user_agent = ua.clone();
    }
    c.per_host = RateLimit {
        per_second: args
            .rate_per_host
            .or(scan.rate_per_host)
            .unwrap_or(c.per_host.per_second),
        burst: scan.burst_per_host.unwrap_or(c.per_host.burst),
    };
    c.per_ip = RateLimit {
        per_second: args
            .rate_per_ip
            .or(scan.rate_per_ip)
            .unwrap_or(c.per_ip.per_second),
        burst: scan.burst_per_ip.unwrap_or(c.per_ip.burst),
    };
    c.per_responder = RateLimit {
        per_second: scan
            .rate_per_responder
            .unwrap_or(c.per_responder.per_second),
        burst: scan.burst_per_responder.unwrap_or(c.per_responder.burst),
    };
    let explicit_concurrency = args.concurrency.or(scan.concurrency);
    if explicit_concurrency.is_some_and(|c| c == 0 || c > 100_000) {
        return Err(usage("concurrency must be between 1 and 100000"));
    }
    let concurrency =
        trustlabel::capacity::Capacity::of_this_process().sites_capped(explicit_concurrency);
    Ok(Settings {
        database: args.database.clone().or(file.database.clone()),
        checks_dir: args.checks.clone().or(file.checks.clone()),
        concurrency,
        explicit_concurrency,
        collector: c,
        publish: file.publish.clone(),
        schedule: file.schedule.clone(),
        notify: file.notify.clone(),
        discovery: file.discovery.clone(),
    })
}
