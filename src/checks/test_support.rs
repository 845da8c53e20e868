//! Fixture builders shared by the checks' unit tests.
//!
//! Checks read only a few fields of [`Evidence`]; these builders fill the rest with
//! neutral values so that each test states just the facts it is about.

use super::{CheckContext, CheckSettings};
use crate::evidence::{
    Body, ChainEnd, EVIDENCE_SCHEMA_VERSION, Evidence, FetchChain, Header, Hop, HttpResponse,
    Resolution, ResolutionSource,
};
use crate::finding::{Finding, FindingId};
use std::net::{IpAddr, Ipv4Addr};
use time::OffsetDateTime;
use time::macros::datetime;

/// The scan time of every fixture, so date-dependent checks are reproducible.
pub(crate) const SCAN_TIME: OffsetDateTime = datetime!(2025-03-01 12:00 UTC);

/// A 200 response with these headers (names lower-cased, as the collector stores them).
pub(crate) fn response(headers: &[(&str, &str)]) -> HttpResponse {
    response_with_status(200, headers)
}

pub(crate) fn response_with_status(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        version: "HTTP/1.1".to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| Header {
                name: name.to_ascii_lowercase(),
                value: (*value).to_string(),
                invalid_utf8: false,
            })
            .collect(),
        body: Body {
            bytes: Vec::new(),
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 5,
    }
}

/// A chain whose hops got these responses in order and ended as `end`.
pub(crate) fn chain(scheme: &str, responses: Vec<HttpResponse>, end: ChainEnd) -> FetchChain {
    FetchChain {
        hops: responses
            .into_iter()
            .enumerate()
            .map(|(i, response)| Hop {
                url: format!("{scheme}://example.test/{i}"),
                address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                response: Some(response),
            })
            .collect(),
        end,
    }
}

/// A chain that reached a final (non-redirect) answer.
pub(crate) fn final_chain(scheme: &str, responses: Vec<HttpResponse>) -> FetchChain {
    chain(scheme, responses, ChainEnd::Final)
}

/// Evidence for `example.test` with the given chains and nothing else observed.
pub(crate) fn evidence_with_chains(
    http: Option<FetchChain>,
    https: Option<FetchChain>,
) -> Evidence {
    Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        host: "example.test".to_string(),
        https_port: 443,
        http_port: 80,
        started_at: SCAN_TIME,
        finished_at: SCAN_TIME,
        resolution: Resolution::Resolved {
            addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            pinned: IpAddr::V4(Ipv4Addr::LOCALHOST),
            source: ResolutionSource::Override,
        },
        tls: None,
        http,
        https,
        revocation: None,
        deadline_exceeded: false,
    }
}

/// Evidence whose https chain ends in one 200 response with these headers.
pub(crate) fn evidence_with_https_headers(headers: &[(&str, &str)]) -> Evidence {
    evidence_with_chains(None, Some(final_chain("https", vec![response(headers)])))
}

pub(crate) fn ctx(settings: &CheckSettings) -> CheckContext<'_> {
    CheckContext {
        now: SCAN_TIME,
        settings,
    }
}

/// The findings with this id (tests usually expect zero or one).
pub(crate) fn with_id(findings: &[Finding], id: FindingId) -> Vec<&Finding> {
    findings.iter().filter(|f| f.id == id).collect()
}

/// The single finding with this id; panics with the full list otherwise.
pub(crate) fn the(findings: &[Finding], id: FindingId) -> &Finding {
    match with_id(findings, id).as_slice() {
        [one] => one,
        other => panic!("expected exactly one {id}, got {other:?} in {findings:?}"),
    }
}
