//! The local test fleet: real HTTPS/HTTP sites, a PKI and a DNS responder on loopback.
//!
//! Tests, `trustlabel demo` (on a machine with no internet) and the 1,000-site benchmark
//! need sites with known defects to scan. Every site gets its own loopback address
//! (127.77.X.Y) so per-IP behaviour such as rate limiting works as on the internet; ports
//! are ephemeral, so callers reach sites through [`Fleet::connect_overrides`] and names
//! through the DNS responder at [`Fleet::dns_addr`].

mod aia;
pub mod ctlog;
mod dns;
pub mod hostile;
mod http;
mod latency;
mod legacy;
mod log;
pub mod ocsp;
mod pki;
mod routes;
mod server;
mod sha1_sign;
mod smtp;
mod spec;
#[cfg(test)]
mod tests;
mod weak_rsa;
pub mod zones;

pub use dns::DnsRecord;
pub use latency::Latency;
pub use legacy::{HostileTls, SSLV3_SUITES};
pub use log::{RequestLog, SeenRequest};
pub use pki::{PkiError, WRONG_HOST_SAN};
pub use sha1_sign::Sha1SignError;
pub use smtp::{MailServer, SmtpBehaviour};
pub use spec::{
    BodyStream, CertKind, FLEET_EXPIRES, HeaderCondition, HttpBehaviour, Ipv6Behaviour,
    OcspBehaviour, Route, SCANNER_AGENT_MARK, STRICT_HEADERS, SiteSpec, TlsBehaviour, bot_wall,
    demo_specs, security_txt_body, security_txt_route,
};
pub use weak_rsa::WeakKeyError;
pub use zones::{MailDefaults, RecordData, Signing, ZoneRecord, ZoneSpec};

use http::{Resource, Responder};
use ocsp::{KnownLeaf, OcspResponder, Status};
use pki::{IssuedLeaf, Pki};
use routes::RouteTable;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpSocket, UdpSocket};
use tokio::task::JoinSet;
use trustlabel_core::connect_to::ConnectTo;

/// Sites live in 127.77.1.1 – 127.77.255.254; 127.77.0.x is the fleet's own services.
const SITE_NET: [u8; 2] = [127, 77];
const HOSTS_PER_BLOCK: usize = 254;
/// How many sites one fleet can hold (one loopback address each).
pub const MAX_SITES: usize = 255 * HOSTS_PER_BLOCK;
const DNS_IP: Ipv4Addr = Ipv4Addr::new(127, 77, 0, 1);
const PKI_IP: Ipv4Addr = Ipv4Addr::new(127, 77, 0, 2);
const OCSP_IP: Ipv4Addr = Ipv4Addr::new(127, 77, 0, 3);
/// Responders after the first ([`FleetExtras::ocsp_responders`]): 127.77.0.16, .17, ...
const MORE_OCSP_FIRST_HOST: usize = 16;
/// How many OCSP responders a fleet may have (they take 127.77.0.16–.254).
pub const MAX_OCSP_RESPONDERS: usize = 1 + 254 - MORE_OCSP_FIRST_HOST;
/// The fleet's mail servers: 127.78.0.1, 127.78.0.2, ...
const MAIL_NET: [u8; 2] = [127, 78];
/// Every IPv6 listener of the fleet (sites, the DNS server) is on `::1`, each on its own
/// port, unless [`FleetExtras::site_ipv6`] gives each site an address of its own; the
/// AAAA records say where and the overrides name the port.
const IPV6_LOOPBACK: Ipv6Addr = Ipv6Addr::LOCALHOST;

/// What a fleet serves besides its sites: extra DNS names, DNS zones (mail, CAA, TLSA
/// records; signed or not) and mail servers.
#[derive(Debug, Clone, Default)]
pub struct FleetExtras {
    pub records: Vec<DnsRecord>,
    /// Zones besides the default one (the registrable domain of the fleet's domain: a
    /// signed, well-run zone that sends and receives no mail), which a zone of the same
    /// apex here replaces.
    pub zones: Vec<ZoneSpec>,
    pub mail_servers: Vec<MailServer>,
    /// OCSP responders, as the several CAs of a real list (0 or 1: one). Site `i`'s
    /// leaf names responder `i % ocsp_responders`; the scanner's per-responder politeness
    /// budget applies to each.
    pub ocsp_responders: usize,
    /// Site `i`'s IPv6 listener on `site_ipv6 + i + 1`, an address of its own as on the
    /// internet, instead of a port of `::1` shared by every site (which puts all sites
    /// behind one per-address politeness budget). The addresses must already be on an
    /// interface: a network namespace's loopback, say (`scan_fleet` does that).
    pub site_ipv6: Option<Ipv6Addr>,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("host `{0}` appears more than once")]
    DuplicateHost(String),
    #[error("`{0}` is not a usable host name")]
    InvalidHost(String),
    #[error("{0} sites do not fit in the fleet's {MAX_SITES} loopback addresses")]
    TooManySites(usize),
    #[error("{0} OCSP responders do not fit in the fleet's {MAX_OCSP_RESPONDERS} addresses")]
    TooManyResponders(usize),
    #[error("certificate worker failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

