//! Evidence of the exposure probes: what each probed path answered, next to what a path
//! that cannot exist answered (the soft-404 baseline).
//!
//! The collector records facts only; whether an answer proves an exposure is decided later
//! by `checks::exposure` with the rules in force, so stored evidence can be re-judged when
//! a rule's proof is sharpened.

use super::FetchFailureKind;
use serde::{Deserialize, Serialize};

/// At most this many body bytes of a `200` probe answer are kept: enough for every proof
/// in the rules (a `.git/HEAD` line, `KEY=value` lines, a dump header, an index title, a
/// login form near the top of the page) while a scan of a site that answers every path
/// with its home page stays small.
pub const PROBE_EXCERPT_CAP: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposureEvidence {
    /// Where the paths were appended, e.g. `https://example.gov.vn/`.
    pub base_url: String,
    /// Why this scheme: a verified https connection, or plain http on a site with no https.
    pub channel: ProbeChannel,
    /// A random path that cannot exist, fetched first. A `200` here means the site answers
    /// every path, so a probe only counts when it differs from this.
    pub baseline: Probe,
    /// In rule-file order; paths the budget or the deadline left out are `NotSent`.
    pub probes: Vec<Probe>,
    /// The per-site request budget for probes, baseline included.
    pub max_requests: usize,
}

impl ExposureEvidence {
    /// The record for one path, if it was part of this scan's probe list.
    pub fn probe(&self, path: &str) -> Option<&Probe> {
        self.probes.iter().find(|p| p.path == path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeChannel {
    /// Over the connection whose certificate the strict verifier accepted.
    VerifiedHttps,
    /// The site has no HTTPS port at all (the TCP connection failed), so plain http.
    PlainHttpNoHttps,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Path and query as requested, starting with `/`.
    pub path: String,
    pub outcome: ProbeOutcome,
}

impl Probe {
    pub fn response(&self) -> Option<&ProbeResponse> {
        match &self.outcome {
            ProbeOutcome::Answered(r) => Some(r),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProbeOutcome {
    Answered(ProbeResponse),
    Failed {
        kind: FetchFailureKind,
        message: String,
    },
    /// Not requested, and why.
    NotSent {
        reason: NotSentReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSentReason {
    /// The per-site request budget was spent.
    Budget,
    /// The per-site deadline had passed.
    Deadline,
    /// The baseline request failed outright, so the site is not probed further.
    BaselineFailed,
    /// An earlier probe timed out: the site is struggling and is left alone.
    Unresponsive,
}

/// One answer, without following redirects (a redirect to a login page is an answer, not
/// an exposure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResponse {
    pub status: u16,
    pub content_type: Option<String>,
    /// `Location` of a redirect, as sent.
    pub location: Option<String>,
    /// `Content-Length` as announced, when it was a number.
    pub content_length: Option<u64>,
    /// Body bytes received (after decoding), at most the probe read cap.
    pub received: u64,
    /// The body was longer than the read cap, or reading it timed out.
    pub truncated: bool,
    /// SHA-256 (hex) of the received bytes: equal hashes mean the same answer.
    pub sha256: String,
    /// The first [`PROBE_EXCERPT_CAP`] bytes, kept only for `200` answers that differ from
    /// the baseline (the only ones a proof can hold for).
    #[serde(with = "super::base64_bytes", default)]
    pub excerpt: Vec<u8>,
}

impl ProbeResponse {
    /// The excerpt as text for matching; invalid UTF-8 becomes U+FFFD, binary magic bytes
    /// in the ASCII range survive.
    pub fn excerpt_text(&self) -> String {
        String::from_utf8_lossy(&self.excerpt).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A baseline that was sent (and failed), one answered probe, one left out.
    fn probe_evidence() -> ExposureEvidence {
        let answered = ProbeResponse {
            status: 200,
            content_type: Some("text/plain".into()),
            location: None,
            content_length: Some(4),
            received: 4,
            truncated: false,
            sha256: "ab".repeat(32),
            excerpt: b"PK\x03\x04".to_vec(),
        };
        ExposureEvidence {
            base_url: "https://a.test/".into(),
            channel: ProbeChannel::VerifiedHttps,
            baseline: Probe {
                path: "/nope".into(),
                outcome: ProbeOutcome::Failed {
                    kind: FetchFailureKind::Timeout,
                    message: "slow".into(),
                },
            },
            probes: vec![
                Probe {
                    path: "/backup.zip".into(),
                    outcome: ProbeOutcome::Answered(answered),
                },
                Probe {
                    path: "/.env".into(),
                    outcome: ProbeOutcome::NotSent {
                        reason: NotSentReason::Budget,
                    },
                },
            ],
            max_requests: 2,
        }
    }

    /// Evidence as stored before the page-analysis fields existed.
    fn old_evidence_json() -> serde_json::Value {
        serde_json::json!({
            "schema_version": 1,
            "host": "a.test",
            "https_port": 443,
            "http_port": 80,
            "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:01Z",
            "resolution": {"outcome": "failed", "kind": "no_such_name", "message": "x"},
            "tls": null,
            "http": null,
            "https": null,
            "revocation": null,
            "deadline_exceeded": false
        })
    }

    #[test]
    fn probe_evidence_survives_storage_and_old_evidence_still_loads() {
        let evidence = probe_evidence();
        let json = serde_json::to_string(&evidence).unwrap();
        assert_eq!(
            serde_json::from_str::<ExposureEvidence>(&json).unwrap(),
            evidence
        );

        let loaded: super::super::Evidence = serde_json::from_value(old_evidence_json()).unwrap();
        assert_eq!(loaded.exposure, None);
        assert!(loaded.crawler_views.is_empty());
        assert_eq!(loaded.security_txt, None, "not fetched: nothing judged");
    }

    #[test]
    fn http_requests_count_every_hop_and_every_probe_sent() {
        use crate::checks::test_support::{chain, response, response_with_status};
        use crate::evidence::ChainEnd;
        let mut evidence: super::super::Evidence =
            serde_json::from_value(old_evidence_json()).unwrap();
        assert_eq!(evidence.http_requests(), 0);
        let redirect = response_with_status(301, &[("location", "https://a.test/")]);
        evidence.http = Some(chain("http", vec![redirect], ChainEnd::Final));
        evidence.https = Some(chain("https", vec![response(&[])], ChainEnd::Final));
        evidence.privacy_page = Some(chain("https", vec![response(&[])], ChainEnd::Final));
        evidence.exposure = Some(probe_evidence());
        // 3 hops, the baseline and one probe; the probe left out by the budget is not sent.
        assert_eq!(evidence.http_requests(), 5);
        evidence.security_txt = Some(chain("https", vec![response(&[])], ChainEnd::Final));
        assert_eq!(evidence.http_requests(), 6);
    }
}
