//! A writer killed with SIGKILL mid-stream loses nothing it reported and leaves nothing
//! half-written.
//!
//! The test re-runs its own test binary as the writer (selected by an environment
//! variable), so the kill hits a real process in the middle of real transactions.

use super::fixtures::{IMPORTED_AT, Scan, TestDb, findings, seeded_targets};
use super::{Backend, store_test};
use crate::Store;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set to the database URL in the child; its absence makes the writer a no-op.
const WRITER_ENV: &str = "TRUSTLABEL_STORE_CRASH_WRITER_DB";
const PRINTED: &str = "recorded scan ";
const TARGETS: usize = 200;
/// Ids read from each writer before it is killed.
const KILL_AFTER: usize = 10;
/// Delays between reading the last id and the kill, one writer each: a kill right after
/// a print lands between transactions, later ones land inside one (a scan takes about
/// a millisecond).
const KILL_DELAYS_MICROS: [u64; 6] = [0, 150, 300, 500, 700, 900];

/// The child: records scans in a loop, printing each id only after `record_scan`
/// returned. Runs through the run's targets first, then keeps going without a run so it
/// is always mid-write when killed; stops by itself so a lost parent cannot leave it
/// running.
#[tokio::test]
#[ignore = "child process of a_killed_writer_loses_nothing_it_reported"]
async fn crash_writer_child() {
    let Ok(url) = std::env::var(WRITER_ENV) else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let (run, pending) = store.unfinished_run("crash").await.unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for round in 0.. {
        for site in &pending {
            if Instant::now() > deadline {
                return;
            }
            let scan = Scan::failing(&site.target.host);
            let run_id = (round == 0).then_some(run);
            let id = scan
                .record_into(&store, site.id, run_id)
                .await
                .unwrap()
                .scan_id;
            println!("{PRINTED}{id}");
        }
    }
}

fn child_test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::crash_writer_child")
}

/// The id in a line of the writer's output; libtest may print the test name in front.
fn printed_id(line: &str) -> Option<i64> {
    let (_, id) = line.split_once(PRINTED)?;
    Some(id.trim().parse().unwrap())
}

/// Starts a writer, reads `KILL_AFTER` ids, waits `delay`, SIGKILLs it, then drains
/// whatever else it printed before dying.
fn run_and_kill_writer(url: &str, delay: Duration) -> Vec<i64> {
    let exe: PathBuf = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            &child_test_name(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut ids = Vec::new();
    for line in lines.by_ref() {
        if let Some(id) = printed_id(&line.unwrap()) {
            ids.push(id);
            if ids.len() == KILL_AFTER {
                break;
            }
        }
    }
    assert_eq!(
        ids.len(),
        KILL_AFTER,
        "the writer stopped before it was killed"
    );
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL on Unix: no destructors, no rollback, no checkpoint
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the writer finished before it was killed"
    );
    ids.extend(lines.map_while(Result::ok).filter_map(|l| printed_id(&l)));
    ids
}

async fn a_killed_writer_loses_nothing_it_reported(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url().to_string();
    let store = Store::open(&url).await.unwrap();
    let sites = seeded_targets(&store, TARGETS).await;
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let run = store.start_run("crash", &ids, IMPORTED_AT).await.unwrap();
    store.close().await;

    let url_for_children = url.clone();
    let printed = tokio::task::spawn_blocking(move || {
        KILL_DELAYS_MICROS
            .iter()
            .flat_map(|&d| run_and_kill_writer(&url_for_children, Duration::from_micros(d)))
            .collect::<Vec<i64>>()
    })
    .await
    .unwrap();

    let store = Store::open(&url).await.unwrap();
    if store.is_sqlite() {
        // PostgreSQL has no counterpart: its WAL recovery is the server's business.
        let integrity: Option<String> = store
            .raw_scalar("PRAGMA integrity_check", None)
            .await
            .unwrap();
        assert_eq!(integrity.as_deref(), Some("ok"));
    }
    let count = |sql: &'static str, arg: Option<i64>| {
        let store = store.clone();
        async move { store.raw_scalar::<i64>(sql, arg).await.unwrap() }
    };

    for &id in &printed {
        let found = count("SELECT id FROM scans WHERE id = $1", Some(id)).await;
        assert_eq!(found, Some(id), "scan {id} was reported but is missing");
    }

    let scans_without_all_findings = count(
        "SELECT COUNT(*) FROM scans s WHERE \
         (SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) <> $1",
        Some(findings().len() as i64),
    )
    .await;
    assert_eq!(scans_without_all_findings, Some(0));

    let run_scans_not_marked_done = count(
        "SELECT COUNT(*) FROM scans s WHERE s.run_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM run_items i WHERE i.run_id = s.run_id AND i.target_id = s.target_id \
          AND i.state = 'done' AND i.scan_id = s.id)",
        None,
    )
    .await;
    assert_eq!(run_scans_not_marked_done, Some(0));

    let scanned_without_label = count(
        "SELECT COUNT(DISTINCT s.target_id) FROM scans s \
         LEFT JOIN labels l ON l.target_id = s.target_id WHERE l.target_id IS NULL",
        None,
    )
    .await;
    assert_eq!(scanned_without_label, Some(0));

    let done = count("SELECT COUNT(*) FROM run_items WHERE state = 'done'", None)
        .await
        .unwrap();
    let total = store.scan_count().await.unwrap();
    assert!(total >= printed.len() as i64);
    match store.unfinished_run("crash").await.unwrap() {
        Some((resumed, pending)) => {
            assert_eq!(resumed, run);
            assert_eq!(pending.len() as i64, TARGETS as i64 - done);
        }
        None => assert_eq!(done, TARGETS as i64),
    }
}
store_test!(
    a_killed_writer_loses_nothing_it_reported,
    flavor = "multi_thread",
    worker_threads = 2
);
