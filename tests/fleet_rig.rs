//! The latency benchmark's rig, as a list of real sites looks: every site on an IPv6
//! address of its own (`FleetExtras::site_ipv6`; in a network namespace, as `scan_fleet`
//! makes one) and several OCSP responders, as several CAs (`ocsp_responders`). Without
//! them the whole list shares one per-address and one per-responder politeness budget,
//! and a benchmark measures those budgets instead of the scanner.

use crate::common::{DOMAIN, collector, host, settings_for};
use std::net::{IpAddr, Ipv6Addr};
use std::process::{Command, Stdio};
use trustlabel_core::evidence::dns::Ipv6Outcome;
use trustlabel_core::evidence::{Revocation, RevocationSource};
use trustlabel_fleet::{Fleet, FleetExtras, SiteSpec};

/// A unique-local /64 of the test's own namespace.
const BASE: Ipv6Addr = Ipv6Addr::new(0xfd7e, 0x7e57, 0x7e57, 0x1, 0, 0, 0, 0);

/// Moves the calling thread into a new network namespace (root), with loopback up and
/// `addresses` on it. Threads and processes the thread starts afterwards share it.
fn own_network(addresses: &[Ipv6Addr]) {
    // SAFETY: unshare(CLONE_NEWNET) changes the calling thread's network namespace only;
    // it reads and writes no memory of ours.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "a network namespace of the test's own needs root: {}",
        std::io::Error::last_os_error()
    );
    let mut batch = String::from("link set lo up\n");
    for address in addresses {
        batch.push_str(&format!("address add {address}/128 dev lo nodad\n"));
    }
    let mut ip = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("`ip` (Debian: iproute2)");
    std::io::Write::write_all(&mut ip.stdin.take().expect("stdin"), batch.as_bytes())
        .expect("write to ip");
    assert!(
        ip.wait().expect("ip").success(),
        "ip could not add the addresses"
    );
}

#[test]
fn each_site_answers_on_its_own_ipv6_address_and_names_its_own_ocsp_responder() {
    let nth = |i: u128| Ipv6Addr::from(u128::from(BASE) + i + 1);
    let addresses = [nth(0), nth(1)];
    // A thread of its own: the namespace must not leak into the other tests' threads.
    std::thread::spawn(move || {
        own_network(&addresses);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let names = [host("one"), host("two")];
            let specs = names.iter().map(|h| SiteSpec::good(h)).collect();
            let extras = FleetExtras {
                site_ipv6: Some(BASE),
                ocsp_responders: 2,
                ..FleetExtras::default()
            };
            let fleet = Fleet::start_with(DOMAIN, specs, extras)
                .await
                .expect("fleet starts");
            let collector = collector(settings_for(&fleet));
            let responders = [
                format!("http://ocsp.{DOMAIN}/"),
                format!("http://ocsp2.{DOMAIN}/"),
            ];
            for ((name, address), responder) in names.iter().zip(addresses).zip(responders) {
                let evidence = collector.collect(name, 443).await;
                let ipv6 = &evidence.dns.as_ref().expect("DNS evidence").ipv6;
                assert_eq!(ipv6.addresses, [IpAddr::V6(address)], "{name}'s AAAA");
                let probe = ipv6.probe.as_ref().expect("the home page over IPv6");
                assert_eq!(probe.address, IpAddr::V6(address));
                assert!(
                    matches!(probe.outcome, Ipv6Outcome::Answered { .. }),
                    "{name} over IPv6: {:?}",
                    probe.outcome
                );
                match &evidence.revocation {
                    Some(Revocation::Good {
                        source: RevocationSource::OcspResponder { url },
                    }) => assert_eq!(url, &responder, "{name}'s responder"),
                    other => panic!("{name}: revocation {other:?}"),
                }
            }
            fleet.shutdown().await;
        });
    })
    .join()
    .expect("the namespaced test thread");
}
