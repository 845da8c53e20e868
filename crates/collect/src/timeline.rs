//! When each step of one site's scan ran, so the latency benchmark can show where the
//! round trips on a site's critical path go instead of guessing. A side channel, not
//! evidence: timings depend on the network and the machine, never on the site's
//! configuration, and no check may judge them.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The steps of a site scan that wait on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// The site's name to an address.
    Resolve,
    /// TCP connect and the recording TLS handshake on the HTTPS port.
    TlsHandshake,
    /// The `https://` redirect chain over the verified connection.
    HttpsChain,
    /// The `http://` redirect chain (its own connection).
    HttpChain,
    /// The legacy probe's hand-built hellos.
    LegacyHellos,
    /// DNSSEC, CAA, IPv6, name servers, mail (MX, SPF, DMARC, MTA-STS, SMTP).
    DnsMail,
    /// Fetching a missing issuer from the AIA URL.
    Aia,
    /// Stapled OCSP, the CA's responder, else its CRL.
    Revocation,
    PrivacyPage,
    CrawlerViews,
    SecurityTxt,
    /// The soft-404 baseline the probes are judged against.
    ExposureBaseline,
    ExposureProbes,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Resolve => "resolve",
            Phase::TlsHandshake => "tcp+tls handshake",
            Phase::HttpsChain => "https chain",
            Phase::HttpChain => "http chain",
            Phase::LegacyHellos => "legacy hellos",
            Phase::DnsMail => "dns/mail",
            Phase::Aia => "aia",
            Phase::Revocation => "revocation",
            Phase::PrivacyPage => "privacy page",
            Phase::CrawlerViews => "crawler views",
            Phase::SecurityTxt => "security.txt",
            Phase::ExposureBaseline => "exposure baseline",
            Phase::ExposureProbes => "exposure probes",
        }
    }
}

/// One step: when it started and ended, from the start of the site's scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub phase: Phase,
    pub start: Duration,
    pub end: Duration,
}

/// The spans of one site scan, recorded as its steps finish (a lock held for a push).
#[derive(Debug)]
pub struct Timeline {
    origin: Instant,
    spans: Mutex<Vec<Span>>,
}

impl Timeline {
    pub fn start() -> Timeline {
        Timeline {
            origin: Instant::now(),
            spans: Mutex::new(Vec::new()),
        }
    }

    /// Runs `step`, recording when it ran under `phase`.
    pub async fn time<F: Future>(&self, phase: Phase, step: F) -> F::Output {
        let start = self.origin.elapsed();
        let output = step.await;
        let end = self.origin.elapsed();
        self.spans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Span { phase, start, end });
        output
    }

    /// Every span, by start time, and the scan's whole duration so far.
    pub fn finish(self) -> (Vec<Span>, Duration) {
        let total = self.origin.elapsed();
        let mut spans = self.spans.into_inner().unwrap_or_else(|p| p.into_inner());
        spans.sort_by_key(|s| (s.start, s.phase));
        (spans, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spans_are_ordered_by_start_and_cover_their_step() {
        let timeline = Timeline::start();
        let slow = timeline.time(Phase::ExposureProbes, async {
            tokio::time::sleep(Duration::from_millis(300)).await;
        });
        let fast = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            timeline
                .time(Phase::PrivacyPage, async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                })
                .await;
        };
        tokio::join!(slow, fast);
        let (spans, total) = timeline.finish();
        // Lower bounds only: a slow machine stretches every span, never shortens one.
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].phase, Phase::ExposureProbes);
        assert!(spans[0].end - spans[0].start >= Duration::from_millis(300));
        assert_eq!(spans[1].phase, Phase::PrivacyPage);
        assert!(spans[1].start >= Duration::from_millis(100));
        assert!(spans[1].end - spans[1].start >= Duration::from_millis(50));
        assert!(total >= spans[0].end && total >= spans[1].end);
    }
}
