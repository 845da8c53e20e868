//! Distributed scanning: N loopback sites (a separate `trustlabel fleet-serve` process)
//! queued by the scheduler and scanned by W `trustlabel worker` processes sharing one
//! database, end to end with every check.
//!
//! cargo bench --bench worker_fleet -- --sites 5000 --workers 2 --jobs 32 \
//!     --database postgres://USER@127.0.0.1:PORT/DB
//!
//! Without `--database` a SQLite file in a temporary directory is used. Prints sites/s
//! from the first queued job to the last stored result, and for PostgreSQL the database
//! load from `pg_stat_database` (transactions and rows read/written per scanned site)
//! and, when the `pg_stat_statements` extension is available, statements per site.

#[path = "support/fleet_process.rs"]
mod fleet_process;

use fleet_process::FleetProcess;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trustlabel_core::target::Target;
use trustlabel_store::Store;

struct Args {
    sites: usize,
    workers: usize,
    jobs: usize,
    database: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        sites: 1000,
        workers: 1,
        jobs: 32,
        database: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sites" => args.sites = it.next().and_then(|v| v.parse().ok()).unwrap_or(args.sites),
            "--workers" => {
                args.workers = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.workers)
            }
            "--jobs" => args.jobs = it.next().and_then(|v| v.parse().ok()).unwrap_or(args.jobs),
            "--database" => args.database = it.next(),
            _ => {} // cargo bench passes --bench
        }
    }
    args
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

    let fleet = FleetProcess::start(args.sites, false);
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
            "[scan]\nrate_per_responder = 100000\nburst_per_responder = 100000\n\n\
             [network]\nallow_private_addresses = true\nca_file = \"{}\"\n\
             dns_servers = [\"{}\"]\nconnect_to = [{}]\n\n\
             [schedule]\ntick_seconds = 0.5\nmax_queued_per_tick = 100000\n",
            ca.display(),
            manifest["dns"].as_str().expect("dns"),
            connect_to.join(", ")
        ),
    )
    .expect("write config");

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
