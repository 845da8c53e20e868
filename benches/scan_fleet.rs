//! Whole-pipeline throughput: N loopback HTTPS sites (served by a separate
//! `trustlabel fleet-serve` process, so only the scanner is measured) scanned end to end
//! (collect → checks → policy → SQLite) at one concurrency.
//!
//! cargo bench --bench scan_fleet -- --sites 2000 --concurrency 64,256,1024 --mixed
//!     [--no-legacy] [--no-vuln-probes] [--rate-per-host N] [--burst-per-host N] [--rate-per-ip N]
//!     [--burst-per-ip N] [--rate-per-responder N] [--burst-per-responder N]
//!     [--no-politeness] [--own-domains] [--no-dns-mail] [--rtt-ms 80 --jitter-ms 4]
//!     [--timelines N]
//!
//! (`cargo bench --bench scan_fleet -- --help` lists the flags.) Every setting is the
//! shipped default unless a flag changes it; the run prints, before measuring, each
//! setting that differs from the default with both values, the fleet's wiring included.
//!
//! `--mixed`: one site in four carries one of the demo fleet's defects (certificates,
//! redirects, headers, exposed files, privacy form, spam, closed ports); every good site
//! must still pass. `--own-domains`: every site is `www.<its own domain>`, a signed zone
//! that receives mail (its own MX with STARTTLS, SPF, DMARC, TLS-RPT), so the DNS
//! questions and SMTP connections per site are those of a list of real organisations
//! rather than of many sites sharing one zone without mail. `--no-dns-mail` leaves the
//! DNS and mail evidence out, for the throughput before it. Several concurrencies run one after another, each in a fresh process
//! (with a fresh fleet) so peak RSS is per concurrency.
//!
//! The politeness budgets bound what a scan of one site (per host, per address) and of
//! all sites of one CA (per OCSP responder: the fleet's one responder stands in for
//! every CA, so with the default budget the whole fleet shares 50 OCSP requests a
//! second) may send; raising them shows what the machine can do. `--no-legacy` turns the
//! legacy TLS probe (hand-built hellos) off, to measure its cost; `--no-vuln-probes` only
//! its vulnerability probes (Heartbleed, CCS, ROBOT, fallback, the extended hello).
//!
//! `--rtt-ms`: the fleet adds this round-trip time (and `--jitter-ms` per one-way pass)
//! to every connection and DNS answer, so the scan is measured as it waits on the
//! internet, not as it computes on loopback. Before the list, `--timelines N` (default 1)
//! scans the first N sites one at a time with a collector of their own and prints each
//! one's time, its round trips (time / RTT) and when each network step ran, the steps on
//! the critical path marked.
//!
//! Prints sites/s, CPU seconds per site (user + system of this process), peak RSS, and
//! the TLS handshakes and HTTP requests one site's scan sends.
//! Run once per concurrency: peak RSS is per process.

#[path = "support/bench_args.rs"]
mod bench_args;
#[path = "support/fleet_process.rs"]
mod fleet_process;
#[path = "support/own_network.rs"]
mod own_network;
#[path = "support/process_usage.rs"]
mod process_usage;

/// The shipped binary's allocator (`src/main.rs`), so the scanner is measured as it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bench_args::{Changes, Flags};
use fleet_process::FleetProcess;
use process_usage::usage;
use std::process::Command;
use std::time::{Duration, Instant};
use trustlabel::capacity::Capacity;
use trustlabel::scan::{ScanItem, Scanner, StopFlag};
use trustlabel_collect::{Collector, CollectorSettings, DnsConfig, LegacySettings, RateLimit};
use trustlabel_core::policy::Decision;
use trustlabel_core::ruleset::RuleSet;
use trustlabel_core::target::Target;
use trustlabel_store::Store;

const USAGE: &str = "\
cargo bench --bench scan_fleet -- [FLAGS]

