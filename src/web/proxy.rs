//! Who the client is behind a reverse proxy.
//!
//! Behind a proxy (or a carrier's NAT in front of it) every request arrives from the
//! proxy's address, so per-address limits would throttle everyone together. When the
//! peer is a proxy the operator listed (`[publish] trusted_proxies`), the client is the
//! last address in `X-Forwarded-For` that is not itself a trusted proxy: the addresses
//! before it were written by the client and prove nothing. A peer that is not listed is
//! the client, whatever headers it sends.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// Address blocks whose requests come from our own proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<(IpAddr, u8)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an address or address block (e.g. 10.0.0.0/8, 2001:db8::/32, 127.0.0.1)")]
pub struct BadBlock(pub String);

impl TrustedProxies {
    pub fn parse<'a>(blocks: impl IntoIterator<Item = &'a str>) -> Result<Self, BadBlock> {
        let mut out = Vec::new();
        for text in blocks {
            let bad = || BadBlock(text.to_string());
            let (addr, prefix) = match text.trim().split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (text.trim(), None),
            };
            let addr: IpAddr = addr.parse().map_err(|_| bad())?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
                None => max,
            };
            out.push((addr, prefix));
        }
        Ok(TrustedProxies { blocks: out })
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.blocks
            .iter()
            .any(|(net, prefix)| in_block(ip, canonical(*net), *prefix))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the
    /// nearest untrusted address it forwarded.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| parse_forwarded(a.trim()))
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|a| !self.contains(*a))
            .unwrap_or(peer)
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_forwarded(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(sock) = text.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    text.trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|a| a.parse().ok())
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn in_block(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn behind_a_listed_proxy_the_client_is_the_last_address_it_forwarded() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8", "::1"]).unwrap();
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &headers("203.0.113.7")),
            ip("203.0.113.7")
        );
        // The client wrote the first entry itself; our proxies appended the rest.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &headers("1.1.1.1, 203.0.113.7, 10.9.9.9")),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("::1"), &headers("[2001:db8::5]:443")),
            ip("2001:db8::5")
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3"),
            "no header: the proxy itself"
        );
    }

    #[test]
    fn a_peer_that_is_not_a_listed_proxy_cannot_claim_another_address() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.client(ip("198.51.100.4"), &headers("1.2.3.4")),
            ip("198.51.100.4")
        );
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.1.2.3"), &headers("1.2.3.4")),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn blocks_parse_and_match_like_cidr() {
        let p = TrustedProxies::parse(["192.168.1.0/24", "2001:db8::/32", "127.0.0.1"]).unwrap();
        assert!(p.contains(ip("192.168.1.200")) && !p.contains(ip("192.168.2.1")));
        assert!(p.contains(ip("2001:db8:ffff::1")) && !p.contains(ip("2001:db9::1")));
        assert!(p.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped");
        assert!(TrustedProxies::parse(["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(["proxy.local"]).is_err());
        assert!(
            TrustedProxies::parse(["0.0.0.0/0"])
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }
}
