//! Publishing under load: a store of N generated targets (default 50,000; most of them
//! assessed, with a history of scans: 1,000,000 in all by default), served by a separate
//! `trustlabel serve` process, and a closed-loop load generator on loopback measuring
//! latency (p50/p95/p99) and requests per second of the filtered, paged list page, the
//! search, the JSON API, the league tables and the site pages.
//!
//! cargo bench --bench publish_load -- --targets 50000 --scans 1000000 --connections 4
//!
//! (`--help` lists the flags.) All the load comes from one address, so the web server's
//! per-IP limit (`[publish] rate_per_ip`, shipped at 20/s after 60) would answer nearly
//! every request with 429: by default this bench raises it out of the way and says so
//! first, with every other setting it changes; `--rate-per-ip`/`--burst-per-ip` set it
//! (the shipped values included).

#[path = "support/bench_args.rs"]
mod bench_args;

use bench_args::{Changes, Flags};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use trustlabel_core::evidence::Evidence;
use trustlabel_core::finding::{Finding, FindingId, Severity};
use trustlabel_core::policy::{Decision, Grade, LabelRules, LabelState, Verdict, next_label};
use trustlabel_core::target::Target;
use trustlabel_store::{LabelUpdate, ScanRecord, Store};

const USAGE: &str = "\
cargo bench --bench publish_load -- [FLAGS]

Generates a store, serves it with `trustlabel serve --no-worker` in another process and
drives it with keep-alive connections in a closed loop. Settings that differ from the
shipped defaults are printed first.

  --targets N          generated targets (50000)
  --scans N            stored scans in all, spread over the assessed targets as their
                       history of the last 60 days (1000000)
  --seconds S          seconds per scenario (10)
  --connections N      concurrent connections (4)
  --db PATH            keep (or reuse, when it exists) the generated SQLite file here
  --rate-per-ip N      [publish] rate_per_ip of the server (this bench: 1000000;
                       shipped: 20)
  --burst-per-ip N     [publish] burst_per_ip (this bench: 1000000; shipped: 60)
  --help               this text";

/// `[publish] rate_per_ip` and `burst_per_ip` when unset (src/publish/settings.rs).
const SHIPPED_RATE_PER_IP: u32 = 20;
const SHIPPED_BURST_PER_IP: u32 = 60;
/// This bench's own default: one client address, so the per-IP limit out of the way.
const BENCH_PER_IP: u32 = 1_000_000;

struct Args {
    targets: usize,
    scans: usize,
    seconds: usize,
    connections: usize,
    /// Keep (or reuse, when it exists) the generated database here.
    db: Option<String>,
    rate_per_ip: u32,
    burst_per_ip: u32,
}

fn args() -> Args {
    let mut args = Args {
        targets: 50_000,
        scans: 1_000_000,
        seconds: 10,
        connections: 4,
        db: None,
        rate_per_ip: BENCH_PER_IP,
        burst_per_ip: BENCH_PER_IP,
    };
    let mut flags = Flags::from_env(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--targets" => args.targets = flags.value(&flag),
            "--scans" => args.scans = flags.value(&flag),
            "--seconds" => args.seconds = flags.value(&flag),
            "--connections" => args.connections = flags.value(&flag),
            "--db" => args.db = Some(flags.value(&flag)),
            "--rate-per-ip" => args.rate_per_ip = flags.value(&flag),
            "--burst-per-ip" => args.burst_per_ip = flags.value(&flag),
            other => flags.fail(&format!("unknown flag {other}")),
        }
    }
    if args.targets == 0 || args.seconds == 0 || args.connections == 0 {
        flags.fail("--targets, --seconds and --connections must be at least 1");
    }
    args
}

