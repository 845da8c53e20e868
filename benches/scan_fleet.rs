//! Whole-pipeline throughput: N loopback HTTPS sites (served by a separate
//! `trustlabel fleet-serve` process, so only the scanner is measured) scanned end to end
//! (collect → checks → policy → SQLite) at one concurrency.
//!
//! cargo bench --bench scan_fleet -- --sites 2000 --concurrency 64,256,1024 --mixed
//!     [--no-legacy] [--rate-per-host N --burst-per-host N | --no-politeness]
//!
//! `--mixed`: one site in four carries one of the demo fleet's defects (certificates,
//! redirects, headers, exposed files, privacy form, spam, closed ports); every good site
//! must still pass. Several concurrencies run one after another, each in a fresh process
//! (with a fresh fleet) so peak RSS is per concurrency.
//!
//! `--no-legacy` turns the legacy TLS probe (hand-built hellos) off, to measure its cost.
//! The per-host politeness budget is the scanner's default unless given: with distinct
//! hosts it bounds how fast one site's scan can go, so throughput is roughly
//! concurrency / per-site time, and raising the budget shows what the machine can do.
//!
//! Prints sites/s, CPU seconds per site (user + system of this process), peak RSS, and
//! the TLS handshakes and HTTP requests one site's scan sends.
//! Run once per concurrency: peak RSS is per process.

#[path = "support/fleet_process.rs"]
mod fleet_process;

use fleet_process::FleetProcess;
use std::process::Command;
use std::time::Instant;
use trustlabel::scan::{ScanItem, Scanner, StopFlag};
use trustlabel_collect::{Collector, CollectorSettings, DnsConfig};
use trustlabel_core::policy::Decision;
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::target::Target;
use trustlabel_store::Store;

struct Args {
    sites: usize,
    concurrency: Vec<usize>,
    mixed: bool,
    legacy: bool,
    rate_per_host: Option<u32>,
    burst_per_host: Option<u32>,
    /// Per-host and per-address limits out of the way: what the machine can do.
    no_politeness: bool,
}

fn args() -> Args {
    let mut args = Args {
        sites: 1000,
        concurrency: vec![64],
        mixed: false,
        legacy: true,
        rate_per_host: None,
        burst_per_host: None,
        no_politeness: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok());
        match a.as_str() {
            "--sites" => args.sites = value().unwrap_or(args.sites),
            "--concurrency" => {
                args.concurrency = it
                    .next()
                    .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
                    .filter(|c: &Vec<usize>| !c.is_empty())
                    .unwrap_or(args.concurrency)
            }
            "--mixed" => args.mixed = true,
            "--no-politeness" => args.no_politeness = true,
            "--no-legacy" => args.legacy = false,
            "--rate-per-host" => args.rate_per_host = value().and_then(|v| u32::try_from(v).ok()),
            "--burst-per-host" => args.burst_per_host = value().and_then(|v| u32::try_from(v).ok()),
            _ => {} // cargo bench passes --bench
        }
    }
    args
}

/// User + system CPU seconds a child process has used so far (Linux `/proc`), so the
/// fleet's share of the two cores can be told from the scanner's.
fn child_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (per_second > 0.0).then(|| ticks / per_second)
}

/// (user + system CPU seconds, peak RSS in MiB) of this process.
fn usage() -> (f64, f64) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(ru.ru_utime) + secs(ru.ru_stime),
        ru.ru_maxrss as f64 / 1024.0,
    )
}

/// Runs this bench once per concurrency in a child process; returns false when the
/// concurrency list has one value (the caller measures it itself).
fn fan_out(args: &Args) -> bool {
    if args.concurrency.len() < 2 {
        return false;
    }
    let exe = std::env::current_exe().expect("own path");
    for c in &args.concurrency {
        let mut child_args: Vec<String> = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if a == "--concurrency" {
                it.next();
                continue;
            }
            child_args.push(a);
        }
        child_args.extend(["--concurrency".to_string(), c.to_string()]);
        let status = Command::new(&exe)
            .args(&child_args)
            .status()
            .expect("run the bench for one concurrency");
        assert!(status.success(), "concurrency {c} failed");
    }
    true
}

