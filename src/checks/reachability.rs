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
            }
        }
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
