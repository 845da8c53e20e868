//! Name resolution with overrides, and the private-address rule.
//!
//! Order of precedence: an explicit `host:port` override (`--resolve`/`--connect-to`),
//! then the hosts file, then DNS. Every answer passes the address rule before use, so a
//! target (or a redirect) cannot steer the scanner into the local network unless the
//! operator allowed it.

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;
use trustlabel_core::connect_to::ConnectTo;
use trustlabel_core::evidence::{DnsFailureKind, ResolutionSource};

/// Where DNS questions go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DnsConfig {
    /// The system resolver configuration (`/etc/resolv.conf`).
    #[default]
    System,
    /// Only these servers (tests point this at a loopback responder).
    Servers(Vec<SocketAddr>),
    /// One server whose UDP and TCP ports differ: a test server that let the system
    /// choose a free port for each socket (so no port is ever found free and handed on).
    Split { udp: SocketAddr, tcp: SocketAddr },
}

impl DnsConfig {
    /// Where each server listens, over UDP and over TCP; empty for the system
    /// configuration (read from `/etc/resolv.conf` by [`DnsConfig::servers`]).
    pub fn server_pairs(&self) -> Result<Vec<(SocketAddr, SocketAddr)>, ResolverError> {
        match self {
            DnsConfig::Servers(list) => Ok(list.iter().map(|a| (*a, *a)).collect()),
            DnsConfig::Split { udp, tcp } => Ok(vec![(*udp, *tcp)]),
            DnsConfig::System => {
                let (config, _) = hickory_resolver::system_conf::read_system_conf()
                    .map_err(|e| ResolverError::SystemConfig(e.to_string()))?;
                let mut pairs: Vec<(SocketAddr, SocketAddr)> = Vec::new();
                for ns in config.name_servers() {
                    let pair = (ns.socket_addr, ns.socket_addr);
                    if !pairs.contains(&pair) {
                        pairs.push(pair);
                    }
                }
                Ok(pairs)
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    #[error("cannot read the system DNS configuration: {0}")]
    SystemConfig(String),
    #[error("cannot read hosts file {path}: {source}")]
    HostsFile {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    HostsLine {
        path: String,
        line: usize,
        reason: String,
    },
}

/// A resolved name: all addresses seen, and the one to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub addresses: Vec<IpAddr>,
    pub source: ResolutionSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveFailure {
    Dns {
        kind: DnsFailureKind,
        message: String,
    },
}

pub struct Resolver {
    dns: TokioResolver,
    /// Keyed by host, port and whether the address is IPv6, so a test can place a
    /// site's IPv4 and IPv6 ports apart.
    overrides: HashMap<(String, u16, bool), SocketAddr>,
    hosts: HashMap<String, Vec<IpAddr>>,
    allow_private: bool,
    treat_as_public: Vec<AddressRange>,
}

/// An address range in CIDR form (`127.77.1.0/24`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressRangeError {
    #[error("`{0}`: expected ADDRESS/PREFIX")]
    Shape(String),
    #[error("`{0}`: the prefix is longer than the address")]
    Prefix(String),
}

impl AddressRange {
    /// The range of `prefix` leading bits of `network` (host bits are ignored).
    pub fn new(network: IpAddr, prefix: u8) -> Option<AddressRange> {
        let bits = if network.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(AddressRange { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let prefix = u32::from(self.prefix);
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for AddressRange {
    type Err = AddressRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || AddressRangeError::Shape(s.to_string());
        let (addr, prefix) = s.split_once('/').ok_or_else(shape)?;
        let network: IpAddr = addr.parse().map_err(|_| shape())?;
        let prefix: u8 = prefix.parse().map_err(|_| shape())?;
        AddressRange::new(network, prefix).ok_or_else(|| AddressRangeError::Prefix(s.to_string()))
    }
}

impl Resolver {
    pub fn new(
        dns: &DnsConfig,
        timeout: Duration,
        overrides: &[ConnectTo],
        hosts: HashMap<String, Vec<IpAddr>>,
        allow_private: bool,
    ) -> Result<Self, ResolverError> {
        let provider = TokioConnectionProvider::default();
        let mut builder = match dns {
            DnsConfig::System => TokioResolver::builder(provider)
                .map_err(|e| ResolverError::SystemConfig(e.to_string()))?,
            DnsConfig::Servers(servers) => {
                let mut group = NameServerConfigGroup::new();
                for server in servers {
                    group.merge(NameServerConfigGroup::from_ips_clear(
                        &[server.ip()],
                        server.port(),
                        true,
                    ));
                }
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], group),
                    provider,
                )
            }
            DnsConfig::Split { udp, tcp } => {
                use hickory_resolver::config::NameServerConfig;
                use hickory_resolver::proto::xfer::Protocol;
                let mut group = NameServerConfigGroup::new();
                group.push(NameServerConfig::new(*udp, Protocol::Udp));
                group.push(NameServerConfig::new(*tcp, Protocol::Tcp));
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], group),
                    provider,
                )
            }
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        opts.cache_size = 4096;
        // Our own hosts table replaces /etc/hosts so scans are reproducible.
        opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        Ok(Resolver {
            dns: builder.build(),
            overrides: overrides
                .iter()
                .map(|o| {
                    (
                        (o.host.to_ascii_lowercase(), o.port, o.addr.is_ipv6()),
                        o.addr,
                    )
                })
                .collect(),
            hosts,
            allow_private,
            treat_as_public: Vec::new(),
        })
    }

    /// Addresses in these ranges pass the address rule as if public. Only tests use this
    /// (see `CollectorSettings::treat_as_public`).
    pub fn with_treat_as_public(mut self, ranges: Vec<AddressRange>) -> Self {
        self.treat_as_public = ranges;
        self
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// An explicit override for this exact host and port, if one was given (the IPv4
    /// one when there are both).
    pub fn override_for(&self, host: &str, port: u16) -> Option<SocketAddr> {
        self.override_for_family(host, port, false)
            .or_else(|| self.override_for_family(host, port, true))
    }

    /// The override for this host and port of one address family only: the IPv6 probes
    /// (the site over IPv6, name servers over IPv6) must not land on an IPv4 port.
    pub fn override_for_family(&self, host: &str, port: u16, ipv6: bool) -> Option<SocketAddr> {
        self.overrides.get(&(host.to_string(), port, ipv6)).copied()
    }

    /// The addresses overrides give this host (on any port): the IPv4 ones when there
    /// are any, since IPv6 overrides are for the IPv6 probes.
    fn overridden_addresses(&self, host: &str) -> Vec<IpAddr> {
        let named = |(h, _, _): &(String, u16, bool)| h == host;
        let has_v4 = self.overrides.keys().any(|k| named(k) && !k.2);
        let mut addrs: Vec<IpAddr> = self
            .overrides
            .iter()
            .filter(|(k, _)| named(k) && (!has_v4 || !k.2))
            .map(|(_, a)| a.ip())
            .collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    /// Resolves a host name to its addresses (without applying the address rule).
    pub async fn resolve(&self, host: &str) -> Result<Resolved, ResolveFailure> {
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
            return Ok(Resolved {
                addresses: vec![ip],
                source: ResolutionSource::Literal,
            });
        }
        let overridden = self.overridden_addresses(host);
        if !overridden.is_empty() {
            return Ok(Resolved {
                addresses: overridden,
                source: ResolutionSource::Override,
            });
        }
        if let Some(addrs) = self.hosts.get(host) {
            return Ok(Resolved {
                addresses: addrs.clone(),
                source: ResolutionSource::HostsFile,
            });
        }
        match self.dns.lookup_ip(format!("{host}.")).await {
            Ok(lookup) => {
                let addresses: Vec<IpAddr> = lookup.iter().collect();
                if addresses.is_empty() {
                    Err(ResolveFailure::Dns {
                        kind: DnsFailureKind::NoAddresses,
                        message: format!("{host} has no A or AAAA record"),
                    })
                } else {
                    Ok(Resolved {
                        addresses,
                        source: ResolutionSource::Dns,
                    })
                }
            }
            Err(e) => {
                let kind = if e.is_nx_domain() {
                    DnsFailureKind::NoSuchName
                } else if e.is_no_records_found() {
                    DnsFailureKind::NoAddresses
                } else if e.to_string().to_ascii_lowercase().contains("timed out") {
                    DnsFailureKind::Timeout
                } else {
                    DnsFailureKind::Other
                };
                Err(ResolveFailure::Dns {
                    kind,
                    message: e.to_string(),
                })
            }
        }
    }

    /// The first address the address rule allows, if any.
    pub fn pick_allowed(&self, addresses: &[IpAddr]) -> Option<IpAddr> {
        addresses.iter().copied().find(|ip| self.is_allowed(*ip))
    }

    /// Whether the address rule lets us connect to this address.
    pub fn is_allowed(&self, ip: IpAddr) -> bool {
        self.allow_private
            || is_public(ip)
            || self.treat_as_public.iter().any(|range| range.contains(ip))
    }
}

/// Parses an `/etc/hosts`-style file: `IP NAME [NAME...]`, `#` comments.
pub fn load_hosts_file(path: &Path) -> Result<HashMap<String, Vec<IpAddr>>, ResolverError> {
    let text = std::fs::read_to_string(path).map_err(|source| ResolverError::HostsFile {
        path: path.display().to_string(),
        source,
    })?;
    parse_hosts(&path.display().to_string(), &text)
}

pub fn parse_hosts(path: &str, text: &str) -> Result<HashMap<String, Vec<IpAddr>>, ResolverError> {
    let mut map: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let ip_text = fields.next().unwrap_or("");
        let ip: IpAddr = ip_text.parse().map_err(|_| ResolverError::HostsLine {
            path: path.to_string(),
            line: index + 1,
            reason: format!("`{ip_text}` is not an IP address"),
        })?;
        let mut any = false;
        for name in fields {
            any = true;
            let entry = map.entry(name.to_ascii_lowercase()).or_default();
            if !entry.contains(&ip) {
                entry.push(ip);
            }
        }
        if !any {
            return Err(ResolverError::HostsLine {
                path: path.to_string(),
                line: index + 1,
                reason: "an address with no host name".into(),
            });
        }
    }
    Ok(map)
}

/// True for addresses reachable on the public internet. Private, loopback, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast and reserved ranges are not,
/// and neither are IPv6 forms that embed such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let private = a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..=127).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (18..=19).contains(&b))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224;
    !private
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address inside.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        ));
    }
    if seg[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new(
            (seg[1] >> 8) as u8,
            seg[1] as u8,
            (seg[2] >> 8) as u8,
            seg[2] as u8,
        ));
    }
    let unspecified_or_loopback = ip.is_unspecified() || ip.is_loopback();
    let unique_local = (seg[0] & 0xfe00) == 0xfc00;
    let link_local = (seg[0] & 0xffc0) == 0xfe80;
    let site_local = (seg[0] & 0xffc0) == 0xfec0;
    let multicast = (seg[0] & 0xff00) == 0xff00;
    let documentation = seg[0] == 0x2001 && seg[1] == 0x0db8;
    // IPv4-compatible (deprecated ::a.b.c.d) addresses.
    let v4_compatible = seg[0..6] == [0, 0, 0, 0, 0, 0];
    !(unspecified_or_loopback
        || unique_local
        || link_local
        || site_local
        || multicast
        || documentation
        || v4_compatible)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for s in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.77.0.2",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must not count as public");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "203.113.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} must count as public");
        }
    }

    #[tokio::test]
    async fn overrides_then_hosts_file_then_dns_and_literals() {
        let hosts = parse_hosts("h", "127.0.0.9 from-hosts.test\n").unwrap();
        let overrides = [ConnectTo::parse_resolve("pinned.test:443:127.0.0.7").unwrap()];
        // A DNS server that does not exist: any DNS question fails fast.
        let dns = DnsConfig::Servers(vec!["127.0.0.1:9".parse().unwrap()]);
        let r = Resolver::new(&dns, Duration::from_millis(300), &overrides, hosts, false).unwrap();
        let got = r.resolve("pinned.test").await.unwrap();
        assert_eq!(
            (got.addresses, got.source),
            (vec![ip("127.0.0.7")], ResolutionSource::Override)
        );
        assert_eq!(
            r.override_for("pinned.test", 443),
            Some("127.0.0.7:443".parse().unwrap())
        );
        assert_eq!(
            r.override_for("pinned.test", 80),
            None,
            "an override is per port"
        );
        let got = r.resolve("from-hosts.test").await.unwrap();
        assert_eq!(
            (got.addresses, got.source),
            (vec![ip("127.0.0.9")], ResolutionSource::HostsFile)
        );
        let got = r.resolve("192.0.2.1").await.unwrap();
        assert_eq!(got.source, ResolutionSource::Literal);
        assert!(r.resolve("not-anywhere.test").await.is_err());
        // The address rule: loopback answers are not usable unless allowed.
        assert_eq!(r.pick_allowed(&[ip("127.0.0.9")]), None);
        assert_eq!(
            r.pick_allowed(&[ip("127.0.0.9"), ip("8.8.8.8")]),
            Some(ip("8.8.8.8"))
        );
    }

    #[test]
    fn address_ranges_parse_and_match_by_prefix() {
        let range: AddressRange = "127.77.1.0/24".parse().unwrap();
        assert!(range.contains(ip("127.77.1.200")));
        assert!(range.contains(ip("::ffff:127.77.1.9")), "IPv4-mapped form");
        assert!(!range.contains(ip("127.77.0.2")));
        assert!(!range.contains(ip("127.0.0.1")));
        let all: AddressRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("10.0.0.1")) && !all.contains(ip("::1")));
        let v6: AddressRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("127.0.0.1/33".parse::<AddressRange>().is_err());
        assert!("127.0.0.1".parse::<AddressRange>().is_err());
        assert!("x/8".parse::<AddressRange>().is_err());
    }

    #[tokio::test]
    async fn only_the_ranges_treated_as_public_pass_besides_public_addresses() {
        let dns = DnsConfig::Servers(vec!["127.0.0.1:9".parse().unwrap()]);
        let r = Resolver::new(&dns, Duration::from_millis(300), &[], HashMap::new(), false)
            .unwrap()
            .with_treat_as_public(vec!["127.77.1.0/24".parse().unwrap()]);
        assert!(r.is_allowed(ip("127.77.1.5")));
        assert!(r.is_allowed(ip("8.8.8.8")));
        for refused in [
            "127.0.0.1",
            "127.77.0.2",
            "10.0.0.1",
            "::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!r.is_allowed(ip(refused)), "{refused}");
        }
    }

    #[test]
    fn hosts_file_lines_map_names_and_bad_lines_are_named() {
        let map = parse_hosts("h", "# c\n127.0.0.2 a.test B.test\n\n::1 a.test\n").unwrap();
        assert_eq!(map["a.test"], vec![ip("127.0.0.2"), ip("::1")]);
        assert_eq!(map["b.test"], vec![ip("127.0.0.2")]);
        let err = parse_hosts("h", "127.0.0.1 ok.test\nnot-an-ip x.test\n").unwrap_err();
        assert_eq!(err.to_string(), "h:2: `not-an-ip` is not an IP address");
        assert!(parse_hosts("h", "127.0.0.1\n").is_err());
    }
}
