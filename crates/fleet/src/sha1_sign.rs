//! Certificates signed with SHA-1 (`sha1WithRSAEncryption`), for the `WeakSignature` site.
//!
//! rcgen writes only the signature algorithms it knows (none with SHA-1) and ring will not
//! sign with SHA-1, yet a SHA-1 signature is exactly what the scanner must find on real
//! sites. So the issuing CA has an RSA key (from the `rsa` crate; ring can sign with it
//! once it exists), rcgen issues the leaf with SHA-256 as usual, and [`resign_sha1`] then
//! rewrites it: the signature AlgorithmIdentifier inside the TBSCertificate becomes
//! sha1WithRSAEncryption (the same length, so nothing else in the TBS moves), and the
//! certificate gets a fresh PKCS #1 v1.5 signature over the SHA-1 digest of that TBS.

use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use x509_parser::prelude::{FromDer, X509Certificate};

/// AlgorithmIdentifier { sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL }.
const SHA256_WITH_RSA: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
];
/// AlgorithmIdentifier { sha1WithRSAEncryption (1.2.840.113549.1.1.5), NULL }.
const SHA1_WITH_RSA: [u8; 15] = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
];
/// DigestInfo { sha1 (1.3.14.3.2.26), NULL } up to the 20 digest bytes (RFC 8017 9.2).
const SHA1_DIGEST_INFO_PREFIX: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

#[derive(Debug, thiserror::Error)]
pub enum Sha1SignError {
    #[error("the certificate to re-sign does not parse: {0}")]
    Parse(String),
    #[error("the certificate to re-sign is not signed once with sha256WithRSAEncryption")]
    NotRsaSha256,
    #[error("RSA signing failed: {0}")]
    Sign(#[from] rsa::Error),
}

/// `der` (a certificate rcgen signed with sha256WithRSAEncryption by `key`'s CA),
/// re-signed by `key` with sha1WithRSAEncryption.
pub(crate) fn resign_sha1(der: &[u8], key: &RsaPrivateKey) -> Result<Vec<u8>, Sha1SignError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| Sha1SignError::Parse(e.to_string()))?;
    let mut tbs = cert.tbs_certificate.as_ref().to_vec();
    let found: Vec<usize> = tbs
        .windows(SHA256_WITH_RSA.len())
        .enumerate()
        .filter(|(_, w)| *w == SHA256_WITH_RSA)
        .map(|(at, _)| at)
        .collect();
    let [at] = found[..] else {
        return Err(Sha1SignError::NotRsaSha256);
    };
    tbs[at..at + SHA1_WITH_RSA.len()].copy_from_slice(&SHA1_WITH_RSA);
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &tbs);
    let mut digest_info = SHA1_DIGEST_INFO_PREFIX.to_vec();
    digest_info.extend_from_slice(digest.as_ref());
    let signature = key.sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)?;
    Ok(yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            w.next().write_der(&SHA1_WITH_RSA);
            w.next().write_bitvec_bytes(&signature, signature.len() * 8);
        })
    }))
}
