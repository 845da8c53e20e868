//! The Authority Information Access certificate extension (RFC 5280 §4.2.2.1).
//!
//! rcgen has no AIA helper, and a `MissingIntermediate` site is only realistic if a client
//! can find the missing certificate through `caIssuers` (and revocation through the
//! `ocsp` responder), so the extension is encoded here by hand: it is three nested TLVs,
//! smaller than a DER library dependency.

use rcgen::CustomExtension;

/// id-pe-authorityInfoAccess.
pub(crate) const OID_AIA: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 1, 1];

/// id-ad-caIssuers (1.3.6.1.5.5.7.48.2), already DER-encoded as an OBJECT IDENTIFIER.
const CA_ISSUERS_OID_DER: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
/// id-ad-ocsp (1.3.6.1.5.5.7.48.1).
const OCSP_OID_DER: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];

const TAG_SEQUENCE: u8 = 0x30;
/// GeneralName uniformResourceIdentifier: `[6] IMPLICIT IA5String`.
const TAG_URI: u8 = 0x86;

/// A non-critical AIA extension with one `caIssuers` URL and, optionally, an OCSP
/// responder URL.
pub(crate) fn aia_extension(ca_issuers: &str, ocsp: Option<&str>) -> CustomExtension {
    CustomExtension::from_oid_content(&OID_AIA, aia_der(ca_issuers, ocsp))
}

/// `AuthorityInfoAccessSyntax`: a sequence of `AccessDescription { method, URI }`.
fn aia_der(ca_issuers: &str, ocsp: Option<&str>) -> Vec<u8> {
    let description = |method: &[u8], url: &str| {
        let mut content = method.to_vec();
        content.extend(tlv(TAG_URI, url.as_bytes()));
        tlv(TAG_SEQUENCE, &content)
    };
    let mut descriptions = description(&CA_ISSUERS_OID_DER, ca_issuers);
    if let Some(url) = ocsp {
        descriptions.extend(description(&OCSP_OID_DER, url));
    }
    tlv(TAG_SEQUENCE, &descriptions)
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend(&bytes[skip..]);
    }
    out.extend(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::prelude::{FromDer, X509Certificate};

    /// (access method OID, URL) pairs as x509-parser reads them.
    fn read_back(ca_issuers: &str, ocsp: Option<&str>) -> Vec<(String, String)> {
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap();
        params
            .custom_extensions
            .push(aia_extension(ca_issuers, ocsp));
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (_, parsed) = X509Certificate::from_der(cert.der()).unwrap();
        let mut urls = Vec::new();
        for ext in parsed.extensions() {
            if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
                assert!(!ext.critical);
                for desc in &aia.accessdescs {
                    if let GeneralName::URI(uri) = desc.access_location {
                        urls.push((desc.access_method.to_id_string(), uri.to_string()));
                    }
                }
            }
        }
        urls
    }

    const CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";
    const OCSP: &str = "1.3.6.1.5.5.7.48.1";

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(m, u)| (m.to_string(), u.to_string()))
            .collect()
    }

    #[test]
    fn x509_parser_reads_the_urls_back() {
        let url = "http://pki.demo.test/intermediate.der";
        assert_eq!(read_back(url, None), pairs(&[(CA_ISSUERS, url)]));
        let ocsp = "http://ocsp.demo.test/";
        assert_eq!(
            read_back(url, Some(ocsp)),
            pairs(&[(CA_ISSUERS, url), (OCSP, ocsp)])
        );
    }

    #[test]
    fn long_urls_use_long_form_lengths() {
        // 300 bytes forces the two-byte length form in all three TLVs.
        let url = format!("http://pki.demo.test/{}.der", "x".repeat(275));
        assert_eq!(read_back(&url, None), pairs(&[(CA_ISSUERS, &url)]));
    }

    #[test]
    fn lengths_follow_der_rules() {
        assert_eq!(tlv(0x04, &[7; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[7; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[7; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
    }
}