Scans N loopback sites of a `trustlabel fleet-serve` process end to end. Every setting is
the shipped default unless a flag below changes it; each change is printed first.

  --sites N                  sites in the fleet (1000)
  --concurrency A[,B...]     sites scanned at once, at most ([scan] concurrency; default:
                             what the open-file limit and memory allow); with several
                             values, one fresh process per value
  --mixed                    one site in four carries a demo-fleet defect
  --own-domains              each site in a mail-receiving domain of its own
  --no-dns-mail              leave the DNS and mail evidence out (its cost)
  --no-legacy                leave the legacy TLS probe out
  --no-vuln-probes           leave the legacy probe's vulnerability probes out
  --rate-per-host N          requests and hellos per second per host name (default 10)
  --burst-per-host N         ...after a burst of N (default 50)
  --rate-per-ip N            the same per address (default 20)
  --burst-per-ip N           (default 60)
  --rate-per-responder N     requests per second to one OCSP responder (default 50); the
                             fleet has one responder for every site
  --burst-per-responder N    (default 100)
  --no-politeness            every budget above out of the way (1,000,000/s); later
                             flags still apply
  --rtt-ms N                 round-trip time the fleet adds to every connection and DNS
                             answer (0: loopback speed)
  --jitter-ms N              each one-way pass varies by up to N ms (0)
  --timelines N              first scan N sites one at a time and print where each
                             one's time goes (1; 0: none)
  --ocsp-responders N        OCSP responders in the fleet, as the CAs of a real list
                             (4); site i's certificate names responder i mod N
  --shared-ipv6              every site's IPv6 on ::1 (one per-address budget for all)
                             instead of an address each in a network namespace of the
                             bench's own (needs root and `ip`; without them, shared)
  --help                     this text";

struct Args {
    sites: usize,
    /// Empty: the default (what the descriptors and memory allow).
    concurrency: Vec<usize>,
    mixed: bool,
    own_domains: bool,
    dns_mail: bool,
    legacy: bool,
    vuln_probes: bool,
    per_host: RateLimit,
    per_ip: RateLimit,
    per_responder: RateLimit,
    rtt_ms: u64,
    jitter_ms: u64,
    timelines: usize,
    ocsp_responders: usize,
    /// Each site's IPv6 on an address of its own (in the bench's network namespace).
    own_ipv6: bool,
}

fn args() -> Args {
    let defaults = CollectorSettings::default();
    let mut args = Args {
        sites: 1000,
        concurrency: Vec::new(),
        mixed: false,
        own_domains: false,
        dns_mail: defaults.domain.enabled,
        legacy: defaults.legacy.enabled,
        vuln_probes: defaults.legacy.vulnerability_probes,
        per_host: defaults.per_host,
        per_ip: defaults.per_ip,
        per_responder: defaults.per_responder,
        rtt_ms: 0,
        jitter_ms: 0,
        timelines: 1,
        ocsp_responders: 4,
        own_ipv6: true,
    };
    let unlimited = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let mut flags = Flags::from_env(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--sites" => args.sites = flags.value(&flag),
            "--concurrency" => {
                let list: String = flags.value(&flag);
                args.concurrency = list
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .unwrap_or_else(|e| flags.fail(&format!("--concurrency {c}: {e}")))
                    })
                    .collect();
            }
            "--mixed" => args.mixed = true,
            "--own-domains" => args.own_domains = true,
            "--no-dns-mail" => args.dns_mail = false,
            "--no-legacy" => args.legacy = false,
            "--no-vuln-probes" => args.vuln_probes = false,
            "--no-politeness" => {
                args.per_host = unlimited;
                args.per_ip = unlimited;
                args.per_responder = unlimited;
            }
            "--rate-per-host" => args.per_host.per_second = flags.value(&flag),
            "--burst-per-host" => args.per_host.burst = flags.value(&flag),
            "--rate-per-ip" => args.per_ip.per_second = flags.value(&flag),
            "--burst-per-ip" => args.per_ip.burst = flags.value(&flag),
            "--rate-per-responder" => args.per_responder.per_second = flags.value(&flag),
            "--burst-per-responder" => args.per_responder.burst = flags.value(&flag),
            "--rtt-ms" => args.rtt_ms = flags.value(&flag),
            "--jitter-ms" => args.jitter_ms = flags.value(&flag),
            "--timelines" => args.timelines = flags.value(&flag),
            "--ocsp-responders" => args.ocsp_responders = flags.value(&flag),
            "--shared-ipv6" => args.own_ipv6 = false,
            other => flags.fail(&format!("unknown flag {other}")),
        }
    }
    if args.mixed && args.own_domains {
        flags.fail("--mixed and --own-domains are two different fleets");
    }
    if args.concurrency.contains(&0) || args.sites == 0 || args.ocsp_responders == 0 {
        flags.fail("--sites, --ocsp-responders and every --concurrency must be at least 1");
    }
    args
}

