//! The cryptography of DNSSEC: key tags, DS digests, signed data and signature
//! verification (RFC 4034, with the algorithm numbers of RFC 8624), over `ring`.

use crate::dns::name::Name;
use crate::dns::wire::{Dnskey, Ds, RType, Record, Rrsig};
use ring::signature::{self, UnparsedPublicKey};

/// What a signature check can say; the reasons a validator reports as "why".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigProblem {
    #[error("the signature expired {0}")]
    Expired(String),
    #[error("the signature is not valid before {0}")]
    NotYetValid(String),
    #[error("the signature does not verify with key {key_tag}")]
    BadSignature { key_tag: u16 },
    #[error("algorithm {0} is not supported")]
    UnsupportedAlgorithm(u8),
    #[error("key {key_tag} cannot be read as an algorithm {algorithm} key")]
    BadKey { key_tag: u16, algorithm: u8 },
    #[error("the signature does not fit the records it claims to cover")]
    Mismatch,
}

/// The key tag of a DNSKEY (RFC 4034 Appendix B).
pub fn key_tag(key: &Dnskey) -> u16 {
    let rdata = key.rdata();
    if key.algorithm == 1 {
        // RSA/MD5's tag is the modulus' second-to-last two bytes (never validated here).
        let n = rdata.len();
        return if n >= 4 {
            u16::from_be_bytes([rdata[n - 3], rdata[n - 2]])
        } else {
            0
        };
    }
    let mut acc: u32 = 0;
    for (i, b) in rdata.iter().enumerate() {
        acc += if i % 2 == 0 {
            u32::from(*b) << 8
        } else {
            u32::from(*b)
        };
    }
    acc += (acc >> 16) & 0xffff;
    (acc & 0xffff) as u16
}

/// Algorithms this validator can check, so a zone signed only with others is treated as
/// unsigned (RFC 4035 §5.2) rather than as broken.
pub fn algorithm_supported(algorithm: u8) -> bool {
    matches!(algorithm, 5 | 7 | 8 | 10 | 13 | 14 | 15)
}

pub fn digest_supported(digest_type: u8) -> bool {
    matches!(digest_type, 1 | 2 | 4)
}

/// The DS digest of `key` owned by `owner` (RFC 4034 §5.1.4, RFC 4509, RFC 6605).
pub fn ds_digest(owner: &Name, key: &Dnskey, digest_type: u8) -> Option<Vec<u8>> {
    let mut data = owner.canonical_wire();
    data.extend_from_slice(&key.rdata());
    let algorithm = match digest_type {
        1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        2 => &ring::digest::SHA256,
        4 => &ring::digest::SHA384,
        _ => return None,
    };
    Some(ring::digest::digest(algorithm, &data).as_ref().to_vec())
}

/// A DS record for `key` (SHA-256), as a parent would publish it.
pub fn ds_for(owner: &Name, key: &Dnskey) -> Ds {
    Ds {
        key_tag: key_tag(key),
        algorithm: key.algorithm,
        digest_type: 2,
        digest: ds_digest(owner, key, 2).unwrap_or_default(),
    }
}

/// True when `ds` names `key` (tag, algorithm and digest all agree).
pub fn ds_matches(owner: &Name, ds: &Ds, key: &Dnskey) -> bool {
    ds.key_tag == key_tag(key)
        && ds.algorithm == key.algorithm
        && ds_digest(owner, key, ds.digest_type).is_some_and(|d| d == ds.digest)
}

