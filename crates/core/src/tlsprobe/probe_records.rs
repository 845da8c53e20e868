//! The records the vulnerability probes send after the server's first flight: heartbeat
//! requests (Heartbleed), an early ChangeCipherSpec (CVE-2014-0224) and the five
//! ClientKeyExchange messages of the ROBOT test (Böck, Somorovsky, Young 2018), each
//! followed by ChangeCipherSpec and a Finished that can never verify. Pure: randomness
//! and the server's RSA key come from the caller.

use super::forge::{handshake, record};
use num_bigint::BigUint;

/// Bytes of payload in the well-formed heartbeat request; an answer announcing more
/// came from memory the client never sent.
pub const HEARTBEAT_PAYLOAD: u16 = 16;
/// What the over-long request claims to carry (it carries nothing).
pub const HEARTBEAT_CLAIMED: u16 = 0x4000;

const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_HEARTBEAT: u8 = 24;
const HANDSHAKE_CLIENT_KEY_EXCHANGE: u8 = 16;
/// A Finished record as a cipher would produce it: bytes that decrypt to nothing valid.
const FAKE_FINISHED_LEN: usize = 48;

/// An over-long heartbeat request (claims [`HEARTBEAT_CLAIMED`] bytes, carries none),
/// then a well-formed one: a patched server discards the first silently (RFC 6520 §4)
/// and answers the second, so the probe ends on an answer instead of a timeout.
pub fn heartbeat_requests(version: u16) -> Vec<u8> {
    let mut over_long = vec![1];
    over_long.extend_from_slice(&HEARTBEAT_CLAIMED.to_be_bytes());
    let mut well_formed = vec![1];
    well_formed.extend_from_slice(&HEARTBEAT_PAYLOAD.to_be_bytes());
    well_formed.extend_from_slice(b"trustlabel-probe");
    well_formed.extend_from_slice(&[0; 16]); // padding
    [
        record(CONTENT_HEARTBEAT, version, &over_long),
        record(CONTENT_HEARTBEAT, version, &well_formed),
    ]
    .concat()
}

/// ChangeCipherSpec before any key exchange, then a Finished-sized handshake record: a
/// patched server refuses the CCS (`unexpected_message`); a vulnerable one takes it and
/// then fails to decrypt the record (`bad_record_mac`, `decryption_failed`).
pub fn early_change_cipher_spec(version: u16) -> Vec<u8> {
    [
        record(CONTENT_CHANGE_CIPHER_SPEC, version, &[1]),
        record(CONTENT_HANDSHAKE, version, &[0; FAKE_FINISHED_LEN]),
    ]
    .concat()
}

/// The ROBOT test's premaster secrets: one well-formed PKCS#1 v1.5 block, four broken
/// ones. A server whose answers tell them apart is a padding oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotVariant {
    WellFormed,
    /// `41 17` instead of `00 02`.
    WrongFirstBytes,
    /// The `00` separator early, so the "secret" is far longer than 48 bytes.
    ZeroTooEarly,
    /// No `00` separator at all.
    NoSeparator,
    /// A well-formed block whose secret starts with the wrong client version.
    WrongVersion,
}

impl RobotVariant {
    pub const ALL: [RobotVariant; 5] = [
        RobotVariant::WellFormed,
        RobotVariant::WrongFirstBytes,
        RobotVariant::ZeroTooEarly,
        RobotVariant::NoSeparator,
        RobotVariant::WrongVersion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RobotVariant::WellFormed => "well_formed",
            RobotVariant::WrongFirstBytes => "wrong_first_bytes",
            RobotVariant::ZeroTooEarly => "zero_too_early",
            RobotVariant::NoSeparator => "no_separator",
            RobotVariant::WrongVersion => "wrong_version",
        }
    }
}

/// The PKCS#1 v1.5 block of `variant` for a modulus of `k` bytes; `random` fills the
/// padding and the secret (zero bytes are replaced, as padding must be non-zero).
pub fn robot_block(variant: RobotVariant, k: usize, client_version: u16, random: &[u8]) -> Vec<u8> {
    let mut block: Vec<u8> = (0..k)
        .map(|i| {
            random
                .get(i % random.len().max(1))
                .copied()
                .unwrap_or(1)
                .max(1)
        })
        .collect();
    if k < 48 + 11 {
        return block;
    }
    block[0] = 0;
    block[1] = 2;
    let separator = k - 49;
    block[separator] = 0;
    block[separator + 1..separator + 3].copy_from_slice(&client_version.to_be_bytes());
    match variant {
        RobotVariant::WellFormed => {}
        RobotVariant::WrongFirstBytes => block[..2].copy_from_slice(&[0x41, 0x17]),
        RobotVariant::ZeroTooEarly => {
            block[separator] = 0x11;
            block[10] = 0;
        }
        RobotVariant::NoSeparator => block[separator] = 0x11,
        RobotVariant::WrongVersion => {
            block[separator + 1..separator + 3].copy_from_slice(&[0x02, 0x02]);
        }
    }
    block
}

