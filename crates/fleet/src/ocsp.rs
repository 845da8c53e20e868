//! The fleet's OCSP responder (RFC 6960) and the staples its sites send.
//!
//! It answers for the trusted intermediate's leaves: "revoked" for the ones the CRL lists,
//! "good" for the others it issued, "unknown" for any other serial, and an
//! unsuccessful `malformedRequest` for bytes that are not a request. Answers are signed
//! by the intermediate itself or, for leaves whose spec asks for it, by a delegated
//! responder certificate (id-kp-OCSPSigning, issued by the intermediate) that is sent
//! along, as RFC 6960 §4.2.2.2 has it. Staples are the same answers, made at start-up.

use super::pki::PkiError;
use rustls::SignatureScheme;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::SigningKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::{Duration, OffsetDateTime};
use trustlabel_core::ocsp::{CertId, CertIdHash, IssuerKey, decode_request};
use yasna::models::{GeneralizedTime, ObjectIdentifier};
use yasna::{DERWriter, Tag};

/// ecdsa-with-SHA256: every fleet CA key is ECDSA P-256.
const ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
/// id-pkix-ocsp-basic.
const BASIC_RESPONSE: [u64; 10] = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1];

/// Who signs answers: a key, the SHA-1 of its public key bits (the `byKey` ResponderID)
/// and the certificates sent along.
#[derive(Debug)]
pub struct Signer {
    key: Arc<dyn SigningKey>,
    key_hash: Vec<u8>,
    certs: Vec<Vec<u8>>,
}

impl Signer {
    /// Signs as the holder of `cert_der`, whose PKCS#8 key is `key_pkcs8`. `include`
    /// sends the certificate along, as a delegated responder must.
    pub fn new(
        provider: &CryptoProvider,
        key_pkcs8: Vec<u8>,
        cert_der: &[u8],
        include: bool,
    ) -> Result<Signer, PkiError> {
        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)))?;
        let key_hash = IssuerKey::from_certificate(cert_der)?.key_hash(CertIdHash::Sha1)?;
        Ok(Signer {
            key,
            key_hash,
            certs: if include {
                vec![cert_der.to_vec()]
            } else {
                vec![]
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: Option<u8>,
    },
    Unknown,
}

/// One SingleResponse.
#[derive(Debug, Clone)]
pub struct Answer {
    pub cert_id: CertId,
    pub status: Status,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

impl Answer {
    /// An answer as a responder gives it: made an hour ago, valid for a week.
    pub fn current(cert_id: CertId, status: Status, now: OffsetDateTime) -> Answer {
        Answer {
            cert_id,
            status,
            this_update: now - Duration::hours(1),
            next_update: Some(now + Duration::days(7)),
        }
    }
}

/// A successful, signed BasicOCSPResponse holding `answer`.
pub fn signed_response(
    answer: &Answer,
    signer: &Signer,
    produced_at: OffsetDateTime,
) -> Result<Vec<u8>, rustls::Error> {
    let tbs = yasna::construct_der(|w| write_tbs(w, answer, signer, produced_at));
    let signature = signer
        .key
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .ok_or_else(|| rustls::Error::General("OCSP signing key is not ECDSA P-256".into()))?
        .sign(&tbs)?;
    let basic = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&ObjectIdentifier::from_slice(&ECDSA_WITH_SHA256));
            });
            w.next().write_bitvec_bytes(&signature, signature.len() * 8);
            if !signer.certs.is_empty() {
                w.next().write_tagged(Tag::context(0), |w| {
                    w.write_sequence(|w| {
                        for cert in &signer.certs {
                            w.next().write_der(cert);
                        }
                    })
                });
            }
        })
    });
    Ok(yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_enum(0);
            w.next().write_tagged(Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next()
                        .write_oid(&ObjectIdentifier::from_slice(&BASIC_RESPONSE));
                    w.next().write_bytes(&basic);
                })
            });
        })
    }))
}

/// An OCSPResponse with an error status and no answer (1 = malformedRequest,
/// 2 = internalError, 3 = tryLater).
pub fn unsuccessful_response(status: i64) -> Vec<u8> {
    yasna::construct_der(|w| w.write_sequence(|w| w.next().write_enum(status)))
}

