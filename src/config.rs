//! Settings shared by the CLI, the config file and library callers.
//!
//! Every default is documented here and in `trustlabel.example.toml`.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
pub use trustlabel_core::connect_to::{ConnectTo, OverrideError};

/// `trustlabel.toml`: every field optional; command-line options override it.
/// The committed `trustlabel.example.toml` documents each field and its default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `sqlite://PATH` (default `sqlite://trustlabel.db`).
    pub database: Option<String>,
    /// Directory overriding the built-in rule files (`policy.toml`, `findings.toml`).
    pub checks: Option<std::path::PathBuf>,
    #[serde(default)]
    pub scan: ScanSection,
    #[serde(default)]
    pub network: NetworkSection,
    #[serde(default)]
    pub publish: PublishSection,
    #[serde(default)]
    pub schedule: ScheduleSection,
    #[serde(default)]
    pub notify: NotifySection,
    #[serde(default)]
    pub discovery: DiscoverySection,
}

/// `[discovery]`: where candidates come from and which hosts count.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverySection {
    /// Hosts under these suffixes are candidates (default `["gov.vn"]`).
    pub suffixes: Option<Vec<String>>,
    /// Registrable domains (e-commerce, digital services) whose hosts are candidates too.
    #[serde(default)]
    pub domains: Vec<String>,
    /// The Certificate Transparency logs `discover ct` follows, each with its key.
    #[serde(default)]
    pub logs: Vec<CtLogSection>,
    /// Candidates under a suffix here are accepted without a person, as this target.
    #[serde(default)]
    pub auto_accept: Vec<AutoAcceptSection>,
    /// Entries asked per `get-entries` (default 256).
    pub batch_size: Option<u64>,
    /// Requests per second to one log (default 4).
    pub requests_per_second: Option<f64>,
    /// Seconds for one request to a log (default 30).
    pub request_timeout_secs: Option<f64>,
    /// Retries of a request after 429, 5xx or a timeout (default 5).
    pub max_retries: Option<u32>,
    /// First wait before a retry, doubled each time (default 2 s).
    pub backoff_secs: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtLogSection {
    /// The log's URL prefix (`https://ct.example/2026/`).
    pub url: String,
    /// Its public key: base64 DER SubjectPublicKeyInfo, as log lists publish it.
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoAcceptSection {
    pub suffix: String,
    pub organisation: String,
    pub category: String,
    pub province: String,
    #[serde(default)]
    pub parent: String,
}

/// `[schedule]`: how often `serve` and `worker` re-scan every target.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    /// Hours between two scans of a site (default 24).
    pub cadence_hours: Option<f64>,
    /// Per target category, e.g. `"e-commerce" = 168`.
    #[serde(default)]
    pub cadence_hours_by_category: std::collections::BTreeMap<String, f64>,
    /// Seconds between two scheduler ticks (default 60).
    pub tick_seconds: Option<f64>,
    /// Jobs queued per tick at most (default 1000): the rest wait for the next tick.
    pub max_queued_per_tick: Option<usize>,
}

/// `[notify]`: owner e-mails about label changes. Without `smtp_url` nothing is queued.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// `smtp://host:25`, `smtp://host:587?tls=required`, `smtps://user:pass@host`.
    pub smtp_url: Option<String>,
    /// Sender, e.g. `Nhãn Tín nhiệm mạng <no-reply@example.vn>`.
    pub from: Option<String>,
    /// Seconds between two outbox rounds (default 30).
    pub every_seconds: Option<f64>,
}