/// One started site and where it listens.
#[derive(Debug, Clone)]
pub struct RunningSite {
    /// Lower-case, no trailing dot (also written back into `spec.host`).
    pub host: String,
    pub spec: SiteSpec,
    /// The address DNS gives for `host`.
    pub ip: Ipv4Addr,
    /// Where "port 443" really is; for a closed HTTPS port, a port that refuses.
    pub https_addr: SocketAddr,
    /// Where "port 80" really is; for a closed HTTP port, a port that refuses.
    pub http_addr: SocketAddr,
    /// The leaf certificate the HTTPS port presents, when it serves TLS.
    pub leaf: Option<CertificateDer<'static>>,
    /// Where "port 443" is over IPv6 (on `::1`), when the site has an AAAA record.
    pub https_v6_addr: Option<SocketAddr>,
    /// Every HTTP request the site received, on either port (over IPv4).
    pub requests: Arc<RequestLog>,
    /// The requests its IPv6 twin received (the scanner's home-page fetch over IPv6).
    pub requests_v6: Arc<RequestLog>,
}

/// A running fleet. Dropping it (or [`Fleet::shutdown`]) stops every listener and the
/// connections they accepted.
#[derive(Debug)]
pub struct Fleet {
    domain: String,
    root_pem: String,
    root_der: CertificateDer<'static>,
    untrusted_root_pem: String,
    intermediate_der: CertificateDer<'static>,
    crl_der: Vec<u8>,
    sites: Vec<RunningSite>,
    index: HashMap<String, usize>,
    dns_addr: SocketAddr,
    /// The same DNS server over IPv6 (the name servers' IPv6 address).
    dns_v6_addr: SocketAddr,
    zone: Arc<dns::Zone>,
    /// The zones' trust anchors (the signed parents of the anchored zones).
    anchors: Vec<trustlabel_core::dns::dnssec::TrustAnchor>,
    /// Port 25 of each mail server.
    mail_addrs: Vec<(String, SocketAddr)>,
    pki_addr: SocketAddr,
    /// Each responder's name and port 80 (the first is `ocsp.<domain>`).
    ocsp_addrs: Vec<(String, SocketAddr)>,
    ocsp: Arc<OcspResponder>,
    tasks: JoinSet<()>,
    /// Kept to issue certificates for servers outside the fleet ([`Fleet::issue_pem`]).
    pki: Arc<Pki>,
    /// Bound, never-listening sockets: holding them keeps "closed" ports refusing.
    _closed_ports: Vec<TcpSocket>,
}

impl Fleet {
    /// Generates the PKI and every leaf, then binds and starts all listeners, the PKI
    /// server (`pki.<domain>`), the OCSP responder (`ocsp.<domain>`) and the DNS
    /// responder. Needs a tokio runtime.
    pub async fn start(domain: &str, specs: Vec<SiteSpec>) -> Result<Fleet, FleetError> {
        Fleet::start_with_dns(domain, specs, Vec::new()).await
    }

    /// [`Fleet::start`], with extra DNS records (names anywhere, answers that may change
    /// from one query to the next) added after the sites' own, which they may replace.
    pub async fn start_with_dns(
        domain: &str,
        specs: Vec<SiteSpec>,
        records: Vec<DnsRecord>,
    ) -> Result<Fleet, FleetError> {
        Fleet::start_with(
            domain,
            specs,
            FleetExtras {
                records,
                ..FleetExtras::default()
            },
        )
        .await
    }

    /// [`Fleet::start`] with extra DNS names, zones and mail servers.
    pub async fn start_with(
        domain: &str,
        specs: Vec<SiteSpec>,
        extras: FleetExtras,
    ) -> Result<Fleet, FleetError> {
        Fleet::start_with_latency(domain, specs, extras, None).await
    }

