//! DNS messages on the wire (RFC 1035, EDNS RFC 6891, the DNSSEC types of RFC 4034 and
//! 5155): a total parser for what a server sends, and an encoder for queries (and for
//! the test fleet's answers).
//!
//! The parser never trusts its input: every length is checked against the message,
//! compression pointers may only point backwards and are followed a bounded number of
//! times, and a malformed message is an error, never a panic (`fuzz/` proves it).

use super::name::{MAX_NAME_LEN, Name};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A record type number with the mnemonics trustlabel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RType(pub u16);

impl RType {
    pub const A: RType = RType(1);
    pub const NS: RType = RType(2);
    pub const CNAME: RType = RType(5);
    pub const SOA: RType = RType(6);
    pub const PTR: RType = RType(12);
    pub const MX: RType = RType(15);
    pub const TXT: RType = RType(16);
    pub const AAAA: RType = RType(28);
    pub const SRV: RType = RType(33);
    pub const DNAME: RType = RType(39);
    pub const OPT: RType = RType(41);
    pub const DS: RType = RType(43);
    pub const RRSIG: RType = RType(46);
    pub const NSEC: RType = RType(47);
    pub const DNSKEY: RType = RType(48);
    pub const NSEC3: RType = RType(50);
    pub const NSEC3PARAM: RType = RType(51);
    pub const TLSA: RType = RType(52);
    pub const CAA: RType = RType(257);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            RType::A => "A",
            RType::NS => "NS",
            RType::CNAME => "CNAME",
            RType::SOA => "SOA",
            RType::PTR => "PTR",
            RType::MX => "MX",
            RType::TXT => "TXT",
            RType::AAAA => "AAAA",
            RType::SRV => "SRV",
            RType::DNAME => "DNAME",
            RType::OPT => "OPT",
            RType::DS => "DS",
            RType::RRSIG => "RRSIG",
            RType::NSEC => "NSEC",
            RType::DNSKEY => "DNSKEY",
            RType::NSEC3 => "NSEC3",
            RType::NSEC3PARAM => "NSEC3PARAM",
            RType::TLSA => "TLSA",
            RType::CAA => "CAA",
            _ => return None,
        })
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

pub const CLASS_IN: u16 = 1;

/// Response codes trustlabel tells apart (RFC 1035 §4.1.1, RFC 6895).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rcode(pub u16);

impl Rcode {
    pub const NOERROR: Rcode = Rcode(0);
    pub const FORMERR: Rcode = Rcode(1);
    pub const SERVFAIL: Rcode = Rcode(2);
    pub const NXDOMAIN: Rcode = Rcode(3);
    pub const NOTIMP: Rcode = Rcode(4);
    pub const REFUSED: Rcode = Rcode(5);
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("NOERROR"),
            1 => f.write_str("FORMERR"),
            2 => f.write_str("SERVFAIL"),
            3 => f.write_str("NXDOMAIN"),
            4 => f.write_str("NOTIMP"),
            5 => f.write_str("REFUSED"),
            n => write!(f, "RCODE{n}"),
        }
    }
}

/// The header bits trustlabel reads or sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    pub response: bool,
    pub opcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub recursion_desired: bool,
    pub recursion_available: bool,
    pub authentic_data: bool,
    pub checking_disabled: bool,
}

impl Flags {
    fn to_bits(self, rcode: Rcode) -> u16 {
        let mut bits = (u16::from(self.opcode & 0x0f) << 11) | (rcode.0 & 0x0f);
        for (on, bit) in [
            (self.response, 0x8000),
            (self.authoritative, 0x0400),
            (self.truncated, 0x0200),
            (self.recursion_desired, 0x0100),
            (self.recursion_available, 0x0080),
            (self.authentic_data, 0x0020),
            (self.checking_disabled, 0x0010),
        ] {
            if on {
                bits |= bit;
            }
        }
        bits
    }

