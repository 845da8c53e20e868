//! curl-style address overrides (`--resolve`, `--connect-to`): plain data shared by the
//! settings, the collector's resolver and the fleet that hands them out.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// curl-style address override: connections to `host:port` go to `addr` instead.
///
/// `--resolve HOST:PORT:ADDR` keeps the port; `--connect-to HOST:PORT:ADDR:PORT2`
/// also changes it (curl's `--connect-to`, with an address instead of a host name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectTo {
    pub host: String,
    pub port: u16,
    pub addr: SocketAddr,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("`{0}`: expected HOST:PORT:ADDR")]
    ResolveShape(String),
    #[error("`{0}`: expected HOST:PORT:ADDR:PORT")]
    ConnectToShape(String),
    #[error("`{0}`: `{1}` is not a port number")]
    Port(String, String),
    #[error("`{0}`: `{1}` is not an IP address")]
    Address(String, String),
}

fn parse_port(whole: &str, s: &str) -> Result<u16, OverrideError> {
    s.parse()
        .map_err(|_| OverrideError::Port(whole.to_string(), s.to_string()))
}

fn parse_ip(whole: &str, s: &str) -> Result<IpAddr, OverrideError> {
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse()
        .map_err(|_| OverrideError::Address(whole.to_string(), s.to_string()))
}

impl ConnectTo {
    /// Parses curl's `--resolve HOST:PORT:ADDR` (ADDR may be `[v6]`).
    pub fn parse_resolve(s: &str) -> Result<Self, OverrideError> {
        let mut parts = s.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OverrideError::ResolveShape(s.to_string()));
        };
        let port = parse_port(s, port)?;
        let ip = parse_ip(s, addr)?;
        Ok(ConnectTo {
            host: host.to_ascii_lowercase(),
            port,
            addr: SocketAddr::new(ip, port),
        })
    }

    /// Parses `--connect-to HOST:PORT:ADDR:PORT2` (ADDR may be `[v6]`).
    pub fn parse_connect_to(s: &str) -> Result<Self, OverrideError> {
        let mut parts = s.splitn(3, ':');
        let (Some(host), Some(port), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OverrideError::ConnectToShape(s.to_string()));
        };
        let port = parse_port(s, port)?;
        let Some((addr, port2)) = rest.rsplit_once(':') else {
            return Err(OverrideError::ConnectToShape(s.to_string()));
        };
        let ip = parse_ip(s, addr)?;
        Ok(ConnectTo {
            host: host.to_ascii_lowercase(),
            port,
            addr: SocketAddr::new(ip, parse_port(s, port2)?),
        })
    }
}

impl FromStr for ConnectTo {
    type Err = OverrideError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConnectTo::parse_resolve(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_and_connect_to_parse_like_curl() {
        let r = ConnectTo::parse_resolve("Example.vn:443:127.0.0.5").unwrap();
        assert_eq!(r.host, "example.vn");
        assert_eq!(r.addr, "127.0.0.5:443".parse().unwrap());
        let r = ConnectTo::parse_resolve("a.vn:443:[::1]").unwrap();
        assert_eq!(r.addr, "[::1]:443".parse().unwrap());
        let c = ConnectTo::parse_connect_to("a.vn:80:127.0.0.1:8080").unwrap();
        assert_eq!((c.port, c.addr), (80, "127.0.0.1:8080".parse().unwrap()));
        let c = ConnectTo::parse_connect_to("a.vn:443:[::1]:8443").unwrap();
        assert_eq!(c.addr, "[::1]:8443".parse().unwrap());
        assert!(ConnectTo::parse_resolve("a.vn:443").is_err());
        assert!(ConnectTo::parse_resolve("a.vn:https:1.2.3.4").is_err());
        assert!(ConnectTo::parse_resolve("a.vn:443:nope").is_err());
        assert!(ConnectTo::parse_connect_to("a.vn:443:1.2.3.4").is_err());
    }
}
