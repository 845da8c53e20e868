//! Hand-built ClientHello messages, one protocol version per hello.
//!
//! Each hello offers exactly one version so that the answer proves support for it: the
//! record and `client_version` name the version, and the TLS 1.3 hello lists only 1.3 in
//! `supported_versions` (with an x25519 key share, never used: the prober stops after the
//! ServerHello). SSLv3 hellos carry no extensions, as SSLv3-era servers may choke on them;
//! secure renegotiation is then signalled with the SCSV instead.

use crate::evidence::TlsVersion;

/// Named groups offered, most preferred first (RFC 8422 / 7919 / 8446 code points).
const GROUPS: [u16; 9] = [
    0x001d, // x25519
    0x0017, // secp256r1
    0x0018, // secp384r1
    0x0019, // secp521r1
    0x001e, // x448
    0x001a, // brainpoolP256r1
    0x001b, // brainpoolP384r1
    0x001c, // brainpoolP512r1
    0x0016, // secp256k1
];

/// Finite-field groups, offered to TLS 1.3 only: in a TLS 1.2 hello they would ask an
/// RFC 7919 server for a standard group and hide the group it is configured with.
const FFDHE_GROUPS: [u16; 3] = [0x0100, 0x0101, 0x0102];

/// Signature schemes: modern first, then SHA-1 and MD5 ones that old servers may need.
const SIGNATURE_SCHEMES: [u16; 16] = [
    0x0403, 0x0503, 0x0603, // ecdsa with sha256/384/512
    0x0807, 0x0808, // ed25519, ed448
    0x0804, 0x0805, 0x0806, // rsa_pss_rsae
    0x0809, 0x080a, 0x080b, // rsa_pss_pss
    0x0401, 0x0501, 0x0601, // rsa_pkcs1
    0x0201, 0x0203, // rsa_pkcs1_sha1, ecdsa_sha1
];

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_PADDING: u16 = 21;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;
const EXT_HEARTBEAT: u16 = 15;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const SCSV_RENEGOTIATION: u16 = 0x00ff;
/// RFC 7507: the client retries with a lower version than it supports.
const SCSV_FALLBACK: u16 = 0x5600;
const COMPRESSION_DEFLATE: u8 = 1;

/// What the vulnerability probes add to an ordinary hello, so one ServerHello answers
/// several questions (RFC 5746, 7627, 6520, 3749, 7507). All off for the version probes,
/// whose answers must not depend on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelloExtras {
    /// Offer the heartbeat extension (RFC 6520, peer allowed to send).
    pub heartbeat: bool,
    /// Offer extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Offer DEFLATE before null compression (RFC 3749).
    pub deflate: bool,
    /// Append TLS_FALLBACK_SCSV (RFC 7507).
    pub fallback_scsv: bool,
}

/// What one hello asks for. Randomness comes from the caller so the builder stays a pure
/// function (tests and the fuzzer get byte-identical hellos).
#[derive(Debug, Clone)]
pub struct HelloSpec<'a> {
    pub version: TlsVersion,
    pub suites: &'a [u16],
    /// Host name for SNI; `None` for an IP literal (SNI may not carry addresses).
    pub server_name: Option<&'a str>,
    pub random: [u8; 32],
    /// TLS 1.3 key share (an x25519 public value).
    pub key_share: [u8; 32],
    pub extras: HelloExtras,
}

