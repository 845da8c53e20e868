//! Mail evidence for the site's registrable domain: MX, the SPF records reachable from
//! it, DMARC, MTA-STS, TLS-RPT, and for each mail server one SMTP conversation (EHLO,
//! STARTTLS, QUIT; never a message). Facts only.

use super::{CertificateInfo, VerifyError};
use crate::mail::spf::Fetched;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailEvidence {
    pub domain: String,
    pub mx: MxLookup,
    pub spf: SpfEvidence,
    pub dmarc: TxtLookup,
    pub mta_sts: MtaStsEvidence,
    pub tlsrpt: TxtLookup,
    /// One entry per MX host probed, in preference order.
    pub servers: Vec<MxServer>,
    /// SMTP connections this scan opened (a mail server probed earlier in the run for
    /// another site of the domain is not contacted again).
    #[serde(default)]
    pub smtp_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MxLookup {
    pub records: Vec<MxRecord>,
    pub failure: Option<String>,
    /// Whether the MX set validated with DNSSEC (what DANE needs).
    #[serde(default)]
    pub secure: bool,
}

impl MxLookup {
    /// RFC 7505: a single MX of preference 0 naming the root says "no mail here".
    pub fn is_null(&self) -> bool {
        self.records.len() == 1 && self.records[0].exchange == "."
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxRecord {
    pub preference: u16,
    /// Lower case, no final dot; `.` for the null MX.
    pub exchange: String,
}

/// The TXT records at one name that claim a given kind (`v=DMARC1`, `v=STSv1`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TxtLookup {
    pub name: String,
    pub records: Vec<String>,
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SpfEvidence {
    /// Every domain fetched while following `include:` and `redirect=`, the domain's
    /// own first, keyed by lower-case name.
    pub fetched: BTreeMap<String, Fetched>,
    /// Following stopped at the bound on records fetched.
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MtaStsEvidence {
    pub txt: TxtLookup,
    /// Fetched only when the TXT record is present (RFC 8461 §3).
    pub policy: Option<PolicyFetch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PolicyFetch {
    Fetched {
        url: String,
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    Failed {
        url: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxServer {
    pub host: String,
    pub preference: u16,
    pub addresses: Vec<IpAddr>,
    pub smtp: SmtpOutcome,
    /// DANE: the TLSA records at `_25._tcp.<host>`, when its zone is signed.
    pub tlsa: Option<TlsaEvidence>,
}

/// How the one SMTP conversation with a mail server went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SmtpOutcome {
    /// Not contacted: the address rule, a failed lookup, the probe budget or deadline.
    NotProbed {
        reason: String,
    },
    ConnectFailed {
        address: IpAddr,
        message: String,
    },
    /// Connected, but the conversation broke off before STARTTLS could be judged: no
    /// greeting in time (a tarpit), an answer that is not SMTP, a refusal, a dropped
    /// connection.
    Broken {
        address: IpAddr,
        stage: SmtpStage,
        message: String,
        timed_out: bool,
        /// What the server sent last, as text (capped).
        last_reply: Option<String>,
    },
    /// EHLO succeeded and STARTTLS is not among the extensions.
    NoStarttls {
        address: IpAddr,
        ehlo: Vec<String>,
    },
    /// STARTTLS was offered and the TLS handshake (or what precedes it) failed.
    TlsFailed {
        address: IpAddr,
        message: String,
        timed_out: bool,
        /// The server refused every TLS version the scanner offers (1.2 and 1.3).
        version_refused: bool,
        chain: Vec<CertificateInfo>,
    },
    Tls {
        address: IpAddr,
        ehlo: Vec<String>,
        version: String,
        cipher_suite: String,
        chain: Vec<CertificateInfo>,
        /// The webpki verdict for the MX name (`None` = valid).
        verification: Option<VerifyError>,
    },
}

impl SmtpOutcome {
    /// The certificate chain the server presented, if any.
    pub fn chain(&self) -> &[CertificateInfo] {
        match self {
            SmtpOutcome::Tls { chain, .. } | SmtpOutcome::TlsFailed { chain, .. } => chain,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpStage {
    Greeting,
    Ehlo,
    Starttls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaEvidence {
    pub name: String,
    /// The records as published (`usage selector matching hex`).
    pub records: Vec<String>,
    /// Whether they validated with DNSSEC; DANE only counts when they did.
    pub secure: bool,
    pub failure: Option<String>,
}
