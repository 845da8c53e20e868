//! Evidence: everything observed about one site in one scan, as plain data.
//!
//! The collector fills it; checks only read it. It is stored as JSON with every scan so
//! that a site can be re-judged with newer checks or policy without touching the network.
//! Nothing here holds a socket, a clock or a judgement: facts only (what the server sent,
//! what the verifier said), never "this is bad".

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

mod legacy;
pub use legacy::{
    AcceptedSuite, FallbackProbe, HelloEchoes, KeyExchangeParams, LegacyTls, ProbeReaction,
    RobotAnswer, RobotProbe, TlsVersion, VersionOutcome, VersionProbe, VulnerabilityProbes,
    wire_version_name,
};
mod crawler;
pub mod dns;
mod exposure;
pub mod mail;
pub use crawler::{CrawlerKind, CrawlerView};
pub use exposure::{
    ExposureEvidence, NotSentReason, PROBE_EXCERPT_CAP, Probe, ProbeChannel, ProbeOutcome,
    ProbeResponse,
};

/// `Origin` the collector sends with every https request of the site's own chain, so a
/// CORS policy that reflects any origin shows itself in the response (checked by
/// `cors.wildcard_credentials`).
pub const CORS_PROBE_ORIGIN: &str = "https://origin-probe.trustlabel.invalid";

/// Bumped whenever a field changes meaning, so old stored evidence can be recognised.
pub const EVIDENCE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub schema_version: u32,
    /// ASCII (punycode) host name as scanned.
    pub host: String,
    pub https_port: u16,
    pub http_port: u16,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub resolution: Resolution,
    /// `None` when the scan stopped before TLS (DNS failure, refused address).
    pub tls: Option<TlsProbe>,
    /// The `http://` chain, starting at `http://host/`.
    pub http: Option<FetchChain>,
    /// The `https://` chain, starting at `https://host/`; fetched only over a connection
    /// whose certificate verified, never through the permissive recording path.
    pub https: Option<FetchChain>,
    /// Revocation status of the leaf certificate, when a chain was seen.
    pub revocation: Option<Revocation>,
    /// Set when the per-site deadline cut the collection short.
    pub deadline_exceeded: bool,
    /// Protocol versions and cipher suites learned with hand-built hellos; `None` when
    /// the scan stopped before TLS or the evidence predates the legacy prober.
    #[serde(default)]
    pub legacy: Option<LegacyTls>,
    /// The privacy-notice page the home page links to (same site), fetched like the home
    /// page; `None` when no such link was found or no home page was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_page: Option<FetchChain>,
    /// The home page again, as a search crawler and as a search visitor (cloaking).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crawler_views: Vec<CrawlerView>,
    /// Exposure probes; `None` when the site offered no channel to probe (an https
    /// certificate that did not verify, or no answer at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<ExposureEvidence>,
    /// DNSSEC, CAA, AAAA and IPv6 reachability of the name and its registrable domain;
    /// `None` when the scan stopped before (no address) or predates these checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<dns::DnsEvidence>,
    /// Mail records and mail servers of the registrable domain; `None` as for `dns`, or
    /// for a site scanned by IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<mail::MailEvidence>,
    /// `https://host/.well-known/security.txt` (RFC 9116), fetched over the verified
    /// https connection only, its body capped at [`SECURITY_TXT_CAP`]; redirects are
    /// followed on the same scheme, host and port only, any other one recorded as the end
    /// of the chain. `None` when it was not fetched (no verified https, or evidence older
    /// than this field): the checks then say nothing about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_txt: Option<FetchChain>,
}

/// Body bytes of a `security.txt` kept: a real one is a few hundred bytes, so 32 KiB is
/// generous, and a hostile answer costs nothing.
pub const SECURITY_TXT_CAP: usize = 32 * 1024;

/// Where RFC 9116 puts the file, on the host itself.
pub const SECURITY_TXT_PATH: &str = "/.well-known/security.txt";

