//! DER certificate → [`CertificateInfo`]: the facts checks need, parsed once at
//! collection time so checks never touch ASN.1.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use trustlabel_core::evidence::{CertificateInfo, PublicKeyInfo};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate is not valid DER: {0}")]
pub struct CertParseError(pub String);

/// The RSA modulus and public exponent of a certificate's key (big-endian), for the
/// ROBOT probe's ClientKeyExchange; `None` for other keys or an unreadable certificate.
pub fn rsa_public_key(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    match cert.public_key().parsed().ok()? {
        PublicKey::RSA(rsa) => Some((rsa.modulus.to_vec(), rsa.exponent.to_vec())),
        _ => None,
    }
}

pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, CertParseError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertParseError(e.to_string()))?;
    let mut san_dns = Vec::new();
    let mut san_ip = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => san_dns.push(d.to_ascii_lowercase()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        san_ip.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let mut aia_ca_issuers = Vec::new();
    let mut aia_ocsp = Vec::new();
    let mut crl_distribution_points = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in aia.iter() {
                    if let GeneralName::URI(uri) = &desc.access_location {
                        if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                            aia_ca_issuers.push(uri.to_string());
                        } else if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                            aia_ocsp.push(uri.to_string());
                        }
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        for name in names {
                            if let GeneralName::URI(uri) = name {
                                crl_distribution_points.push(uri.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let sig_oid = cert.signature_algorithm.algorithm.clone();
    let signature_algorithm =
        x509_parser::objects::oid2sn(&sig_oid, x509_parser::objects::oid_registry())
            .map(str::to_string)
            .unwrap_or_else(|_| sig_oid.to_id_string());
    let self_signed =
        cert.subject().as_raw() == cert.issuer().as_raw() && cert.verify_signature(None).is_ok();
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial_hex: hex::encode(cert.tbs_certificate.raw_serial()),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        san_dns,
        san_ip,
        common_name,
        key: public_key_info(&cert),
        signature_algorithm_oid: sig_oid.to_id_string(),
        signature_algorithm,
        is_ca: cert.is_ca(),
        self_signed,
        aia_ca_issuers,
        aia_ocsp,
        crl_distribution_points,
        der_base64: STANDARD.encode(der),
    })
}

fn public_key_info(cert: &X509Certificate<'_>) -> PublicKeyInfo {
    let spki = cert.public_key();
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| {
            x509_parser::objects::oid2sn(&oid, x509_parser::objects::oid_registry())
                .map(str::to_string)
                .unwrap_or_else(|_| oid.to_id_string())
        });
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => PublicKeyInfo {
            algorithm: "rsa".into(),
            bits: rsa.key_size() as u32,
            curve: None,
        },
        Ok(PublicKey::EC(ec)) => PublicKeyInfo {
            algorithm: "ec".into(),
            bits: ec_bits(curve.as_deref()).unwrap_or(ec.key_size() as u32),
            curve,
        },
        Ok(PublicKey::DSA(y)) => PublicKeyInfo {
            algorithm: "dsa".into(),
            bits: (y.len() * 8) as u32,
            curve: None,
        },
        _ if alg_oid == "1.3.101.112" => PublicKeyInfo {
            algorithm: "ed25519".into(),
            bits: 256,
            curve: None,
        },
        _ if alg_oid == "1.3.101.113" => PublicKeyInfo {
            algorithm: "ed448".into(),
            bits: 456,
            curve: None,
        },
        _ => PublicKeyInfo {
            algorithm: alg_oid,
            bits: 0,
            curve: None,
        },
    }
}

/// Field size of the common named curves; the point length x509-parser reports counts
/// both coordinates and the prefix byte, which is not what "key size" means.
fn ec_bits(curve: Option<&str>) -> Option<u32> {
    match curve? {
        "prime256v1" | "secp256r1" => Some(256),
        "secp384r1" => Some(384),
        "secp521r1" => Some(521),
        "secp224r1" => Some(224),
        "secp192r1" | "prime192v1" => Some(192),
        "secp256k1" => Some(256),
        _ => None,
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => {
            let arr: [u8; 4] = bytes.try_into().ok()?;
            Some(std::net::IpAddr::from(arr))
        }
        16 => {
            let arr: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::IpAddr::from(arr))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed SHA-1 certificate made once with
    /// `openssl req -x509 -newkey rsa:2048 -sha1 -days 3650 -subj /CN=sha1.example.vn
    ///  -addext subjectAltName=DNS:sha1.example.vn,DNS:*.sha1.example.vn`.
    const SHA1_PEM: &str = include_str!("../../../tests/fixtures/sha1-rsa2048.pem");

    fn der() -> Vec<u8> {
        super::super::revocation::pem_body(SHA1_PEM.as_bytes()).expect("PEM decodes")
    }

    #[test]
    fn the_facts_checks_need_are_read_from_der() {
        let info = parse_certificate(&der()).unwrap();
        assert_eq!(info.signature_algorithm_oid, "1.2.840.113549.1.1.5");
        assert_eq!(info.signature_algorithm, "sha1WithRSAEncryption");
        assert_eq!(info.key.algorithm, "rsa");
        assert_eq!(info.key.bits, 2048);
        assert_eq!(info.san_dns, vec!["sha1.example.vn", "*.sha1.example.vn"]);
        assert_eq!(info.common_name.as_deref(), Some("sha1.example.vn"));
        assert!(
            info.self_signed,
            "subject = issuer and the signature verifies"
        );
        assert!(info.not_after > info.not_before);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_certificate(b"not a certificate").is_err());
        let mut truncated = der();
        truncated.truncate(100);
        assert!(parse_certificate(&truncated).is_err());
    }
}