/// The data an RRSIG signs (RFC 4034 §3.1.8.1): its own rdata without the signature,
/// then every record of the set in canonical form and canonical order, the owner
/// replaced by the wildcard it was expanded from when `labels` says so.
pub fn signed_data(sig: &Rrsig, owner: &Name, rtype: RType, rdatas: &[Vec<u8>]) -> Vec<u8> {
    let mut data = sig.header_wire(true);
    let signed_owner = if usize::from(sig.labels) < owner.label_count() {
        let base = owner.suffix(usize::from(sig.labels));
        base.child(b"*").unwrap_or(base)
    } else {
        owner.clone()
    };
    let owner_wire = signed_owner.canonical_wire();
    let mut sorted: Vec<&Vec<u8>> = rdatas.iter().collect();
    sorted.sort();
    sorted.dedup();
    for rdata in sorted {
        data.extend_from_slice(&owner_wire);
        data.extend_from_slice(&rtype.0.to_be_bytes());
        data.extend_from_slice(&crate::dns::wire::CLASS_IN.to_be_bytes());
        data.extend_from_slice(&sig.original_ttl.to_be_bytes());
        data.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        data.extend_from_slice(rdata);
    }
    data
}

/// `now` (seconds since the epoch) folded into the 32-bit serial space of RRSIG times.
fn serial(now: i64) -> u32 {
    now.rem_euclid(1 << 32) as u32
}

/// The absolute time of a 32-bit RRSIG time, the one closest to `now` (RFC 4034 §3.1.5).
pub fn absolute_time(stamp: u32, now: i64) -> i64 {
    now + i64::from(stamp.wrapping_sub(serial(now)) as i32)
}

fn describe(stamp: u32, now: i64) -> String {
    let at = absolute_time(stamp, now);
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// Checks the validity window of `sig` at `now` with serial-number arithmetic.
pub fn check_window(sig: &Rrsig, now: i64) -> Result<(), SigProblem> {
    let now32 = serial(now);
    if (now32.wrapping_sub(sig.expiration) as i32) > 0 {
        return Err(SigProblem::Expired(describe(sig.expiration, now)));
    }
    if (sig.inception.wrapping_sub(now32) as i32) > 0 {
        return Err(SigProblem::NotYetValid(describe(sig.inception, now)));
    }
    Ok(())
}

/// Verifies one RRSIG over a record set with one key, time window included.
pub fn verify_rrsig(
    sig: &Rrsig,
    owner: &Name,
    records: &[&Record],
    key: &Dnskey,
    now: i64,
) -> Result<(), SigProblem> {
    let Some(first) = records.first() else {
        return Err(SigProblem::Mismatch);
    };
    let tag = key_tag(key);
    if sig.type_covered != first.rtype
        || usize::from(sig.labels) > owner.label_count()
        || !owner.is_subdomain_of(&sig.signer)
        || sig.algorithm != key.algorithm
        || sig.key_tag != tag
        || !key.is_zone_key()
        || key.is_revoked()
        || key.protocol != 3
    {
        return Err(SigProblem::Mismatch);
    }
    check_window(sig, now)?;
    let rdatas: Vec<Vec<u8>> = records.iter().map(|r| r.rdata.canonical()).collect();
    let data = signed_data(sig, owner, first.rtype, &rdatas);
    verify_signature(sig.algorithm, &key.public_key, &data, &sig.signature).map_err(|problem| {
        match problem {
            SigProblem::BadKey { algorithm, .. } => SigProblem::BadKey {
                key_tag: tag,
                algorithm,
            },
            SigProblem::BadSignature { .. } => SigProblem::BadSignature { key_tag: tag },
            other => other,
        }
    })
}

/// Verifies a raw signature of `data` made by a DNSKEY public key of `algorithm`.
pub fn verify_signature(
    algorithm: u8,
    public_key: &[u8],
    data: &[u8],
    sig: &[u8],
) -> Result<(), SigProblem> {
    let bad_key = SigProblem::BadKey {
        key_tag: 0,
        algorithm,
    };
    let bad_sig = SigProblem::BadSignature { key_tag: 0 };
    match algorithm {
        5 | 7 | 8 | 10 => {
            let params = match algorithm {
                8 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                10 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                _ => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            };
            let (e, n) = rsa_components(public_key).ok_or(bad_key)?;
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, data, sig)
                .map_err(|_| bad_sig)
        }
        13 | 14 => {
            let (params, len) = if algorithm == 13 {
                (&signature::ECDSA_P256_SHA256_FIXED, 64)
            } else {
                (&signature::ECDSA_P384_SHA384_FIXED, 96)
            };
            if public_key.len() != len {
                return Err(bad_key);
            }
            let mut point = Vec::with_capacity(len + 1);
            point.push(0x04);
            point.extend_from_slice(public_key);
            UnparsedPublicKey::new(params, &point)
                .verify(data, sig)
                .map_err(|_| bad_sig)
        }
        15 => {
            if public_key.len() != 32 {
                return Err(bad_key);
            }
            UnparsedPublicKey::new(&signature::ED25519, public_key)
                .verify(data, sig)
                .map_err(|_| bad_sig)
        }
        other => Err(SigProblem::UnsupportedAlgorithm(other)),
    }
}

