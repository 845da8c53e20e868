//! The OCSPRequest message (RFC 6960 §4.1): written by the collector, read back by the
//! test fleet's responder.
//!
//! Requests are unsigned and carry no nonce, as RFC 5019 recommends for high-volume use:
//! a nonce would make every answer unique and defeat both the responder's caching and
//! ours, and it adds nothing when the answer's own freshness (thisUpdate/nextUpdate) is
//! checked.

use super::OcspError;
use super::certid::CertId;
use super::der::Reader;
use x509_parser::asn1_rs::Tag;

/// Media type of a POSTed request (RFC 6960 Appendix A.1).
pub const REQUEST_MEDIA_TYPE: &str = "application/ocsp-request";
/// Media type of an answer.
pub const RESPONSE_MEDIA_TYPE: &str = "application/ocsp-response";

/// DER of an OCSPRequest about the one certificate `id`.
pub fn encode_request(id: &CertId) -> Vec<u8> {
    yasna::construct_der(|w| {
        // OCSPRequest
        w.write_sequence(|w| {
            // tbsRequest: version v1 is the DEFAULT and so omitted; no requestorName.
            w.next().write_sequence(|w| {
                // requestList
                w.next().write_sequence(|w| {
                    // Request { reqCert }
                    w.next().write_sequence(|w| id.write(w.next()));
                });
            });
        });
    })
}

/// The CertIDs an OCSPRequest asks about, in order; `None` for one whose hash is not
/// understood.
pub fn decode_request(der: &[u8]) -> Result<Vec<Option<CertId>>, OcspError> {
    let request = Reader::whole(der, "OCSPRequest")?;
    let mut request = Reader::inside(&request, Tag::Sequence, "OCSPRequest")?;
    let tbs = request.next_universal(Tag::Sequence, true, "TBSRequest")?;
    // optionalSignature [0] is allowed and ignored: the fleet answers anyone.
    request.optional_context(0, "optionalSignature")?;
    request.end()?;
    let mut tbs = Reader::inside(&tbs, Tag::Sequence, "TBSRequest")?;
    tbs.optional_context(0, "TBSRequest version")?;
    tbs.optional_context(1, "requestorName")?;
    let list = tbs.next_universal(Tag::Sequence, true, "requestList")?;
    tbs.optional_context(2, "requestExtensions")?;
    tbs.end()?;
    let mut list = Reader::inside(&list, Tag::Sequence, "requestList")?;
    let mut ids = Vec::new();
    while !list.is_empty() {
        let one = list.next_universal(Tag::Sequence, true, "Request")?;
        let mut one = Reader::inside(&one, Tag::Sequence, "Request")?;
        let (cert_id, _) = one.next("reqCert")?;
        ids.push(CertId::read(&cert_id)?);
        one.optional_context(0, "singleRequestExtensions")?;
        one.end()?;
    }
    if ids.is_empty() {
        return Err(OcspError::Malformed("requestList"));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocsp::CertIdHash;

    fn id() -> CertId {
        CertId {
            hash: CertIdHash::Sha1,
            issuer_name_hash: vec![0x11; 20],
            issuer_key_hash: vec![0x22; 20],
            serial: vec![0x4a, 0x01, 0xff],
        }
    }

    #[test]
    fn a_request_names_exactly_one_certificate() {
        let der = encode_request(&id());
        assert_eq!(decode_request(&der).unwrap(), vec![Some(id())]);
    }

    #[test]
    fn garbage_and_truncated_requests_are_refused() {
        let der = encode_request(&id());
        for cut in 0..der.len() {
            assert!(decode_request(&der[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode_request(b"GET / HTTP/1.1\r\n").is_err());
        // An empty requestList asks nothing.
        assert!(decode_request(&[0x30, 0x04, 0x30, 0x02, 0x30, 0x00]).is_err());
    }
}
