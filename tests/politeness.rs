//! Politeness as a site sees it: whatever runs side by side inside a scan (redirect
//! chains, legacy hellos, the page fetches on several connections, the probes), no site
//! receives more requests in any stretch of time than the per-host and per-address
//! budgets allow. The fleet's request log, with the time each request arrived, is the
//! witness.

use crate::common::{DOMAIN, collector, host, settings_for};
use std::time::{Duration, Instant};
use trustlabel_collect::RateLimit;
use trustlabel_fleet::{Fleet, FleetExtras, Latency, Route, SiteSpec};

/// Scans one good site (with a privacy link, so every kind of page fetch happens) under
/// `adjust`ed budgets and returns the arrival times of the requests it received.
async fn arrivals(
    name: &str,
    adjust: impl FnOnce(&mut trustlabel_collect::CollectorSettings),
) -> Vec<Instant> {
    let privacy =
        "<html><body><a href=\"/chinh-sach-bao-mat\">Chính sách bảo mật</a></body></html>";
    // A round trip whose TLS handshake (two round trips through the relay, 60 ms) is
    // above the collector's side-by-side threshold (40 ms), so the page fetches run on
    // several connections at once, as on the internet.
    let latency = Latency {
        rtt: Duration::from_millis(30),
        jitter: Duration::ZERO,
    };
    let specs = vec![SiteSpec::good(name).with_route(Route::page("/", privacy))];
    let fleet = Fleet::start_with_latency(DOMAIN, specs, FleetExtras::default(), Some(latency))
        .await
        .expect("fleet starts");
    let mut settings = settings_for(&fleet);
    settings.site_deadline = Duration::from_secs(60);
    adjust(&mut settings);
    let evidence = collector(settings).collect(name, 443).await;
    assert!(
        !evidence.deadline_exceeded,
        "the scan finished within its deadline"
    );
    let exposure = evidence.exposure.as_ref().expect("the probes ran");
    assert!(exposure.probes.len() >= 10, "{exposure:?}");
    let site = fleet.site(name).expect("site");
    let mut seen: Vec<Instant> = site
        .requests
        .requests()
        .iter()
        .map(|r| r.received)
        .collect();
    seen.sort();
    assert!(
        site.requests.tls_sessions() > 1,
        "the page fetches ran on several connections at once"
    );
    assert!(
        seen.len() >= 20,
        "the scan made its requests: {}",
        seen.len()
    );
    seen
}

/// The most requests any window of time holds beyond what `limit` allows in it: a
/// governor budget lets through `burst` at once and then `per_second`.
fn excess(arrivals: &[Instant], limit: RateLimit) -> Option<String> {
    // A request is logged when the server has read it, a little after the scanner's
    // budget let it go; one request of slack covers that reordering.
    const SLACK: f64 = 1.0;
    for (i, first) in arrivals.iter().enumerate() {
        for (j, last) in arrivals.iter().enumerate().skip(i) {
            let count = (j - i + 1) as f64;
            let span = last.duration_since(*first).as_secs_f64();
            let allowed = f64::from(limit.burst) + f64::from(limit.per_second) * span + SLACK;
            if count > allowed {
                return Some(format!(
                    "{count} requests within {span:.3} s, the budget allows {allowed:.1}"
                ));
            }
        }
    }
    None
}

#[tokio::test]
async fn a_site_never_gets_more_requests_than_the_per_host_budget() {
    let name = host("polite-host");
    let limit = RateLimit {
        per_second: 8,
        burst: 4,
    };
    let seen = arrivals(&name, |s| s.per_host = limit).await;
    assert_eq!(excess(&seen, limit), None);
}

#[tokio::test]
async fn an_address_never_gets_more_requests_than_the_per_address_budget() {
    let name = host("polite-address");
    let limit = RateLimit {
        per_second: 8,
        burst: 4,
    };
    let seen = arrivals(&name, |s| s.per_ip = limit).await;
    assert_eq!(excess(&seen, limit), None);
}
