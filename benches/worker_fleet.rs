//! Distributed scanning: N loopback sites (a separate `trustlabel fleet-serve` process)
//! queued by the scheduler and scanned by W `trustlabel worker` processes sharing one
//! database, end to end with every check.
//!
//! cargo bench --bench worker_fleet -- --sites 5000 --workers 2 --jobs 32 \
//!     --database postgres://USER@127.0.0.1:PORT/DB
//!
//! (`cargo bench --bench worker_fleet -- --help` lists the flags.) Every setting is the
//! shipped default unless a flag changes it (`worker --jobs 4`, a scheduler tick every
//! 60 s queuing at most 1,000 sites, the default politeness budgets); the run prints,
//! before measuring, each setting that differs from the default with both values, the
//! fleet's wiring included. Without `--database` a SQLite file in a temporary directory
//! is used. Prints sites/s from the first queued job to the last stored result, and for
//! PostgreSQL the database load from `pg_stat_database` (transactions and rows
//! read/written per scanned site) and, when the `pg_stat_statements` extension is
//! available, statements per site.

#[path = "support/bench_args.rs"]
mod bench_args;
#[path = "support/fleet_process.rs"]
mod fleet_process;

use bench_args::{Changes, Flags};
use fleet_process::FleetProcess;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trustlabel_collect::{CollectorSettings, RateLimit};
use trustlabel_core::target::Target;
use trustlabel_store::Store;

const USAGE: &str = "\
cargo bench --bench worker_fleet -- [FLAGS]

Queues N loopback sites of a `trustlabel fleet-serve` process through the scheduler and
scans them with W `trustlabel worker` processes on one database. Every setting is the
shipped default unless a flag below changes it; each change is printed first.

  --sites N                  sites in the fleet (1000)
  --workers W                worker processes (1); only the first runs the scheduler
  --database URL             the store (default: a SQLite file in a temporary directory)
  --jobs N                   worker --jobs: scans at once per worker (default 4)
  --tick-seconds S           [schedule] tick_seconds (default 60)
  --max-queued-per-tick N    [schedule] max_queued_per_tick (default 1000)
  --rate-per-host N          [scan] rate_per_host (default 10)
  --burst-per-host N         [scan] burst_per_host (default 50)
  --rate-per-ip N            [scan] rate_per_ip (default 20)
  --burst-per-ip N           [scan] burst_per_ip (default 60)
  --rate-per-responder N     [scan] rate_per_responder (default 50); the fleet has one
                             OCSP responder for every site
  --burst-per-responder N    [scan] burst_per_responder (default 100)
  --no-politeness            every budget above out of the way (1,000,000/s); later
                             flags still apply
  --help                     this text";

/// `worker --jobs` when not given (src/cli/args.rs).
const DEFAULT_JOBS: usize = 4;
/// `[schedule] tick_seconds` and `max_queued_per_tick` when unset (src/cli/operate.rs,
/// trustlabel.example.toml).
const DEFAULT_TICK_SECONDS: f64 = 60.0;
const DEFAULT_MAX_QUEUED_PER_TICK: usize = 1000;

struct Args {
    sites: usize,
    workers: usize,
    jobs: usize,
    database: Option<String>,
    tick_seconds: f64,
    max_queued_per_tick: usize,
    per_host: RateLimit,
    per_ip: RateLimit,
    per_responder: RateLimit,
}

fn args() -> Args {
    let defaults = CollectorSettings::default();
    let mut args = Args {
        sites: 1000,
        workers: 1,
        jobs: DEFAULT_JOBS,
        database: None,
        tick_seconds: DEFAULT_TICK_SECONDS,
        max_queued_per_tick: DEFAULT_MAX_QUEUED_PER_TICK,
        per_host: defaults.per_host,
        per_ip: defaults.per_ip,
        per_responder: defaults.per_responder,
    };
    let unlimited = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let mut flags = Flags::from_env(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--sites" => args.sites = flags.value(&flag),
            "--workers" => args.workers = flags.value(&flag),
            "--jobs" => args.jobs = flags.value(&flag),
            "--database" => args.database = Some(flags.value(&flag)),
            "--tick-seconds" => args.tick_seconds = flags.value(&flag),
            "--max-queued-per-tick" => args.max_queued_per_tick = flags.value(&flag),
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
            other => flags.fail(&format!("unknown flag {other}")),
        }
    }
    if args.sites == 0 || args.workers == 0 || args.jobs == 0 {
        flags.fail("--sites, --workers and --jobs must be at least 1");
    }
    if !(args.tick_seconds.is_finite() && args.tick_seconds > 0.0) {
        flags.fail("--tick-seconds must be a positive number");
    }
    args
}