    fn from_bits(bits: u16) -> Flags {
        Flags {
            response: bits & 0x8000 != 0,
            opcode: ((bits >> 11) & 0x0f) as u8,
            authoritative: bits & 0x0400 != 0,
            truncated: bits & 0x0200 != 0,
            recursion_desired: bits & 0x0100 != 0,
            recursion_available: bits & 0x0080 != 0,
            authentic_data: bits & 0x0020 != 0,
            checking_disabled: bits & 0x0010 != 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    pub name: Name,
    pub rtype: RType,
}

/// The EDNS(0) pseudo-record (RFC 6891): the payload size and the DNSSEC OK bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub udp_payload: u16,
    pub dnssec_ok: bool,
    /// The upper eight bits of the extended response code.
    pub extended_rcode: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub flags: Flags,
    pub rcode: Rcode,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    /// Additional records other than OPT.
    pub additional: Vec<Record>,
    pub edns: Option<Edns>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: Name,
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    pub rdata: RData,
}

/// Record data of the types trustlabel reads; every other type is kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// NS, CNAME, PTR and DNAME: one name.
    Name(Name),
    Soa(Soa),
    Mx {
        preference: u16,
        exchange: Name,
    },
    /// The character-strings of a TXT record, each at most 255 bytes.
    Txt(Vec<Vec<u8>>),
    Caa {
        flags: u8,
        tag: Vec<u8>,
        value: Vec<u8>,
    },
    Tlsa(Tlsa),
    Ds(Ds),
    Dnskey(Dnskey),
    Rrsig(Rrsig),
    Nsec {
        next: Name,
        types: Vec<RType>,
    },
    Nsec3(Nsec3),
    Other(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Ds {
    pub key_tag: u16,
    pub algorithm: u8,
    pub digest_type: u8,
    #[serde(with = "hex_bytes")]
    pub digest: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Dnskey {
    pub flags: u16,
    pub protocol: u8,
    pub algorithm: u8,
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
}

impl Dnskey {
    /// The Zone Key flag (RFC 4034 §2.1.1): only zone keys may sign a zone's data.
    pub fn is_zone_key(&self) -> bool {
        self.flags & 0x0100 != 0
    }

    /// The REVOKE flag (RFC 5011).
    pub fn is_revoked(&self) -> bool {
        self.flags & 0x0080 != 0
    }

    /// The Secure Entry Point flag: by convention a key-signing key.
    pub fn is_sep(&self) -> bool {
        self.flags & 0x0001 != 0
    }

    /// The rdata as on the wire (the input of key tags and DS digests).
    pub fn rdata(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.public_key.len());
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.push(self.protocol);
        out.push(self.algorithm);
        out.extend_from_slice(&self.public_key);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrsig {
    pub type_covered: RType,
    pub algorithm: u8,
    pub labels: u8,
    pub original_ttl: u32,
    pub expiration: u32,
    pub inception: u32,
    pub key_tag: u16,
    pub signer: Name,
    pub signature: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsec3 {
    pub hash_algorithm: u8,
    pub flags: u8,
    pub iterations: u16,
    pub salt: Vec<u8>,
    pub next_hashed: Vec<u8>,
    pub types: Vec<RType>,
}

impl Nsec3 {
    /// The Opt-Out flag (RFC 5155 §3.1.2.1): unsigned delegations may lie in the span.
    pub fn opt_out(&self) -> bool {
        self.flags & 0x01 != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message truncated at byte {0}")]
    Truncated(usize),
    #[error("bad name at byte {0}")]
    BadName(usize),
    #[error("bad {rtype} record data")]
    BadRdata { rtype: RType },
    #[error("more than one OPT record")]
    DuplicateOpt,
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(WireError::Truncated(self.pos))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A possibly compressed name starting at the cursor; the cursor moves past its
    /// first encoding only.
    fn name(&mut self) -> Result<Name, WireError> {
        let (name, end) = read_name(self.buf, self.pos)?;
        self.pos = end;
        Ok(name)
    }
}

/// Reads a name at `start` of `buf`, following compression pointers (backwards only, at
/// most as many as could fit in a name). Returns the name and where its first encoding
/// ends.
fn read_name(buf: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let mut labels = Vec::new();
    let mut pos = start;
    let mut end = None;
    let mut total = 1;
    let mut jumps = 0;
    loop {
        let len = *buf.get(pos).ok_or(WireError::Truncated(pos))?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let end = end.unwrap_or(pos + 1);
                    return Name::from_labels(labels)
                        .map(|n| (n, end))
                        .map_err(|_| WireError::BadName(start));
                }
                let label = buf
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(WireError::Truncated(pos))?;
                total += label.len() + 1;
                if total > MAX_NAME_LEN {
                    return Err(WireError::BadName(start));
                }
                labels.push(label.to_vec());
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *buf.get(pos + 1).ok_or(WireError::Truncated(pos))?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                jumps += 1;
                if target >= pos || jumps > MAX_NAME_LEN / 2 {
                    return Err(WireError::BadName(start));
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(WireError::BadName(start)),
        }
    }
}

/// Parses one whole message (nothing may follow it).
pub fn parse_message(buf: &[u8]) -> Result<Message, WireError> {
    let mut r = Reader { buf, pos: 0 };
    let id = r.u16()?;
    let bits = r.u16()?;
    let counts = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    let mut questions = Vec::new();
    for _ in 0..counts[0] {
        let name = r.name()?;
        let rtype = RType(r.u16()?);
        let _class = r.u16()?;
        questions.push(Question { name, rtype });
    }
    let mut sections: [Vec<Record>; 3] = Default::default();
    let mut edns = None;
    for (section, count) in counts[1..].iter().enumerate() {
        for _ in 0..*count {
            let name = r.name()?;
            let rtype = RType(r.u16()?);
            let class = r.u16()?;
            let ttl = r.u32()?;
            let len = usize::from(r.u16()?);
            let start = r.pos;
            r.take(len)?;
            if rtype == RType::OPT && section == 2 {
                if edns.is_some() {
                    return Err(WireError::DuplicateOpt);
                }
                edns = Some(Edns {
                    udp_payload: class,
                    dnssec_ok: ttl & 0x8000 != 0,
                    extended_rcode: (ttl >> 24) as u8,
                });
                continue;
            }
            let rdata = parse_rdata(buf, start, len, rtype)?;
            sections[section].push(Record {
                name,
                rtype,
                class,
                ttl,
                rdata,
            });
        }
    }
    if r.pos != buf.len() {
        return Err(WireError::Trailing(buf.len() - r.pos));
    }
    let [answers, authority, additional] = sections;
    let extended = edns.map_or(0, |e| u16::from(e.extended_rcode) << 4);
    Ok(Message {
        id,
        flags: Flags::from_bits(bits),
        rcode: Rcode(extended | (bits & 0x0f)),
        questions,
        answers,
        authority,
        additional,
        edns,
    })
}

fn parse_rdata(buf: &[u8], start: usize, len: usize, rtype: RType) -> Result<RData, WireError> {
    let bad = || WireError::BadRdata { rtype };
    let end = start + len;
    let bytes = &buf[start..end];
    // Names inside rdata may use compression (for the RFC 1035 types), so they are read
    // from the whole message; the record must then end exactly where its length says.
    let mut r = Reader { buf, pos: start };
    let data = match rtype {
        RType::A => {
            r.pos = end;
            RData::A(Ipv4Addr::from(
                <[u8; 4]>::try_from(bytes).map_err(|_| bad())?,
            ))
        }
        RType::AAAA => {
            r.pos = end;
            RData::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(bytes).map_err(|_| bad())?,
            ))
        }
        RType::NS | RType::CNAME | RType::PTR | RType::DNAME => RData::Name(r.name()?),
        RType::SOA => RData::Soa(Soa {
            mname: r.name()?,
            rname: r.name()?,
            serial: r.u32()?,
            refresh: r.u32()?,
            retry: r.u32()?,
            expire: r.u32()?,
            minimum: r.u32()?,
        }),
        RType::MX => RData::Mx {
            preference: r.u16()?,
            exchange: r.name()?,
        },
        RType::TXT => {
            let mut strings = Vec::new();
            let mut rest = bytes;
            while let Some((&n, tail)) = rest.split_first() {
                let n = usize::from(n);
                if tail.len() < n {
                    return Err(bad());
                }
                strings.push(tail[..n].to_vec());
                rest = &tail[n..];
            }
            r.pos = end;
            RData::Txt(strings)
        }
        RType::CAA => {
            let flags = r.u8()?;
            let tag_len = usize::from(r.u8()?);
            let tag = r.take(tag_len).map_err(|_| bad())?.to_vec();
            if tag.is_empty() || r.pos > end {
                return Err(bad());
            }
            let value = buf[r.pos..end].to_vec();
            r.pos = end;
            RData::Caa { flags, tag, value }
        }
        RType::TLSA => {
            if bytes.len() < 3 {
                return Err(bad());
            }
            r.pos = end;
            RData::Tlsa(Tlsa {
                usage: bytes[0],
                selector: bytes[1],
                matching: bytes[2],
                data: bytes[3..].to_vec(),
            })
        }
        RType::DS => {
            if bytes.len() < 4 {
                return Err(bad());
            }
            r.pos = end;
            RData::Ds(Ds {
                key_tag: u16::from_be_bytes([bytes[0], bytes[1]]),
                algorithm: bytes[2],
                digest_type: bytes[3],
                digest: bytes[4..].to_vec(),
            })
        }
        RType::DNSKEY => {
            if bytes.len() < 4 {
                return Err(bad());
            }
            r.pos = end;
            RData::Dnskey(Dnskey {
                flags: u16::from_be_bytes([bytes[0], bytes[1]]),
                protocol: bytes[2],
                algorithm: bytes[3],
                public_key: bytes[4..].to_vec(),
            })
        }
        RType::RRSIG => {
            let type_covered = RType(r.u16()?);
            let algorithm = r.u8()?;
            let labels = r.u8()?;
            let original_ttl = r.u32()?;
            let expiration = r.u32()?;
            let inception = r.u32()?;
            let key_tag = r.u16()?;
            let signer = r.name()?;
            if r.pos > end {
                return Err(bad());
            }
            let signature = buf[r.pos..end].to_vec();
            r.pos = end;
            RData::Rrsig(Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag,
                signer,
                signature,
            })
        }
        RType::NSEC => {
            let next = r.name()?;
            if r.pos > end {
                return Err(bad());
            }
            let types = parse_type_bitmap(&buf[r.pos..end]).ok_or_else(bad)?;
            r.pos = end;
            RData::Nsec { next, types }
        }
        RType::NSEC3 => {
            let hash_algorithm = r.u8()?;
            let flags = r.u8()?;
            let iterations = r.u16()?;
            let salt_len = usize::from(r.u8()?);
            let salt = r.take(salt_len)?.to_vec();
            let hash_len = usize::from(r.u8()?);
            let next_hashed = r.take(hash_len)?.to_vec();
            if r.pos > end || next_hashed.is_empty() {
                return Err(bad());
            }
            let types = parse_type_bitmap(&buf[r.pos..end]).ok_or_else(bad)?;
            r.pos = end;
            RData::Nsec3(Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types,
            })
        }
        _ => {
            r.pos = end;
            RData::Other(bytes.to_vec())
        }
    };
    if r.pos != end {
        return Err(bad());
    }
    Ok(data)
}

/// The type bitmap of NSEC and NSEC3 (RFC 4034 §4.1.2): windows in increasing order.
fn parse_type_bitmap(mut bytes: &[u8]) -> Option<Vec<RType>> {
    let mut types = Vec::new();
    let mut last_window: Option<u8> = None;
    while !bytes.is_empty() {
        let window = *bytes.first()?;
        let len = usize::from(*bytes.get(1)?);
        if !(1..=32).contains(&len) || last_window.is_some_and(|w| w >= window) {
            return None;
        }
        let map = bytes.get(2..2 + len)?;
        for (i, byte) in map.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    types.push(RType(u16::from(window) << 8 | (i * 8 + bit) as u16));
                }
            }
        }
        last_window = Some(window);
        bytes = &bytes[2 + len..];
    }
    Some(types)
}

