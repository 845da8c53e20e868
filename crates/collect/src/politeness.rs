//! Politeness: request rate limits per host name and per IP address.
//!
//! Both limits apply to every request and handshake, so many government sites on one
//! shared hosting address are not hammered just because their names differ.

use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed in a burst before the rate applies.
    pub burst: u32,
}

impl RateLimit {
    fn quota(self) -> Quota {
        let rate = NonZeroU32::new(self.per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::per_second(rate).allow_burst(burst)
    }
}

pub struct Politeness {
    per_host: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl Politeness {
    pub fn new(per_host: RateLimit, per_ip: RateLimit) -> Self {
        Politeness {
            per_host: DefaultKeyedRateLimiter::keyed(per_host.quota()),
            per_ip: DefaultKeyedRateLimiter::keyed(per_ip.quota()),
        }
    }

    /// Waits until both the host's and the address's budgets allow one more request.
    pub async fn wait(&self, host: &str, ip: IpAddr) {
        self.per_host.until_key_ready(&host.to_string()).await;
        self.per_ip.until_key_ready(&ip).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn requests_beyond_the_burst_wait_for_the_rate() {
        let p = Politeness::new(
            RateLimit {
                per_second: 10,
                burst: 2,
            },
            RateLimit {
                per_second: 1000,
                burst: 1000,
            },
        );
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let start = Instant::now();
        for _ in 0..4 {
            p.wait("a.test", ip).await;
        }
        // 2 free, then 2 more at 10/s: at least ~200 ms.
        assert!(start.elapsed().as_millis() >= 150, "{:?}", start.elapsed());
    }
}
