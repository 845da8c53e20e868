//! `/.well-known/security.txt` (RFC 9116) over the verified https connection.
//!
//! One GET with the honest presentation and a small body cap, under the site's
//! politeness limits and deadline like every other page fetch. Redirects are followed
//! only on the same scheme, host and port (a file moved on the site); a redirect anywhere
//! else ends the chain as `Offsite` with its location recorded, never followed: RFC 9116
//! makes a file speak for the host it was fetched from, and asks that redirects elsewhere
//! be reviewed by a person.

use super::http::{Presentation, SiteFetcher};
use std::collections::HashSet;
use std::net::IpAddr;
use tokio::time::Instant;
use trustlabel_core::evidence::{
    ChainEnd, FetchChain, FetchFailureKind, Hop, SECURITY_TXT_CAP, SECURITY_TXT_PATH,
};
use url::Url;

/// Redirects followed on the host; a file is rarely moved more than once.
const MAX_REDIRECTS: usize = 3;

/// `base` is the site's verified https root (`https://host[:port]/`).
pub(super) async fn fetch(
    fetcher: &mut SiteFetcher<'_>,
    base: &Url,
    deadline: Instant,
) -> FetchChain {
    let how = Presentation {
        body_cap: SECURITY_TXT_CAP,
        ..fetcher.presentation()
    };
    let mut hops = Vec::new();
    let mut seen = HashSet::new();
    let mut url = match base.join(SECURITY_TXT_PATH) {
        Ok(url) => url,
        Err(e) => return ended(hops, failed(FetchFailureKind::Protocol, e.to_string())),
    };
    loop {
        if !seen.insert(url.to_string()) {
            let end = ChainEnd::Loop {
                url: url.to_string(),
            };
            return ended(hops, end);
        }
        if hops.len() > MAX_REDIRECTS {
            return ended(
                hops,
                ChainEnd::TooManyRedirects {
                    limit: MAX_REDIRECTS,
                },
            );
        }
        if Instant::now() >= deadline {
            let end = failed(
                FetchFailureKind::Timeout,
                "the site deadline had passed".into(),
            );
            return ended(hops, end);
        }
        let answer = tokio::time::timeout_at(deadline, fetcher.fetch_one_at(&url, &how)).await;
        let (address, response) = match answer {
            Err(_) => {
                hops.push(hop(&url, None, None));
                let end = failed(
                    FetchFailureKind::Timeout,
                    "the site deadline passed before an answer".into(),
                );
                return ended(hops, end);
            }
            Ok((address, Err(end))) => {
                hops.push(hop(&url, address, None));
                return ended(hops, end);
            }
            Ok((address, Ok(response))) => (address, response),
        };
        let location = matches!(response.status, 301 | 302 | 303 | 307 | 308)
            .then(|| response.header_values("location").next().map(str::trim))
            .flatten()
            .filter(|l| !l.is_empty())
            .map(str::to_string);
        hops.push(hop(&url, address, Some(response)));
        let Some(location) = location else {
            return ended(hops, ChainEnd::Final);
        };
        let next = match url.join(&location) {
            Ok(next) => next,
            Err(_) => return ended(hops, ChainEnd::BadLocation { location }),
        };
        let same_origin = next.scheme() == url.scheme()
            && next.host_str() == url.host_str()
            && next.port_or_known_default() == url.port_or_known_default();
        if !same_origin {
            let end = ChainEnd::Offsite {
                location: next.to_string(),
            };
            return ended(hops, end);
        }
        url = next;
    }
}

fn hop(
    url: &Url,
    address: Option<IpAddr>,
    response: Option<trustlabel_core::evidence::HttpResponse>,
) -> Hop {
    Hop {
        url: url.to_string(),
        address,
        response,
    }
}

fn failed(kind: FetchFailureKind, message: String) -> ChainEnd {
    ChainEnd::Failed { kind, message }
}

fn ended(hops: Vec<Hop>, end: ChainEnd) -> FetchChain {
    FetchChain { hops, end }
}