    /// [`Fleet::start_with`], with a round-trip time on every site, PKI and OCSP
    /// connection and every DNS answer (`None`: loopback speed; the mail servers always
    /// answer at loopback speed).
    pub async fn start_with_latency(
        domain: &str,
        specs: Vec<SiteSpec>,
        extras: FleetExtras,
        latency: Option<Latency>,
    ) -> Result<Fleet, FleetError> {
        let FleetExtras {
            records,
            zones: zone_specs,
            mail_servers,
            ocsp_responders,
            site_ipv6,
        } = extras;
        let ocsp_responders = ocsp_responders.max(1);
        if ocsp_responders > MAX_OCSP_RESPONDERS {
            return Err(FleetError::TooManyResponders(ocsp_responders));
        }
        let domain =
            normalise_host(domain).ok_or_else(|| FleetError::InvalidHost(domain.to_string()))?;
        let pki_host = format!("pki.{domain}");
        let ocsp_hosts: Vec<String> = (0..ocsp_responders)
            .map(|r| pki::ocsp_host(&domain, r))
            .collect();
        let reserved: Vec<&str> = std::iter::once(pki_host.as_str())
            .chain(ocsp_hosts.iter().map(String::as_str))
            .collect();
        let specs = normalise_specs(specs, &reserved)?;
        let expires = fleet_expires(time::OffsetDateTime::now_utc());
        let specs: Vec<SiteSpec> = specs
            .into_iter()
            .map(|s| s.with_expires(&expires))
            .collect();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pki = Arc::new(Pki::new(&domain, Arc::clone(&provider))?);
        let leaves = issue_all(&pki, &specs, ocsp_responders).await?;
        let revoked: Vec<Vec<u8>> = specs
            .iter()
            .zip(&leaves)
            .filter(|(spec, _)| spec.tls == TlsBehaviour::Serve(CertKind::Revoked))
            .filter_map(|(_, leaf)| leaf.as_ref().map(|l| l.serial.clone()))
            .collect();
        let crl_der = pki.intermediate_crl(&revoked)?;
        let ocsp = Arc::new(ocsp_responder(&pki, &specs, &leaves)?);

        let mut launcher = Launcher {
            provider,
            tasks: JoinSet::new(),
            closed_ports: Vec::new(),
            latency,
        };
        let mut zone = dns::Zone::new();
        let mut sites = Vec::with_capacity(specs.len());
        for (i, (spec, leaf)) in specs.into_iter().zip(leaves).enumerate() {
            let staple = match &leaf {
                Some(leaf) if spec.ocsp.staple && leaf.by_intermediate => {
                    Some(ocsp.staple(&leaf.serial)?)
                }
                _ => None,
            };
            let v6 = site_ipv6.map_or(IPV6_LOOPBACK, |base| nth_address_after(base, i));
            let site = launcher
                .start_site(site_ip(i), v6, spec, leaf, staple)
                .await?;
            zone.insert(site.host.clone(), site.ip);
            sites.push(site);
        }

        let pki_files = Arc::new(pki_responder(&pki, &crl_der)?);
        let pki_addr = launcher
            .listen(PKI_IP, |l| server::serve_plain(l, pki_files))
            .await?;
        zone.insert(pki_host, PKI_IP);
        let ocsp_service = Arc::new(Responder::ocsp(Arc::clone(&ocsp)));
        let mut ocsp_addrs = Vec::with_capacity(ocsp_hosts.len());
        for (r, host) in ocsp_hosts.into_iter().enumerate() {
            let ip = match r {
                0 => OCSP_IP,
                // `MAX_OCSP_RESPONDERS` keeps the host part within a byte.
                r => Ipv4Addr::new(127, 77, 0, (MORE_OCSP_FIRST_HOST + r - 1) as u8),
            };
            let service = Arc::clone(&ocsp_service);
            let addr = launcher
                .listen(ip, |l| server::serve_plain(l, service))
                .await?;
            zone.insert(host.clone(), ip);
            ocsp_addrs.push((host, addr));
        }

        for record in &records {
            zone.insert_record(record);
        }

        // Mail servers, each on its own loopback address.
        let mut mail_addrs = Vec::new();
        for (i, server) in mail_servers.iter().enumerate() {
            let ip = Ipv4Addr::new(
                MAIL_NET[0],
                MAIL_NET[1],
                (1 + i / 254) as u8,
                (1 + i % 254) as u8,
            );
            let addr = launcher.start_mail(&pki, ip, server).await?;
            zone.insert(server.host.clone(), ip);
            mail_addrs.push((server.host.clone(), addr));
        }

        // The DNS server over IPv6: its port is bound first so the zones can name it.
        let dns6_bind = SocketAddr::new(IpAddr::V6(IPV6_LOOPBACK), 0);
        let dns6_socket = UdpSocket::bind(dns6_bind)
            .await
            .map_err(|source| FleetError::Bind {
                addr: dns6_bind,
                source,
            })?;
        let dns_v6_addr = dns6_socket
            .local_addr()
            .map_err(|source| FleetError::Bind {
                addr: dns6_bind,
                source,
            })?;
        let ns_host = format!("ns1.{domain}");
        zone.insert(ns_host.clone(), DNS_IP);
        let ipv6_hosts: Vec<(String, Ipv6Addr)> = sites
            .iter()
            .filter_map(|s| match s.https_v6_addr?.ip() {
                IpAddr::V6(ip) => Some((s.host.clone(), ip)),
                IpAddr::V4(_) => None,
            })
            .chain([(ns_host.clone(), IPV6_LOOPBACK)])
            .collect();
        let ca_identity = trustlabel_core::domain::registrable_domain(&format!("ocsp.{domain}"))
            .unwrap_or_else(|| domain.clone());
        let default_apex =
            trustlabel_core::domain::registrable_domain(&domain).unwrap_or_else(|| domain.clone());
        let mut all_zones = zone_specs;
        if !all_zones.iter().any(|z| z.apex == default_apex) {
            all_zones.push(ZoneSpec::new(&default_apex));
        }
        let (built, anchors) = zones::build_all(
            &all_zones,
            &zone.addresses(),
            &ipv6_hosts,
            &ca_identity,
            &ns_host,
        );
        zone.set_zones(built);
        let zone = Arc::new(zone);
        launcher
            .tasks
            .spawn(dns::serve(dns6_socket, Arc::clone(&zone), latency));
        // Port held by its server: the socket bound to port 0 is the one the DNS
        // responder answers on.
        let dns_bind = SocketAddr::new(IpAddr::V4(DNS_IP), 0);
        let dns_socket = UdpSocket::bind(dns_bind)
            .await
            .map_err(|source| FleetError::Bind {
                addr: dns_bind,
                source,
            })?;
        let dns_addr = dns_socket.local_addr().map_err(|source| FleetError::Bind {
            addr: dns_bind,
            source,
        })?;
        launcher
            .tasks
            .spawn(dns::serve(dns_socket, Arc::clone(&zone), latency));

        let index = sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.host.clone(), i))
            .collect();
        Ok(Fleet {
            domain,
            root_pem: pki.root_pem(),
            root_der: pki.root_der().clone(),
            untrusted_root_pem: pki.untrusted_root_pem(),
            intermediate_der: pki.intermediate_der().clone(),
            crl_der,
            sites,
            index,
            dns_addr,
            dns_v6_addr,
            zone,
            anchors,
            mail_addrs,
            pki_addr,
            ocsp_addrs,
            ocsp,
            tasks: launcher.tasks,
            pki,
            _closed_ports: launcher.closed_ports,
        })
    }

    /// A good certificate for `host` from the fleet's trusted CA, as PEM (chain with the
    /// intermediate, then the PKCS#8 key), for a server that is not part of the fleet:
    /// e.g. our own web server, scanned by our own scanner.
    pub fn issue_pem(&self, host: &str) -> Result<(String, String), FleetError> {
        let leaf = self.pki.issue(host, CertKind::Good)?;
        let chain = leaf.chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
        let key = leaf
            .key_pkcs8
            .as_deref()
            .map(|k| pem("PRIVATE KEY", k))
            .ok_or_else(|| FleetError::InvalidHost(host.to_string()))?;
        Ok((chain, key))
    }

    /// What a Certificate Transparency log would hold for this fleet: each site's
    /// leaf as a final certificate (with its chain), and, for every other site, the same
    /// TBS once more as a precertificate entry, as CAs log before issuing.
    pub fn ct_entries(&self) -> Vec<ctlog::LoggedCert> {
        use sha2::Digest;
        use x509_parser::prelude::FromDer;
        let issuer = self.intermediate_der.to_vec();
        let issuer_key_hash: [u8; 32] =
            x509_parser::certificate::X509Certificate::from_der(&issuer)
                .map(|(_, c)| sha2::Sha256::digest(c.public_key().raw).into())
                .unwrap_or_default();
        let mut out = Vec::new();
        for (i, site) in self.sites.iter().enumerate() {
            let Some(leaf) = &site.leaf else { continue };
            let chain = vec![issuer.clone(), self.root_der.to_vec()];
            out.push(ctlog::LoggedCert::X509 {
                cert: leaf.to_vec(),
                chain: chain.clone(),
            });
            if i % 2 == 1 {
                if let Ok((_, cert)) = x509_parser::certificate::X509Certificate::from_der(leaf) {
                    out.push(ctlog::LoggedCert::Precert {
                        issuer_key_hash,
                        tbs: cert.tbs_certificate.as_ref().to_vec(),
                        precert: leaf.to_vec(),
                        chain,
                    });
                }
            }
        }
        out
    }

    /// Stops every listener and waits until they have closed.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }

    /// The trusted test root (PEM), for the scanner's `--ca-file`.
    pub fn root_ca_pem(&self) -> String {
        self.root_pem.clone()
    }

    /// The trusted test root (DER), for building a rustls `RootCertStore` directly.
    pub fn root_ca_der(&self) -> &CertificateDer<'static> {
        &self.root_der
    }

    /// The root behind `UntrustedRoot` leaves; never give it to the scanner.
    pub fn untrusted_root_pem(&self) -> String {
        self.untrusted_root_pem.clone()
    }

    /// The intermediate that `MissingIntermediate` sites leave out (also served over HTTP).
    pub fn intermediate_der(&self) -> &CertificateDer<'static> {
        &self.intermediate_der
    }

    /// The intermediate's CRL, as served at `http://pki.<domain>/intermediate.crl`.
    pub fn crl_der(&self) -> &[u8] {
        &self.crl_der
    }

    /// Where every fleet name and port really is: `(host, 443)` and `(host, 80)` for each
    /// site, `(pki.<domain>, 80)` for the PKI files and `(ocsp.<domain>, 80)` for the OCSP
    /// responder.
    pub fn connect_overrides(&self) -> Vec<ConnectTo> {
        let connect = |host: &str, port: u16, addr: SocketAddr| ConnectTo {
            host: host.to_string(),
            port,
            addr,
        };
        let mut overrides: Vec<ConnectTo> = self
            .sites
            .iter()
            .flat_map(|s| {
                [
                    connect(&s.host, 443, s.https_addr),
                    connect(&s.host, 80, s.http_addr),
                ]
            })
            .collect();
        overrides.push(connect(&self.pki_host(), 80, self.pki_addr));
        overrides.extend(
            self.ocsp_addrs
                .iter()
                .map(|(host, addr)| connect(host, 80, *addr)),
        );
        overrides.extend(
            self.sites
                .iter()
                .filter_map(|s| s.https_v6_addr.map(|a| connect(&s.host, 443, a))),
        );
        overrides.push(connect(&self.ns_host(), 53, self.dns_v6_addr));
        overrides.extend(
            self.mail_addrs
                .iter()
                .map(|(host, addr)| connect(host, 25, *addr)),
        );
        overrides
    }

    /// The trust anchors a scanner of the fleet validates DNSSEC from: the signed parent
    /// zones (such as `test.`) of the fleet's anchored zones.
    pub fn trust_anchors(&self) -> Vec<trustlabel_core::dns::dnssec::TrustAnchor> {
        self.anchors.clone()
    }

    /// The trust anchors as zone-file DS lines, for `trustlabel --trust-anchors`.
    pub fn trust_anchors_text(&self) -> String {
        let mut out = String::new();
        for anchor in &self.anchors {
            for ds in &anchor.ds {
                let record = trustlabel_core::dns::Record {
                    name: anchor.zone.clone(),
                    rtype: trustlabel_core::dns::RType::DS,
                    class: trustlabel_core::dns::wire::CLASS_IN,
                    ttl: 60,
                    rdata: trustlabel_core::dns::RData::Ds(ds.clone()),
                };
                out.push_str(&record.to_text());
                out.push('\n');
            }
        }
        out
    }

    /// The name server every fleet zone names (`ns1.<domain>`).
    pub fn ns_host(&self) -> String {
        format!("ns1.{}", self.domain)
    }

    /// The DNS server's IPv6 address and port.
    pub fn dns_v6_addr(&self) -> SocketAddr {
        self.dns_v6_addr
    }

    /// Where each mail server's port 25 really is.
    pub fn mail_addrs(&self) -> &[(String, SocketAddr)] {
        &self.mail_addrs
    }

    pub fn dns_addr(&self) -> SocketAddr {
        self.dns_addr
    }

    /// How many address lookups (A queries without DNSSEC OK) the DNS responder received
    /// for `name`; the scanner's DNSSEC questions are not counted.
    pub fn dns_queries(&self, name: &str) -> usize {
        self.zone.queries(name)
    }

    pub fn pki_addr(&self) -> SocketAddr {
        self.pki_addr
    }

    pub fn pki_host(&self) -> String {
        format!("pki.{}", self.domain)
    }

    /// The first (or only) OCSP responder's name; its URL is `http://ocsp.<domain>/`.
    pub fn ocsp_host(&self) -> String {
        self.ocsp_addrs[0].0.clone()
    }

    /// The first (or only) OCSP responder's port 80.
    pub fn ocsp_addr(&self) -> SocketAddr {
        self.ocsp_addrs[0].1
    }

    /// How many requests the OCSP responder has answered.
    pub fn ocsp_requests(&self) -> usize {
        self.ocsp.served()
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn sites(&self) -> &[RunningSite] {
        &self.sites
    }

    /// Looks a site up by name (any case, trailing dot allowed).
    pub fn site(&self, host: &str) -> Option<&RunningSite> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.index.get(&host).map(|&i| &self.sites[i])
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// What [`FLEET_EXPIRES`] becomes for a fleet started at `now`: 180 days later, whole
/// seconds, UTC.
fn fleet_expires(now: time::OffsetDateTime) -> String {
    let at = (now + time::Duration::days(180))
        .replace_nanosecond(0)
        .unwrap_or(now);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `base + index + 1`, wrapping within the address space (the caller picks a base with
/// room: a /64 of its own).
fn nth_address_after(base: Ipv6Addr, index: usize) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(base).wrapping_add(index as u128 + 1))
}

/// The site's address: the i-th host of 127.77.1.0/24, 127.77.2.0/24, ... (skipping .0 and
/// .255 so no address looks like a network or broadcast address to a cautious client).
fn site_ip(index: usize) -> Ipv4Addr {
    let block = 1 + index / HOSTS_PER_BLOCK;
    let host = 1 + index % HOSTS_PER_BLOCK;
    // `normalise_specs` caps the count at MAX_SITES, so both fit in a byte.
    Ipv4Addr::new(SITE_NET[0], SITE_NET[1], block as u8, host as u8)
}

/// Lower-case, no trailing dot, letters/digits/hyphens in 1–63-byte labels.
fn normalise_host(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (host.len() <= 253 && host.split('.').all(label_ok)).then_some(host)
}

/// Normalises every host and refuses duplicates and the fleet's own service names.
fn normalise_specs(specs: Vec<SiteSpec>, reserved: &[&str]) -> Result<Vec<SiteSpec>, FleetError> {
    if specs.len() > MAX_SITES {
        return Err(FleetError::TooManySites(specs.len()));
    }
    let mut seen = std::collections::HashSet::new();
    specs
        .into_iter()
        .map(|mut spec| {
            let host = normalise_host(&spec.host)
                .ok_or_else(|| FleetError::InvalidHost(spec.host.clone()))?;
            if reserved.contains(&host.as_str()) || !seen.insert(host.clone()) {
                return Err(FleetError::DuplicateHost(host));
            }
            spec.host = host;
            Ok(spec)
        })
        .collect()
}

/// Issues every leaf on the blocking pool, one chunk per core, so a 1,000-site start-up
/// uses all cores and never stalls the runtime's workers.
async fn issue_all(
    pki: &Arc<Pki>,
    specs: &[SiteSpec],
    ocsp_responders: usize,
) -> Result<Vec<Option<IssuedLeaf>>, FleetError> {
    let wanted: Vec<(String, Option<CertKind>, usize)> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let kind = match s.tls {
                TlsBehaviour::Serve(kind) => Some(kind),
                _ => None,
            };
            (s.host.clone(), kind, i % ocsp_responders.max(1))
        })
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = wanted.len().div_ceil(workers).max(1);
    let mut jobs = Vec::new();
    for part in wanted.chunks(chunk) {
        let part = part.to_vec();
        let pki = Arc::clone(pki);
        jobs.push(tokio::task::spawn_blocking(move || {
            part.iter()
                .map(|(host, kind, responder)| {
                    kind.map(|k| pki.issue_for_responder(host, k, *responder))
                        .transpose()
                })
                .collect::<Result<Vec<_>, PkiError>>()
        }));
    }
    let mut leaves = Vec::with_capacity(specs.len());
    for job in jobs {
        leaves.extend(job.await??);
    }
    Ok(leaves)
}

