//! The OCSPResponse message (RFC 6960 §4.2.1), parsed without judging it.
//!
//! Parsing is total: any byte string gives either the structure or an error naming the
//! field that did not fit. Whether the answer can be believed (signature, freshness,
//! which certificate it is about) is for [`super::judge`].

use super::OcspError;
use super::certid::CertId;
use super::der::{self, Reader};
use std::borrow::Cow;
use time::OffsetDateTime;
use x509_parser::asn1_rs::{Any, BitString, Oid, Tag};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::AlgorithmIdentifier;

/// id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1), the only response type in use, as DER
/// content octets.
const BASIC_RESPONSE_OID: [u8; 9] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];

/// `OCSPResponseStatus`: whether the responder answered at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    Successful,
    MalformedRequest,
    InternalError,
    TryLater,
    SigRequired,
    Unauthorized,
    Other(u8),
}

impl ResponseStatus {
    fn from_code(code: u8) -> ResponseStatus {
        match code {
            0 => ResponseStatus::Successful,
            1 => ResponseStatus::MalformedRequest,
            2 => ResponseStatus::InternalError,
            3 => ResponseStatus::TryLater,
            5 => ResponseStatus::SigRequired,
            6 => ResponseStatus::Unauthorized,
            other => ResponseStatus::Other(other),
        }
    }
}