/// Prints every setting of this run that differs from the shipped defaults.
fn print_changes(settings: &CollectorSettings, concurrency: usize, overrides: usize, args: &Args) {
    let d = CollectorSettings::default();
    let rate = |r: RateLimit| format!("{}/s burst {}", r.per_second, r.burst);
    let secs = |t: Duration| format!("{} s", t.as_secs_f64());
    let mut c = Changes::new("scan_fleet");
    let fleet = "the sites exist only in the fleet process, on loopback";
    c.always(
        "[network] dns_servers",
        "[] (system resolver)",
        "the fleet's DNS server",
        fleet,
    );
    c.always(
        "[network] connect_to",
        "[]",
        format!("{overrides} fleet ports"),
        fleet,
    );
    c.always(
        "[network] trust_anchors",
        "the root zone's keys",
        "the fleet's zone keys",
        fleet,
    );
    c.always(
        "[network] ca_file",
        "none (Mozilla roots)",
        "the fleet's test root only",
        fleet,
    );
    c.compare(
        "OCSP responders (the rig's CAs)",
        1,
        args.ocsp_responders,
        "--ocsp-responders: the sites of a real list come from several CAs, and the \
         per-responder budget applies to each",
    );
    if args.own_ipv6 {
        c.always(
            "each site's IPv6 address (the rig's internet)",
            "::1, shared by every site",
            format!("its own, in {}/64", own_network::SITE_IPV6_BASE),
            "a network namespace of the bench's own; --shared-ipv6 for ::1",
        );
    }
    if args.rtt_ms > 0 {
        c.always(
            "round trip to every site (the rig's internet)",
            "loopback (microseconds)",
            format!(
                "{} ms, each one-way pass ±{} ms",
                args.rtt_ms, args.jitter_ms
            ),
            "--rtt-ms / --jitter-ms: the fleet's latency relay",
        );
    }
    c.compare(
        "[network] allow_private_addresses",
        d.allow_private_addresses,
        settings.allow_private_addresses,
        fleet,
    );
    let capacity = Capacity::of_this_process();
    c.compare(
        "[scan] concurrency (sites in flight)",
        capacity.sites(),
        concurrency,
        "--concurrency",
    );
    c.compare(
        "[scan] rate_per_host / burst_per_host",
        rate(d.per_host),
        rate(settings.per_host),
        "--rate-per-host / --burst-per-host / --no-politeness",
    );
    c.compare(
        "[scan] rate_per_ip / burst_per_ip",
        rate(d.per_ip),
        rate(settings.per_ip),
        "--rate-per-ip / --burst-per-ip / --no-politeness",
    );
    c.compare(
        "[scan] rate_per_responder / burst_per_responder",
        rate(d.per_responder),
        rate(settings.per_responder),
        "--rate-per-responder / --burst-per-responder / --no-politeness",
    );
    c.compare(
        "legacy TLS probe",
        d.legacy.enabled,
        settings.legacy.enabled,
        "--no-legacy",
    );
    c.compare(
        "DNS and mail evidence",
        d.domain.enabled,
        settings.domain.enabled,
        "--no-dns-mail",
    );
    c.compare(
        "legacy TLS vulnerability probes",
        d.legacy.vulnerability_probes,
        settings.legacy.vulnerability_probes,
        "--no-vuln-probes",
    );
    // Not changed by any flag; listed so a future edit cannot change them silently.
    for (name, default, used) in [
        (
            "connect_timeout",
            d.connect_timeout,
            settings.connect_timeout,
        ),
        (
            "handshake_timeout",
            d.handshake_timeout,
            settings.handshake_timeout,
        ),
        (
            "request_timeout",
            d.request_timeout,
            settings.request_timeout,
        ),
        ("site_deadline", d.site_deadline, settings.site_deadline),
    ] {
        c.compare(
            &format!("[scan] {name}"),
            secs(default),
            secs(used),
            "edited in the bench",
        );
    }
    c.compare(
        "[scan] body_cap_bytes",
        d.body_cap,
        settings.body_cap,
        "edited in the bench",
    );
    c.compare(
        "[scan] max_redirects",
        d.max_redirects,
        settings.max_redirects,
        "edited in the bench",
    );
    c.compare(
        "[scan] exposure_max_requests",
        d.exposure_max_requests,
        settings.exposure_max_requests,
        "edited in the bench",
    );
    c.print();
}

