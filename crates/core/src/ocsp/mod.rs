//! OCSP (RFC 6960) on the wire, without I/O: CertID and request encoding, a total DER
//! parser of responses, and the judgement of an answer (signed by the issuer of the
//! verified path or a delegated responder it certified, about this CertID, current).
//! The collector fetches; the fleet's responder answers with the same encodings.

mod certid;
mod der;
mod judge;
mod request;
mod response;

pub use certid::{CertId, CertIdHash, IssuerKey};
pub use judge::{OcspAnswer, judge};
pub use request::{REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE, decode_request, encode_request};
pub use response::ResponseStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("response type (OID octets {0}) is not the basic OCSP response")]
    UnsupportedResponseType(String),
    #[error("unusable certificate: {0}")]
    Certificate(String),
}
