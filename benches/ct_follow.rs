//! Following a Certificate Transparency log of N entries (default 1,000,000) into the
//! candidate queue: entries per second, CPU and peak memory of the follower.
//!
//! cargo bench --bench ct_follow -- [--entries N] [--requests-per-second N]
//!     [--batch-size N] [--database URL]
//!
//! The log runs in a child process (this bench binary with `--serve-log`), so the peak
//! RSS printed is the follower's alone: the store, the client, the streaming Merkle
//! frontier. Its entries cycle through the certificates of a 16-site fleet (every entry
//! is parsed, hashed into the tree and its names matched; the candidates stay few, as
//! in a real log where most names are out of scope). Every setting is the shipped
//! default of `[discovery]` unless a flag changes it; each change is printed first.
//! At the default politeness (4 requests a second, 256 entries each) a million entries
//! take about 16 minutes by design: raise `--requests-per-second` to measure the
//! follower itself.

#[path = "support/bench_args.rs"]
mod bench_args;
#[path = "support/process_usage.rs"]
mod process_usage;

use bench_args::{Changes, Flags};
use process_usage::usage;
use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::Instant;
use trustlabel::discovery::{ConfiguredLog, follow_log};
use trustlabel_collect::ct::{CtClient, CtSettings};
use trustlabel_core::ct::{DiscoveryScope, LogKey};
use trustlabel_fleet::ctlog::{CtLog, CtLogBehaviour};
use trustlabel_fleet::{Fleet, SiteSpec};
use trustlabel_store::{CandidateFilter, Store};

const USAGE: &str = "\
cargo bench --bench ct_follow -- [FLAGS]

Follows a loopback CT log of N entries into a fresh store; prints entries/s, CPU and
peak RSS of the follower. Every setting is the shipped default unless changed here.

  --entries N               entries in the log (1000000)
  --requests-per-second N   requests per second to the log ([discovery] default 4)
  --batch-size N            entries asked per get-entries (default 256; the log caps at 256)
  --database URL            store (default: a fresh SQLite file in a temporary directory)";

const DOMAIN: &str = "ctbench.test";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-log") {
        let entries: u64 = args
            .get(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        serve_log(entries);
        return;
    }
    let mut flags = Flags::from_env(USAGE);
    let defaults = CtSettings::default();
    let mut settings = CtSettings::default();
    let mut entries: u64 = 1_000_000;
    let mut database: Option<String> = None;
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--entries" => entries = flags.value(&flag),
            "--requests-per-second" => settings.requests_per_second = flags.value(&flag),
            "--batch-size" => settings.batch_size = flags.value(&flag),
            "--database" => database = Some(flags.value(&flag)),
            other => flags.fail(&format!("unknown flag {other}")),
        }
    }
    let mut changes = Changes::new("ct_follow");
    changes.compare(
        "[discovery] requests_per_second",
        defaults.requests_per_second,
        settings.requests_per_second,
        "to measure the follower, not the politeness budget",
    );
    changes.compare(
        "[discovery] batch_size",
        defaults.batch_size,
        settings.batch_size,
        "flag",
    );
    changes.always(
        "[discovery] suffixes",
        "gov.vn",
        DOMAIN,
        "the bench fleet's domain",
    );
    changes.print();

    let mut child = Command::new(std::env::current_exe().expect("bench binary"))
        .arg("--serve-log")
        .arg(entries.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("log process");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("log manifest");
    let (url, key) = line.trim().split_once(' ').expect("URL KEY");
    let log = ConfiguredLog {
        url: url.to_string(),
        key: LogKey::from_base64(key).expect("log key"),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url_db =
        database.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("ct.db").display()));
    let (cpu0, _) = usage();
    let started = Instant::now();
    let (run, candidates) = runtime.block_on(async {
        let store = Store::open(&url_db).await.expect("store");
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("tls")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let client = CtClient::new(settings.clone(), std::sync::Arc::new(tls));
        let scope = DiscoveryScope::new(&[DOMAIN]).expect("scope");
        let (run, result) = follow_log(&store, &client, &log, &scope).await;
        result.expect("the log is followed to its verified head");
        let candidates = store
            .candidates(&CandidateFilter::default())
            .await
            .expect("candidates")
            .len();
        (run, candidates)
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu1, peak_mib) = usage();
    drop(child.stdin.take());
    let _ = child.wait();
    println!(
        "entries={} batches={} elapsed={elapsed:.1}s entries/s={:.0} cpu={:.1}s ({:.2} µs/entry) \
         peak_rss={peak_mib:.0}MiB candidates={candidates} verified={}",
        run.to - run.from,
        (run.to - run.from).div_ceil(settings.batch_size.min(256)),
        (run.to - run.from) as f64 / elapsed,
        cpu1 - cpu0,
        (cpu1 - cpu0) * 1e6 / (run.to - run.from).max(1) as f64,
        run.verified,
    );
}

/// The child: a 16-site fleet's certificates cycled through `entries` entries, served
/// until standard input closes; prints `URL KEY` first.
fn serve_log(entries: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let specs = (0..16)
            .map(|i| SiteSpec::good(&format!("site{i}.{DOMAIN}")))
            .collect();
        let fleet = Fleet::start(DOMAIN, specs).await.expect("fleet");
        let log = CtLog::start(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            fleet.ct_entries(),
            entries,
            CtLogBehaviour::default(),
        )
        .await
        .expect("log");
        println!("{} {}", log.url(), log.public_key_base64());
        std::io::stdout().flush().expect("stdout");
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin()
                .read_line(&mut sink)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .expect("stdin");
        drop(log);
        fleet.shutdown().await;
    });
}