fn main() {
    let args = args();
    if fan_out(&args) {
        return;
    }
    let concurrency = args.concurrency[0];
    let fleet = FleetProcess::start(args.sites, args.mixed);
    let (manifest, hosts) = (&fleet.manifest, &fleet.hosts);
    let overrides = fleet.overrides.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let defaults = CollectorSettings::default();
    let unlimited = trustlabel_collect::RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let per_host = if args.no_politeness {
        unlimited
    } else {
        trustlabel_collect::RateLimit {
            per_second: args.rate_per_host.unwrap_or(defaults.per_host.per_second),
            burst: args.burst_per_host.unwrap_or(defaults.per_host.burst),
        }
    };
    let per_ip = if args.no_politeness {
        unlimited
    } else {
        defaults.per_ip
    };
    let fleet_pid = fleet.pid();
    let fleet_cpu_before = child_cpu_seconds(fleet_pid);
    let (wall, cpu, rss, passed, handshakes, requests, good_failures) = runtime.block_on(async {
        let settings = CollectorSettings {
            per_host,
            per_ip,
            dns: DnsConfig::Servers(vec![manifest["dns"].as_str().unwrap().parse().unwrap()]),
            overrides,
            extra_roots_pem: vec![manifest["root_ca_pem"].as_str().unwrap().to_string()],
            only_extra_roots: true,
            allow_private_addresses: true,
            legacy: trustlabel_collect::LegacySettings {
                enabled: args.legacy,
                ..Default::default()
            },
            // The fleet's one OCSP responder stands in for every CA on the internet; the
            // default per-responder budget would measure the rate limit, not the scanner.
            per_responder: trustlabel_collect::RateLimit {
                per_second: 100_000,
                burst: 100_000,
            },
            ..CollectorSettings::default()
        };
        let store = Store::open(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ))
        .await
        .expect("store");
        let targets: Vec<Target> = hosts
            .iter()
            .map(|h| Target {
                host: h.clone(),
                https_port: 443,
                organisation: "bench".into(),
                category: "bench".into(),
                province: String::new(),
                contact_email: String::new(),
            })
            .collect();
        store
            .upsert_targets(&targets, time::OffsetDateTime::now_utc())
            .await
            .expect("targets");
        let items: Vec<ScanItem> = store
            .targets()
            .await
            .expect("targets")
            .into_iter()
            .map(ScanItem::Stored)
            .collect();
        // The same rule set (and so the same rules hash) as `trustlabel scan`.
        let rules = std::sync::Arc::new(RuleSet::builtin().expect("built-in rules"));
        let collector = Collector::new(settings, &rules).expect("collector");
        let scanner = Scanner::new(collector, rules, Some(store), concurrency);
        let (cpu0, _) = usage();
        let start = Instant::now();
        let results = scanner
            .run(items, None, &StopFlag::default(), |_| {})
            .await
            .expect("scan");
        let wall = start.elapsed();
        let (cpu1, rss) = usage();
        let passed = results
            .iter()
            .filter(|r| r.verdict.decision == Decision::Pass)
            .count();
        let handshakes: u32 = results
            .iter()
            .filter_map(|r| r.evidence.legacy.as_ref())
            .map(|l| l.handshakes)
            .sum();
        let requests: usize = results.iter().map(|r| r.evidence.http_requests()).sum();
        // In a mixed fleet `site{i}` with i % 4 == 3 carries a defect; all others are good.
        let good_failures: Vec<String> = results
            .iter()
            .filter(|r| {
                let index = r.host.trim_start_matches("site").split('.').next();
                let defect = index
                    .and_then(|i| i.parse::<usize>().ok())
                    .map(|i| i % 4 == 3);
                !(args.mixed && defect == Some(true))
            })
            .filter(|r| r.verdict.decision != Decision::Pass)
            .map(|r| format!("{}: {:?}", r.host, r.verdict.reasons))
            .collect();
        (
            wall,
            cpu1 - cpu0,
            rss,
            passed,
            handshakes,
            requests,
            good_failures,
        )
    });
    let fleet_cpu = match (fleet_cpu_before, child_cpu_seconds(fleet_pid)) {
        (Some(before), Some(after)) => after - before,
        _ => f64::NAN,
    };
    fleet.stop();
    let n = args.sites as f64;
    println!(
        "sites={}{} concurrency={} legacy={} per_host={}/s burst {} wall={:.2}s sites/s={:.0} cpu/site={:.2}ms fleet_cpu/site={:.2}ms peak_rss={:.0}MiB passed={} legacy_handshakes/site={:.1} http_requests/site={:.1}",
        args.sites,
        if args.mixed { " (mixed)" } else { "" },
        concurrency,
        args.legacy,
        per_host.per_second,
        per_host.burst,
        wall.as_secs_f64(),
        n / wall.as_secs_f64().max(f64::EPSILON),
        cpu / n * 1000.0,
        fleet_cpu / n * 1000.0,
        rss,
        passed,
        f64::from(handshakes) / n,
        requests as f64 / n
    );
    assert!(
        good_failures.is_empty(),
        "good sites must pass: {good_failures:?}"
    );
}
