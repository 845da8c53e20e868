//! Revocation of the leaf certificate through the CA's CRL.
//!
//! CRLs are fetched from the leaf's distribution point over plain HTTP (as RFC 5280
//! intends: the CRL is signed, so transport security adds nothing) and cached per URL
//! for a bounded time, since every site of one CA points at the same list. The CRL's
//! signature is checked by webpki against the issuer in the verified path; an
//! unreachable, unsigned or unrelated CRL yields `Unknown`, never a guess.

use super::slots::TimedSlots;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use trustlabel_core::evidence::{Revocation, RevocationSource};

/// Fetched CRLs by URL, each kept for a bounded time (failures are kept too, so a dead
/// distribution point is asked once per scan, not once per site).
pub type CrlCache = TimedSlots<String, Result<Arc<webpki::CertRevocationList<'static>>, String>>;

pub fn parse_crl(der: &[u8]) -> Result<Arc<webpki::CertRevocationList<'static>>, String> {
    let bytes = if der.starts_with(b"-----BEGIN") {
        pem_body(der).ok_or_else(|| "PEM CRL without a body".to_string())?
    } else {
        der.to_vec()
    };
    webpki::OwnedCertRevocationList::from_der(&bytes)
        .map(|owned| Arc::new(webpki::CertRevocationList::Owned(owned)))
        .map_err(|e| format!("not a usable CRL: {e:?}"))
}

/// Decodes the first PEM block (certificate or CRL) to DER.
pub fn pem_body(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(text).ok()?;
    let start = text.find("-----BEGIN")?;
    let after_header = start + text[start..].find('\n')? + 1;
    let end = after_header + text[after_header..].find("-----END")?;
    let b64: String = text[after_header..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Turns a checked CRL into the evidence value.
pub fn judge(
    url: &str,
    crl: &webpki::CertRevocationList<'_>,
    leaf_serial: &[u8],
    check: Result<bool, trustlabel_core::evidence::VerifyError>,
) -> Revocation {
    let source = RevocationSource::Crl {
        url: url.to_string(),
    };
    match check {
        Ok(false) => Revocation::Good { source },
        Ok(true) => {
            let entry = crl.find_serial(leaf_serial).ok().flatten();
            Revocation::Revoked {
                source,
                revoked_at: entry.as_ref().and_then(|e| {
                    time::OffsetDateTime::from_unix_timestamp(e.revocation_date.as_secs() as i64)
                        .ok()
                }),
                reason: entry.and_then(|e| e.reason_code).map(|r| format!("{r:?}")),
            }
        }
        Err(e) => Revocation::Unknown {
            attempts: vec![format!("{url}: cannot check the CRL: {e:?}")],
        },
    }
}

/// The certificates of a chain as DER, for the verifier.
pub fn chain_der(
    chain: &[trustlabel_core::evidence::CertificateInfo],
) -> Vec<CertificateDer<'static>> {
    use base64::Engine;
    chain
        .iter()
        .filter_map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(&c.der_base64)
                .ok()
                .map(CertificateDer::from)
        })
        .collect()
}