/// Binds ports and spawns their servers during start-up; its tasks and reserved ports
/// move into the [`Fleet`] at the end (or are dropped, stopping everything, on error).
struct Launcher {
    provider: Arc<CryptoProvider>,
    tasks: JoinSet<()>,
    closed_ports: Vec<TcpSocket>,
    latency: Option<Latency>,
}

impl Launcher {
    async fn start_site(
        &mut self,
        ip: Ipv4Addr,
        ipv6: Ipv6Addr,
        spec: SiteSpec,
        leaf: Option<IssuedLeaf>,
        ocsp_staple: Option<Vec<u8>>,
    ) -> Result<RunningSite, FleetError> {
        let requests = Arc::new(RequestLog::default());
        let table = RouteTable::for_site(&spec);
        let routes = |scheme| {
            Arc::new(Responder::table(table.clone()).logged(Arc::clone(&requests), scheme))
        };
        let https_addr = match (spec.tls, &leaf) {
            (TlsBehaviour::Serve(_), Some(leaf)) => {
                let config = server::tls_config(&self.provider, leaf, ocsp_staple)?;
                let routes = routes("https");
                self.listen(ip, |l| server::serve_tls(l, config, routes))
                    .await?
            }
            (TlsBehaviour::Silent, _) => self.listen(ip, server::serve_silent).await?,
            (TlsBehaviour::Hostile(kind), _) => {
                self.listen(ip, move |l| legacy::serve_hostile(l, kind))
                    .await?
            }
            (TlsBehaviour::Sslv3Only, _) => {
                self.listen(ip, |l| legacy::serve_only(l, legacy::SSL3))
                    .await?
            }
            (TlsBehaviour::Tls10Only, _) => {
                self.listen(ip, |l| legacy::serve_only(l, legacy::TLS10))
                    .await?
            }
            (TlsBehaviour::Tls11Only, _) => {
                self.listen(ip, |l| legacy::serve_only(l, legacy::TLS11))
                    .await?
            }
            (TlsBehaviour::Relay(peer), _) => {
                self.listen(ip, move |l| server::serve_relay(l, peer))
                    .await?
            }
            // `issue_all` gives every `Serve` site a leaf, so this is only `Closed`.
            _ => self.closed(ip)?,
        };
        let v6 = IpAddr::V6(ipv6);
        let requests_v6 = Arc::new(RequestLog::default());
        let https_v6_addr = match (&spec.ipv6, spec.tls, &leaf) {
            (Ipv6Behaviour::None, _, _) => None,
            (Ipv6Behaviour::Closed, _, _) => Some(self.closed(v6)?),
            (Ipv6Behaviour::Same, TlsBehaviour::Serve(_), Some(leaf)) => {
                let config = server::tls_config(&self.provider, leaf, None)?;
                let routes = Arc::new(
                    Responder::table(table.clone()).logged(Arc::clone(&requests_v6), "https"),
                );
                Some(
                    self.listen(v6, |l| server::serve_tls(l, config, routes))
                        .await?,
                )
            }
            (Ipv6Behaviour::Different(body), TlsBehaviour::Serve(_), Some(leaf)) => {
                let config = server::tls_config(&self.provider, leaf, None)?;
                let other = spec.clone().with_home_body(body);
                let routes = Arc::new(
                    Responder::table(RouteTable::for_site(&other))
                        .logged(Arc::clone(&requests_v6), "https"),
                );
                Some(
                    self.listen(v6, |l| server::serve_tls(l, config, routes))
                        .await?,
                )
            }
            // A site that serves no TLS has no IPv6 twin.
            _ => None,
        };
        let http_addr = match spec.http {
            HttpBehaviour::RedirectToHttps => {
                let redirect = Arc::new(
                    Responder::redirect_to_https(&spec.host).logged(Arc::clone(&requests), "http"),
                );
                self.listen(ip, |l| server::serve_plain(l, redirect))
                    .await?
            }
            HttpBehaviour::Serve => {
                let routes = routes("http");
                self.listen(ip, |l| server::serve_plain(l, routes)).await?
            }
            HttpBehaviour::Closed => self.closed(ip)?,
        };
        Ok(RunningSite {
            host: spec.host.clone(),
            spec,
            ip,
            https_addr,
            http_addr,
            leaf: leaf.map(|l| l.leaf().clone()),
            https_v6_addr,
            requests,
            requests_v6,
        })
    }