/// One site's collection: its time, its round trips and when each network step ran,
/// the chain of steps that ended last (the critical path) marked with `*`.
fn print_timeline(host: &str, collected: &trustlabel_collect::Collected, rtt_ms: u64) {
    let rtt = Duration::from_millis(rtt_ms.max(1));
    let in_rtt = |d: Duration| d.as_secs_f64() / rtt.as_secs_f64();
    let spans = &collected.timeline;
    // Walk back from the end: the step that ended last, then the one that ended last
    // before it started, and so on (a step ends within 1 ms of the next one starting).
    let slack = Duration::from_millis(1);
    let mut critical = Vec::new();
    let mut until = collected.elapsed;
    while let Some((i, span)) = spans
        .iter()
        .enumerate()
        .filter(|(i, s)| s.end <= until + slack && !critical.contains(i))
        .max_by_key(|(_, s)| s.end)
    {
        critical.push(i);
        if span.start <= slack {
            break;
        }
        until = span.start;
    }
    println!(
        "timeline {host}: {:.2} s = {:.1} round trips of {rtt_ms} ms (requests {}, legacy hellos {})",
        collected.elapsed.as_secs_f64(),
        in_rtt(collected.elapsed),
        collected.evidence.http_requests(),
        collected
            .evidence
            .legacy
            .as_ref()
            .map_or(0, |l| l.handshakes),
    );
    println!("  {:<20} {:>8} {:>8} {:>8}", "step", "from", "to", "RTTs");
    for (i, span) in spans.iter().enumerate() {
        println!(
            "{} {:<20} {:>8.1} {:>8.1} {:>8.1}",
            if critical.contains(&i) { "*" } else { " " },
            span.phase.name(),
            in_rtt(span.start),
            in_rtt(span.end),
            in_rtt(span.end - span.start),
        );
    }
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
    let mut args = args();
    if args.own_ipv6 {
        match own_network::enter(args.sites) {
            own_network::OwnNetwork::Inside => {}
            own_network::OwnNetwork::RanInside(code) => std::process::exit(code),
            own_network::OwnNetwork::Unavailable(why) => {
                println!("no network namespace of its own ({why}): every site's IPv6 on ::1");
                args.own_ipv6 = false;
            }
        }
    }
    if fan_out(&args) {
        return;
    }
    let capacity = Capacity::of_this_process();
    let concurrency = capacity.sites_capped(args.concurrency.first().copied());
    println!(
        "capacity: {} open files, {} MiB for sites in flight -> at most {} sites in flight by default",
        capacity.descriptors,
        capacity.memory / (1024 * 1024),
        capacity.sites()
    );
    let mut shape: Vec<String> = if args.mixed {
        vec!["--mixed".into()]
    } else if args.own_domains {
        vec!["--own-domains".into()]
    } else {
        Vec::new()
    };
    shape.extend(["--ocsp-responders".into(), args.ocsp_responders.to_string()]);
    if args.own_ipv6 {
        shape.extend([
            "--site-ipv6".into(),
            own_network::SITE_IPV6_BASE.to_string(),
        ]);
    }
    let shape: Vec<&str> = shape.iter().map(String::as_str).collect();
    let fleet = FleetProcess::start_with_rtt(args.sites, &shape, args.rtt_ms, args.jitter_ms);
    let (manifest, hosts) = (&fleet.manifest, &fleet.hosts);
    let overrides = fleet.overrides.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = CollectorSettings {
        per_host: args.per_host,
        per_ip: args.per_ip,
        per_responder: args.per_responder,
        dns: DnsConfig::Servers(vec![manifest["dns"].as_str().unwrap().parse().unwrap()]),
        overrides,
        extra_roots_pem: vec![manifest["root_ca_pem"].as_str().unwrap().to_string()],
        only_extra_roots: true,
        allow_private_addresses: true,
        legacy: LegacySettings {
            enabled: args.legacy,
            vulnerability_probes: args.vuln_probes,
            ..Default::default()
        },
        domain: trustlabel_collect::DomainSettings {
            enabled: args.dns_mail,
            trust_anchors: serde_json::from_value(manifest["trust_anchors"].clone())
                .expect("the fleet's trust anchors"),
            ..Default::default()
        },
        ..CollectorSettings::default()
    };
    print_changes(&settings, concurrency, settings.overrides.len(), &args);
    let (per_host, per_responder) = (settings.per_host, settings.per_responder);
    let fleet_pid = fleet.pid();
    let fleet_cpu_before = child_cpu_seconds(fleet_pid);
    let (wall, cpu, rss, passed, handshakes, requests, domain_io, good_failures) = runtime
        .block_on(async {
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
                    parent: String::new(),
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
            // A collector of their own, so the list below starts with cold caches.
            let alone = Collector::new(settings.clone(), &rules).expect("collector");
            for host in hosts.iter().take(args.timelines) {
                let collected = alone.collect_with_pages(host, 443).await;
                print_timeline(host, &collected, args.rtt_ms);
            }
            drop(alone);
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
            println!(
                "sites in flight: from {} up to {} (cap {concurrency})",
                trustlabel::capacity::STARTING_SITES.min(concurrency),
                scanner.peak_in_flight()
            );
            let passed = results
                .iter()
                .filter(|r| r.verdict.decision == Decision::Pass)
                .count();
            // Hellos sent and the legacy probe's own wall time, summed over the sites.
            let handshakes: (u32, u64) = results
                .iter()
                .filter_map(|r| r.evidence.legacy.as_ref())
                .fold((0, 0), |(h, ms), l| (h + l.handshakes, ms + l.elapsed_ms));
            let requests: usize = results.iter().map(|r| r.evidence.http_requests()).sum();
            // The DNS/mail side (issue 14): questions sent and SMTP connections opened.
            let dns_queries: u64 = results
                .iter()
                .filter_map(|r| r.evidence.dns.as_ref())
                .map(|d| u64::from(d.queries))
                .sum();
            let smtp_connections: u64 = results
                .iter()
                .filter_map(|r| r.evidence.mail.as_ref())
                .map(|m| u64::from(m.smtp_connections))
                .sum();
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
                .map(|r| {
                    // The findings' details say what the scan saw (which connection failed
                    // and how), which the verdict's reasons alone do not.
                    let seen: Vec<String> = r
                        .findings
                        .iter()
                        .filter(|f| f.severity >= trustlabel_core::finding::Severity::Medium)
                        .map(|f| format!("{}: {}", f.id, f.detail))
                        .collect();
                    format!("{}: {:?} {seen:?}", r.host, r.verdict.reasons)
                })
                .collect();
            (
                wall,
                cpu1 - cpu0,
                rss,
                passed,
                handshakes,
                requests,
                (dns_queries, smtp_connections),
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
        "rtt={}ms jitter={}ms sites={}{} concurrency={} legacy={} vuln_probes={} dns_mail={} per_host={}/s burst {} per_responder={}/s burst {} wall={:.2}s sites/s={:.0} cpu/site={:.2}ms fleet_cpu/site={:.2}ms peak_rss={:.0}MiB passed={} legacy_handshakes/site={:.1} legacy_ms/site={:.1} http_requests/site={:.1} dns_queries/site={:.1} smtp_connections/site={:.2}",
        args.rtt_ms,
        args.jitter_ms,
        args.sites,
        if args.mixed {
            " (mixed)"
        } else if args.own_domains {
            " (own mail domains)"
        } else {
            ""
        },
        concurrency,
        args.legacy,
        args.vuln_probes,
        args.dns_mail,
        per_host.per_second,
        per_host.burst,
        per_responder.per_second,
        per_responder.burst,
        wall.as_secs_f64(),
        n / wall.as_secs_f64().max(f64::EPSILON),
        cpu / n * 1000.0,
        fleet_cpu / n * 1000.0,
        rss,
        passed,
        f64::from(handshakes.0) / n,
        handshakes.1 as f64 / n,
        requests as f64 / n,
        domain_io.0 as f64 / n,
        domain_io.1 as f64 / n
    );
    assert!(
        good_failures.is_empty(),
        "good sites must pass: {good_failures:?}"
    );
}