/// Encodes a type bitmap (types in any order, duplicates allowed).
pub fn encode_type_bitmap(types: &[RType]) -> Vec<u8> {
    let mut sorted: Vec<u16> = types.iter().map(|t| t.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let window = (sorted[i] >> 8) as u8;
        let mut map = [0u8; 32];
        let mut used = 0;
        while i < sorted.len() && (sorted[i] >> 8) as u8 == window {
            let low = (sorted[i] & 0xff) as usize;
            map[low / 8] |= 0x80 >> (low % 8);
            used = used.max(low / 8 + 1);
            i += 1;
        }
        out.push(window);
        out.push(used as u8);
        out.extend_from_slice(&map[..used]);
    }
    out
}

impl RData {
    /// The rdata in canonical form (RFC 4034 §6.2, with RFC 6840 §5.1): names
    /// uncompressed, and in lower case for the types whose names are downcased.
    pub fn canonical(&self) -> Vec<u8> {
        self.encode(true)
    }

    /// The rdata as the owner's software would write it (names uncompressed, case kept).
    pub fn to_wire(&self) -> Vec<u8> {
        self.encode(false)
    }

    fn encode(&self, canonical: bool) -> Vec<u8> {
        let name = |n: &Name, out: &mut Vec<u8>| {
            if canonical {
                n.to_lowercase().write_wire(out)
            } else {
                n.write_wire(out)
            }
        };
        let mut out = Vec::new();
        match self {
            RData::A(ip) => out.extend_from_slice(&ip.octets()),
            RData::Aaaa(ip) => out.extend_from_slice(&ip.octets()),
            RData::Name(n) => name(n, &mut out),
            RData::Soa(soa) => {
                name(&soa.mname, &mut out);
                name(&soa.rname, &mut out);
                for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            RData::Mx {
                preference,
                exchange,
            } => {
                out.extend_from_slice(&preference.to_be_bytes());
                name(exchange, &mut out);
            }
            RData::Txt(strings) => {
                for s in strings {
                    let s = &s[..s.len().min(255)];
                    out.push(s.len() as u8);
                    out.extend_from_slice(s);
                }
            }
            RData::Caa { flags, tag, value } => {
                out.push(*flags);
                out.push(tag.len().min(255) as u8);
                out.extend_from_slice(&tag[..tag.len().min(255)]);
                out.extend_from_slice(value);
            }
            RData::Tlsa(t) => {
                out.extend_from_slice(&[t.usage, t.selector, t.matching]);
                out.extend_from_slice(&t.data);
            }
            RData::Ds(ds) => {
                out.extend_from_slice(&ds.key_tag.to_be_bytes());
                out.extend_from_slice(&[ds.algorithm, ds.digest_type]);
                out.extend_from_slice(&ds.digest);
            }
            RData::Dnskey(key) => out.extend_from_slice(&key.rdata()),
            RData::Rrsig(sig) => {
                out.extend_from_slice(&sig.header_wire(canonical));
                out.extend_from_slice(&sig.signature);
            }
            // RFC 6840 §5.1: the next name of NSEC is not downcased.
            RData::Nsec { next, types } => {
                next.write_wire(&mut out);
                out.extend_from_slice(&encode_type_bitmap(types));
            }
            RData::Nsec3(n) => {
                out.extend_from_slice(&[n.hash_algorithm, n.flags]);
                out.extend_from_slice(&n.iterations.to_be_bytes());
                out.push(n.salt.len() as u8);
                out.extend_from_slice(&n.salt);
                out.push(n.next_hashed.len() as u8);
                out.extend_from_slice(&n.next_hashed);
                out.extend_from_slice(&encode_type_bitmap(&n.types));
            }
            RData::Other(bytes) => out.extend_from_slice(bytes),
        }
        out
    }
}

impl Rrsig {
    /// The RRSIG rdata without the signature: the first part of the signed data
    /// (RFC 4034 §3.1.8.1), signer name in lower case when `canonical`.
    pub fn header_wire(&self, canonical: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.signer.wire_len());
        out.extend_from_slice(&self.type_covered.0.to_be_bytes());
        out.extend_from_slice(&[self.algorithm, self.labels]);
        for v in [self.original_ttl, self.expiration, self.inception] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.key_tag.to_be_bytes());
        if canonical {
            self.signer.to_lowercase().write_wire(&mut out);
        } else {
            self.signer.write_wire(&mut out);
        }
        out
    }
}

