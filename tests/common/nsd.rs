//! Debian's NSD as the authoritative DNS server of a test, serving zones the test writes
//! and signs with `ldns-keygen` / `ldns-signzone` (signer and server share no code with
//! the validator under test). A missing `nsd` or `ldns-*` binary fails the test:
//! `.ci/run` installs them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use trustlabel_core::dns::Name;
use trustlabel_core::dns::dnssec::TrustAnchor;
use trustlabel_core::dns::wire::Ds;

/// A running NSD on port 53 of an address of its own in 127.0.0.0/8 (root binds port
/// 53; a random address keeps parallel runs apart without handing a port on).
pub struct Nsd {
    child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Nsd {
    fn drop(&mut self) {
        // SIGTERM to the process we started, by its id: NSD stops its server children.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Runs `program` in `dir`; its standard output, trimmed. Fails the test when it cannot
/// run or fails.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digest"))
        .collect()
}

/// A random address in `127.<second>.0.0/16`, for one server of a test.
pub fn loopback_address(second: u8) -> Ipv4Addr {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    Ipv4Addr::new(127, second, rng.gen_range(1..255), rng.gen_range(1..255))
}

/// How `ldns-signzone` signs a zone for the test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Signed {
    Valid,
    /// Signatures that expired a year ago.
    Expired,
    /// Valid signatures, then the address of `www` changed in the signed file.
    Tampered,
}

/// A key made by `ldns-keygen`: its file stem and the DS record it printed.
pub struct Key {
    pub stem: String,
    /// `<tag> <algorithm> <digest type> <hex>`, as in a zone file.
    pub ds_rdata: String,
    pub anchor: TrustAnchor,
}

/// The zones of one NSD, written (and signed) into a temporary directory before the
/// server starts.
pub struct Zones {
    dir: tempfile::TempDir,
    ip: Ipv4Addr,
    files: Vec<(String, String)>,
}

impl Default for Zones {
    fn default() -> Self {
        Zones::new()
    }
}

impl Zones {
    pub fn new() -> Zones {
        Zones {
            dir: tempfile::tempdir().expect("temp dir"),
            ip: loopback_address(53),
            files: Vec::new(),
        }
    }

    /// The address NSD will listen on (and the glue of every zone's `ns1`).
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A zone's text: SOA, NS `ns1.<apex>` with its glue, then `body` (relative names
    /// are under the apex).
    pub fn zone_text(&self, apex: &str, body: &str) -> String {
        let ip = self.ip;
        format!(
            "$ORIGIN {apex}.\n$TTL 60\n\
             @ IN SOA ns1.{apex}. hostmaster.{apex}. 1 3600 600 86400 60\n\
             @ IN NS ns1.{apex}.\n\
             ns1 IN A {ip}\n{body}"
        )
    }

    /// A zone-signing Ed25519 key for `apex`: its file stem.
    fn zsk(&self, apex: &str) -> String {
        run(self.path(), "ldns-keygen", &["-a", "ED25519", apex])
    }

    /// A key-signing Ed25519 key for `apex`, with the DS `ldns-keygen` wrote for it.
    pub fn ksk(&self, apex: &str) -> Key {
        let stem = run(self.path(), "ldns-keygen", &["-a", "ED25519", "-k", apex]);
        // "apex.\tIN\tDS\t<tag> <alg> <digest type> <hex>"
        let ds_line =
            std::fs::read_to_string(self.path().join(format!("{stem}.ds"))).expect("DS file");
        let fields: Vec<&str> = ds_line.split_whitespace().collect();
        assert_eq!(fields[2], "DS", "{ds_line}");
        let anchor = TrustAnchor {
            zone: Name::parse(apex).unwrap(),
            ds: vec![Ds {
                key_tag: fields[3].parse().unwrap(),
                algorithm: fields[4].parse().unwrap(),
                digest_type: fields[5].parse().unwrap(),
                digest: unhex(fields[6]),
            }],
            keys: vec![],
        };
        Key {
            stem,
            ds_rdata: fields[3..].join(" "),
            anchor,
        }
    }

    /// Serves `apex` unsigned.
    pub fn unsigned(&mut self, apex: &str, body: &str) {
        let file = format!("{apex}.zone");
        std::fs::write(self.path().join(&file), self.zone_text(apex, body)).expect("write zone");
        self.files.push((apex.to_string(), file));
    }

    /// Serves `apex` signed with a fresh KSK and ZSK (NSEC); the KSK's DS as its anchor.
    pub fn signed(&mut self, apex: &str, body: &str, how: Signed) -> TrustAnchor {
        let ksk = self.ksk(apex);
        let zsk = self.zsk(apex);
        let file = format!("{apex}.zone");
        std::fs::write(self.path().join(&file), self.zone_text(apex, body)).expect("write zone");
        let mut args: Vec<&str> = vec!["-n"];
        if how == Signed::Expired {
            args.extend(["-i", "20241101000000", "-e", "20241201000000"]);
        }
        args.extend([file.as_str(), zsk.as_str(), ksk.stem.as_str()]);
        run(self.path(), "ldns-signzone", &args);
        let signed = format!("{file}.signed");
        if how == Signed::Tampered {
            self.tamper_www(apex, &signed);
        }
        self.files.push((apex.to_string(), signed));
        ksk.anchor
    }

    /// Changes the A record of `www.<apex>` in the signed file, keeping its signature.
    fn tamper_www(&self, apex: &str, signed: &str) {
        let path = self.path().join(signed);
        let text = std::fs::read_to_string(&path).expect("signed zone");
        let www = format!("www.{apex}.");
        let changed: String = text
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.first() == Some(&www.as_str()) && fields.get(3) == Some(&"A") {
                    format!("{www}\t60\tIN\tA\t192.0.2.66\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        assert_ne!(changed, text, "the A record of www was changed");
        std::fs::write(&path, changed).expect("write tampered zone");
    }

    /// Starts NSD serving every zone; returns once it has read them all.
    pub fn start(self) -> Nsd {
        let ip = self.ip;
        let d = self.dir.path().display();
        let mut conf = format!(
            "server:\n  ip-address: {ip}@53\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  \
             database: \"\"\n  pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  \
             zonelistfile: \"{d}/zone.list\"\n  logfile: \"{d}/nsd.log\"\n  server-count: 1\n\
             remote-control:\n  control-enable: no\n"
        );
        for (apex, file) in &self.files {
            conf.push_str(&format!("zone:\n  name: {apex}\n  zonefile: {file}\n"));
        }
        std::fs::write(self.dir.path().join("nsd.conf"), conf).expect("write nsd.conf");
        let child = Command::new("nsd")
            .args(["-d", "-c"])
            .arg(self.dir.path().join("nsd.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nsd runs (is it installed?)");
        let nsd = Nsd {
            child,
            addr: SocketAddr::new(IpAddr::V4(ip), 53),
            dir: self.dir,
        };
        // Ready once it says so in its log (every zone read first).
        let log = nsd.dir.path().join("nsd.log");
        for _ in 0..100 {
            if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("nsd started")) {
                return nsd;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "nsd did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}
