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
    /// DNS server (IP or IP:PORT) instead of the system resolver; repeatable.
    #[arg(long = "dns-server", global = true, value_name = "ADDR")]
    pub dns_server: Vec<String>,
    /// Sites scanned at once [default: 64].
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Requests per second to one host name [default: 5].
    #[arg(long = "rate-per-host", global = true, value_name = "N")]
    pub rate_per_host: Option<u32>,
    /// Requests per second to one IP address [default: 20].
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
    /// Start a built-in fleet of local demo sites (no internet needed), scan and report.
    Demo {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Serve a local fleet of N sites and print its manifest (JSON) on one line; runs
    /// until standard input closes. Used by the benchmark to keep servers out of the
    /// measured process.
    #[command(hide = true)]
    FleetServe {
        #[arg(long, default_value_t = 1000)]
        sites: usize,
        #[arg(long, default_value = "bench.test")]
        domain: String,
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

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Validate every rule file in DIR (policy, finding texts, page rules); files DIR
    /// lacks fall back to the built-in ones. Exit 0 when all are valid, 2 otherwise.
    Lint { dir: PathBuf },
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
