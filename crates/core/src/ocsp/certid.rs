//! How OCSP names one certificate (RFC 6960 §4.1.1): a CertID made of hashes of the
//! issuer's name and key plus the certificate's serial number.
//!
//! The issuer is described by its subject name and public key only ([`IssuerKey`]),
//! because the issuer of a verified path may be a trust anchor, of which the verifier
//! keeps just those two things.

use super::OcspError;
use super::der::{self, Reader};
use ring::digest;
use x509_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;
use yasna::models::TaggedDerValue;
use yasna::tags::{TAG_INTEGER, TAG_OID};

/// id-sha1 (1.3.14.3.2.26) and id-sha256 (2.16.840.1.101.3.4.2.1) as DER content octets.
const SHA1_OID: [u8; 5] = [0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256_OID: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// The hash of a CertID. Requests use SHA-1, the one every responder must understand
/// (RFC 5019 §2.1.1); answers hashed with SHA-256 are understood too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertIdHash {
    Sha1,
    Sha256,
}

impl CertIdHash {
    fn oid(self) -> &'static [u8] {
        match self {
            CertIdHash::Sha1 => &SHA1_OID,
            CertIdHash::Sha256 => &SHA256_OID,
        }
    }

    fn from_oid(oid: &[u8]) -> Option<CertIdHash> {
        [CertIdHash::Sha1, CertIdHash::Sha256]
            .into_iter()
            .find(|h| h.oid() == oid)
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let algorithm = match self {
            CertIdHash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            CertIdHash::Sha256 => &digest::SHA256,
        };
        digest::digest(algorithm, data).as_ref().to_vec()
    }
}

/// The issuer of a certificate as far as OCSP cares: who it is and which key it signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// DER of the issuer's subject Name (equal, byte for byte, to the leaf's issuer field).
    pub name_der: Vec<u8>,
    /// DER SubjectPublicKeyInfo of the issuer.
    pub spki_der: Vec<u8>,
}

impl IssuerKey {
    /// The issuer described by its own certificate.
    pub fn from_certificate(der: &[u8]) -> Result<IssuerKey, OcspError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| OcspError::Certificate(e.to_string()))?;
        Ok(IssuerKey {
            name_der: cert.subject().as_raw().to_vec(),
            spki_der: cert.public_key().raw.to_vec(),
        })
    }

    pub(crate) fn spki(&self) -> Result<SubjectPublicKeyInfo<'_>, OcspError> {
        SubjectPublicKeyInfo::from_der(&self.spki_der)
            .map(|(_, spki)| spki)
            .map_err(|e| OcspError::Certificate(format!("issuer key: {e}")))
    }

    /// Hash of the subjectPublicKey bits, as in a CertID or a ResponderID `byKey`.
    pub fn key_hash(&self, hash: CertIdHash) -> Result<Vec<u8>, OcspError> {
        Ok(hash.digest(&self.spki()?.subject_public_key.data))
    }
}

/// One certificate as a responder knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    pub hash: CertIdHash,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// Content octets of the serial number INTEGER, exactly as in the certificate.
    pub serial: Vec<u8>,
}

impl CertId {
    pub fn new(hash: CertIdHash, issuer: &IssuerKey, serial: &[u8]) -> Result<CertId, OcspError> {
        Ok(CertId {
            hash,
            issuer_name_hash: hash.digest(&issuer.name_der),
            issuer_key_hash: issuer.key_hash(hash)?,
            serial: serial.to_vec(),
        })
    }

    /// The CertID of the certificate `leaf_der`, which `issuer` issued.
    pub fn for_certificate(
        hash: CertIdHash,
        leaf_der: &[u8],
        issuer: &IssuerKey,
    ) -> Result<CertId, OcspError> {
        let (_, leaf) = X509Certificate::from_der(leaf_der)
            .map_err(|e| OcspError::Certificate(e.to_string()))?;
        if leaf.issuer().as_raw() != issuer.name_der.as_slice() {
            return Err(OcspError::Certificate(
                "the certificate names another issuer".into(),
            ));
        }
        CertId::new(hash, issuer, leaf.raw_serial())
    }

    /// The same certificate named with another hash (to compare with an answer that
    /// used it).
    pub fn rehash(&self, hash: CertIdHash, issuer: &IssuerKey) -> Result<CertId, OcspError> {
        if hash == self.hash {
            return Ok(self.clone());
        }
        CertId::new(hash, issuer, &self.serial)
    }

