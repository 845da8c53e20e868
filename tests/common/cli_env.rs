//! The `trustlabel` binary in a temporary directory with its own database, as the CLI
//! tests run it.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use trustlabel_fleet::Fleet;

pub const BIN: &str = env!("CARGO_BIN_EXE_trustlabel");

pub struct Env {
    dir: tempfile::TempDir,
    /// `--database` for every command; a SQLite file in `dir` when `None`.
    database: Option<String>,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            database: None,
        }
    }

    /// Every command on this database (e.g. a PostgreSQL test database).
    pub fn on(database: &str) -> Env {
        Env {
            database: Some(database.to_string()),
            ..Env::new()
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.path("t.db").display()))
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(self.dir.path())
            .arg("--database")
            .arg(self.db())
            .args(args)
            .kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("binary runs")
    }
}

impl Env {
    /// Runs with `stdin` as standard input (passwords for `staff`).
    pub async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).await.expect("stdin");
        }
        child.wait_with_output().await.expect("binary runs")
    }
}

/// Options that point the binary at a fleet: its DNS, its root, its ports.
pub fn fleet_args(env: &Env, fleet: &Fleet) -> Vec<String> {
    let ca = env.write("root.pem", &fleet.root_ca_pem());
    let anchors = env.write("anchors.ds", &fleet.trust_anchors_text());
    let mut args = vec![
        "--trust-anchors".to_string(),
        anchors.display().to_string(),
        "--allow-private-addresses".into(),
        "--dns-server".into(),
        fleet.dns_addr().to_string(),
        "--ca-file".into(),
        ca.display().to_string(),
        "--rate-per-host".into(),
        "1000".into(),
        "--rate-per-ip".into(),
        "1000".into(),
    ];
    for o in fleet.connect_overrides() {
        args.push("--connect-to".into());
        args.push(format!(
            "{}:{}:{}:{}",
            o.host,
            o.port,
            o.addr.ip(),
            o.addr.port()
        ));
    }
    args
}