fn write_tbs(w: DERWriter<'_>, answer: &Answer, signer: &Signer, produced_at: OffsetDateTime) {
    w.write_sequence(|w| {
        // version v1 is the DEFAULT: omitted. responderID byKey [2].
        w.next()
            .write_tagged(Tag::context(2), |w| w.write_bytes(&signer.key_hash));
        write_time(w.next(), produced_at);
        w.next().write_sequence(|w| {
            w.next().write_sequence(|w| {
                answer.cert_id.write(w.next());
                match &answer.status {
                    Status::Good => w
                        .next()
                        .write_tagged_implicit(Tag::context(0), |w| w.write_null()),
                    Status::Unknown => w
                        .next()
                        .write_tagged_implicit(Tag::context(2), |w| w.write_null()),
                    Status::Revoked { at, reason } => {
                        w.next().write_tagged_implicit(Tag::context(1), |w| {
                            w.write_sequence(|w| {
                                write_time(w.next(), *at);
                                if let Some(code) = reason {
                                    w.next().write_tagged(Tag::context(0), |w| {
                                        w.write_enum(i64::from(*code))
                                    });
                                }
                            })
                        })
                    }
                }
                write_time(w.next(), answer.this_update);
                if let Some(next) = answer.next_update {
                    w.next()
                        .write_tagged(Tag::context(0), |w| write_time(w, next));
                }
            });
        });
    });
}

/// GeneralizedTime in whole seconds (DER forbids a trailing fraction of zeros).
fn write_time(w: DERWriter<'_>, t: OffsetDateTime) {
    let whole = t.replace_nanosecond(0).unwrap_or(t);
    w.write_generalized_time(&GeneralizedTime::from_datetime(whole));
}

/// What the responder knows about one leaf.
#[derive(Debug, Clone)]
pub struct KnownLeaf {
    pub status: Status,
    /// Answer with the delegated responder's key rather than the intermediate's.
    pub delegated: bool,
}

/// The responder behind `http://ocsp.<domain>/`.
#[derive(Debug)]
pub struct OcspResponder {
    issuer: IssuerKey,
    by_issuer: Signer,
    by_delegate: Signer,
    leaves: HashMap<Vec<u8>, KnownLeaf>,
    served: AtomicUsize,
}

impl OcspResponder {
    pub(crate) fn new(
        issuer: IssuerKey,
        by_issuer: Signer,
        by_delegate: Signer,
        leaves: HashMap<Vec<u8>, KnownLeaf>,
    ) -> OcspResponder {
        OcspResponder {
            issuer,
            by_issuer,
            by_delegate,
            leaves,
            served: AtomicUsize::new(0),
        }
    }

    /// Answers one DER request body.
    pub(crate) fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.served.fetch_add(1, Ordering::Relaxed);
        match decode_request(request) {
            Ok(ids) => match ids.first() {
                Some(Some(id)) => self.answer(id),
                // A hash the responder does not do: it cannot say anything.
                _ => unsuccessful_response(1),
            },
            Err(_) => unsuccessful_response(1),
        }
    }

    /// The answer a site with the leaf `serial` staples.
    pub(crate) fn staple(&self, serial: &[u8]) -> Result<Vec<u8>, PkiError> {
        let id = CertId::new(CertIdHash::Sha1, &self.issuer, serial)?;
        Ok(self.signed(&id)?)
    }

    /// How many requests were answered (tests check the collector's cache with it).
    pub(crate) fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }

    fn answer(&self, id: &CertId) -> Vec<u8> {
        self.signed(id).unwrap_or_else(|e| {
            tracing::warn!("fleet OCSP signing failed: {e}");
            unsuccessful_response(2)
        })
    }

    fn signed(&self, id: &CertId) -> Result<Vec<u8>, rustls::Error> {
        let ours = CertId::new(id.hash, &self.issuer, &id.serial).ok();
        let known = match ours {
            Some(ours) if ours == *id => self.leaves.get(&id.serial),
            _ => None,
        };
        let (status, signer) = match known {
            Some(leaf) if leaf.delegated => (leaf.status.clone(), &self.by_delegate),
            Some(leaf) => (leaf.status.clone(), &self.by_issuer),
            None => (Status::Unknown, &self.by_issuer),
        };
        let now = OffsetDateTime::now_utc();
        signed_response(&Answer::current(id.clone(), status, now), signer, now)
    }
}