/// The hello as one handshake record, ready to write to the socket.
pub fn client_hello(spec: &HelloSpec<'_>) -> Vec<u8> {
    let legacy_version = match spec.version {
        TlsVersion::Tls13 => TlsVersion::Tls12.wire(),
        v => v.wire(),
    };
    let mut body = Vec::with_capacity(512);
    put_u16(&mut body, legacy_version);
    body.extend_from_slice(&spec.random);
    if spec.version == TlsVersion::Tls13 {
        // A 32-byte legacy session id, as browsers send for middlebox compatibility.
        body.push(32);
        body.extend_from_slice(&spec.key_share);
    } else {
        body.push(0);
    }
    let mut suites: Vec<u16> = spec.suites.to_vec();
    if spec.version == TlsVersion::Ssl3 {
        suites.push(SCSV_RENEGOTIATION);
    }
    if spec.extras.fallback_scsv {
        suites.push(SCSV_FALLBACK);
    }
    let suites_len = (suites.len() * 2).min(0xfffe);
    put_u16(&mut body, suites_len as u16);
    for s in suites.iter().take(suites_len / 2) {
        put_u16(&mut body, *s);
    }
    if spec.extras.deflate {
        body.extend_from_slice(&[2, COMPRESSION_DEFLATE, 0]);
    } else {
        body.extend_from_slice(&[1, 0]); // compression: null only
    }
    if spec.version != TlsVersion::Ssl3 {
        let mut ext = extensions(spec);
        // Hellos of 256–511 bytes hang some F5 devices (RFC 7685): pad them past 512.
        let unpadded = 4 + body.len() + 2 + ext.len();
        if (256..512).contains(&unpadded) {
            let pad = 512 - unpadded;
            let pad = pad.saturating_sub(4).max(1);
            put_extension(&mut ext, EXT_PADDING, &vec![0; pad]);
        }
        put_u16(&mut body, ext.len() as u16);
        body.extend_from_slice(&ext);
    }
    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(1); // client_hello
    put_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);
    let record_version = match spec.version {
        TlsVersion::Ssl3 => TlsVersion::Ssl3.wire(),
        _ => TlsVersion::Tls10.wire(),
    };
    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(22); // handshake
    put_u16(&mut record, record_version);
    put_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn extensions(spec: &HelloSpec<'_>) -> Vec<u8> {
    let mut ext = Vec::new();
    if let Some(name) = spec.server_name.filter(|n| !n.is_empty() && n.len() < 256) {
        let mut list = Vec::new();
        list.push(0); // host_name
        put_u16(&mut list, name.len() as u16);
        list.extend_from_slice(name.as_bytes());
        let mut data = Vec::new();
        put_u16(&mut data, list.len() as u16);
        data.extend_from_slice(&list);
        put_extension(&mut ext, EXT_SERVER_NAME, &data);
    }
    let mut groups: Vec<u16> = GROUPS.to_vec();
    if spec.version == TlsVersion::Tls13 {
        groups.extend(FFDHE_GROUPS);
    }
    put_extension(&mut ext, EXT_SUPPORTED_GROUPS, &u16_list(&groups));
    put_extension(&mut ext, EXT_EC_POINT_FORMATS, &[1, 0]); // uncompressed
    put_extension(
        &mut ext,
        EXT_SIGNATURE_ALGORITHMS,
        &u16_list(&SIGNATURE_SCHEMES),
    );
    put_extension(&mut ext, EXT_RENEGOTIATION_INFO, &[0]);
    if spec.extras.extended_master_secret {
        put_extension(&mut ext, EXT_EXTENDED_MASTER_SECRET, &[]);
    }
    if spec.extras.heartbeat {
        put_extension(&mut ext, EXT_HEARTBEAT, &[1]); // peer_allowed_to_send
    }
    if spec.version == TlsVersion::Tls13 {
        put_extension(&mut ext, EXT_SUPPORTED_VERSIONS, &[2, 0x03, 0x04]);
        let mut share = Vec::new();
        put_u16(&mut share, 0x001d);
        put_u16(&mut share, 32);
        share.extend_from_slice(&spec.key_share);
        let mut data = Vec::new();
        put_u16(&mut data, share.len() as u16);
        data.extend_from_slice(&share);
        put_extension(&mut ext, EXT_KEY_SHARE, &data);
    }
    ext
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2 + 2);
    put_u16(&mut out, (values.len() * 2) as u16);
    for v in values {
        put_u16(&mut out, *v);
    }
    out
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    put_u16(out, kind);
    put_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    let v = v.min(0xff_ffff) as u32;
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsprobe::wire::Cursor;

    fn spec(version: TlsVersion, suites: &[u16]) -> HelloSpec<'_> {
        HelloSpec {
            version,
            suites,
            server_name: Some("example.gov.vn"),
            random: [7; 32],
            key_share: [9; 32],
            extras: HelloExtras::default(),
        }
    }

    /// Walks the record back apart: (record version, client_version, suites, extension ids).
    fn dissect(record: &[u8]) -> (u16, u16, Vec<u16>, Vec<u16>) {
        let mut c = Cursor::new(record);
        assert_eq!(c.u8(), Some(22));
        let record_version = c.u16().expect("version");
        let body = c.vec16().expect("record body");
        assert!(c.is_empty());
        let mut h = Cursor::new(body);
        assert_eq!(h.u8(), Some(1));
        let hello = h.vec24().expect("hello body");
        let mut b = Cursor::new(hello);
        let client_version = b.u16().expect("client_version");
        b.take(32).expect("random");
        b.vec8().expect("session id");
        let mut s = Cursor::new(b.vec16().expect("suites"));
        let mut suites = Vec::new();
        while let Some(x) = s.u16() {
            suites.push(x);
        }
        let compression = b.vec8().expect("compression methods");
        assert_eq!(
            compression.last(),
            Some(&0u8),
            "null compression always offered"
        );
        let mut exts = Vec::new();
        if let Some(list) = b.vec16() {
            let mut e = Cursor::new(list);
            while let Some(id) = e.u16() {
                e.vec16().expect("extension body");
                exts.push(id);
            }
        }
        assert!(b.is_empty(), "no trailing bytes");
        (record_version, client_version, suites, exts)
    }

    #[test]
    fn a_tls10_hello_names_tls10_and_carries_the_usual_extensions() {
        let (rv, cv, suites, exts) = dissect(&client_hello(&spec(TlsVersion::Tls10, &[0x002f])));
        assert_eq!((rv, cv), (0x0301, 0x0301));
        assert_eq!(suites, vec![0x002f]);
        for id in [0, 10, 11, 13, 0xff01] {
            assert!(exts.contains(&id), "extension {id} missing: {exts:?}");
        }
        assert!(!exts.contains(&43), "no supported_versions below TLS 1.3");
    }

    #[test]
    fn an_sslv3_hello_has_no_extensions_and_signals_renegotiation_by_scsv() {
        let record = client_hello(&spec(TlsVersion::Ssl3, &[0x000a]));
        let (rv, cv, suites, exts) = dissect(&record);
        assert_eq!((rv, cv), (0x0300, 0x0300));
        assert_eq!(suites, vec![0x000a, 0x00ff]);
        assert!(exts.is_empty());
    }

    #[test]
    fn a_tls13_hello_offers_only_13_with_an_x25519_share() {
        let (rv, cv, _, exts) = dissect(&client_hello(&spec(TlsVersion::Tls13, &[0x1301])));
        assert_eq!((rv, cv), (0x0301, 0x0303));
        assert!(exts.contains(&43) && exts.contains(&51));
    }

    #[test]
    fn mid_sized_hellos_are_padded_past_512_bytes() {
        let suites: Vec<u16> = (0x0001..0x0060).collect();
        let record = client_hello(&spec(TlsVersion::Tls12, &suites));
        let handshake_len = record.len() - 5;
        assert!(handshake_len >= 512, "{handshake_len}");
        let (_, _, _, exts) = dissect(&record);
        assert!(exts.contains(&21));
        let small = client_hello(&spec(TlsVersion::Tls12, &[0x002f]));
        assert!(small.len() - 5 < 256, "a small hello stays small");
    }

    #[test]
    fn vulnerability_extras_add_their_extensions_scsv_and_deflate() {
        let mut s = spec(TlsVersion::Tls12, &[0x002f]);
        s.extras = HelloExtras {
            heartbeat: true,
            extended_master_secret: true,
            deflate: true,
            fallback_scsv: true,
        };
        let record = client_hello(&s);
        let (_, _, suites, exts) = dissect(&record);
        assert_eq!(suites, vec![0x002f, 0x5600]);
        assert!(exts.contains(&15) && exts.contains(&23), "{exts:?}");
        // DEFLATE (1) then null (0), right after the suites.
        let at = record
            .windows(4)
            .position(|w| w == [0x56, 0x00, 2, 1])
            .expect("compression list after the SCSV");
        assert_eq!(record[at + 4], 0);
        let (_, _, _, plain) = dissect(&client_hello(&spec(TlsVersion::Tls12, &[0x002f])));
        assert!(!plain.contains(&15) && !plain.contains(&23));
    }

    #[test]
    fn no_sni_for_ip_literals() {
        let mut s = spec(TlsVersion::Tls12, &[0x002f]);
        s.server_name = None;
        let (_, _, _, exts) = dissect(&client_hello(&s));
        assert!(!exts.contains(&0));
    }
}
