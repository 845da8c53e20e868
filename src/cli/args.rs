//! Command-line grammar. Global options work before or after the subcommand.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use trustlabel::report::Format;

pub const EXIT_CODES: &str = "\
EXIT CODES:
  0  every scanned site passes the label requirements (labelled); other commands: success
  1  at least one scanned site is not labelled (fails a requirement or is unreachable);
     `targets import`: some lines were refused (the good lines were imported)
  2  usage or configuration error (bad option, unreadable file, bad database URL)
  3  runtime failure (database error) or the scan was interrupted";

#[derive(Debug, Parser)]
#[command(
    name = "trustlabel",
    version,
    about = "Scan websites for the national website trust label and keep the label list",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Default)]
pub struct GlobalArgs {
    /// Config file (default: ./trustlabel.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH [default: sqlite://trustlabel.db].
    #[arg(long, global = true, value_name = "URL", env = "TRUSTLABEL_DATABASE")]
    pub database: Option<String>,
    /// Directory overriding the built-in rule files (policy.toml, findings.toml, exposures.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub checks: Option<PathBuf>,
    /// Send HOST:PORT to ADDR instead of resolving HOST (like curl); repeatable.
    #[arg(long, global = true, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Send HOST:PORT to ADDR:PORT2 (like curl's --connect-to); repeatable.
    #[arg(
        long = "connect-to",
        global = true,
        value_name = "HOST:PORT:ADDR:PORT2"
    )]
    pub connect_to: Vec<String>,
    /// Hosts file (`IP NAME...` lines, /etc/hosts format) consulted before DNS.
    #[arg(long = "hosts-file", global = true, value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// Extra trust anchors (PEM), added to the Mozilla root set.
    #[arg(long = "ca-file", global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// DNSSEC trust anchors (zone-file DS or DNSKEY lines) instead of the root zone's
    /// keys: for a closed network, or a test fleet's own signed zones.
    #[arg(long = "trust-anchors", global = true, value_name = "FILE")]
    pub trust_anchors: Option<PathBuf>,
    /// DNS server (IP or IP:PORT) instead of the system resolver; repeatable.
    #[arg(long = "dns-server", global = true, value_name = "ADDR")]
    pub dns_server: Vec<String>,
    /// Sites scanned at once, at most [default: as many as the open-file limit and a
    /// 1 GiB memory budget allow, 32 sockets and 2 MiB per site].
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Requests and TLS hellos per second to one host name, after a burst of 50 [default: 10].
    #[arg(long = "rate-per-host", global = true, value_name = "N")]
    pub rate_per_host: Option<u32>,
    /// The same for one IP address, after a burst of 60 [default: 20].
    #[arg(long = "rate-per-ip", global = true, value_name = "N")]
    pub rate_per_ip: Option<u32>,
    /// TCP connect timeout in seconds [default: 5].
    #[arg(long = "connect-timeout", global = true, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Per-request timeout in seconds, body included [default: 15].
    #[arg(long = "request-timeout", global = true, value_name = "SECS")]
    pub request_timeout: Option<f64>,
    /// Hard limit for one whole site in seconds [default: 45].
    #[arg(long = "site-deadline", global = true, value_name = "SECS")]
    pub site_deadline: Option<f64>,
    /// Allow targets on private, loopback and link-local addresses.
    #[arg(long = "allow-private-addresses", global = true)]
    pub allow_private_addresses: bool,
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan sites: named hosts, every stored target (--all) or a target list (--targets).
    Scan(ScanArgs),
    /// Manage the target list.
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Show a site's current label, latest findings and status history.
    Status {
        host: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Work with rule files (`checks/` data).
    #[command(subcommand)]
    Checks(ChecksCommand),
    #[cfg(feature = "demo")]
    /// Start a built-in fleet of local demo sites (no internet needed), scan and report,
    /// then serve the web list of the results until Ctrl-C (unless --no-serve).
    Demo {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Only scan and report; do not start the web server.
        #[arg(long)]
        no_serve: bool,
        /// Where the web list is served [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
    },
    /// Serve the public list, site pages, open data, feed, badges, API, owner and staff
    /// pages, and run queued re-scans.
    Serve(ServeArgs),
    /// Run scan jobs from the shared queue (owner and staff requests, and the
    /// scheduler's re-scans) until SIGINT/SIGTERM; several workers may share one
    /// database (PostgreSQL for several machines).
    Worker {
        /// Jobs scanned at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Do not queue the periodic re-scans from this process (another one does).
        #[arg(long)]
        no_scheduler: bool,
        /// Seconds a claimed job stays this worker's without a heartbeat; a crashed
        /// worker's jobs are taken over after it [default: twice the site deadline + 30].
        #[arg(long = "lease-secs", value_name = "SECS")]
        lease_secs: Option<f64>,
    },
    /// Write the public surfaces as static files (deterministic for the same database).
    Publish {
        /// Output directory (created; an earlier export there is replaced).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Base URL used in badges, the feed and open data [default: publish.public_url].
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Print a private owner link for a site (token stored hashed, with an expiry), or
    /// revoke the site's links.
    OwnerLink {
        host: String,
        /// Days the link stays valid [default: publish.owner_link_days, 30].
        #[arg(long, value_name = "N")]
        days: Option<i64>,
        /// Revoke every live link of the site instead of issuing one.
        #[arg(long)]
        revoke: bool,
        /// The address owners reach the server at (overrides [publish] public_url).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Manage staff accounts (passwords are read from standard input, one line).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Manage the batch API's tokens for partner agencies (only hashes are stored; a
    /// token is printed once, when it is created).
    #[command(subcommand)]
    ApiToken(ApiTokenCommand),
    /// Find sites not on the list yet: follow Certificate Transparency logs, then list,
    /// accept (as targets) or dismiss the candidates.
    #[command(subcommand)]
    Discover(DiscoverCommand),
    /// Serve a local fleet of N sites and print its manifest (JSON) on one line; runs
    /// until standard input closes. Used by the benchmark to keep servers out of the
    /// measured process.
    #[cfg(feature = "demo")]
    #[command(hide = true)]
    FleetServe {
        #[arg(long, default_value_t = 1000)]
        sites: usize,
        #[arg(long, default_value = "bench.test")]
        domain: String,
        /// One site in four carries a defect of the demo fleet (certificate, redirect,
        /// header, exposure, privacy, spam, closed ports), the rest are good sites.
        #[arg(long)]
        mixed: bool,
        /// Round-trip time in milliseconds added to every connection and DNS answer of
        /// the fleet (0: loopback speed).
        #[arg(long, default_value_t = 0)]
        rtt_ms: u64,
        /// Each one-way pass varies by up to this many milliseconds (uniform).
        #[arg(long, default_value_t = 0)]
        jitter_ms: u64,
        /// Each site in a registrable domain of its own that receives mail (its own
        /// signed zone, MX with STARTTLS, SPF, DMARC, TLS-RPT), named `www.dom<i>.test`.
        #[arg(long, conflicts_with = "mixed")]
        own_domains: bool,
        /// OCSP responders, as the several CAs of a real list; site i names responder
        /// i modulo N.
        #[arg(long, default_value_t = 1)]
        ocsp_responders: usize,
        /// Give site i the IPv6 address BASE + i + 1 (already on an interface, say a
        /// network namespace's loopback) instead of a port of ::1.
        #[arg(long, value_name = "BASE")]
        site_ipv6: Option<std::net::Ipv6Addr>,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Hosts or URLs to scan.
    pub hosts: Vec<String>,
    /// Scan every stored target (resumes an interrupted `scan --all`).
    #[arg(long, conflicts_with_all = ["hosts", "targets"])]
    pub all: bool,
    /// Import this target list, then scan its sites (resumes an interrupted run).
    #[arg(long, value_name = "FILE", conflicts_with = "hosts")]
    pub targets: Option<PathBuf>,
    /// Add named hosts that are not targets yet to the target list (and store results).
    #[arg(long)]
    pub add: bool,
    /// Start over instead of resuming an interrupted run.
    #[arg(long)]
    pub restart: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// ADDR:PORT to listen on [default: publish.listen or 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long = "tls-cert", value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long = "tls-key", value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// With TLS: also listen here on plain HTTP, redirecting everything to HTTPS.
    #[arg(long = "http-redirect", value_name = "ADDR:PORT")]
    pub http_redirect: Option<String>,
    /// Public base URL (badges, feed, owner links) [default: publish.public_url].
    #[arg(long = "public-url", value_name = "URL")]
    pub public_url: Option<String>,
    /// Do not run queued scans in this process.
    #[arg(long = "no-worker")]
    pub no_worker: bool,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an account; the password (at least 12 characters) is read from stdin.
    Add {
        username: String,
    },
    /// Set a new password (read from stdin); ends the account's sessions.
    Passwd {
        username: String,
    },
    /// Disable an account; its sessions stop working at once.
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Issue a token to an agency and print it (once) on standard output.
    Create {
        /// The agency: its name, also what the sites it submits are filed under.
        name: String,
        /// What the token may do: `batch` (submit hosts, read statuses and grades) and
        /// `findings` (also read the findings of its batches' sites); repeatable.
        #[arg(long = "scope", value_name = "SCOPE", default_value = "batch")]
        scopes: Vec<String>,
        /// Days the token stays valid.
        #[arg(long, value_name = "N", default_value_t = 365)]
        days: i64,
    },
    /// Print every token: id, agency, scopes, expiry and whether it is revoked.
    List,
    /// Revoke a token by its id (from `list`); requests with it fail at once.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Validate every rule file in DIR (policy, finding texts, page rules); files DIR
    /// lacks fall back to the built-in ones. Exit 0 when all are valid, 2 otherwise.
    Lint { dir: PathBuf },
    /// Validate advisory feeds (retire.js jsrepository.json, OSV JSON, the CISA KEV
    /// catalog) and install them into the checks directory's feeds/ (--checks DIR or
    /// the config's `checks`), replacing the feed of the same format. Nothing is
    /// installed when any file is invalid (exit 2).
    Update {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TargetsCommand {
    /// Load a CSV list (host, organisation, category, province, contact_email); idempotent.
    Import { file: PathBuf },
    /// Print the stored targets with their label status.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum DiscoverCommand {
    /// Follow Certificate Transparency logs ([[discovery.logs]] with their keys) from
    /// where the last run stopped; hosts under the discovery suffixes become candidates.
    /// Then apply the auto-accept rules and probe the new candidates.
    Ct {
        /// Follow only this configured log (repeatable) [default: every configured log].
        #[arg(long = "log", value_name = "URL")]
        logs: Vec<String>,
        /// Do not probe new candidates (resolves? answers HTTPS/HTTP?).
        #[arg(long = "no-probe")]
        no_probe: bool,
    },
    /// Probe pending candidates not probed yet.
    Probe {
        #[arg(long, default_value_t = 1000)]
        limit: u64,
    },
    /// Print candidates with their sources.
    List {
        /// pending, accepted or dismissed [default: every state].
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// ct, link or certificate.
        #[arg(long, value_name = "KIND")]
        source: Option<String>,
        /// Only hosts under this suffix.
        #[arg(long, value_name = "SUFFIX")]
        suffix: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Accept a candidate: it becomes a target, assessed by the next `scan --all`.
    Accept {
        host: String,
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        province: String,
        /// The ministry or provincial body the organisation belongs to.
        #[arg(long, default_value = "")]
        parent: String,
        #[arg(long = "contact-email", default_value = "")]
        contact_email: String,
    },
    /// Dismiss a candidate with a reason: out-of-scope, duplicate or parked.
    Dismiss {
        host: String,
        #[arg(long, value_name = "REASON")]
        reason: String,
        /// Free text kept with the decision (e.g. which site it duplicates).
        #[arg(long, default_value = "")]
        note: String,
    },
}