    pub fn write(&self, w: yasna::DERWriter<'_>) {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_tagged_der(&TaggedDerValue::from_tag_and_bytes(
                        TAG_OID,
                        self.hash.oid().to_vec(),
                    ));
                w.next().write_null();
            });
            w.next().write_bytes(&self.issuer_name_hash);
            w.next().write_bytes(&self.issuer_key_hash);
            // The serial's content octets verbatim: re-encoding it as a number would
            // change a (non-conforming but real) negative or zero-padded serial.
            w.next()
                .write_tagged_der(&TaggedDerValue::from_tag_and_bytes(
                    TAG_INTEGER,
                    self.serial.clone(),
                ));
        });
    }

    /// Reads a CertID element. `Ok(None)` when it uses a hash this parser does not know,
    /// so an answer about it can never match.
    pub(crate) fn read(
        element: &x509_parser::asn1_rs::Any<'_>,
    ) -> Result<Option<CertId>, OcspError> {
        let mut fields = Reader::inside(element, Tag::Sequence, "CertID")?;
        let algorithm = fields.next_universal(Tag::Sequence, true, "CertID hashAlgorithm")?;
        let mut algorithm = Reader::inside(&algorithm, Tag::Sequence, "CertID hashAlgorithm")?;
        let oid = der::oid(
            &algorithm.next_universal(Tag::Oid, false, "CertID hash OID")?,
            "CertID hash OID",
        )?;
        // Parameters are NULL or absent; anything else is not a hash identifier.
        if !algorithm.is_empty() {
            let params = algorithm.next_universal(Tag::Null, false, "CertID hash parameters")?;
            if !params.data.is_empty() {
                return Err(OcspError::Malformed("CertID hash parameters"));
            }
        }
        algorithm.end()?;
        let name_hash = fields.next_universal(Tag::OctetString, false, "issuerNameHash")?;
        let key_hash = fields.next_universal(Tag::OctetString, false, "issuerKeyHash")?;
        let serial = fields.next_universal(Tag::Integer, false, "serialNumber")?;
        fields.end()?;
        if serial.data.is_empty() {
            return Err(OcspError::Malformed("serialNumber"));
        }
        Ok(CertIdHash::from_oid(oid).map(|hash| CertId {
            hash,
            issuer_name_hash: name_hash.data.to_vec(),
            issuer_key_hash: key_hash.data.to_vec(),
            serial: serial.data.to_vec(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_follow_rfc_6960() {
        let issuer = IssuerKey {
            name_der: b"name".to_vec(),
            // SPKI of an EC key: the hash covers only the key bits, not the algorithm.
            spki_der: vec![
                0x30, 0x0f, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x03,
                0x02, 0x00, 0x04,
            ],
        };
        let id = CertId::new(CertIdHash::Sha1, &issuer, &[0x01, 0x02]).unwrap();
        assert_eq!(id.issuer_name_hash, CertIdHash::Sha1.digest(b"name"));
        assert_eq!(id.issuer_key_hash, CertIdHash::Sha1.digest(&[0x04]));
        assert_eq!(id.issuer_key_hash.len(), 20);
        let wide = id.rehash(CertIdHash::Sha256, &issuer).unwrap();
        assert_eq!(wide.issuer_key_hash.len(), 32);
        assert_eq!(wide.serial, id.serial);
    }

    #[test]
    fn hash_identifiers_are_the_registered_ones() {
        use x509_parser::asn1_rs::Oid;
        let dotted = |h: CertIdHash| Oid::new(h.oid().into()).to_id_string();
        assert_eq!(dotted(CertIdHash::Sha1), "1.3.14.3.2.26");
        assert_eq!(dotted(CertIdHash::Sha256), "2.16.840.1.101.3.4.2.1");
    }

    #[test]
    fn a_cert_id_reads_back_what_was_written() {
        let id = CertId {
            hash: CertIdHash::Sha256,
            issuer_name_hash: vec![1; 32],
            issuer_key_hash: vec![2; 32],
            serial: vec![0x00, 0x80],
        };
        let der = yasna::construct_der(|w| id.write(w));
        let element = Reader::whole(&der, "CertID").unwrap();
        assert_eq!(CertId::read(&element).unwrap(), Some(id));
    }

    #[test]
    fn an_unknown_hash_is_not_an_error_but_never_matches() {
        let der = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next()
                        .write_oid(&yasna::models::ObjectIdentifier::from_slice(&[
                            1, 2, 840, 113549, 2, 5,
                        ]));
                    w.next().write_null();
                });
                w.next().write_bytes(&[1; 16]);
                w.next().write_bytes(&[2; 16]);
                w.next().write_u8(7);
            })
        });
        let element = Reader::whole(&der, "CertID").unwrap();
        assert_eq!(CertId::read(&element).unwrap(), None);
    }
}
