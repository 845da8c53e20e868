//! DNS evidence: what the site's name and its registrable domain publish (DNSSEC chain,
//! CAA, AAAA, name servers) and how the site answered over IPv6. Facts only: the
//! validator's conclusion is recorded like the certificate verifier's is, with its
//! reasons, and the checks decide what it means for the label.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsEvidence {
    /// The registrable domain the zone-wide questions (CAA, NS, mail) were asked for.
    pub domain: String,
    pub dnssec: DnssecEvidence,
    pub caa: CaaEvidence,
    pub ipv6: Ipv6Evidence,
    pub name_servers: NameServerEvidence,
    /// DNS questions sent for this site (answers cached earlier in the run not counted).
    pub queries: u32,
}

/// The DNSSEC status of the site's name, as a validating resolver holding the configured
/// trust anchor would conclude.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnssecEvidence {
    pub name: String,
    pub status: DnssecStatus,
    /// One line per step from the trust anchor down (zone, keys, DS, proof).
    pub trail: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DnssecStatus {
    /// Chained to the anchor, and the site's address records validate in `zone`.
    Secure { zone: String },
    /// Not signed from `at` down (no DS there), proven by signed denial.
    Insecure { at: String, why: String },
    /// Signed, but validation fails: validating resolvers answer SERVFAIL.
    Bogus { at: String, why: String },
    /// No conclusion (no anchor covers the name, a resolver failure).
    Indeterminate { why: String },
}

impl DnssecStatus {
    pub fn is_secure(&self) -> bool {
        matches!(self, DnssecStatus::Secure { .. })
    }
}

/// CAA: the relevant record set of RFC 8659 §3, found by climbing from the site's name
/// toward the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CaaEvidence {
    /// Names asked, in order, up to the one that held records.
    pub asked: Vec<String>,
    /// Where the relevant set was found.
    pub found_at: Option<String>,
    pub records: Vec<crate::dns::caa::CaaRecord>,
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ipv6Evidence {
    /// The site name's AAAA records (after any CNAME).
    pub addresses: Vec<IpAddr>,
    pub lookup_failure: Option<String>,
    /// The home page fetched over IPv6, compared with the one fetched over IPv4.
    pub probe: Option<Ipv6Probe>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ipv6Probe {
    pub address: IpAddr,
    pub outcome: Ipv6Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Ipv6Outcome {
    /// The address is not public (the address rule): not contacted.
    Refused,
    /// No TLS session or no HTTP answer over IPv6.
    Failed { message: String },
    Answered {
        v6: PageSummary,
        /// The same request over IPv4 (the pinned address), for comparison.
        v4: Option<PageSummary>,
    },
}

/// What is needed to tell whether two answers are the same site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSummary {
    pub status: u16,
    pub body_len: usize,
    pub body_sha256: String,
    pub title: Option<String>,
    /// `Location` of a redirect.
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NameServerEvidence {
    /// The zone whose NS set was asked for (the registrable domain).
    pub zone: String,
    pub servers: Vec<NameServer>,
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameServer {
    pub name: String,
    pub ipv4: Vec<IpAddr>,
    pub ipv6: Vec<IpAddr>,
    /// A SOA question for the zone sent to its first IPv6 address.
    pub ipv6_probe: Option<NsProbe>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum NsProbe {
    Answered { address: IpAddr, rcode: String },
    Failed { address: IpAddr, message: String },
    Refused { address: IpAddr },
}

impl NsProbe {
    pub fn answered(&self) -> bool {
        matches!(self, NsProbe::Answered { .. })
    }
}

impl PageSummary {
    /// The summary of one answer: status, `Location`, body size, SHA-256 and `<title>`.
    pub fn of(status: u16, location: Option<&str>, body: &[u8]) -> PageSummary {
        use sha2::{Digest, Sha256};
        PageSummary {
            status,
            body_len: body.len(),
            body_sha256: hex::encode(Sha256::digest(body)),
            title: title_of(body),
            location: location.map(str::to_string),
        }
    }
}

/// The text of the first `<title>` element (whitespace collapsed, at most 200
/// characters), read from the first 64 KiB without an HTML parser: it only has to tell
/// two answers apart.
fn title_of(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let text: String = head[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(text.chars().take(200).collect())
}