impl Message {
    /// A query for one question: recursion desired (a stub asks a recursive resolver),
    /// EDNS with a 1232-byte payload (the DNS flag day 2020 size that avoids
    /// fragmentation), the DO bit so signatures come along, and CD so a validating
    /// resolver hands over data that fails validation and trustlabel can say why.
    pub fn query(id: u16, name: &Name, rtype: RType, dnssec: bool) -> Message {
        Message {
            id,
            flags: Flags {
                recursion_desired: true,
                checking_disabled: dnssec,
                ..Flags::default()
            },
            rcode: Rcode::NOERROR,
            questions: vec![Question {
                name: name.clone(),
                rtype,
            }],
            answers: vec![],
            authority: vec![],
            additional: vec![],
            edns: Some(Edns {
                udp_payload: 1232,
                dnssec_ok: dnssec,
                extended_rcode: 0,
            }),
        }
    }

    /// The wire form, without name compression.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.flags.to_bits(self.rcode).to_be_bytes());
        let additional = self.additional.len() + usize::from(self.edns.is_some());
        for count in [
            self.questions.len(),
            self.answers.len(),
            self.authority.len(),
            additional,
        ] {
            out.extend_from_slice(&(count.min(usize::from(u16::MAX)) as u16).to_be_bytes());
        }
        for q in &self.questions {
            q.name.write_wire(&mut out);
            out.extend_from_slice(&q.rtype.0.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
        }
        for record in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            record.write_wire(&mut out);
        }
        if let Some(edns) = self.edns {
            out.push(0);
            out.extend_from_slice(&RType::OPT.0.to_be_bytes());
            out.extend_from_slice(&edns.udp_payload.to_be_bytes());
            let ttl =
                (u32::from(edns.extended_rcode) << 24) | if edns.dnssec_ok { 0x8000 } else { 0 };
            out.extend_from_slice(&ttl.to_be_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
        }
        out
    }