    /// Binds an ephemeral port on `ip` and spawns `serve` on it. Port held by its server:
    /// the listener that got the port is the one that serves, for the fleet's life.
    async fn listen<F, Fut>(
        &mut self,
        ip: impl Into<IpAddr>,
        serve: F,
    ) -> Result<SocketAddr, FleetError>
    where
        F: FnOnce(server::Incoming) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let addr = SocketAddr::new(ip.into(), 0);
        let bind_error = |source| FleetError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        self.tasks
            .spawn(serve(server::Incoming::new(listener, self.latency)));
        Ok(local)
    }

    /// A port on `ip` that refuses connections for as long as the fleet lives.
    fn closed(&mut self, ip: impl Into<IpAddr>) -> Result<SocketAddr, FleetError> {
        let ip = ip.into();
        let (socket, addr) =
            server::reserve_closed_port(ip).map_err(|source| FleetError::Bind {
                addr: SocketAddr::new(ip, 0),
                source,
            })?;
        self.closed_ports.push(socket);
        Ok(addr)
    }
}

impl Launcher {
    /// Starts one mail server on `ip`, port chosen by the system; its certificate (when
    /// it does TLS) comes from the fleet's PKI for its host name.
    async fn start_mail(
        &mut self,
        pki: &Pki,
        ip: Ipv4Addr,
        server: &MailServer,
    ) -> Result<SocketAddr, FleetError> {
        let host = normalise_host(&server.host)
            .ok_or_else(|| FleetError::InvalidHost(server.host.clone()))?;
        let behaviour = server.behaviour;
        if behaviour == SmtpBehaviour::Closed {
            return self.closed(ip);
        }
        let tls = match behaviour {
            SmtpBehaviour::StartTls(kind) => {
                let leaf = pki.issue(&host, kind)?;
                let config = server::tls_config(&self.provider, &leaf, None)?;
                Some(tokio_rustls::TlsAcceptor::from(config))
            }
            _ => None,
        };
        self.listen(ip, move |l| smtp::serve(l, host, behaviour, tls))
            .await
    }
}