/// Who signed the answer, as the answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResponderId<'a> {
    /// DER of the signer's subject Name.
    ByName(&'a [u8]),
    /// SHA-1 of the signer's subjectPublicKey bits.
    ByKey(&'a [u8]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertStatus {
    Good,
    Revoked {
        at: OffsetDateTime,
        /// CRLReason code, when given.
        reason: Option<u8>,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingleResponse {
    /// `None` when the answer names the certificate with a hash this parser does not know.
    pub cert_id: Option<CertId>,
    pub status: CertStatus,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

pub(crate) struct BasicResponse<'a> {
    /// The signed bytes: the complete DER of tbsResponseData.
    pub signed: &'a [u8],
    pub responder: ResponderId<'a>,
    pub responses: Vec<SingleResponse>,
    pub signature_algorithm: AlgorithmIdentifier<'a>,
    pub signature: BitString<'a>,
    /// Certificates sent along, e.g. a delegated responder's.
    pub certs: Vec<X509Certificate<'a>>,
}

/// Parses a DER OCSPResponse. `Ok((status, None))` for an unsuccessful status, which
/// carries no answer.
pub(crate) fn parse(
    input: &[u8],
) -> Result<(ResponseStatus, Option<BasicResponse<'_>>), OcspError> {
    let response = Reader::whole(input, "OCSPResponse")?;
    let mut fields = Reader::inside(&response, Tag::Sequence, "OCSPResponse")?;
    let status = fields.next_universal(Tag::Enumerated, false, "responseStatus")?;
    // Every defined status is one small number: one content octet in DER.
    let status = match status.data {
        [code] if *code < 0x80 => ResponseStatus::from_code(*code),
        _ => return Err(OcspError::Malformed("responseStatus")),
    };
    let bytes = fields.optional_explicit(0, Tag::Sequence, true, "responseBytes")?;
    fields.end()?;
    let Some(bytes) = bytes else {
        return Ok((status, None));
    };
    let mut bytes = Reader::inside(&bytes, Tag::Sequence, "ResponseBytes")?;
    let kind = der::oid(
        &bytes.next_universal(Tag::Oid, false, "responseType")?,
        "responseType",
    )?;
    let body = bytes.next_universal(Tag::OctetString, false, "response")?;
    bytes.end()?;
    if kind != BASIC_RESPONSE_OID {
        return Err(OcspError::UnsupportedResponseType(hex::encode(kind)));
    }
    if status != ResponseStatus::Successful {
        return Ok((status, None));
    }
    Ok((status, Some(parse_basic(body.data)?)))
}

fn parse_basic(input: &[u8]) -> Result<BasicResponse<'_>, OcspError> {
    let basic = Reader::whole(input, "BasicOCSPResponse")?;
    let mut fields = Reader::inside(&basic, Tag::Sequence, "BasicOCSPResponse")?;
    let (tbs, signed) = fields.next("tbsResponseData")?;
    let algorithm = fields.next_universal(Tag::Sequence, true, "signatureAlgorithm")?;
    let signature_algorithm = algorithm_identifier(&algorithm)?;
    let signature = fields
        .next_universal(Tag::BitString, false, "signature")?
        .bitstring()
        .map_err(|_| OcspError::Malformed("signature"))?;
    // A signature is a whole number of bytes; padding bits would be ignored by the
    // verifier and so let two encodings carry one signature.
    if signature.unused_bits != 0 {
        return Err(OcspError::Malformed("signature"));
    }
    let certs = match fields.optional_explicit(0, Tag::Sequence, true, "certs")? {
        None => Vec::new(),
        Some(list) => parse_certs(&list)?,
    };
    fields.end()?;
    let (responder, responses) = parse_tbs(&tbs)?;
    Ok(BasicResponse {
        signed,
        responder,
        responses,
        signature_algorithm,
        signature,
        certs,
    })
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`, read
/// strictly (the signature check only looks at the result, so laxness here would let
/// altered bytes pass).
fn algorithm_identifier<'a>(element: &Any<'a>) -> Result<AlgorithmIdentifier<'a>, OcspError> {
    let what = "signatureAlgorithm";
    let mut fields = Reader::inside(element, Tag::Sequence, what)?;
    let oid = der::oid(&fields.next_universal(Tag::Oid, false, what)?, what)?;
    let parameters = if fields.is_empty() {
        None
    } else {
        Some(fields.next(what)?.0)
    };
    fields.end()?;
    Ok(AlgorithmIdentifier::new(
        Oid::new(Cow::Borrowed(oid)),
        parameters,
    ))
}

/// `certs [0] EXPLICIT SEQUENCE OF Certificate`: the SEQUENCE.
fn parse_certs<'a>(list: &Any<'a>) -> Result<Vec<X509Certificate<'a>>, OcspError> {
    let mut list = Reader::inside(list, Tag::Sequence, "certs")?;
    let mut certs = Vec::new();
    while !list.is_empty() {
        let (_, raw) = list.next("certificate")?;
        let (_, cert) =
            X509Certificate::from_der(raw).map_err(|_| OcspError::Malformed("certificate"))?;
        certs.push(cert);
    }
    Ok(certs)
}

/// `ResponseData`: who answered and the answers.
fn parse_tbs<'a>(tbs: &Any<'a>) -> Result<(ResponderId<'a>, Vec<SingleResponse>), OcspError> {
    let mut fields = Reader::inside(tbs, Tag::Sequence, "ResponseData")?;
    let version = fields.optional_explicit(0, Tag::Integer, false, "ResponseData version")?;
    if let Some(number) = version {
        // Only v1 (0) exists; DER omits the DEFAULT, but accept it spelled out.
        if number.data != [0] {
            return Err(OcspError::Malformed("ResponseData version"));
        }
    }
    let (id, _) = fields.next("responderID")?;
    let responder = if let Ok(mut by_name) = Reader::inside_context(&id, 1, "responderID") {
        let (_, name) = by_name.next("responderID byName")?;
        by_name.end()?;
        ResponderId::ByName(name)
    } else {
        let mut by_key = Reader::inside_context(&id, 2, "responderID")?;
        let hash = by_key.next_universal(Tag::OctetString, false, "responderID byKey")?;
        by_key.end()?;
        ResponderId::ByKey(hash.data)
    };
    fields.next_time("producedAt")?;
    let list = fields.next_universal(Tag::Sequence, true, "responses")?;
    fields.optional_context(1, "responseExtensions")?;
    fields.end()?;
    let mut list = Reader::inside(&list, Tag::Sequence, "responses")?;
    let mut responses = Vec::new();
    while !list.is_empty() {
        let (single, _) = list.next("SingleResponse")?;
        responses.push(parse_single(&single)?);
    }
    Ok((responder, responses))
}

fn parse_single(single: &Any<'_>) -> Result<SingleResponse, OcspError> {
    let mut fields = Reader::inside(single, Tag::Sequence, "SingleResponse")?;
    let (cert_id, _) = fields.next("certID")?;
    let cert_id = CertId::read(&cert_id)?;
    let (status, _) = fields.next("certStatus")?;
    let status = parse_status(&status)?;
    let this_update = fields.next_time("thisUpdate")?;
    let next_update = fields
        .optional_explicit(0, Tag::GeneralizedTime, false, "nextUpdate")?
        .map(|t| der::time(&t, "nextUpdate"))
        .transpose()?;
    fields.optional_context(1, "singleExtensions")?;
    fields.end()?;
    Ok(SingleResponse {
        cert_id,
        status,
        this_update,
        next_update,
    })
}

/// `CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
/// unknown [2] IMPLICIT NULL }`.
fn parse_status(status: &Any<'_>) -> Result<CertStatus, OcspError> {
    use x509_parser::asn1_rs::Class;
    let empty_primitive = |n| {
        der::expect(status, Class::ContextSpecific, Tag(n), false, "certStatus").is_ok()
            && status.data.is_empty()
    };
    if empty_primitive(0) {
        return Ok(CertStatus::Good);
    }
    if empty_primitive(2) {
        return Ok(CertStatus::Unknown);
    }
    let mut info = Reader::inside_context(status, 1, "certStatus")?;
    let at = info.next_time("revocationTime")?;
    let reason = match info.optional_explicit(0, Tag::Enumerated, false, "revocationReason")? {
        None => None,
        Some(code) => match code.data {
            [code] if *code < 0x80 => Some(*code),
            _ => return Err(OcspError::Malformed("revocationReason")),
        },
    };
    info.end()?;
    Ok(CertStatus::Revoked { at, reason })
}