    /// Records of `rtype` owned by `name` in the answer section.
    pub fn answer_rrset(&self, name: &Name, rtype: RType) -> Vec<&Record> {
        self.answers
            .iter()
            .filter(|r| r.rtype == rtype && r.name == *name)
            .collect()
    }
}

impl Record {
    pub fn write_wire(&self, out: &mut Vec<u8>) {
        self.name.write_wire(out);
        out.extend_from_slice(&self.rtype.0.to_be_bytes());
        out.extend_from_slice(&self.class.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let rdata = self.rdata.to_wire();
        out.extend_from_slice(&(rdata.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }

    /// The record in zone-file presentation (`name TTL IN TYPE rdata`), for evidence
    /// and for the owner page's "record seen".
    pub fn to_text(&self) -> String {
        format!(
            "{}. {} IN {} {}",
            self.name,
            self.ttl,
            self.rtype,
            self.rdata.to_text()
        )
    }
}

impl RData {
    /// The rdata in zone-file presentation.
    pub fn to_text(&self) -> String {
        match self {
            RData::A(ip) => ip.to_string(),
            RData::Aaaa(ip) => ip.to_string(),
            RData::Name(n) => format!("{n}."),
            RData::Soa(s) => format!(
                "{}. {}. {} {} {} {} {}",
                s.mname, s.rname, s.serial, s.refresh, s.retry, s.expire, s.minimum
            ),
            RData::Mx {
                preference,
                exchange,
            } => format!("{preference} {exchange}."),
            RData::Txt(strings) => strings
                .iter()
                .map(|s| quote(s))
                .collect::<Vec<_>>()
                .join(" "),
            RData::Caa { flags, tag, value } => {
                format!("{flags} {} {}", String::from_utf8_lossy(tag), quote(value))
            }
            RData::Tlsa(t) => format!(
                "{} {} {} {}",
                t.usage,
                t.selector,
                t.matching,
                hex::encode_upper(&t.data)
            ),
            RData::Ds(ds) => format!(
                "{} {} {} {}",
                ds.key_tag,
                ds.algorithm,
                ds.digest_type,
                hex::encode_upper(&ds.digest)
            ),
            RData::Dnskey(k) => {
                use base64::Engine;
                format!(
                    "{} {} {} {}",
                    k.flags,
                    k.protocol,
                    k.algorithm,
                    base64::engine::general_purpose::STANDARD.encode(&k.public_key)
                )
            }
            RData::Rrsig(s) => format!(
                "{} {} {} {} {} {} {} {}. (signature)",
                s.type_covered,
                s.algorithm,
                s.labels,
                s.original_ttl,
                s.expiration,
                s.inception,
                s.key_tag,
                s.signer
            ),
            RData::Nsec { next, types } => format!("{next}. {}", type_list(types)),
            RData::Nsec3(n) => format!(
                "{} {} {} {} (next hashed) {}",
                n.hash_algorithm,
                n.flags,
                n.iterations,
                if n.salt.is_empty() {
                    "-".to_string()
                } else {
                    hex::encode_upper(&n.salt)
                },
                type_list(&n.types)
            ),
            RData::Other(bytes) => format!("\\# {} {}", bytes.len(), hex::encode_upper(bytes)),
        }
    }
}

fn type_list(types: &[RType]) -> String {
    types
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A character-string in zone-file quotes, non-printable bytes as `\DDD`.
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn a_query_round_trips_with_edns_do_and_cd() {
        let q = Message::query(0x1234, &n("Example.com"), RType::DNSKEY, true);
        let wire = q.to_wire();
        assert_eq!(&wire[..4], &[0x12, 0x34, 0x01, 0x10], "id, RD + CD");
        let back = parse_message(&wire).unwrap();
        assert_eq!(back, q);
        assert!(back.edns.unwrap().dnssec_ok);
    }

    /// Address records, as a server writes them (bytes laid out by hand, not by
    /// `to_wire`): the parser once refused every A and AAAA record.
    #[test]
    fn address_records_parse_from_hand_written_bytes() {
        let mut wire = vec![0x00, 0x07, 0x85, 0x00, 0, 1, 0, 2, 0, 0, 0, 0];
        wire.extend_from_slice(b"\x01a\x04test\x00\x00\x01\x00\x01");
        // A 192.0.2.1, owner by pointer to the question's name (offset 12).
        wire.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        // AAAA 2001:db8::1.
        wire.extend_from_slice(&[0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16]);
        wire.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let message = parse_message(&wire).unwrap();
        assert_eq!(
            message.answers[0].rdata,
            RData::A(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            message.answers[1].rdata,
            RData::Aaaa("2001:db8::1".parse().unwrap())
        );
        // A length that is not the address's is refused.
        let mut short = wire.clone();
        short[35] = 3; // the A record's RDLENGTH (low byte)
        assert!(parse_message(&short).is_err());
    }

    #[test]
    fn compressed_names_and_every_rdata_type_parse() {
        let records = vec![
            Record {
                name: n("example.com"),
                rtype: RType::MX,
                class: CLASS_IN,
                ttl: 300,
                rdata: RData::Mx {
                    preference: 10,
                    exchange: n("mx.example.com"),
                },
            },
            Record {
                name: n("example.com"),
                rtype: RType::TXT,
                class: CLASS_IN,
                ttl: 300,
                rdata: RData::Txt(vec![b"v=spf1 ".to_vec(), b"-all".to_vec()]),
            },
            Record {
                name: n("example.com"),
                rtype: RType::CAA,
                class: CLASS_IN,
                ttl: 300,
                rdata: RData::Caa {
                    flags: 0,
                    tag: b"issue".to_vec(),
                    value: b"letsencrypt.org".to_vec(),
                },
            },
            Record {
                name: n("example.com"),
                rtype: RType::NSEC,
                class: CLASS_IN,
                ttl: 300,
                rdata: RData::Nsec {
                    next: n("a.example.com"),
                    types: vec![RType::A, RType::MX, RType::RRSIG, RType::NSEC, RType::CAA],
                },
            },
        ];
        let mut msg = Message::query(7, &n("example.com"), RType::MX, false);
        msg.flags.response = true;
        msg.answers = records.clone();
        let mut wire = msg.to_wire();
        // Re-point the MX exchange's "example.com" at the question's copy (offset 12).
        let plain = msg.to_wire();
        assert_eq!(parse_message(&plain).unwrap().answers, records);
        let needle = b"\x02mx\x07example\x03com\x00";
        let at = wire
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        wire.splice(at + 3..at + needle.len(), [0xc0, 12]);
        // Fix the rdlength (2 bytes before the preference).
        let rdlen_at = at - 4;
        let len = u16::from_be_bytes([wire[rdlen_at], wire[rdlen_at + 1]]) - 11;
        wire[rdlen_at..rdlen_at + 2].copy_from_slice(&len.to_be_bytes());
        let parsed = parse_message(&wire).unwrap();
        assert_eq!(parsed.answers, records);
        assert_eq!(
            parsed.answers[1].to_text(),
            "example.com. 300 IN TXT \"v=spf1 \" \"-all\""
        );
        assert_eq!(
            parsed.answers[3].rdata.to_text(),
            "a.example.com. A MX RRSIG NSEC CAA"
        );
    }

    #[test]
    fn hostile_messages_are_errors_not_panics() {
        let q = Message::query(1, &n("a.b"), RType::A, false).to_wire();
        for cut in 0..q.len() {
            assert!(parse_message(&q[..cut]).is_err(), "cut at {cut}");
        }
        // A pointer to itself, and one pointing forwards.
        let mut looped = q[..12].to_vec();
        looped.extend([0xc0, 12, 0, 1, 0, 1]);
        assert!(parse_message(&looped).is_err());
        let mut forward = q[..12].to_vec();
        forward.extend([0xc0, 20, 0, 1, 0, 1]);
        assert!(parse_message(&forward).is_err());
        let mut trailing = q.clone();
        trailing.push(0);
        assert_eq!(parse_message(&trailing), Err(WireError::Trailing(1)));
    }

    #[test]
    fn type_bitmaps_round_trip_across_windows() {
        let types = vec![RType::A, RType::NS, RType::RRSIG, RType::CAA, RType(65280)];
        let wire = encode_type_bitmap(&types);
        assert_eq!(parse_type_bitmap(&wire).unwrap(), types);
        assert!(parse_type_bitmap(&[0, 0]).is_none(), "empty window");
        assert!(
            parse_type_bitmap(&[1, 1, 0x40, 0, 1, 0x40]).is_none(),
            "windows out of order"
        );
    }
}