impl Evidence {
    /// HTTP requests this scan sent to the site (redirect hops, the privacy page, the
    /// crawler views, `security.txt`, the exposure baseline and probes), for the
    /// politeness and load figures; TLS handshakes of the legacy probe are counted in
    /// [`LegacyTls`].
    pub fn http_requests(&self) -> usize {
        let chains = [
            &self.http,
            &self.https,
            &self.privacy_page,
            &self.security_txt,
        ]
        .into_iter()
        .flatten()
        .chain(self.crawler_views.iter().map(|v| &v.chain));
        let hops: usize = chains.map(|c| c.hops.len()).sum();
        let probes = self.exposure.as_ref().map_or(0, |e| {
            std::iter::once(&e.baseline)
                .chain(&e.probes)
                .filter(|p| !matches!(p.outcome, exposure::ProbeOutcome::NotSent { .. }))
                .count()
        });
        hops + probes
    }
}

/// How the host name became an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Resolution {
    /// The address pinned for the whole site scan, and where it came from.
    Resolved {
        addresses: Vec<IpAddr>,
        pinned: IpAddr,
        source: ResolutionSource,
    },
    Failed {
        kind: DnsFailureKind,
        message: String,
    },
    /// Every address is private/loopback/link-local and private addresses are not allowed.
    Refused { addresses: Vec<IpAddr> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionSource {
    Dns,
    /// `--resolve` / `--connect-to` or the programmatic override table.
    Override,
    HostsFile,
    /// The target was an IP literal.
    Literal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsFailureKind {
    NoSuchName,
    NoAddresses,
    Timeout,
    Other,
}

/// Outcome of the recording TLS handshake on the HTTPS port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TlsProbe {
    /// No TCP connection to the HTTPS port.
    ConnectFailed {
        kind: ConnectFailureKind,
        message: String,
    },
    /// TCP connected but the handshake did not complete (alert, reset, garbage).
    HandshakeFailed {
        message: String,
        /// The peer accepted TCP but the handshake did not finish in time.
        timed_out: bool,
        /// Certificates seen before the failure (the verifier still records them).
        chain: Vec<CertificateInfo>,
    },
    Established(Box<TlsSession>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectFailureKind {
    Refused,
    Timeout,
    Unreachable,
    Reset,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSession {
    /// IANA-style name: "TLSv1.3", "TLSv1.2".
    pub version: String,
    /// IANA cipher suite name, e.g. "TLS13_AES_128_GCM_SHA256".
    pub cipher_suite: String,
    pub key_exchange_group: Option<String>,
    pub alpn: Option<String>,
    /// Chain exactly as the server sent it, leaf first.
    pub chain: Vec<CertificateInfo>,
    /// Base64 of the stapled OCSP response, if the server sent one.
    pub ocsp_staple_base64: Option<String>,
    pub verification: Verification,
    /// The server's handshake signature did not verify with its certificate key (for
    /// instance an RSA key too small for the verifier to accept).
    pub handshake_signature_error: Option<String>,
}

/// What the webpki verifier concluded, split into independent questions so a check can
/// tell an expired-but-trusted certificate from an untrusted one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Full verification for the host at scan time (`None` = accepted).
    pub error_now: Option<VerifyError>,
    /// Path to a trust anchor with the chain as sent, judged at the middle of the leaf's
    /// validity and ignoring the name: answers "is the chain trusted at all?".
    pub path_as_sent: Option<VerifyError>,
    /// Same, after adding the issuer fetched from the leaf's AIA `caIssuers` URL; `None`
    /// when no fetch was needed or possible.
    pub path_with_aia: Option<AiaOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AiaOutcome {
    Verified,
    StillFailed { error: VerifyError },
    FetchFailed { url: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyError {
    UnknownIssuer,
    Expired,
    NotYetValid,
    NameMismatch,
    BadSignature,
    Revoked,
    UnsupportedSignatureAlgorithm,
    BadEncoding,
    Other(String),
}

/// The fields of one certificate that checks need, plus its DER for later re-analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub serial_hex: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// DNS names and IP addresses from subjectAltName (IPs as text).
    pub san_dns: Vec<String>,
    pub san_ip: Vec<String>,
    pub common_name: Option<String>,
    pub key: PublicKeyInfo,
    /// Dotted OID and readable name, e.g. ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption").
    pub signature_algorithm_oid: String,
    pub signature_algorithm: String,
    pub is_ca: bool,
    /// Subject equals issuer and the signature verifies with its own key.
    pub self_signed: bool,
    pub aia_ca_issuers: Vec<String>,
    pub aia_ocsp: Vec<String>,
    pub crl_distribution_points: Vec<String>,
    /// Base64 of the DER encoding.
    pub der_base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    /// "rsa", "ec", "ed25519", "dsa" or the OID when unknown.
    pub algorithm: String,
    pub bits: u32,
    /// Named curve for EC keys.
    pub curve: Option<String>,
}

/// A manually followed chain of HTTP requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchChain {
    pub hops: Vec<Hop>,
    pub end: ChainEnd,
}

impl FetchChain {
    /// The last response received, whatever ended the chain.
    pub fn last_response(&self) -> Option<&HttpResponse> {
        self.hops.iter().rev().find_map(|h| h.response.as_ref())
    }

    /// The response the chain settled on (a non-redirect), if it got that far.
    pub fn final_response(&self) -> Option<&HttpResponse> {
        match self.end {
            ChainEnd::Final => self.last_response(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub url: String,
    pub address: Option<IpAddr>,
    /// `None` when the request failed; the failure is then in `ChainEnd`.
    pub response: Option<HttpResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChainEnd {
    /// A non-redirect response was reached.
    Final,
    TooManyRedirects {
        limit: usize,
    },
    Loop {
        url: String,
    },
    /// Redirect to a different site; not followed (politeness and address safety).
    Offsite {
        location: String,
    },
    /// The http:// chain reached an https:// URL of the same site; the https chain
    /// covers what follows.
    UpgradedToHttps {
        location: String,
    },
    /// A redirect whose Location could not be parsed.
    BadLocation {
        location: String,
    },
    /// The next hop's address was refused by the private-address rule.
    AddressRefused {
        url: String,
        address: IpAddr,
    },
    /// The https chain was not fetched because the certificate did not verify.
    CertificateNotTrusted,
    Failed {
        kind: FetchFailureKind,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchFailureKind {
    Connect,
    Timeout,
    Tls,
    Protocol,
    Dns,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    /// "HTTP/1.1", "HTTP/2".
    pub version: String,
    /// Every header line in order, duplicates kept, names lower-cased. Values that are
    /// not valid UTF-8 are kept lossily and flagged.
    pub headers: Vec<Header>,
    pub body: Body,
    pub elapsed_ms: u64,
}

impl HttpResponse {
    /// All values of a header, in order (names are compared case-insensitively).
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The single value of a header when it occurs exactly once.
    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let mut values = self.header_values(name);
        let first = values.next()?;
        match values.next() {
            None => Some(first),
            Some(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invalid_utf8: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    /// Decoded (decompressed) bytes kept, at most the body cap.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
    /// The body was longer than the cap (before or after decompression).
    pub truncated: bool,
    /// Reading stopped at the time cap.
    pub timed_out: bool,
    /// Content-Encoding that was decoded, if any.
    pub content_encoding: Option<String>,
    /// Decompression failed; `bytes` then holds what could be decoded.
    pub decode_error: Option<String>,
}

/// Revocation status of the leaf, and how it was learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Revocation {
    Good {
        source: RevocationSource,
    },
    Revoked {
        source: RevocationSource,
        #[serde(with = "time::serde::rfc3339::option")]
        revoked_at: Option<OffsetDateTime>,
        reason: Option<String>,
    },
    /// No source could answer (no URL, responder unreachable, bad signature): recorded,
    /// never guessed.
    Unknown {
        attempts: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RevocationSource {
    OcspStaple,
    Crl { url: String },
    OcspResponder { url: String },
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
