//! `tests/peers/tls_flaws.py` on loopback: a TLS server with one known flaw, written in
//! Python from the RFCs, sharing no code with the prober (it is the vulnerable peer the
//! `tls.vuln.*` tests need where Debian's OpenSSL can no longer be vulnerable). A missing
//! `python3` fails the test: `.ci/run` installs it.

use super::openssl::RsaCert;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running peer; killed on drop.
pub struct FlawPeer {
    child: Child,
    pub addr: SocketAddr,
}

impl FlawPeer {
    /// Starts the peer with `flaw` (see the script's documentation) and `cert`'s key.
    pub fn start(flaw: &str, cert: &RsaCert) -> FlawPeer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/tls_flaws.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(flaw)
            .arg(&cert.cert)
            .arg(&cert.key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("`python3` must be installed (Debian package python3; .ci/run installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // The peer binds port 0 itself and prints the port it got.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(
                    line.strip_prefix("PORT ")
                        .and_then(|p| p.trim().parse().ok()),
                );
            }
        });
        let port: Option<u16> = rx.recv_timeout(Duration::from_secs(60)).ok().flatten();
        let mut peer = FlawPeer {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        };
        match port {
            Some(port) => peer.addr.set_port(port),
            None => panic!(
                "tls_flaws.py {flaw} did not start: {:?}",
                peer.child.try_wait()
            ),
        }
        peer
    }
}

impl Drop for FlawPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
