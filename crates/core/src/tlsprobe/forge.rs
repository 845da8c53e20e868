//! Server-side records for fake peers: the fleet's hostile responders, the SSLv3 server
//! that Debian's OpenSSL can no longer be, unit tests and the fuzzer's seed corpus.
//! Only the framing is real; no key material is ever valid.

/// One record of `kind` (22 handshake, 21 alert...) with `version` in its header.
pub fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(kind);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(body.len().min(0xffff) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A handshake message: type, 24-bit length, body.
pub fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len().min(0xff_ffff) as u32;
    let mut out = vec![kind];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

pub fn alert(version: u16, description: u8) -> Vec<u8> {
    record(21, version, &[2, description])
}

/// A ServerHello body choosing `suite` at `version`; `supported_version` adds the TLS 1.3
/// extension, `key_share` a key-share entry of that group.
pub fn server_hello(
    version: u16,
    suite: u16,
    supported_version: Option<u16>,
    key_share: Option<u16>,
) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&[0x42; 32]);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    let mut ext = Vec::new();
    ext.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]); // renegotiation_info
    if let Some(v) = supported_version {
        ext.extend_from_slice(&[0x00, 43, 0x00, 0x02]);
        ext.extend_from_slice(&v.to_be_bytes());
    }
    if let Some(group) = key_share {
        ext.extend_from_slice(&[0x00, 51, 0x00, 0x24]);
        ext.extend_from_slice(&group.to_be_bytes());
        ext.extend_from_slice(&[0x00, 0x20]);
        ext.extend_from_slice(&[0x11; 32]);
    }
    if version != 0x0300 {
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
    }
    handshake(2, &body)
}

/// A Certificate message with the given DER certificates.
pub fn certificate(ders: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for der in ders {
        list.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(der);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    handshake(11, &body)
}

/// A DHE ServerKeyExchange with a prime of `bits` bits (not a real prime).
pub fn dh_key_exchange(bits: usize) -> Vec<u8> {
    let bytes = bits.div_ceil(8);
    let mut p = vec![0xff; bytes];
    if bits % 8 != 0 {
        p[0] = 0xff >> (8 - bits % 8);
    }
    let mut body = Vec::new();
    for part in [&p[..], &[2][..], &p[..]] {
        body.extend_from_slice(&(part.len() as u16).to_be_bytes());
        body.extend_from_slice(part);
    }
    handshake(12, &body)
}

/// An ECDHE ServerKeyExchange on a named group.
pub fn ecdh_key_exchange(group: u16) -> Vec<u8> {
    let mut body = vec![3];
    body.extend_from_slice(&group.to_be_bytes());
    body.push(65);
    body.extend_from_slice(&[4; 65]);
    handshake(12, &body)
}

pub fn server_hello_done() -> Vec<u8> {
    handshake(14, &[])
}