/// Prints every setting of this run that differs from the shipped defaults.
fn print_changes(args: &Args) {
    let mut c = Changes::new("publish_load");
    let one_client = "all load comes from one address; --rate-per-ip/--burst-per-ip";
    c.compare(
        "[publish] rate_per_ip",
        SHIPPED_RATE_PER_IP,
        args.rate_per_ip,
        one_client,
    );
    c.compare(
        "[publish] burst_per_ip",
        SHIPPED_BURST_PER_IP,
        args.burst_per_ip,
        one_client,
    );
    c.always(
        "serve's job loop",
        "on",
        "off (--no-worker)",
        "nothing to scan: only pages are measured",
    );
    c.always(
        "[publish] listen",
        "127.0.0.1:8080",
        "127.0.0.1:0",
        "a port of its own",
    );
    c.print();
}

const PROVINCES: [&str; 16] = [
    "Hà Nội",
    "Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Huế",
    "Nghệ An",
    "Thanh Hóa",
    "Quảng Ninh",
    "Bắc Ninh",
    "Đồng Nai",
    "Bình Dương",
    "Khánh Hòa",
    "Lâm Đồng",
    "Đắk Lắk",
    "Cà Mau",
];
const CATEGORIES: [&str; 5] = [
    "government",
    "education",
    "healthcare",
    "finance",
    "ecommerce",
];
const ORGS: [&str; 8] = [
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Ủy ban nhân dân",
    "Bộ Tài chính",
    "Trường Đại học",
    "Công ty Cổ phần Thương mại",
    "Cửa hàng Điện máy",
    "Bệnh viện Đa khoa",
];

fn evidence(host: &str, at: OffsetDateTime) -> Evidence {
    serde_json::from_value(serde_json::json!({
        "schema_version": 1, "host": host, "https_port": 443, "http_port": 80,
        "started_at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "finished_at": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "resolution": { "outcome": "failed", "kind": "no_such_name", "message": "generated" },
        "tls": null, "http": null, "https": null, "revocation": null, "deadline_exceeded": false
    }))
    .expect("generated evidence")
}