/// Prints every setting of this run that differs from the shipped defaults.
fn print_changes(args: &Args, overrides: usize) {
    let d = CollectorSettings::default();
    let rate = |r: RateLimit| format!("{}/s burst {}", r.per_second, r.burst);
    let mut c = Changes::new("worker_fleet");
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
    c.always("[network] ca_file", "none", "the fleet's test root", fleet);
    c.always("[network] allow_private_addresses", false, true, fleet);
    c.compare("worker --jobs", DEFAULT_JOBS, args.jobs, "--jobs");
    c.compare(
        "[schedule] tick_seconds",
        DEFAULT_TICK_SECONDS,
        args.tick_seconds,
        "--tick-seconds",
    );
    c.compare(
        "[schedule] max_queued_per_tick",
        DEFAULT_MAX_QUEUED_PER_TICK,
        args.max_queued_per_tick,
        "--max-queued-per-tick",
    );
    c.compare(
        "[scan] rate_per_host / burst_per_host",
        rate(d.per_host),
        rate(args.per_host),
        "--rate-per-host / --burst-per-host / --no-politeness",
    );
    c.compare(
        "[scan] rate_per_ip / burst_per_ip",
        rate(d.per_ip),
        rate(args.per_ip),
        "--rate-per-ip / --burst-per-ip / --no-politeness",
    );
    c.compare(
        "[scan] rate_per_responder / burst_per_responder",
        rate(d.per_responder),
        rate(args.per_responder),
        "--rate-per-responder / --burst-per-responder / --no-politeness",
    );
    c.print();
}

/// Database-wide counters of PostgreSQL (None for SQLite).
fn main() {
    let args = args();
    let bin = env!("CARGO_BIN_EXE_trustlabel");
    let dir = tempfile::tempdir().expect("tempdir");
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));

    let fleet = FleetProcess::start(args.sites, &[]);
    let (manifest, overrides, hosts) = (&fleet.manifest, &fleet.overrides, &fleet.hosts);
    let ca = dir.path().join("root.pem");
    std::fs::write(&ca, manifest["root_ca_pem"].as_str().expect("root")).expect("write root");
    let connect_to: Vec<String> = overrides
        .iter()
        .map(|o| {
            format!(
                "\"{}:{}:{}:{}\"",
                o.host,
                o.port,
                o.addr.ip(),
                o.addr.port()
            )
        })
        .collect();
    let config = dir.path().join("trustlabel.toml");
    std::fs::write(
        &config,
        format!(
            "[scan]\nrate_per_host = {}\nburst_per_host = {}\nrate_per_ip = {}\n\
             burst_per_ip = {}\nrate_per_responder = {}\nburst_per_responder = {}\n\n\
             [network]\nallow_private_addresses = true\nca_file = \"{}\"\n\
             dns_servers = [\"{}\"]\nconnect_to = [{}]\n\n\
             [schedule]\ntick_seconds = {:?}\nmax_queued_per_tick = {}\n",
            args.per_host.per_second,
            args.per_host.burst,
            args.per_ip.per_second,
            args.per_ip.burst,
            args.per_responder.per_second,
            args.per_responder.burst,
            ca.display(),
            manifest["dns"].as_str().expect("dns"),
            connect_to.join(", "),
            args.tick_seconds,
            args.max_queued_per_tick,
        ),
    )
    .expect("write config");
    print_changes(&args, overrides.len());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = runtime.block_on(async {
        let store = Store::open(&database).await.expect("store");
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
        store
    });
    let before = runtime.block_on(store.server_activity()).ok().flatten();

    let config_arg = config.display().to_string();
    let start = Instant::now();
    let mut workers: Vec<Child> = (0..args.workers)
        .map(|i| {
            let mut cmd = Command::new(bin);
            cmd.args(["--database", &database, "--config", &config_arg, "worker"])
                .args(["--jobs", &args.jobs.to_string()])
                .stderr(Stdio::null());
            // One scheduler is enough; more would only race to queue the same sites.
            if i > 0 {
                cmd.arg("--no-scheduler");
            }
            cmd.spawn().expect("start a worker")
        })
        .collect();
    let scanned = runtime.block_on(async {
        loop {
            let n = store.scan_count().await.expect("count");
            if n as usize >= args.sites || start.elapsed() > Duration::from_secs(3600) {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let wall = start.elapsed();
    let after = runtime.block_on(store.server_activity()).ok().flatten();
    for w in &mut workers {
        let _ = w.kill();
        let _ = w.wait();
    }
    fleet.stop();

    let n = scanned as f64;
    print!(
        "sites={} workers={} jobs/worker={} database={} wall={:.1}s sites/s={:.0}",
        args.sites,
        args.workers,
        args.jobs,
        if database.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        },
        wall.as_secs_f64(),
        n / wall.as_secs_f64().max(f64::EPSILON)
    );
    if let (Some(b), Some(a)) = (before, after) {
        print!(
            " tx/site={:.1} rows_read/site={:.0} rows_written/site={:.1}",
            (a.transactions - b.transactions) as f64 / n,
            (a.rows_read - b.rows_read) as f64 / n,
            (a.rows_written - b.rows_written) as f64 / n
        );
        if let (Some(sb), Some(sa)) = (b.statements, a.statements) {
            print!(" statements/site={:.1}", (sa - sb) as f64 / n);
        }
    }
    println!();
    assert_eq!(scanned as usize, args.sites, "every site scanned once");
}
