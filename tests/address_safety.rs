//! Address safety: without `--allow-private-addresses`, a scan reaches only public
//! addresses: the target, every redirect hop, the privacy page, the exposure probes and
//! the certificate URLs (AIA, OCSP, CRL). A site's address is resolved once and pinned, so
//! a DNS server that changes its answer cannot steer later requests of the same scan.
//!
//! The fleet lives on loopback, so these tests treat the fleet's site block
//! 127.77.1.0/24 as "public" (`CollectorSettings::treat_as_public`); every other private
//! address (127.0.0.1, 10/8, the fleet's PKI and OCSP services on 127.77.0.x...) stays
//! refused, exactly as private addresses are in production.

use crate::common::{DOMAIN, assert_fires, host, judge, settings_for};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use trustlabel_collect::{AddressRange, CollectorSettings};
use trustlabel_core::evidence::{AiaOutcome, ChainEnd, Evidence, Resolution, Revocation, TlsProbe};
use trustlabel_core::finding::FindingId;
use trustlabel_fleet::{CertKind, DnsRecord, Fleet, HttpBehaviour, Route, SiteSpec};

/// The fleet's site addresses (sites get 127.77.1.1, .2, … in spec order).
fn fleet_sites() -> AddressRange {
    "127.77.1.0/24".parse().expect("range")
}

/// The fleet's own settings with private addresses refused and the site block public.
fn strict(fleet: &Fleet) -> CollectorSettings {
    CollectorSettings {
        allow_private_addresses: false,
        treat_as_public: vec![fleet_sites()],
        ..settings_for(fleet)
    }
}

async fn collect(settings: CollectorSettings, host: &str, port: u16) -> Evidence {
    crate::common::collector(settings).collect(host, port).await
}

/// A TCP listener on `ip` that counts the connections it accepts: where a hostile site
/// or DNS answer tries to send the scanner. Nothing may ever connect to it.
struct Trap {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Trap {
    async fn on(addr: SocketAddr) -> Trap {
        // Port held by the trap itself: the listener bound here (port 0, or a fleet
        // site's port on another address) accepts for as long as the trap lives.
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("trap binds");
        let addr = listener.local_addr().expect("trap address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((_stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        Trap {
            addr,
            accepted,
            task,
        }
    }

