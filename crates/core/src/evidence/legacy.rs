//! What the legacy TLS prober learned: which protocol versions the server answers, which
//! cipher suites it accepts under each, and whose order wins.
//!
//! rustls (the recording handshake in [`super::TlsProbe`]) cannot speak SSLv3, TLS 1.0/1.1
//! or weak suites, so these facts come from hand-built ClientHello messages. Facts only:
//! whether a suite is weak is decided by the checks from the IANA data.

use serde::{Deserialize, Serialize};

/// A protocol version as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "SSLv3")]
    Ssl3,
    #[serde(rename = "TLSv1.0")]
    Tls10,
    #[serde(rename = "TLSv1.1")]
    Tls11,
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    /// Oldest first: the order the prober asks in and reports in.
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// The two-byte version number of the protocol.
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Ssl3 => 0x0300,
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    pub fn from_wire(value: u16) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|v| v.wire() == value)
    }

    /// The same names rustls uses in [`super::TlsSession::version`].
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text for a version number that may not be one of ours (a server can answer anything).
pub fn wire_version_name(value: u16) -> String {
    match TlsVersion::from_wire(value) {
        Some(v) => v.as_str().to_string(),
        None => format!("0x{value:04x}"),
    }
}

/// Everything the legacy probe learned about one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyTls {
    /// One entry per version asked about, oldest first.
    pub versions: Vec<VersionProbe>,
    /// TCP connections with a ClientHello made for this site (the politeness cost).
    pub handshakes: u32,
    pub elapsed_ms: u64,
    /// The server's certificate key as seen in a TLS ≤ 1.2 Certificate message (the
    /// strength of a static-RSA key exchange depends on it).
    pub server_key: Option<super::PublicKeyInfo>,
    /// Set when the probe was cut short (site deadline), so missing answers are not
    /// mistaken for "not supported".
    pub cut_short: bool,
    /// The vulnerability probes (Heartbleed, CCS injection, ROBOT, RFC 5746/7627/7507,
    /// compression), asked after the versions are known; `None` in evidence recorded
    /// before they existed or when no version up to TLS 1.2 answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<VulnerabilityProbes>,
}

impl LegacyTls {
    pub fn version(&self, version: TlsVersion) -> Option<&VersionProbe> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// True when the server answered a hello for `version` with that version.
    pub fn supports(&self, version: TlsVersion) -> bool {
        self.version(version)
            .is_some_and(|v| v.outcome == VersionOutcome::Supported)
    }

    /// True when the server clearly does not speak `version` (refused it, or answered
    /// another version), as opposed to a probe that timed out or broke.
    pub fn refuses(&self, version: TlsVersion) -> bool {
        self.version(version)
            .is_some_and(|v| v.outcome.is_refusal())
    }
}

/// The probes of one protocol version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionProbe {
    pub version: TlsVersion,
    pub outcome: VersionOutcome,
    /// Accepted suites in the order the server chose them while the client offered the
    /// rest (with server-order preference, the server's preference order).
    pub suites: Vec<AcceptedSuite>,
    /// `Some(true)`: the server's order wins; `Some(false)`: the client's; `None` when
    /// fewer than two suites were accepted or the order probe failed.
    pub server_order: Option<bool>,
    /// Every offered suite was either accepted or refused; `false` when a probe broke
    /// off (timeout, garbage, deadline), so `suites` may be incomplete.
    pub complete: bool,
    /// Handshakes spent on this version.
    pub handshakes: u32,
}

/// How the server answered a hello offering only this version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VersionOutcome {
    /// A ServerHello (or HelloRetryRequest) with this version.
    Supported,
    /// A ServerHello with a different version: this one is not supported.
    OtherVersion { answered: String },
    /// A fatal alert (e.g. `protocol_version`, `handshake_failure`) before any hello.
    Alert { description: String },
    /// The server closed the connection without a ServerHello.
    Closed,
    /// The server accepted TCP but sent no (complete) answer in time.
    Timeout,
    /// The bytes received were not a TLS answer (garbage, an oversized record...).
    Malformed { message: String },
    /// No TCP connection.
    ConnectFailed { message: String },
    /// Not asked: the site deadline came first.
    NotProbed,
}

