//! `site.*`: could the site be reached at all.

use crate::evidence::{
    ChainEnd, ConnectFailureKind, DnsFailureKind, Evidence, FetchFailureKind, Resolution, TlsProbe,
};
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    match &evidence.resolution {
        Resolution::Failed { kind, message } => {
            let what = match kind {
                DnsFailureKind::NoSuchName => "the name does not exist (NXDOMAIN)",
                DnsFailureKind::NoAddresses => "the name has no A/AAAA record",
                DnsFailureKind::Timeout => "DNS did not answer in time",
                DnsFailureKind::Other => "DNS lookup failed",
            };
            out.push(Finding::new(
                FindingId::SiteDnsFailed,
                Severity::High,
                format!("{what}: {message}"),
            ));
        }
        Resolution::Refused { addresses } => {
            let list: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
            out.push(Finding::new(
                FindingId::SiteAddressRefused,
                Severity::High,
                format!(
                    "resolves only to private, loopback or reserved addresses ({}); not scanned",
                    list.join(", ")
                ),
            ));
        }
        Resolution::Resolved { .. } => {
            let before = out.len();
            resolved(evidence, out);
            if out.len() == before {
                if let Some(note) = home_body_timed_out(evidence) {
                    // Headers came, the page did not (a server trickling it): the content
                    // could not be assessed, so the site cannot be judged as if it had.
                    out.push(Finding::new(
                        FindingId::SiteTimeout,
                        Severity::High,
                        format!("the home page did not finish arriving in time: {note}"),
                    ));
                }
            }
        }
    }
}

/// The home page's response whose body stopped at the time cap: the HTTPS home page,
/// or the plain one of a site with no HTTPS answer.
fn home_body_timed_out(evidence: &Evidence) -> Option<String> {
    let home = evidence
        .https
        .as_ref()
        .and_then(|c| c.last_response().map(|r| (c, r)))
        .or_else(|| {
            let chain = evidence.http.as_ref()?;
            chain.last_response().map(|r| (chain, r))
        });
    let (chain, response) = home?;
    response.body.timed_out.then(|| {
        let url = chain.hops.last().map_or("", |h| h.url.as_str());
        format!(
            "{url} sent {} bytes of its body before the time cap",
            response.body.bytes.len()
        )
    })
}

fn resolved(evidence: &Evidence, out: &mut Vec<Finding>) {
    let status = Reach::of(evidence);
    if !status.https_answered && !status.http_answered {
        let (id, what) = if status.timed_out {
            (FindingId::SiteTimeout, "no answer in time")
        } else {
            (FindingId::SiteUnreachable, "no answer")
        };
        out.push(Finding::new(
            id,
            Severity::High,
            format!(
                "{what} on HTTPS ({}) or HTTP ({})",
                status.https_note, status.http_note
            ),
        ));
    } else if let Some(note) = https_silent(evidence) {
        // Plain HTTP answers but the TLS port swallows connections: the secure
        // site cannot be assessed, which is not the same as having no HTTPS.
        out.push(Finding::new(
            FindingId::SiteTimeout,
            Severity::High,
            format!("the HTTPS port does not answer in time: {note}"),
        ));
    } else if let Some(chain) = &evidence.https {
        // TLS worked but the home page never answered: nothing can be assessed.
        if let (ChainEnd::Failed { kind, message }, None) = (&chain.end, chain.last_response()) {
            let id = if *kind == FetchFailureKind::Timeout {
                FindingId::SiteTimeout
            } else {
                FindingId::SiteUnreachable
            };
            out.push(Finding::new(
                id,
                Severity::High,
                format!("the HTTPS home page did not answer: {message}"),
            ));
        }
    }
}

fn https_silent(evidence: &Evidence) -> Option<&str> {
    match &evidence.tls {
        Some(TlsProbe::HandshakeFailed {
            timed_out: true,
            message,
            ..
        }) => Some(message),
        Some(TlsProbe::ConnectFailed {
            kind: ConnectFailureKind::Timeout,
            message,
        }) => Some(message),
        _ => None,
    }
}

/// What each port did, for the reachability and transport checks.
pub(super) struct Reach {
    /// A TLS peer answered (handshake completed or failed with a TLS-level answer).
    pub https_answered: bool,
    pub http_answered: bool,
    pub timed_out: bool,
    pub https_note: String,
    pub http_note: String,
}