/// ClientKeyExchange with `block` encrypted under the server's RSA key (raw RSA, the
/// block already padded), then ChangeCipherSpec and a Finished that cannot verify, as
/// the ROBOT test sends them. `None` when the key is unusable.
pub fn robot_records(
    version: u16,
    modulus: &[u8],
    exponent: &[u8],
    block: &[u8],
) -> Option<Vec<u8>> {
    let n = BigUint::from_bytes_be(modulus);
    let e = BigUint::from_bytes_be(exponent);
    let k = modulus.iter().skip_while(|b| **b == 0).count();
    if n.bits() < 512 || e.bits() == 0 || block.len() != k {
        return None;
    }
    let m = BigUint::from_bytes_be(block);
    if m >= n {
        return None;
    }
    let c = m.modpow(&e, &n).to_bytes_be();
    let mut encrypted = vec![0; k - c.len().min(k)];
    encrypted.extend_from_slice(&c);
    let mut body = Vec::with_capacity(k + 2);
    body.extend_from_slice(&(k as u16).to_be_bytes());
    body.extend_from_slice(&encrypted);
    Some(
        [
            record(
                CONTENT_HANDSHAKE,
                version,
                &handshake(HANDSHAKE_CLIENT_KEY_EXCHANGE, &body),
            ),
            record(CONTENT_CHANGE_CIPHER_SPEC, version, &[1]),
            record(CONTENT_HANDSHAKE, version, &[0x17; FAKE_FINISHED_LEN]),
        ]
        .concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocks_differ_only_where_the_variant_says() {
        let random: Vec<u8> = (0..=255u8).collect();
        let good = robot_block(RobotVariant::WellFormed, 256, 0x0303, &random);
        assert_eq!(&good[..2], &[0, 2]);
        assert_eq!(
            good.iter().skip(2).position(|b| *b == 0),
            Some(256 - 49 - 2)
        );
        assert_eq!(&good[256 - 48..256 - 46], &[3, 3]);
        let wrong = robot_block(RobotVariant::WrongFirstBytes, 256, 0x0303, &random);
        assert_eq!(&wrong[..2], &[0x41, 0x17]);
        assert_eq!(&wrong[2..], &good[2..]);
        let none = robot_block(RobotVariant::NoSeparator, 256, 0x0303, &random);
        assert!(none[2..].iter().all(|b| *b != 0));
        let early = robot_block(RobotVariant::ZeroTooEarly, 256, 0x0303, &random);
        assert_eq!(early.iter().skip(2).position(|b| *b == 0), Some(8));
        let version = robot_block(RobotVariant::WrongVersion, 256, 0x0303, &random);
        assert_eq!(&version[256 - 48..256 - 46], &[2, 2]);
    }

    #[test]
    fn raw_rsa_round_trips_with_a_toy_key() {
        // p = 2^521 - 1 and q = 2^607 - 1 (Mersenne primes): n above 512 bits, e = 65537.
        let one = BigUint::from(1u32);
        let p = (BigUint::from(1u32) << 521u32) - &one;
        let q = (BigUint::from(1u32) << 607u32) - &one;
        let n = &p * &q;
        let e = BigUint::from(65537u32);
        let phi = (&p - &one) * (&q - &one);
        let d = e.modinv(&phi).expect("e invertible");
        let modulus = n.to_bytes_be();
        let block = robot_block(RobotVariant::WellFormed, modulus.len(), 0x0303, &[7; 32]);
        let records = robot_records(0x0303, &modulus, &e.to_bytes_be(), &block).expect("records");
        // record(5) handshake(4) length(2) ciphertext
        let k = modulus.len();
        let c = BigUint::from_bytes_be(&records[11..11 + k]);
        assert_eq!(c.modpow(&d, &n).to_bytes_be(), block[1..].to_vec());
        assert_eq!(&records[11 + k..11 + k + 6], &[20, 3, 3, 0, 1, 1]);
        assert!(robot_records(0x0303, &[0xff; 16], &[3], &[0; 16]).is_none());
    }
}