    #[track_caller]
    fn assert_untouched(&self) {
        assert_eq!(
            self.accepted.load(Ordering::SeqCst),
            0,
            "the scanner connected to {}",
            self.addr
        );
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn refused_at(end: &ChainEnd) -> Option<IpAddr> {
    match end {
        ChainEnd::AddressRefused { address, .. } => Some(*address),
        _ => None,
    }
}

#[tokio::test]
async fn names_resolving_to_private_addresses_are_refused_before_any_connection() {
    let private_v4 = [
        ("ten", Ipv4Addr::new(10, 1, 2, 3)),
        ("rfc1918-172", Ipv4Addr::new(172, 16, 0, 1)),
        ("rfc1918-192", Ipv4Addr::new(192, 168, 1, 1)),
        ("loopback", Ipv4Addr::new(127, 0, 0, 1)),
        ("link-local", Ipv4Addr::new(169, 254, 169, 254)),
        ("cgnat", Ipv4Addr::new(100, 64, 0, 1)),
        ("fleet-service", Ipv4Addr::new(127, 77, 0, 2)),
    ];
    let records = private_v4
        .iter()
        .map(|(name, ip)| DnsRecord {
            name: host(name),
            answers: vec![*ip],
        })
        .collect();
    let fleet = Fleet::start_with_dns(DOMAIN, vec![SiteSpec::good(&host("good"))], records)
        .await
        .expect("fleet starts");
    // IPv6 answers come from the hosts table (the fleet's DNS answers A only).
    let private_v6 = [
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "::ffff:10.0.0.1",
    ];
    let mut hosts = HashMap::new();
    for (i, ip) in private_v6.iter().enumerate() {
        hosts.insert(
            host(&format!("v6-{i}")),
            vec![ip.parse::<IpAddr>().unwrap()],
        );
    }
    let settings = CollectorSettings {
        hosts,
        ..strict(&fleet)
    };
    let collector = crate::common::collector(settings);
    let mut names: Vec<String> = private_v4.iter().map(|(n, _)| host(n)).collect();
    names.extend((0..private_v6.len()).map(|i| host(&format!("v6-{i}"))));
    // Literal targets too, IPv4-mapped included.
    names.extend(["127.0.0.1", "10.0.0.1", "::1", "::ffff:192.168.0.1"].map(String::from));
    for name in &names {
        let evidence = collector.collect(name, 443).await;
        assert!(
            matches!(evidence.resolution, Resolution::Refused { .. }),
            "{name}: {:?}",
            evidence.resolution
        );
        assert!(evidence.tls.is_none() && evidence.http.is_none(), "{name}");
        assert!(evidence.legacy.is_none(), "{name}: no legacy hello either");
        assert_fires(
            &judge(&evidence, time::OffsetDateTime::now_utc()),
            FindingId::SiteAddressRefused,
        );
    }
    // The site in the block treated as public is scanned.
    let evidence = collector.collect(&host("good"), 443).await;
    assert!(matches!(evidence.tls, Some(TlsProbe::Established(_))));
}

#[tokio::test]
async fn a_redirect_to_a_name_resolving_privately_is_not_followed_on_either_scheme() {
    let trap = Trap::on("127.0.0.1:0".parse().unwrap()).await;
    let internal = host("internal");
    // Scheme-relative, so the http:// and the https:// chain both try it.
    let location = format!("//{internal}:{}/admin", trap.addr.port());
    let name = host("public");
    let spec = SiteSpec::good(&name)
        .with_http(HttpBehaviour::Serve)
        .with_route(Route::redirect("/", 302, &location));
    let record = DnsRecord {
        name: internal,
        answers: vec![Ipv4Addr::LOCALHOST],
    };
    let fleet = Fleet::start_with_dns(DOMAIN, vec![spec], vec![record])
        .await
        .expect("fleet starts");
    let evidence = collect(strict(&fleet), &name, 443).await;
    for chain in [evidence.http.as_ref(), evidence.https.as_ref()] {
        let chain = chain.expect("both chains ran");
        assert_eq!(chain.hops[0].response.as_ref().map(|r| r.status), Some(302));
        assert_eq!(
            refused_at(&chain.end),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "{:?}",
            chain.end
        );
    }
    trap.assert_untouched();
}

#[tokio::test]
async fn a_redirect_to_a_private_literal_address_is_not_followed() {
    let trap = Trap::on("127.0.0.1:0".parse().unwrap()).await;
    let name = host("public");
    let location = format!("https://127.0.0.1:{}/", trap.addr.port());
    let spec = SiteSpec::good(&name).with_route(Route::redirect("/", 301, &location));
    let fleet = Fleet::start(DOMAIN, vec![spec])
        .await
        .expect("fleet starts");
    let evidence = collect(strict(&fleet), &name, 443).await;
    let chain = evidence.https.as_ref().expect("https chain");
    // Another host entirely: the chain stops there (an off-site redirect), no request.
    assert!(
        matches!(
            chain.end,
            ChainEnd::Offsite { .. } | ChainEnd::AddressRefused { .. }
        ),
        "{:?}",
        chain.end
    );
    assert_eq!(chain.hops.len(), 1);
    trap.assert_untouched();
}

#[tokio::test]
async fn the_privacy_page_on_a_name_resolving_privately_is_not_fetched() {
    let trap = Trap::on("127.0.0.1:0".parse().unwrap()).await;
    let intranet = host("intranet");
    let name = host("public");
    let page = format!(
        "<!doctype html><html><body><a href=\"https://{intranet}:{}/privacy\">Privacy policy</a>\
         </body></html>",
        trap.addr.port()
    );
    let spec = SiteSpec::good(&name).with_home_body(&page);
    let record = DnsRecord {
        name: intranet,
        answers: vec![Ipv4Addr::LOCALHOST],
    };
    let fleet = Fleet::start_with_dns(DOMAIN, vec![spec], vec![record])
        .await
        .expect("fleet starts");
    let evidence = collect(strict(&fleet), &name, 443).await;
    let privacy = evidence
        .privacy_page
        .as_ref()
        .expect("the notice link was tried");
    assert_eq!(
        refused_at(&privacy.end),
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        "{:?}",
        privacy.end
    );
    trap.assert_untouched();
}

#[tokio::test]
async fn certificate_urls_must_be_public_too() {
    // The leaf's AIA, OCSP and CRL URLs name pki./ocsp.<domain>, on 127.77.0.x: private.
    let name = host("incomplete");
    let spec = SiteSpec::good(&name).with_cert(CertKind::MissingIntermediate);
    let fleet = Fleet::start(DOMAIN, vec![spec])
        .await
        .expect("fleet starts");
    let evidence = collect(strict(&fleet), &name, 443).await;
    let Some(TlsProbe::Established(session)) = &evidence.tls else {
        panic!("TLS: {:?}", evidence.tls);
    };
    match &session.verification.path_with_aia {
        Some(AiaOutcome::FetchFailed { message, .. }) => {
            assert!(message.contains("AddressRefused"), "{message}")
        }
        other => panic!("AIA: {other:?}"),
    }
    match &evidence.revocation {
        Some(Revocation::Unknown { attempts }) => assert!(
            attempts.iter().any(|a| a.contains("AddressRefused")),
            "{attempts:?}"
        ),
        other => panic!("revocation: {other:?}"),
    }
    assert_eq!(fleet.ocsp_requests(), 0, "the OCSP responder was asked");
    // The same scan with the services' block treated as public completes the chain and
    // asks the responder: the refusal above was the address rule, nothing else.
    let mut open = strict(&fleet);
    open.treat_as_public.push("127.77.0.0/24".parse().unwrap());
    let evidence = collect(open, &name, 443).await;
    let Some(TlsProbe::Established(session)) = &evidence.tls else {
        panic!("TLS: {:?}", evidence.tls);
    };
    assert_eq!(
        session.verification.path_with_aia,
        Some(AiaOutcome::Verified)
    );
    assert!(fleet.ocsp_requests() > 0);
}

#[tokio::test]
async fn a_dns_answer_that_changes_cannot_steer_the_rest_of_the_scan() {
    let name = host("rebind");
    // Sites get 127.77.1.1, .2, … in spec order: the site is the first one.
    let site_ip = Ipv4Addr::new(127, 77, 1, 1);
    // The attacker's second answer is an address the rule allows (in the block treated
    // as public), so only the pinning stands in the way.
    let evil_ip = Ipv4Addr::new(127, 77, 1, 200);
    let record = DnsRecord {
        name: name.clone(),
        answers: vec![site_ip, evil_ip],
    };
    let spec = SiteSpec::good(&name).with_route(Route::page("/robots.txt", "User-agent: *\n"));
    let fleet = Fleet::start_with_dns(DOMAIN, vec![spec], vec![record])
        .await
        .expect("fleet starts");
    let site = fleet.site(&name).expect("site").clone();
    assert_eq!(site.ip, site_ip);
    // The attacker listens on the same ports at the second address.
    let evil_https = Trap::on(SocketAddr::new(evil_ip.into(), site.https_addr.port())).await;
    let evil_http = Trap::on(SocketAddr::new(evil_ip.into(), site.http_addr.port())).await;
    // No overrides for the site: its name goes through DNS, its ports are the fleet's.
    let settings = CollectorSettings {
        overrides: Vec::new(),
        http_port: site.http_addr.port(),
        ..strict(&fleet)
    };
    let collector = crate::common::collector(settings);
    let evidence = collector.collect(&name, site.https_addr.port()).await;

    match &evidence.resolution {
        Resolution::Resolved { pinned, .. } => assert_eq!(*pinned, IpAddr::V4(site_ip)),
        other => panic!("resolution: {other:?}"),
    }
    assert_eq!(
        fleet.dns_queries(&name),
        1,
        "the name is resolved once per scan"
    );
    let https = evidence.https.as_ref().expect("https chain");
    assert!(https.last_response().is_some(), "{:?}", https.end);
    // Every request of the scan (home pages, crawler views, probes) reached the site.
    let sent = evidence.http_requests();
    assert!(sent > 10, "{sent} requests");
    let heard = site.requests.count();
    assert_eq!(heard, sent, "requests the site received");
    for hop in evidence
        .https
        .iter()
        .chain(evidence.http.iter())
        .flat_map(|c| &c.hops)
    {
        assert_eq!(hop.address, Some(IpAddr::V4(site_ip)), "{}", hop.url);
    }
    evil_https.assert_untouched();
    evil_http.assert_untouched();
    drop((evil_https, evil_http));

    // A second scan resolves again (pins are per scan) and gets the attacker's address:
    // that scan is pinned to it, whole, and never mixes the two.
    let evidence = collector.collect(&name, site.https_addr.port()).await;
    match &evidence.resolution {
        Resolution::Resolved { pinned, .. } => assert_eq!(*pinned, IpAddr::V4(evil_ip)),
        other => panic!("resolution: {other:?}"),
    }
    assert_eq!(site.requests.count(), heard, "the site heard nothing more");
}
