//! `tls.none`, `http.*` and what the rustls handshake alone tells about protocols.

use super::reachability::Reach;
use crate::evidence::{ChainEnd, Evidence, FetchChain, TlsProbe};
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let reach = Reach::of(evidence);
    if !reach.https_answered && !reach.http_answered {
        return; // site.* says it all
    }
    match &evidence.tls {
        Some(TlsProbe::ConnectFailed { message, .. }) if reach.http_answered => {
            out.push(Finding::new(
                FindingId::TlsNone,
                Severity::Critical,
                format!("no HTTPS service: {message}"),
            ));
        }
        Some(TlsProbe::HandshakeFailed {
            message,
            chain,
            timed_out: false,
        }) if chain.is_empty() && reach.http_answered => {
            out.push(Finding::new(
                FindingId::TlsNone,
                Severity::Critical,
                format!("the HTTPS port does not complete a TLS handshake: {message}"),
            ));
        }
        Some(TlsProbe::Established(session)) if session.version == "TLSv1.2" => {
            out.push(Finding::new(
                FindingId::TlsProtoNoTls13,
                Severity::Info,
                "the server chose TLS 1.2 although TLS 1.3 was offered",
            ));
        }
        _ => {}
    }
    if let Some(chain) = &evidence.http {
        plain_chain(chain, evidence, out);
    }
    if let Some(chain) = &evidence.https {
        redirect_faults(chain, "https", out);
    }
}

fn plain_chain(chain: &FetchChain, evidence: &Evidence, out: &mut Vec<Finding>) {
    let first = chain.hops.first().and_then(|h| h.response.as_ref());
    match &chain.end {
        ChainEnd::UpgradedToHttps { location } => {
            // Browsers only learn HSTS over https, so the first hop must already go there.
            if chain.hops.len() > 1 {
                out.push(Finding::new(
                    FindingId::HttpNoHttpsRedirect,
                    Severity::Low,
                    format!(
                        "http:// reaches https ({location}) only after {} plain-HTTP redirects",
                        chain.hops.len() - 1
                    ),
                ));
            }
        }
        ChainEnd::Final => {
            let status = first.map(|r| r.status).unwrap_or_default();
            out.push(Finding::new(
                FindingId::HttpNoHttpsRedirect,
                Severity::High,
                format!(
                    "http://{}/ answers {status} over plain HTTP instead of redirecting to https",
                    evidence.host
                ),
            ));
        }
        ChainEnd::Failed { .. } | ChainEnd::AddressRefused { .. } if first.is_none() => {
            // No plain-HTTP service at all: nothing to redirect (as the Observatory judges).
        }
        _ => redirect_faults(chain, "http", out),
    }
}

fn redirect_faults(chain: &FetchChain, scheme: &str, out: &mut Vec<Finding>) {
    match &chain.end {
        ChainEnd::Offsite { location } => out.push(Finding::new(
            FindingId::HttpRedirectOffsite,
            Severity::Medium,
            format!("the {scheme}:// home page redirects to another site: {location}"),
        )),
        ChainEnd::Loop { url } => out.push(Finding::new(
            FindingId::HttpRedirectLoop,
            Severity::High,
            format!("the {scheme}:// redirects loop back to {url}"),
        )),
        ChainEnd::TooManyRedirects { limit } => out.push(Finding::new(
            FindingId::HttpRedirectLoop,
            Severity::High,
            format!("the {scheme}:// home page redirects more than {limit} times"),
        )),
        _ => {}
    }
}