impl Reach {
    pub fn of(evidence: &Evidence) -> Reach {
        let mut timed_out = false;
        let (https_answered, https_note) = match &evidence.tls {
            None => (false, "not tried".to_string()),
            Some(TlsProbe::Established(_)) => (true, "TLS established".to_string()),
            Some(TlsProbe::HandshakeFailed {
                timed_out: t,
                message,
                ..
            }) => {
                timed_out |= *t;
                (!*t, message.clone())
            }
            Some(TlsProbe::ConnectFailed { kind, message }) => {
                timed_out |= *kind == ConnectFailureKind::Timeout;
                (false, message.clone())
            }
        };
        let https_answered = https_answered
            || evidence
                .https
                .as_ref()
                .is_some_and(|c| c.last_response().is_some());
        let (http_answered, http_note) = match &evidence.http {
            None => (false, "not tried".to_string()),
            Some(chain) => match (&chain.end, chain.last_response()) {
                (_, Some(r)) => (true, format!("HTTP {}", r.status)),
                (ChainEnd::Failed { kind, message }, None) => {
                    timed_out |= *kind == FetchFailureKind::Timeout;
                    (false, message.clone())
                }
                (end, None) => (false, format!("{end:?}")),
            },
        };
        Reach {
            https_answered,
            http_answered,
            timed_out,
            https_note,
            http_note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{chain, evidence_with_chains, final_chain, response};
    use crate::evidence::FetchFailureKind;

    fn run(evidence: &Evidence) -> Vec<FindingId> {
        let mut out = Vec::new();
        check(evidence, &mut out);
        out.iter().map(|f| f.id).collect()
    }

    fn failed_http(kind: FetchFailureKind) -> crate::evidence::FetchChain {
        chain(
            "http",
            vec![],
            ChainEnd::Failed {
                kind,
                message: "x".into(),
            },
        )
    }

    #[test]
    fn dns_failure_and_refused_addresses() {
        let mut e = evidence_with_chains(None, None);
        e.resolution = Resolution::Failed {
            kind: DnsFailureKind::NoSuchName,
            message: "NXDOMAIN".into(),
        };
        assert_eq!(run(&e), vec![FindingId::SiteDnsFailed]);
        e.resolution = Resolution::Refused {
            addresses: vec!["10.0.0.1".parse().unwrap()],
        };
        assert_eq!(run(&e), vec![FindingId::SiteAddressRefused]);
    }

    #[test]
    fn silence_on_both_ports_is_timeout_and_refusal_is_unreachable() {
        let mut e = evidence_with_chains(Some(failed_http(FetchFailureKind::Connect)), None);
        e.tls = Some(TlsProbe::ConnectFailed {
            kind: ConnectFailureKind::Refused,
            message: "refused".into(),
        });
        assert_eq!(run(&e), vec![FindingId::SiteUnreachable]);
        e.tls = Some(TlsProbe::HandshakeFailed {
            message: "no TLS handshake".into(),
            timed_out: true,
            chain: vec![],
        });
        assert_eq!(run(&e), vec![FindingId::SiteTimeout]);
    }

    #[test]
    fn a_silent_https_home_page_cannot_be_assessed() {
        let https = chain(
            "https",
            vec![],
            ChainEnd::Failed {
                kind: FetchFailureKind::Timeout,
                message: "no response within 3000 ms".into(),
            },
        );
        let mut e =
            evidence_with_chains(Some(final_chain("http", vec![response(&[])])), Some(https));
        e.tls = Some(TlsProbe::HandshakeFailed {
            message: "x".into(),
            timed_out: false,
            chain: vec![],
        });
        assert_eq!(run(&e), vec![FindingId::SiteTimeout]);
    }

    #[test]
    fn a_tls_port_that_never_answers_is_a_timeout_even_when_http_works() {
        let mut e = evidence_with_chains(Some(final_chain("http", vec![response(&[])])), None);
        e.tls = Some(TlsProbe::HandshakeFailed {
            message: "no TLS handshake within 2000 ms".into(),
            timed_out: true,
            chain: vec![],
        });
        assert_eq!(run(&e), vec![FindingId::SiteTimeout]);
    }

    #[test]
    fn one_answering_port_is_reachable() {
        let mut e = evidence_with_chains(Some(final_chain("http", vec![response(&[])])), None);
        e.tls = Some(TlsProbe::ConnectFailed {
            kind: ConnectFailureKind::Refused,
            message: "refused".into(),
        });
        assert_eq!(run(&e), vec![]);
    }

    #[test]
    fn a_home_page_whose_body_never_finishes_is_a_timeout() {
        let mut home = response(&[]);
        home.body.bytes = b"xxxxx".to_vec();
        home.body.timed_out = true;
        let http = final_chain("http", vec![response(&[])]);
        let mut e = evidence_with_chains(
            Some(http.clone()),
            Some(final_chain("https", vec![home.clone()])),
        );
        let found = {
            let mut out = Vec::new();
            check(&e, &mut out);
            out
        };
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, FindingId::SiteTimeout);
        assert!(found[0].detail.contains("5 bytes"), "{}", found[0].detail);
        // The plain page counts when there is no HTTPS answer; a whole body is fine.
        e.https = None;
        e.http = Some(final_chain("http", vec![home]));
        assert_eq!(run(&e), vec![FindingId::SiteTimeout]);
        e.http = Some(http);
        assert_eq!(run(&e), vec![]);
    }
}
