//! The signed tree head (RFC 6962 §3.5, §4.3): a log's signed promise of its size and
//! root. Only a head whose signature verifies under the key configured for the log is
//! believed; everything fetched afterwards is checked against it.

use super::merkle::Hash;
use super::wire::{RawSth, WireError, decode_base64};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use sha2::{Digest, Sha256};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

/// `hash_algorithm` sha256 and `signature_algorithm` ecdsa of TLS 1.2's
/// `SignatureAndHashAlgorithm`.
const SHA256: u8 = 4;
const ECDSA: u8 = 3;
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// A log's public key, as logs publish it (DER SubjectPublicKeyInfo, base64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    point: Vec<u8>,
    /// SHA-256 of the DER key: the log's id (RFC 6962 §3.2).
    pub log_id: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogKeyError {
    #[error("log key is not base64")]
    Base64,
    #[error("log key is not a DER SubjectPublicKeyInfo")]
    Der,
    #[error("log key is not an ECDSA P-256 key (the only kind this follower verifies)")]
    Unsupported,
}

impl LogKey {
    pub fn from_base64(text: &str) -> Result<LogKey, LogKeyError> {
        let der = decode_base64("key", text).map_err(|_| LogKeyError::Base64)?;
        LogKey::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<LogKey, LogKeyError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|_| LogKeyError::Der)?;
        if !rest.is_empty() {
            return Err(LogKeyError::Der);
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        if spki.algorithm.algorithm.to_id_string() != OID_EC_PUBLIC_KEY
            || curve.as_deref() != Some(OID_P256)
        {
            return Err(LogKeyError::Unsupported);
        }
        Ok(LogKey {
            point: spki.subject_public_key.data.to_vec(),
            log_id: Sha256::digest(der).into(),
        })
    }
}

/// A tree head whose signature verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTreeHead {
    pub tree_size: u64,
    pub timestamp: u64,
    pub root_hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SthError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("tree head signature is not a SHA-256/ECDSA digitally-signed structure")]
    SignatureFormat,
    #[error("tree head signature does not verify under the configured log key")]
    BadSignature,
}

/// The bytes a log signs for a tree head (`TreeHeadSignature`, RFC 6962 §3.5).
pub fn tree_head_signed_bytes(tree_size: u64, timestamp: u64, root: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(50);
    out.push(0); // version v1
    out.push(1); // signature_type tree_hash
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&tree_size.to_be_bytes());
    out.extend_from_slice(root);
    out
}

impl SignedTreeHead {
    /// Decodes a `get-sth` answer and verifies its signature with `key`.
    pub fn verify(raw: &RawSth, key: &LogKey) -> Result<SignedTreeHead, SthError> {
        let root = decode_base64("sha256_root_hash", &raw.sha256_root_hash)?;
        let root_hash: Hash = root.as_slice().try_into().map_err(|_| WireError::Length {
            field: "sha256_root_hash",
            found: root.len(),
            expected: 32,
        })?;
        let signed = decode_base64("tree_head_signature", &raw.tree_head_signature)?;
        let signature = match signed.as_slice() {
            [SHA256, ECDSA, hi, lo, rest @ ..]
                if rest.len() == usize::from(u16::from_be_bytes([*hi, *lo])) =>
            {
                rest
            }
            _ => return Err(SthError::SignatureFormat),
        };
        let message = tree_head_signed_bytes(raw.tree_size, raw.timestamp, &root_hash);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.point)
            .verify(&message, signature)
            .map_err(|_| SthError::BadSignature)?;
        Ok(SignedTreeHead {
            tree_size: raw.tree_size,
            timestamp: raw.timestamp,
            root_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    /// A P-256 SubjectPublicKeyInfo around a raw point (the fixed DER prefix).
    fn spki(point: &[u8]) -> Vec<u8> {
        let mut der = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
        der.extend_from_slice(point);
        der
    }

    fn signed_head(pair: &EcdsaKeyPair, size: u64, root: Hash) -> RawSth {
        let rng = SystemRandom::new();
        let sig = pair
            .sign(&rng, &tree_head_signed_bytes(size, 42, &root))
            .unwrap();
        let mut ds = vec![SHA256, ECDSA];
        ds.extend_from_slice(&(sig.as_ref().len() as u16).to_be_bytes());
        ds.extend_from_slice(sig.as_ref());
        RawSth {
            tree_size: size,
            timestamp: 42,
            sha256_root_hash: STANDARD.encode(root),
            tree_head_signature: STANDARD.encode(ds),
        }
    }

    #[test]
    fn a_head_verifies_only_under_its_own_key_and_unchanged() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let key = LogKey::from_der(&spki(pair.public_key().as_ref())).unwrap();
        let raw = signed_head(&pair, 10, [7; 32]);
        let head = SignedTreeHead::verify(&raw, &key).unwrap();
        assert_eq!((head.tree_size, head.root_hash), (10, [7; 32]));

        let mut bigger = raw.clone();
        bigger.tree_size = 11;
        assert_eq!(
            SignedTreeHead::verify(&bigger, &key),
            Err(SthError::BadSignature)
        );
        let other = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let other = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, other.as_ref(), &rng)
            .unwrap();
        let other_key = LogKey::from_der(&spki(other.public_key().as_ref())).unwrap();
        assert_eq!(
            SignedTreeHead::verify(&raw, &other_key),
            Err(SthError::BadSignature)
        );
        let mut garbled = raw;
        garbled.tree_head_signature = STANDARD.encode([4, 3, 0, 9, 1]);
        assert_eq!(
            SignedTreeHead::verify(&garbled, &key),
            Err(SthError::SignatureFormat)
        );
    }

    #[test]
    fn keys_that_are_not_p256_are_refused() {
        assert_eq!(LogKey::from_base64("!!"), Err(LogKeyError::Base64));
        assert_eq!(LogKey::from_der(b"nope"), Err(LogKeyError::Der));
    }
}
