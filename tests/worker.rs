//! `trustlabel worker` as operators run it: the scheduler queues the sites that are due,
//! the worker scans them, owners are mailed through a real SMTP server, SIGTERM stops it
//! cleanly, and a worker killed with SIGKILL mid-scan loses its job to another worker
//! with neither a lost nor a duplicated result.

use trustlabel_store::test_support::pg_server;

use crate::common::cli_env::{Env, fleet_args};
use crate::common::smtp::SmtpSink;
use std::time::Duration;
use tokio::process::Child;
use trustlabel_core::policy::LabelStatus;
use trustlabel_fleet::{CertKind, Fleet, SiteSpec, TlsBehaviour};
use trustlabel_store::{JobState, Store};

const DOMAIN: &str = "worker.test";

async fn import(env: &Env, lines: &str) {
    let list = env.write("targets.csv", lines);
    let out = env
        .run(&["targets", "import", &list.display().to_string()])
        .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

fn worker(env: &Env, fleet: &Fleet, extra: &[&str]) -> Child {
    let mut args = fleet_args(env, fleet);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.command(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("worker starts")
}

/// Polls `done` (every 100 ms) until it holds, or fails after `secs` seconds.
async fn wait_for<F, Fut>(secs: u64, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn stderr_of(child: &mut Child) -> String {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text).await;
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_scans_due_sites_mails_owners_and_stops_on_sigterm() {
    let env = Env::new();
    let smtp = SmtpSink::start().await;
    let good = format!("good.{DOMAIN}");
    let expired = format!("expired.{DOMAIN}");
    let fleet = Fleet::start(
        DOMAIN,
        vec![
            SiteSpec::good(&good),
            SiteSpec::good(&expired).with_cert(CertKind::Expired),
        ],
    )
    .await
    .expect("fleet");
    import(
        &env,
        &format!(
            "{good},Bộ Ví dụ,ministry,,admin@good.test\n{expired},Sở Ví dụ,ministry,,admin@expired.test\n"
        ),
    )
    .await;
    let config = env.write(
        "trustlabel.toml",
        &format!(
            "[schedule]\ntick_seconds = 0.2\n\n\
             [notify]\nsmtp_url = \"{}\"\nfrom = \"Nhãn Tín nhiệm <no-reply@trustlabel.test>\"\n\
             every_seconds = 0.2\n\n\
             [publish]\npublic_url = \"https://tinnhiem.test\"\nauthority_name = \"Cục Thử nghiệm\"\n",
            smtp.url()
        ),
    );
    let config = config.display().to_string();
    let mut child = worker(
        &env,
        &fleet,
        &["--config", &config, "worker", "--jobs", "2"],
    );

    let db = env.db();
    let store = Store::open(&db).await.expect("store");
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for h in [&good, &expired] {
            ids.push(store.target_by_host(h).await.unwrap().unwrap().id);
        }
        ids
    };
    wait_for(60, "both sites scanned and the owner mailed", || async {
        let mut scanned = true;
        for id in &ids {
            scanned &= store.latest_scan(*id).await.unwrap().is_some();
        }
        scanned && !smtp.messages().is_empty()
    })
    .await;
    assert_eq!(
        store.label(ids[0]).await.unwrap().status,
        LabelStatus::Labelled
    );
    assert_eq!(
        store.label(ids[1]).await.unwrap().status,
        LabelStatus::NotLabelled
    );

    // SIGTERM: the worker stops claiming, finishes what it has, and exits 0.
    let pid = child.id().expect("pid") as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the worker exits after SIGTERM")
        .unwrap();
    let err = stderr_of(&mut child).await;
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("stopping"), "{err}");

    // Exactly one mail: the good site's new label; a never-labelled site's first
    // failure is not an owner notification.
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to, ["admin@good.test"]);
    assert_eq!(mail.from, "no-reply@trustlabel.test");
    assert_eq!(
        mail.subject(),
        format!("[Cục Thử nghiệm] {good}: Đã gắn nhãn / Labelled")
    );
    let body = mail.body();
    assert!(body.contains("Chưa đánh giá → Đã gắn nhãn"), "{body}");
    assert!(
        body.contains(&format!("https://tinnhiem.test/site/{good}")),
        "{body}"
    );
    let outbox = store.notifications(ids[0]).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].sent_at.is_some());
    assert!(store.notifications(ids[1]).await.unwrap().is_empty());
    // The jobs the scheduler queued are done, one each, each with its scan.
    for id in &ids {
        let job = store.latest_scan_job(*id).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.requested_by.as_str()),
            (JobState::Done, "scheduler")
        );
        assert!(job.scan_id.is_some());
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_scan_loses_its_job_to_another_worker_on_sqlite() {
    killed_worker_loses_its_job(&Env::new()).await;
}

/// The shared queue of several machines: leases taken with `FOR UPDATE SKIP LOCKED`.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_scan_loses_its_job_to_another_worker_on_postgres() {
    let db = pg_server::TestDatabase::create().await;
    killed_worker_loses_its_job(&Env::on(db.url())).await;
}

async fn killed_worker_loses_its_job(env: &Env) {
    // A silent TLS port holds each scan for the whole site deadline: time to kill.
    let slow = format!("slow.{DOMAIN}");
    let fleet = Fleet::start(
        DOMAIN,
        vec![SiteSpec::good(&slow).with_tls(TlsBehaviour::Silent)],
    )
    .await
    .expect("fleet");
    import(env, &format!("{slow},Org,ministry,,\n")).await;
    let config = env.write("trustlabel.toml", "[schedule]\ntick_seconds = 0.2\n");
    let config = config.display().to_string();
    let common = [
        "--config",
        &config,
        "--site-deadline",
        "4",
        "worker",
        "--jobs",
        "1",
        "--lease-secs",
        "2",
    ];
    let mut first = worker(env, &fleet, &common);
    let store = Store::open(&env.db()).await.expect("store");
    let id = store.target_by_host(&slow).await.unwrap().unwrap().id;
    wait_for(30, "the first worker claims the job", || async {
        matches!(
            store.latest_scan_job(id).await.unwrap(),
            Some(job) if job.state == JobState::Running
        )
    })
    .await;
    // Mid-scan: the site has seen the worker's first request, and its silent TLS port
    // holds the scan until the site deadline.
    let site = fleet.site(&slow).expect("the slow site");
    wait_for(30, "the first worker's scan reaches the site", || async {
        site.requests.count() > 0
    })
    .await;
    first.start_kill().expect("SIGKILL");
    let _ = first.wait().await;
    assert_eq!(
        store.scan_count().await.unwrap(),
        0,
        "killed before any result"
    );

    let mut second_args = common.to_vec();
    second_args.push("--no-scheduler");
    let mut second = worker(env, &fleet, &second_args);
    wait_for(
        40,
        "the second worker takes over and stores the result",
        || async { store.latest_scan(id).await.unwrap().is_some() },
    )
    .await;
    let job = store.latest_scan_job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(
        job.attempts, 2,
        "claimed by the killed worker, then by the second"
    );
    // Stop the second worker the graceful way (it finishes whatever it holds, then
    // exits): once it is gone, no process is left that could still store a duplicate.
    let pid = second.id().expect("pid") as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(60), second.wait())
        .await
        .expect("the second worker exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", stderr_of(&mut second).await);
    assert_eq!(
        store.scan_count().await.unwrap(),
        1,
        "one result, no duplicate"
    );
    store.close().await;
}
