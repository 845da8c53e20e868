//! A network namespace of the bench's own, so every fleet site can have an IPv6 address
//! of its own as on the internet. In the machine's namespace the only IPv6 loopback
//! address is `::1`, so every site's AAAA record names it and all IPv6 fetches share one
//! per-address politeness budget: a list of 300 sites then runs at that budget's pace,
//! which says nothing about the scanner. Only loopback is used in the namespace too.
//!
//! The bench re-runs itself under `unshare --net` (root, or a user namespace allowed to
//! create one); inside, it brings `lo` up and adds one address per site with `ip`
//! (iproute2). The fleet process it starts inherits the namespace.

use std::net::Ipv6Addr;
use std::process::{Command, Stdio};

/// Set in the re-run bench: it is already inside its namespace.
const INSIDE: &str = "TRUSTLABEL_BENCH_OWN_NETWORK";
/// Site i's IPv6 address is this plus i + 1 (a unique-local /64 of the bench's own).
pub const SITE_IPV6_BASE: Ipv6Addr = Ipv6Addr::new(0xfd7e, 0x7e57, 0xbe4c, 0x1, 0, 0, 0, 0);

pub enum OwnNetwork {
    /// This process runs in the namespace, with `sites` addresses from [`SITE_IPV6_BASE`].
    Inside,
    /// The bench ran again inside a namespace and ended with this exit code.
    RanInside(i32),
    /// No namespace could be made (the reason): the sites share `::1`.
    Unavailable(String),
}

/// Re-runs the bench in a namespace of its own, or (in the re-run) sets the namespace up
/// for `sites` sites (again in each process the bench fans out to: adding is idempotent).
pub fn enter(sites: usize) -> OwnNetwork {
    if std::env::var_os(INSIDE).is_some() {
        set_up(sites);
        return OwnNetwork::Inside;
    }
    match Command::new("unshare")
        .args(["--net", "true"])
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(_) => return OwnNetwork::Unavailable("unshare --net was refused (not root)".into()),
        Err(e) => return OwnNetwork::Unavailable(format!("unshare: {e}")),
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    let status = Command::new("unshare")
        .arg("--net")
        .arg("--")
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(INSIDE, "1")
        .status()
        .expect("run the bench inside its network namespace");
    OwnNetwork::RanInside(status.code().unwrap_or(1))
}

fn set_up(sites: usize) {
    let base = u128::from(SITE_IPV6_BASE);
    let mut batch = String::from("link set lo up\n");
    for i in 0..sites {
        let address = Ipv6Addr::from(base + i as u128 + 1);
        batch.push_str(&format!("address replace {address}/128 dev lo nodad\n"));
    }
    let mut ip = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("`ip` (Debian: iproute2) to add the sites' addresses");
    {
        use std::io::Write;
        let mut stdin = ip.stdin.take().expect("ip's stdin");
        stdin
            .write_all(batch.as_bytes())
            .expect("write the addresses to ip");
    }
    let status = ip.wait().expect("ip");
    assert!(status.success(), "ip could not add the sites' addresses");
}
