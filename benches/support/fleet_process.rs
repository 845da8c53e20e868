//! The loopback fleet in its own `trustlabel fleet-serve` process, so a bench measures the
//! scanner (or workers) and not the sites; shared by the benches through `#[path]`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use trustlabel_core::connect_to::ConnectTo;

pub struct FleetProcess {
    child: Child,
    /// The manifest line the fleet prints: `root_ca_pem`, `dns`, `overrides`, `hosts`.
    pub manifest: serde_json::Value,
    pub overrides: Vec<ConnectTo>,
    pub hosts: Vec<String>,
}

impl FleetProcess {
    /// `shape`: the `fleet-serve` flags that say what the sites are (`--mixed`: one in
    /// four carries a demo-fleet defect; `--own-domains`: a mail domain per site).
    /// Ports held by their servers: the fleet process binds every port itself (port 0)
    /// and reports them in its manifest; nothing here finds a port free and hands it on.
    #[allow(
        dead_code,
        reason = "the scan bench starts its fleet with a round-trip time"
    )]
    pub fn start(sites: usize, shape: &[&str]) -> FleetProcess {
        FleetProcess::start_with_rtt(sites, shape, 0, 0)
    }

    /// [`FleetProcess::start`] with `rtt_ms` (plus or minus `jitter_ms` per one-way pass)
    /// on every connection and DNS answer of the fleet: the internet, on loopback.
    pub fn start_with_rtt(
        sites: usize,
        shape: &[&str],
        rtt_ms: u64,
        jitter_ms: u64,
    ) -> FleetProcess {
        let mut args = vec![
            "fleet-serve".to_string(),
            "--sites".into(),
            sites.to_string(),
        ];
        args.extend(shape.iter().map(|f| f.to_string()));
        if rtt_ms > 0 {
            args.extend([
                "--rtt-ms".to_string(),
                rtt_ms.to_string(),
                "--jitter-ms".to_string(),
                jitter_ms.to_string(),
            ]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_trustlabel"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fleet process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("fleet stdout"))
            .read_line(&mut line)
            .expect("fleet manifest");
        let manifest: serde_json::Value = serde_json::from_str(&line).expect("manifest is JSON");
        let overrides = serde_json::from_value(manifest["overrides"].clone()).expect("overrides");
        let hosts = serde_json::from_value(manifest["hosts"].clone()).expect("hosts");
        FleetProcess {
            child,
            manifest,
            overrides,
            hosts,
        }
    }

    #[allow(dead_code, reason = "only the scan bench reads the fleet's CPU time")]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