/// `[publish]`: the web server, static export and the authority's identity. The
/// authority is configuration because the responsible body changes over time.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishSection {
    /// Full name of the labelling authority, shown on every page and in the feed.
    pub authority_name: Option<String>,
    /// Short text shown as the logo.
    pub authority_short: Option<String>,
    /// Contact address (e-mail or URL) shown in the footer.
    pub contact: Option<String>,
    /// Where the public reaches the server, e.g. `https://tinnhiem.example.vn`; used in
    /// badges, the feed and owner links (default `http://LISTEN`).
    pub public_url: Option<String>,
    /// `ADDR:PORT` to listen on (default 127.0.0.1:8080).
    pub listen: Option<String>,
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    /// Plain-HTTP listener that only redirects to HTTPS (with TLS only).
    pub http_redirect_listen: Option<String>,
    /// Requests per second per client IP on every page, and the burst (default 20 / 60).
    pub rate_per_ip: Option<u32>,
    pub burst_per_ip: Option<u32>,
    /// Rows per page of the list (default 50).
    pub page_size: Option<u32>,
    /// Days an owner link stays valid (default 30).
    pub owner_link_days: Option<i64>,
    /// Minimum minutes between two owner re-scan requests for one site (default 60).
    pub rescan_cooldown_minutes: Option<i64>,
    /// Hours a staff login lasts (default 8).
    pub session_hours: Option<i64>,
    /// IANA time zone of the dates on pages and in open data (default
    /// `Asia/Ho_Chi_Minh`).
    pub timezone: Option<String>,
    /// Addresses or blocks of our own reverse proxies: requests from them are limited
    /// per the client address they forward (`X-Forwarded-For`), not per proxy.
    pub trusted_proxies: Option<Vec<String>>,
    /// The addresses (or blocks) our scanners connect from, published on the scanner
    /// page so owners can allow them through their firewalls.
    pub scanner_addresses: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Sites scanned at once (default 64).
    pub concurrency: Option<usize>,
    pub connect_timeout_secs: Option<f64>,
    pub handshake_timeout_secs: Option<f64>,
    pub request_timeout_secs: Option<f64>,
    /// Hard limit for one site (default 45 s).
    pub site_deadline_secs: Option<f64>,
    pub body_cap_bytes: Option<usize>,
    pub max_redirects: Option<usize>,
    /// Requests and TLS hellos per second per host name, and the burst (default 10 / 50).
    pub rate_per_host: Option<u32>,
    pub burst_per_host: Option<u32>,
    /// The same per IP address (default 20 / 60).
    pub rate_per_ip: Option<u32>,
    pub burst_per_ip: Option<u32>,
    /// Requests per second to one CA OCSP responder, and the burst (default 50 / 100).
    pub rate_per_responder: Option<u32>,
    pub burst_per_responder: Option<u32>,
    pub user_agent: Option<String>,
    /// Exposure probe requests per site, soft-404 baseline included (default 20; 0 = off).
    pub exposure_max_requests: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// curl-style `HOST:PORT:ADDR` entries.
    #[serde(default)]
    pub resolve: Vec<String>,
    /// curl-style `HOST:PORT:ADDR:PORT` entries.
    #[serde(default)]
    pub connect_to: Vec<String>,
    pub hosts_file: Option<std::path::PathBuf>,
    /// PEM file with extra trust anchors.
    pub ca_file: Option<std::path::PathBuf>,
    /// DNSSEC trust anchors (zone-file DS or DNSKEY lines) instead of the root zone's.
    pub trust_anchors: Option<std::path::PathBuf>,
    /// DNS servers (`IP` or `IP:PORT`) instead of the system resolver.
    #[serde(default)]
    pub dns_servers: Vec<String>,
    /// Allow targets on private, loopback and link-local addresses (default false).
    pub allow_private_addresses: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Invalid {
        path: String,
        line: usize,
        reason: String,
    },
}

impl FileConfig {
    pub fn load(path: &std::path::Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        FileConfig::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_string(),
            line: e
                .span()
                .map(|s| trustlabel_core::rulefile::line_of(text, s.start))
                .unwrap_or(0),
            reason: e.message().to_string(),
        })
    }
}

/// Parses a DNS server given as `IP` or `IP:PORT` (`[v6]:PORT`).
pub fn parse_dns_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("`{s}` is not a DNS server address (IP or IP:PORT)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_errors_name_the_line() {
        let err = FileConfig::parse("t.toml", "[scan]\nconcurency = 3\n").unwrap_err();
        assert!(err.to_string().starts_with("t.toml:2: "), "{err}");
        let ok = FileConfig::parse("t.toml", "[scan]\nconcurrency = 3\n").unwrap();
        assert_eq!(ok.scan.concurrency, Some(3));
    }

    #[test]
    fn the_committed_example_config_parses() {
        let text = include_str!("../trustlabel.example.toml");
        FileConfig::parse("trustlabel.example.toml", text).expect("example parses");
    }

    #[test]
    fn dns_servers_default_to_port_53() {
        assert_eq!(
            parse_dns_server("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert!(parse_dns_server("dns.google").is_err());
    }
}