impl VersionOutcome {
    /// A clear "no" from a server that speaks TLS; timeouts and garbage are not.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            VersionOutcome::OtherVersion { .. }
                | VersionOutcome::Alert { .. }
                | VersionOutcome::Closed
        )
    }
}

/// One suite the server chose, with what its key exchange used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedSuite {
    pub code: u16,
    /// IANA name, or `0xXXXX` when the code point is not in the IANA data.
    pub name: String,
    pub key_exchange: Option<KeyExchangeParams>,
}

/// The ephemeral (or export) parameters the server sent for a suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyExchangeParams {
    /// Finite-field Diffie-Hellman: size of the prime in bits.
    Dh { bits: u32 },
    /// Elliptic-curve Diffie-Hellman on a named group (or "explicit" parameters).
    Ecdh { group: String },
    /// A temporary RSA key (EXPORT suites): modulus size in bits.
    Rsa { bits: u32 },
}

/// What the vulnerability probes saw. Facts only: which extensions the server echoed, how
/// it reacted to each probe's records; whether that is a vulnerability is the checks'
/// call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerabilityProbes {
    /// The version the probes spoke: the newest up to TLS 1.2 the server supports.
    pub version: TlsVersion,
    /// The ServerHello to a hello offering renegotiation_info, extended_master_secret,
    /// heartbeat and DEFLATE; `None` when no ServerHello came (see `hello_outcome`).
    pub hello: Option<HelloEchoes>,
    /// How the extended hello ended when it did not bring a ServerHello.
    pub hello_outcome: Option<ProbeReaction>,
    /// The reaction to an over-long heartbeat request followed by a well-formed one;
    /// `None` when the server did not echo the heartbeat extension (not asked).
    pub heartbeat: Option<ProbeReaction>,
    /// The reaction to a ChangeCipherSpec right after ServerHelloDone.
    pub early_ccs: Option<ProbeReaction>,
    pub fallback: Option<FallbackProbe>,
    /// `None` when the server accepts no RSA key exchange (nothing to ask).
    pub robot: Option<RobotProbe>,
    /// Handshakes these probes cost.
    pub handshakes: u32,
}

/// The extensions and compression a ServerHello answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloEchoes {
    /// renegotiation_info present (RFC 5746).
    pub secure_renegotiation: bool,
    /// extended_master_secret present (RFC 7627).
    pub extended_master_secret: bool,
    /// The heartbeat extension present (RFC 6520).
    pub heartbeat: bool,
    /// The compression method chosen (0 null, 1 DEFLATE) while DEFLATE was offered first.
    pub compression: u8,
}

/// How a server answered a probe's records after its first flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reaction", rename_all = "snake_case")]
pub enum ProbeReaction {
    /// A heartbeat response: the payload length it announced and the bytes its record
    /// really carried, beside what the client sent.
    Heartbeat {
        payload_len: u16,
        record_len: usize,
        sent_payload_len: u16,
    },
    Alert {
        description: String,
    },
    /// Another record: the server went on with the handshake.
    Continued {
        content_type: u8,
    },
    /// The server accepted the hello but the flight did not reach ServerHelloDone.
    NoHelloDone {
        note: String,
    },
    Closed,
    Timeout,
    Malformed {
        message: String,
    },
    ConnectFailed {
        message: String,
    },
    /// Not asked: the site deadline came first.
    NotProbed,
}

/// RFC 7507: a hello at an older version carrying TLS_FALLBACK_SCSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FallbackProbe {
    /// The newest version the server supports.
    pub highest: TlsVersion,
    /// The older version the fallback hello asked for.
    pub asked: TlsVersion,
    /// `Some(version)` when the server answered with a ServerHello (accepting the
    /// fallback), else how it refused or failed.
    pub accepted: Option<TlsVersion>,
    pub reaction: Option<ProbeReaction>,
    /// The accepted ServerHello carried RFC 8446's downgrade sentinel.
    pub downgrade_sentinel: bool,
}

/// The ROBOT test: the server's reaction to each ClientKeyExchange variant, in
/// `tlsprobe::probe_records::RobotVariant::ALL` order, twice when the first round differed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotProbe {
    /// The RSA suite the probes used.
    pub suite: String,
    pub rounds: Vec<Vec<RobotAnswer>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotAnswer {
    pub variant: String,
    pub reaction: ProbeReaction,
}
