//! The server's side of the first flight, parsed from the raw byte stream: records are
//! reassembled, handshake messages may span records, and anything odd (garbage, an
//! oversized record, a stream that ends mid-record) ends the flight with a description
//! instead of a panic. The parser is sans-I/O: the socket driver feeds it what it reads.

use super::wire::Cursor;
use crate::evidence::KeyExchangeParams;

/// Largest record a peer may send (RFC 8446 §5.2: 2^14 plus expansion).
pub const MAX_RECORD: usize = (1 << 14) + 2048;
/// Largest handshake message accepted (a long certificate chain fits easily).
pub const MAX_MESSAGE: usize = 128 * 1024;
/// Bytes read for one flight at most, so a peer that streams forever is cut off.
pub const MAX_FLIGHT: usize = 256 * 1024;

/// RFC 8446 §4.1.3: the last eight bytes of a TLS 1.3 server's random when it negotiates
/// TLS 1.2 (…01) or older (…00).
const DOWNGRADE_SENTINEL: [u8; 7] = *b"DOWNGRD";

const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version: `supported_versions` when present, else the legacy field.
    pub version: u16,
    pub suite: u16,
    pub compression: u8,
    /// A TLS 1.3 HelloRetryRequest (the server wants another key share).
    pub retry_request: bool,
    pub key_share_group: Option<u16>,
    pub secure_renegotiation: bool,
    /// extended_master_secret echoed (RFC 7627).
    pub extended_master_secret: bool,
    /// The heartbeat extension echoed (RFC 6520): the server speaks heartbeat.
    pub heartbeat: bool,
    /// The random ends in RFC 8446's "DOWNGRD" sentinel: a TLS 1.3 server answering an
    /// older hello, which a TLS 1.3 client takes as proof of a downgrade.
    pub downgrade_sentinel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: u8,
}

impl Alert {
    pub fn name(self) -> String {
        let known = match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            other => return format!("alert {other}"),
        };
        known.to_string()
    }
}

/// What a server said in answer to one hello, as far as it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAnswer {
    pub hello: ServerHello,
    /// DER certificates of a TLS ≤ 1.2 Certificate message, leaf first.
    pub certificates: Vec<Vec<u8>>,
    /// Raw ServerKeyExchange body; its layout depends on the suite (see
    /// [`parse_server_key_exchange`]).
    pub server_key_exchange: Option<Vec<u8>>,
    /// Why reading stopped before ServerHelloDone, if it did.
    pub note: Option<String>,
    /// The flight ended with ServerHelloDone (only read that far by
    /// [`ServerFlight::through_hello_done`]).
    pub hello_done: bool,
}

/// How a flight ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flight {
    Hello(Box<ServerAnswer>),
    Alert(Alert),
    /// The stream ended before any byte.
    Closed,
    /// No complete answer in time.
    Timeout,
    Malformed(String),
}

/// Reassembles and parses the server's first flight as bytes arrive.
#[derive(Debug, Default)]
pub struct ServerFlight {
    records: Vec<u8>,
    handshake: Vec<u8>,
    total: usize,
    answer: Option<ServerAnswer>,
    records_seen: usize,
    through_done: bool,
}

impl ServerFlight {
    pub fn new() -> Self {
        ServerFlight::default()
    }

    /// A reader that goes on past ServerKeyExchange to ServerHelloDone: the probes that
    /// send something after the server's flight must wait for all of it.
    pub fn through_hello_done() -> Self {
        ServerFlight {
            through_done: true,
            ..ServerFlight::default()
        }
    }

    /// Feeds received bytes; `Some` once the flight is decided.
    pub fn feed(&mut self, data: &[u8]) -> Option<Flight> {
        self.total = self.total.saturating_add(data.len());
        if self.total > MAX_FLIGHT {
            return Some(self.fail(format!("more than {MAX_FLIGHT} bytes without finishing")));
        }
        self.records.extend_from_slice(data);
        loop {
            let mut header = Cursor::new(&self.records);
            let (Some(kind), Some(_version), Some(len)) = (header.u8(), header.u16(), header.u16())
            else {
                return None;
            };
            let len = usize::from(len);
            if !(20..=23).contains(&kind) {
                let shown: Vec<String> = self
                    .records
                    .iter()
                    .take(8)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let what = if self.records_seen == 0 && kind & 0x80 != 0 {
                    "an SSLv2-style answer"
                } else {
                    "not a TLS record"
                };
                return Some(self.fail(format!("{what} (bytes {})", shown.join(" "))));
            }
            if len > MAX_RECORD {
                return Some(self.fail(format!(
                    "oversized record of {len} bytes (limit {MAX_RECORD})"
                )));
            }
            if self.records.len() < 5 + len {
                return None;
            }
            let body: Vec<u8> = self.records[5..5 + len].to_vec();
            self.records.drain(..5 + len);
            self.records_seen += 1;
            if let Some(done) = self.record(kind, &body) {
                return Some(done);
            }
        }
    }