async fn populate(store: &Store, n: usize, scans: usize) {
    let targets: Vec<Target> = (0..n)
        .map(|i| Target {
            host: format!("site{i}.{}.gov.vn", CATEGORIES[i % 5]),
            https_port: 443,
            organisation: format!("{} {}", ORGS[i % ORGS.len()], PROVINCES[(i / 7) % 16]),
            category: CATEGORIES[i % 5].into(),
            province: PROVINCES[(i / 3) % 16].into(),
            contact_email: String::new(),
            parent: format!(
                "Bộ {}",
                [
                    "Y tế",
                    "Tài chính",
                    "Công Thương",
                    "Giáo dục và Đào tạo",
                    "Nội vụ"
                ][i % 5]
            ),
        })
        .collect();
    store
        .upsert_targets(&targets, time::OffsetDateTime::now_utc())
        .await
        .expect("import");
    let stored = store.targets().await.expect("targets");
    let started = Instant::now();
    let base = OffsetDateTime::now_utc() - time::Duration::days(60);
    // Seven in ten sites are assessed; each has the same number of scans, spread evenly
    // over sixty days, oldest first, so the history is as the scheduler would leave it.
    let assessed: Vec<(usize, &trustlabel_store::StoredTarget)> = stored
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 < 7)
        .collect();
    let per_site = (scans / assessed.len().max(1)).max(1);
    let step = time::Duration::days(60) / per_site as u32;
    let mut recorded = 0usize;
    for round in 0..per_site {
        for &(i, t) in &assessed {
            let at = base + step * round as u32 + time::Duration::seconds(i as i64);
            // The site's result in this round: most sites keep theirs, some change.
            record(store, i + round / 7, t, at).await;
            recorded += 1;
        }
        if round % 5 == 4 {
            eprintln!(
                "  {recorded} scans stored ({:.0}/s)",
                recorded as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "populated {n} targets ({} assessed, {recorded} scans) in {:.1}s",
        assessed.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Stores one generated scan of `t` at `at`; `i` picks its result (half of the sites
/// pass, one in four fails, one in four cannot be reached).
async fn record(store: &Store, i: usize, t: &trustlabel_store::StoredTarget, at: OffsetDateTime) {
    {
        let (decision, grade, findings) = match i % 4 {
            0 | 1 => (Decision::Pass, Grade::APlus, vec![]),
            2 => (
                Decision::Fail,
                Grade::C,
                vec![Finding::new(
                    FindingId::HeaderHstsMissing,
                    Severity::High,
                    "no HSTS",
                )],
            ),
            _ => (
                Decision::Unreachable,
                Grade::F,
                vec![Finding::new(
                    FindingId::SiteUnreachable,
                    Severity::Critical,
                    "refused",
                )],
            ),
        };
        let verdict = Verdict {
            policy_version: "bench".into(),
            score: if decision == Decision::Pass { 100 } else { 40 },
            grade,
            category_scores: Default::default(),
            decision,
            blocking: vec![],
            caps: vec![],
            reasons: vec!["generated".into()],
            tls_rating: None,
            advanced_blockers: Vec::new(),
            priced: Vec::new(),
            feeds: Vec::new(),
            stale_feeds: Vec::new(),
        };
        let judge = |previous: &LabelState| {
            let (label, transition) = next_label(previous, &verdict, at, &LabelRules::default());
            LabelUpdate {
                label,
                transition,
                notification: None,
            }
        };
        let label_read = store.label(t.id).await.expect("label");
        let update = judge(&label_read);
        let ev = evidence(&t.target.host, at);
        store
            .record_scan(
                &ScanRecord {
                    target_id: t.id,
                    run_id: None,
                    evidence: &ev,
                    findings: &findings,
                    verdict: &verdict,
                    tool_version: "bench",
                    rules_hash: "bench",
                    label_read: &label_read,
                    update: &update,
                    // Four in five reachable sites collect personal data.
                    collects_personal_data: (decision != Decision::Unreachable)
                        .then_some(i % 5 != 0),
                    job: None,
                },
                at,
                judge,
            )
            .await
            .expect("scan stored");
    }
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    bytes: usize,
}

/// One keep-alive connection sending `paths` in turn until `until`.
async fn client(addr: std::net::SocketAddr, paths: Vec<String>, until: Instant) -> Outcome {
    let mut out = Outcome {
        latencies: Vec::new(),
        errors: 0,
        bytes: 0,
    };
    let mut sender = None;
    let mut i = 0usize;
    while Instant::now() < until {
        if sender.is_none() {
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                out.errors += 1;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let Ok((s, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
            else {
                out.errors += 1;
                continue;
            };
            tokio::spawn(conn);
            sender = Some(s);
        }
        let Some(s) = sender.as_mut() else { continue };
        let path = &paths[i % paths.len()];
        i += 1;
        let request = hyper::Request::get(path.as_str())
            .header("host", addr.to_string())
            .body(Empty::<Bytes>::new())
            .expect("request");
        let start = Instant::now();
        match s.send_request(request).await {
            Ok(response) if response.status().is_success() => {
                match response.into_body().collect().await {
                    Ok(body) => {
                        out.bytes += body.to_bytes().len();
                        out.latencies.push(start.elapsed());
                    }
                    Err(_) => {
                        out.errors += 1;
                        sender = None;
                    }
                }
            }
            _ => {
                out.errors += 1;
                sender = None;
            }
        }
    }
    out
}

async fn measure(name: &str, addr: std::net::SocketAddr, paths: &[String], args: &Args) {
    // Warm-up: page cache and SQLite caches, as on a server that has been running.
    let _ = client(
        addr,
        paths.to_vec(),
        Instant::now() + Duration::from_secs(1),
    )
    .await;
    let until = Instant::now() + Duration::from_secs(args.seconds as u64);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.connections)
        .map(|c| {
            let mut rotated = paths.to_vec();
            rotated.rotate_left(c % paths.len());
            tokio::spawn(client(addr, rotated, until))
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut errors, mut bytes) = (0, 0);
    for t in tasks {
        if let Ok(o) = t.await {
            latencies.extend(o.latencies);
            errors += o.errors;
            bytes += o.bytes;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    println!(
        "{name:<34} {:>7.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {} errors, {:.0} KiB/response)",
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies.len(),
        errors,
        bytes as f64 / latencies.len().max(1) as f64 / 1024.0
    );
}

fn main() {
    let args = args();
    print_changes(&args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = args
        .db
        .clone()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let reuse = path.exists();
    let db = format!("sqlite://{}", path.display());
    runtime.block_on(async {
        let store = Store::open(&db).await.expect("store");
        if !reuse {
            populate(&store, args.targets, args.scans).await;
        }
        store.close().await;
    });
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[publish]\nrate_per_ip = {}\nburst_per_ip = {}\n",
            args.rate_per_ip, args.burst_per_ip
        ),
    )
    .expect("config");
    let mut server = Command::new(env!("CARGO_BIN_EXE_trustlabel"))
        .args(["--database", &db, "--config"])
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0", "--no-worker"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trustlabel serve starts");
    // Port held by its server: `serve` binds port 0 itself and prints the address it
    // got ("serving on http://ADDR"), which is read back here.
    let mut line = String::new();
    let stderr = server.stderr.take().expect("stderr");
    let mut reader = BufReader::new(stderr);
    let addr: std::net::SocketAddr = loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("server exited before listening");
        }
        if let Some(rest) = line.strip_prefix("serving on http://") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .parse()
                .expect("address");
        }
    };
    println!(
        "{} targets, {} scans requested, {} connections, {} s per scenario, server in a separate process on {addr}",
        args.targets, args.scans, args.connections, args.seconds
    );
    let list_pages: Vec<String> = (0..16)
        .map(|i| {
            let province =
                url::form_urlencoded::byte_serialize(PROVINCES[i].as_bytes()).collect::<String>();
            let status = ["labelled", "not_labelled", "unreachable", "not_assessed"][i % 4];
            format!(
                "/?status={status}&category={}&province={province}&sort=grade&page={}",
                CATEGORIES[i % 5],
                1 + i % 3
            )
        })
        .collect();
    let search_pages: Vec<String> = ["so+y+te", "bo+tai+chinh+ha+noi", "dai+hoc", "site123"]
        .iter()
        .map(|q| format!("/?q={q}&view=assessed&page=2"))
        .collect();
    let api: Vec<String> = (0..16)
        .map(|i| {
            let status = ["labelled", "not_labelled", "unreachable", "not_assessed"][i % 4];
            format!(
                "/api/v1/sites?status={status}&category={}&page={}&per_page=50",
                CATEGORIES[i % 5],
                1 + i % 5
            )
        })
        .collect();
    let site_pages: Vec<String> = (0..64)
        .map(|i| {
            format!(
                "/site/site{}.{}.gov.vn",
                i * 701 % args.targets,
                CATEGORIES[(i * 701 % args.targets) % 5]
            )
        })
        .collect();
    let leagues: Vec<String> = ["ministry", "province", "category"]
        .iter()
        .flat_map(|by| {
            [
                format!("/league?by={by}"),
                format!("/api/v1/league?by={by}"),
            ]
        })
        .collect();
    runtime.block_on(async {
        measure("list page, filtered + paged", addr, &list_pages, &args).await;
        measure("list page, diacritic search", addr, &search_pages, &args).await;
        measure("JSON API, filtered + paged", addr, &api, &args).await;
        measure("site page", addr, &site_pages, &args).await;
        measure("league tables", addr, &leagues, &args).await;
    });
    let _ = server.kill();
    let _ = server.wait();
}