/// What the demo fleet serves besides [`demo_specs`]: two mail domains, one run well
/// (`good-mail.test`, see [`well_run_mail_domain`]) and one run badly (`bad-mail.test`:
/// SPF `+all`, no DMARC, an MX without STARTTLS), each with a site `www.<domain>`.
pub fn demo_mail() -> (Vec<SiteSpec>, FleetExtras) {
    let good = "good-mail.test";
    let bad = "bad-mail.test";
    let (good_zone, good_mx) = well_run_mail_domain(good);
    let extras = FleetExtras {
        records: Vec::new(),
        zones: vec![
            good_zone,
            ZoneSpec::new(bad)
                .with_mail(MailDefaults::None)
                .with_record(ZoneRecord::mx(bad, 10, &format!("mx.{bad}")))
                .with_record(ZoneRecord::txt(bad, "v=spf1 +all")),
        ],
        mail_servers: vec![
            good_mx,
            MailServer::new(&format!("mx.{bad}"), SmtpBehaviour::NoStartTls),
        ],
        ..FleetExtras::default()
    };
    let sites = vec![
        SiteSpec::good(&format!("www.{good}")),
        SiteSpec::good(&format!("www.{bad}")),
    ];
    (sites, extras)
}

/// A signed zone that receives mail and runs it well: MX `mx.<apex>` (STARTTLS with a
/// valid certificate), SPF `mx -all`, DMARC `p=reject`, TLS-RPT; it publishes no
/// MTA-STS or TLSA record. Returns the zone and its mail server.
pub fn well_run_mail_domain(apex: &str) -> (ZoneSpec, MailServer) {
    let mx = format!("mx.{apex}");
    let zone = ZoneSpec::new(apex)
        .with_mail(MailDefaults::None)
        .with_record(ZoneRecord::mx(apex, 10, &mx))
        .with_records([
            ZoneRecord::txt(apex, "v=spf1 mx -all"),
            ZoneRecord::txt(
                &format!("_dmarc.{apex}"),
                &format!("v=DMARC1; p=reject; rua=mailto:dmarc@{apex}"),
            ),
            ZoneRecord::txt(
                &format!("_smtp._tls.{apex}"),
                &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{apex}"),
            ),
        ]);
    (
        zone,
        MailServer::new(&mx, SmtpBehaviour::StartTls(CertKind::Good)),
    )
}