/// Exponent and modulus of an RSA DNSKEY (RFC 3110 §2).
fn rsa_components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = key.split_first()?;
    let (e_len, rest) = if first == 0 {
        let (len, rest) = rest.split_at_checked(2)?;
        (usize::from(u16::from_be_bytes([len[0], len[1]])), rest)
    } else {
        (usize::from(first), rest)
    };
    let (e, n) = rest.split_at_checked(e_len)?;
    (!e.is_empty() && !n.is_empty()).then_some((e, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn root_ksk_2017() -> Dnskey {
        // The root zone's KSK-2017 (IANA root-anchors), whose DS is the root trust anchor.
        let b64 = "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3\
                   +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv\
                   ArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF\
                   0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+e\
                   oZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfd\
                   RUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwN\
                   R1AkUTV74bU=";
        Dnskey {
            flags: 257,
            protocol: 3,
            algorithm: 8,
            public_key: base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        }
    }

    #[test]
    fn the_root_ksk_has_its_published_tag_and_digest() {
        let key = root_ksk_2017();
        assert_eq!(key_tag(&key), 20326);
        let digest = ds_digest(&Name::root(), &key, 2).unwrap();
        assert_eq!(
            hex::encode_upper(digest),
            "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
        );
        let ds = ds_for(&Name::root(), &key);
        assert!(ds_matches(&Name::root(), &ds, &key));
        let mut other = ds.clone();
        other.digest[0] ^= 1;
        assert!(!ds_matches(&Name::root(), &other, &key));
    }

    #[test]
    fn validity_windows_use_serial_arithmetic() {
        let sig = |inception, expiration| Rrsig {
            type_covered: RType::A,
            algorithm: 13,
            labels: 1,
            original_ttl: 0,
            expiration,
            inception,
            key_tag: 0,
            signer: Name::root(),
            signature: vec![],
        };
        let now = 1_800_000_000i64;
        let n = now as u32;
        assert!(check_window(&sig(n - 10, n + 10), now).is_ok());
        assert!(matches!(
            check_window(&sig(n - 20, n - 10), now),
            Err(SigProblem::Expired(_))
        ));
        assert!(matches!(
            check_window(&sig(n + 10, n + 20), now),
            Err(SigProblem::NotYetValid(_))
        ));
        // Past 2106 the 32-bit stamps wrap; the window still reads right.
        let later = (1i64 << 32) + 100;
        assert!(check_window(&sig(50, 150), later).is_ok());
        assert_eq!(absolute_time(150, later), later + 50);
    }

    #[test]
    fn rsa_key_components_follow_rfc_3110() {
        assert_eq!(
            rsa_components(&[1, 3, 9, 9]),
            Some((&[3u8][..], &[9u8, 9][..]))
        );
        assert_eq!(
            rsa_components(&[0, 0, 1, 3, 9]),
            Some((&[3u8][..], &[9u8][..]))
        );
        assert_eq!(rsa_components(&[5, 1]), None);
        assert_eq!(rsa_components(&[]), None);
    }
}
