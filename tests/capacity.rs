//! Sites in flight follow the process's descriptors: with a small open-file limit the
//! binary keeps few sites in flight, never runs out of descriptors, and every site is
//! still scanned; with the old fixed count (64 sites, ~20 sockets each) this list would
//! need several times the limit and sites would fail for want of a socket.

use crate::common::cli_env::{Env, fleet_args};
use crate::common::{DOMAIN, host};
use std::time::Duration;
use trustlabel_fleet::{Fleet, SiteSpec};

/// Open files allowed to the binary (soft and hard, so it cannot raise them).
const LIMIT: u64 = 256;
const SITES: usize = 24;

/// Descriptors `pid` has open now; `None` once it has exited.
fn open_descriptors(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_open_file_limit_bounds_the_sites_in_flight_and_every_site_is_scanned() {
    let names: Vec<String> = (0..SITES).map(|i| host(&format!("fd{i}"))).collect();
    let fleet = Fleet::start(DOMAIN, names.iter().map(|n| SiteSpec::good(n)).collect())
        .await
        .expect("fleet starts");
    let env = Env::new();
    let list: String = names.iter().map(|n| format!("{n},Sở,so,,,\n")).collect();
    let list = env.write("sites.csv", &list);
    let mut args = fleet_args(&env, &fleet);
    args.extend([
        "scan".into(),
        "--targets".into(),
        list.display().to_string(),
        "--format".into(),
        "json".into(),
        "--quiet".into(),
    ]);
    let mut command = env.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child being started.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let child = command.spawn().expect("binary runs");
    let pid = child.id().expect("pid");
    let output = child.wait_with_output();
    tokio::pin!(output);
    let mut most = 0;
    let output = loop {
        tokio::select! {
            out = &mut output => break out.expect("binary runs"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {
                most = most.max(open_descriptors(pid).unwrap_or(0));
            }
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "every site passes (none failed for want of a socket): {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scanned: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        scanned["sites"].as_array().map(Vec::len),
        Some(SITES),
        "{stdout}"
    );
    assert!(most > 0, "the descriptors were watched while the scan ran");
    // At the limit a socket or file fails to open; the bound keeps the scan below it.
    assert!(
        most < LIMIT as usize,
        "below the {LIMIT} descriptors allowed, saw {most}"
    );
}