    /// The peer closed the connection.
    pub fn end_of_stream(&mut self) -> Flight {
        if self.answer.is_some() {
            return self.finish("the server closed the connection before ServerHelloDone");
        }
        if self.total == 0 {
            Flight::Closed
        } else {
            Flight::Malformed(format!(
                "the connection closed mid-record after {} bytes",
                self.total
            ))
        }
    }

    /// The time for this hello ran out.
    pub fn timed_out(&mut self) -> Flight {
        if self.answer.is_some() {
            return self.finish("no ServerHelloDone in time");
        }
        Flight::Timeout
    }

    fn record(&mut self, kind: u8, body: &[u8]) -> Option<Flight> {
        match kind {
            21 => {
                let mut c = Cursor::new(body);
                let alert = match (c.u8(), c.u8()) {
                    (Some(level), Some(description)) => Alert { level, description },
                    _ => return Some(self.fail("a truncated alert record".into())),
                };
                if self.answer.is_some() {
                    return Some(self.finish(&format!("alert {} after ServerHello", alert.name())));
                }
                Some(Flight::Alert(alert))
            }
            22 => {
                self.handshake.extend_from_slice(body);
                self.messages()
            }
            _ if self.answer.is_some() => Some(self.finish("")),
            _ => Some(self.fail(format!("record type {kind} before ServerHello"))),
        }
    }

    fn messages(&mut self) -> Option<Flight> {
        loop {
            let mut c = Cursor::new(&self.handshake);
            let (Some(kind), Some(len)) = (c.u8(), c.u24()) else {
                return None;
            };
            if len > MAX_MESSAGE {
                return Some(self.fail(format!("handshake message of {len} bytes")));
            }
            if self.handshake.len() < 4 + len {
                return None;
            }
            let body: Vec<u8> = self.handshake[4..4 + len].to_vec();
            self.handshake.drain(..4 + len);
            match (kind, self.answer.is_some()) {
                (2, false) => match parse_server_hello(&body) {
                    Err(e) => return Some(self.fail(format!("bad ServerHello: {e}"))),
                    Ok(hello) => {
                        let tls13 = hello.version == 0x0304 || hello.retry_request;
                        self.answer = Some(ServerAnswer {
                            hello,
                            certificates: Vec::new(),
                            server_key_exchange: None,
                            note: None,
                            hello_done: false,
                        });
                        if tls13 {
                            return Some(self.finish("")); // the rest is encrypted
                        }
                    }
                },
                (_, false) => {
                    return Some(self.fail(format!("handshake message {kind} before ServerHello")));
                }
                (11, true) => {
                    let certificates = parse_certificates(&body);
                    if let Some(a) = self.answer.as_mut() {
                        a.certificates = certificates;
                    }
                }
                (12, true) => {
                    if let Some(a) = self.answer.as_mut() {
                        a.server_key_exchange = Some(body);
                    }
                    if !self.through_done {
                        return Some(self.finish(""));
                    }
                }
                (13 | 22, true) => {} // CertificateRequest, CertificateStatus
                (14, true) => {
                    if let Some(a) = self.answer.as_mut() {
                        a.hello_done = true;
                    }
                    return Some(self.finish(""));
                }
                (other, true) => {
                    return Some(self.finish(&format!("unexpected handshake message {other}")));
                }
            }
        }
    }

    fn finish(&mut self, note: &str) -> Flight {
        match self.answer.take() {
            Some(mut answer) => {
                if !note.is_empty() {
                    answer.note = Some(note.to_string());
                }
                Flight::Hello(Box::new(answer))
            }
            None => Flight::Malformed(note.to_string()),
        }
    }

    /// A broken stream: after a ServerHello the hello still counts (the version and suite
    /// were chosen); before it, the answer is malformed.
    fn fail(&mut self, message: String) -> Flight {
        if self.answer.is_some() {
            self.finish(&message)
        } else {
            Flight::Malformed(message)
        }
    }
}

pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, &'static str> {
    let mut c = Cursor::new(body);
    let legacy_version = c.u16().ok_or("no version")?;
    let random = c.take(32).ok_or("short random")?;
    let session_id = c.vec8().ok_or("short session id")?;
    if session_id.len() > 32 {
        return Err("session id longer than 32 bytes");
    }
    let suite = c.u16().ok_or("no cipher suite")?;
    let compression = c.u8().ok_or("no compression method")?;
    let mut hello = ServerHello {
        version: legacy_version,
        suite,
        compression,
        retry_request: random == HRR_RANDOM,
        key_share_group: None,
        secure_renegotiation: false,
        extended_master_secret: false,
        heartbeat: false,
        downgrade_sentinel: random[24..31] == DOWNGRADE_SENTINEL && random[31] <= 1,
    };
    if c.is_empty() {
        return Ok(hello); // SSLv3-style: no extensions
    }
    let mut exts = Cursor::new(c.vec16().ok_or("truncated extensions")?);
    while !exts.is_empty() {
        let kind = exts.u16().ok_or("truncated extension")?;
        let mut data = Cursor::new(exts.vec16().ok_or("truncated extension body")?);
        match kind {
            43 => hello.version = data.u16().ok_or("empty supported_versions")?,
            51 => hello.key_share_group = Some(data.u16().ok_or("empty key_share")?),
            0xff01 => hello.secure_renegotiation = true,
            23 => hello.extended_master_secret = true,
            15 => hello.heartbeat = true,
            _ => {}
        }
    }
    Ok(hello)
}

/// The DER certificates of a TLS ≤ 1.2 Certificate message; stops at the first broken
/// entry (what came before is still useful).
pub fn parse_certificates(body: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Some(list) = Cursor::new(body).vec24() else {
        return out;
    };
    let mut c = Cursor::new(list);
    while let Some(cert) = c.vec24() {
        out.push(cert.to_vec());
    }
    out
}

/// Which layout a ServerKeyExchange has, from the chosen suite's key exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KxLayout {
    /// DHE and anonymous DH: p, g, Ys.
    Dh,
    /// ECDHE and anonymous ECDH: curve parameters, point.
    Ec,
    /// RSA EXPORT: a temporary RSA key.
    Rsa,
}

pub fn parse_server_key_exchange(layout: KxLayout, body: &[u8]) -> Option<KeyExchangeParams> {
    let mut c = Cursor::new(body);
    match layout {
        KxLayout::Dh => Some(KeyExchangeParams::Dh {
            bits: significant_bits(c.vec16()?),
        }),
        KxLayout::Rsa => Some(KeyExchangeParams::Rsa {
            bits: significant_bits(c.vec16()?),
        }),
        KxLayout::Ec => match c.u8()? {
            3 => Some(KeyExchangeParams::Ecdh {
                group: group_name(c.u16()?),
            }),
            1 | 2 => Some(KeyExchangeParams::Ecdh {
                group: "explicit".into(),
            }),
            _ => None,
        },
    }
}

/// Bits of a big-endian unsigned number, ignoring leading zero bytes and bits.
pub fn significant_bits(number: &[u8]) -> u32 {
    let digits: &[u8] = match number.iter().position(|b| *b != 0) {
        Some(first) => &number[first..],
        None => return 0,
    };
    let top = u32::from(digits[0]);
    (digits.len() as u32 - 1) * 8 + (32 - top.leading_zeros())
}

/// Key parameters of a TLS 1.3 key share group.
pub fn group_params(group: u16) -> KeyExchangeParams {
    match group {
        0x0100 => KeyExchangeParams::Dh { bits: 2048 },
        0x0101 => KeyExchangeParams::Dh { bits: 3072 },
        0x0102 => KeyExchangeParams::Dh { bits: 4096 },
        0x0103 => KeyExchangeParams::Dh { bits: 6144 },
        0x0104 => KeyExchangeParams::Dh { bits: 8192 },
        other => KeyExchangeParams::Ecdh {
            group: group_name(other),
        },
    }
}

pub fn group_name(group: u16) -> String {
    let known = match group {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        0x11ec => "X25519MLKEM768",
        _ => return format!("0x{group:04x}"),
    };
    known.to_string()
}

#[cfg(test)]
mod tests;