/// `count` good sites `www.dom<i>.test`, each in a registrable domain of its own that
/// receives mail ([`well_run_mail_domain`]): the DNS and SMTP work of a list of real
/// organisations, where no two sites share a zone or an MX.
pub fn own_mail_domains(count: usize) -> (Vec<SiteSpec>, FleetExtras) {
    let mut sites = Vec::with_capacity(count);
    let mut extras = FleetExtras::default();
    for i in 0..count {
        let apex = format!("dom{i}.test");
        let (zone, mx) = well_run_mail_domain(&apex);
        sites.push(SiteSpec::good(&format!("www.{apex}")));
        extras.zones.push(zone);
        extras.mail_servers.push(mx);
    }
    (sites, extras)
}

/// The responder for the trusted intermediate's leaves: revoked exactly when the CRL
/// lists them, signed by whom each spec asks.
fn ocsp_responder(
    pki: &Pki,
    specs: &[SiteSpec],
    leaves: &[Option<IssuedLeaf>],
) -> Result<OcspResponder, FleetError> {
    let revoked_at = time::OffsetDateTime::now_utc() - pki::REVOKED_DAYS_AGO;
    let known = specs
        .iter()
        .zip(leaves)
        .filter_map(|(spec, leaf)| {
            let leaf = leaf.as_ref().filter(|l| l.by_intermediate)?;
            let status = if spec.tls == TlsBehaviour::Serve(CertKind::Revoked) {
                Status::Revoked {
                    at: revoked_at,
                    reason: Some(pki::REVOCATION_REASON_CODE),
                }
            } else {
                Status::Good
            };
            let delegated = spec.ocsp.delegated;
            Some((leaf.serial.clone(), KnownLeaf { status, delegated }))
        })
        .collect();
    let (by_issuer, by_delegate) = pki.ocsp_signers()?;
    Ok(OcspResponder::new(
        pki.intermediate_issuer_key()?,
        by_issuer,
        by_delegate,
        known,
    ))
}

/// The files leaves point at: intermediates for AIA `caIssuers`, CRLs for revocation.
fn pki_responder(pki: &Pki, crl_der: &[u8]) -> Result<Responder, FleetError> {
    let file = |content_type: &str, body: Vec<u8>| Resource {
        status: 200,
        headers: vec![("Content-Type".to_string(), content_type.to_string())],
        body,
        ..Resource::default()
    };
    let cert = |der: &CertificateDer<'_>| file("application/pkix-cert", der.to_vec());
    Ok(Responder::routes([
        (
            "/intermediate.der".to_string(),
            cert(pki.intermediate_der()),
        ),
        (
            "/intermediate.crl".to_string(),
            file("application/pkix-crl", crl_der.to_vec()),
        ),
        (
            "/untrusted-intermediate.der".to_string(),
            cert(pki.untrusted_intermediate_der()),
        ),
        (
            "/untrusted-intermediate.crl".to_string(),
            file("application/pkix-crl", pki.untrusted_intermediate_crl()?),
        ),
    ]))
}
