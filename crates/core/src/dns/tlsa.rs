//! DANE TLSA matching (RFC 6698, RFC 7671, and RFC 7672 for SMTP): does a TLSA record
//! name the certificate (or its key, or a CA in its chain) an MX presented?

use super::wire::Tlsa;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsaMatch {
    /// The record matches certificate `index` of the chain (0 = the server's own).
    Matches {
        index: usize,
    },
    NoMatch,
    /// Not usable for SMTP: PKIX-TA/PKIX-EE usages (RFC 7672 §3.1.3) or unknown fields.
    Unusable(String),
}

/// Matches one TLSA record against the chain the server sent (DER, leaf first).
pub fn tlsa_match(tlsa: &Tlsa, chain: &[Vec<u8>]) -> TlsaMatch {
    let candidates: Vec<usize> = match tlsa.usage {
        3 => vec![0],
        2 => (1..chain.len()).collect(),
        0 | 1 => {
            return TlsaMatch::Unusable(format!(
                "usage {} (PKIX) is not used for SMTP (RFC 7672 §3.1.3)",
                tlsa.usage
            ));
        }
        other => return TlsaMatch::Unusable(format!("unknown usage {other}")),
    };
    if !matches!(tlsa.selector, 0 | 1) || !matches!(tlsa.matching, 0..=2) {
        return TlsaMatch::Unusable(format!(
            "unknown selector {} or matching type {}",
            tlsa.selector, tlsa.matching
        ));
    }
    for index in candidates {
        let Some(der) = chain.get(index) else {
            continue;
        };
        let selected = match tlsa.selector {
            0 => der.clone(),
            _ => match spki(der) {
                Some(spki) => spki,
                None => continue,
            },
        };
        let digest = match tlsa.matching {
            0 => selected,
            1 => ring::digest::digest(&ring::digest::SHA256, &selected)
                .as_ref()
                .to_vec(),
            _ => ring::digest::digest(&ring::digest::SHA512, &selected)
                .as_ref()
                .to_vec(),
        };
        if digest == tlsa.data {
            return TlsaMatch::Matches { index };
        }
    }
    TlsaMatch::NoMatch
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub fn spki(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// The `3 1 1` record (DANE-EE, SPKI, SHA-256) for a certificate: what an owner
/// publishes so the key can be rolled without touching DNS at every renewal.
pub fn recommended_3_1_1(der: &[u8]) -> Option<String> {
    let spki = spki(der)?;
    let hash = ring::digest::digest(&ring::digest::SHA256, &spki);
    Some(format!("3 1 1 {}", hex::encode_upper(hash.as_ref())))
}

/// A TLSA record in presentation form (`3 1 1 HEX`), as kept in the evidence.
pub fn tlsa_text(tlsa: &Tlsa) -> String {
    format!(
        "{} {} {} {}",
        tlsa.usage,
        tlsa.selector,
        tlsa.matching,
        hex::encode_upper(&tlsa.data)
    )
}

/// Reads [`tlsa_text`] back.
pub fn parse_tlsa_text(text: &str) -> Option<Tlsa> {
    let mut parts = text.split_whitespace();
    let usage = parts.next()?.parse().ok()?;
    let selector = parts.next()?.parse().ok()?;
    let matching = parts.next()?.parse().ok()?;
    let data = hex::decode(parts.collect::<String>()).ok()?;
    Some(Tlsa {
        usage,
        selector,
        matching,
        data,
    })
}
