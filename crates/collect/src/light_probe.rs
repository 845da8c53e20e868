//! The light probe of a discovered candidate, before a person looks at it: does the
//! name resolve to an address the scanner may contact, and does anything answer on the
//! HTTPS or HTTP port? One TCP connection per port at most, under the same address rule
//! and politeness budget as a scan, and nothing is sent.

use crate::Collector;
use crate::net::connect_tcp;
use crate::resolve::ResolveFailure;
use tokio::time::Instant;

/// What the light probe saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightProbe {
    /// The HTTPS port accepts connections.
    Https,
    /// Only the HTTP port does.
    HttpOnly,
    /// The name resolves, but neither port answers.
    NoAnswer,
    /// The name does not resolve.
    NoAddress,
    /// It resolves only to addresses the scanner must not contact.
    AddressRefused,
}

impl LightProbe {
    pub fn as_str(self) -> &'static str {
        match self {
            LightProbe::Https => "https",
            LightProbe::HttpOnly => "http only",
            LightProbe::NoAnswer => "no answer",
            LightProbe::NoAddress => "no address",
            LightProbe::AddressRefused => "address refused",
        }
    }
}

impl Collector {
    pub async fn light_probe(&self, host: &str) -> LightProbe {
        let deadline = Instant::now() + self.settings.site_deadline;
        let resolved = match tokio::time::timeout_at(deadline, self.resolver.resolve(host)).await {
            Ok(Ok(resolved)) => resolved,
            Ok(Err(ResolveFailure::Dns { .. })) | Err(_) => return LightProbe::NoAddress,
        };
        let Some(ip) = self.resolver.pick_allowed(&resolved.addresses) else {
            return LightProbe::AddressRefused;
        };
        for (port, answer) in [
            (443, LightProbe::Https),
            (self.settings.http_port, LightProbe::HttpOnly),
        ] {
            let addr = self.tls_addr(host, port, ip);
            if !self.resolver.is_allowed(addr.ip()) {
                continue;
            }
            self.politeness.wait(host, addr.ip()).await;
            if connect_tcp(addr, self.settings.connect_timeout, deadline)
                .await
                .is_ok()
            {
                return answer;
            }
        }
        LightProbe::NoAnswer
    }
}
