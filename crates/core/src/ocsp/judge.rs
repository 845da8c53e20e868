//! Whether an OCSP response is a believable answer about one certificate, and what it says.
//!
//! A response counts only when (1) it is signed by the certificate's issuer, or by a
//! responder certificate that the issuer signed with the id-kp-OCSPSigning purpose and
//! that is valid now; (2) it answers for exactly this CertID; and (3) it is current:
//! thisUpdate not in the future and nextUpdate not passed. Failing any of these gives
//! [`OcspAnswer::Unknown`] with the reason, never `Good`.

use super::certid::{CertId, CertIdHash, IssuerKey};
use super::response::{self, BasicResponse, CertStatus, ResponderId, ResponseStatus};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::X509Certificate;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Clock difference tolerated between responder and scanner.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How long an answer without nextUpdate is believed after its thisUpdate, as Firefox
/// does (RFC 6960 only says newer information is "always available").
const LIFETIME_WITHOUT_NEXT_UPDATE: Duration = Duration::days(1);

/// What one OCSP response says about one certificate, after every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcspAnswer {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: Option<String>,
    },
    /// Not an answer that can be relied on; the text says why.
    Unknown(String),
}

/// Judges the DER OCSPResponse `der` as an answer about `id`, issued by `issuer`, at `now`.
pub fn judge(der: &[u8], id: &CertId, issuer: &IssuerKey, now: OffsetDateTime) -> OcspAnswer {
    match judge_inner(der, id, issuer, now) {
        Ok(answer) => answer,
        Err(why) => OcspAnswer::Unknown(why),
    }
}

fn judge_inner(
    der: &[u8],
    id: &CertId,
    issuer: &IssuerKey,
    now: OffsetDateTime,
) -> Result<OcspAnswer, String> {
    let (status, basic) =
        response::parse(der).map_err(|e| format!("not a usable OCSP response: {e}"))?;
    let basic = match (status, basic) {
        (ResponseStatus::Successful, Some(basic)) => basic,
        (status, _) => return Err(format!("the responder answered {status:?}")),
    };
    let key = signer_key(&basic, issuer, now)?;
    x509_parser::verify::verify_signature(
        &key,
        &basic.signature_algorithm,
        &basic.signature,
        basic.signed,
    )
    .map_err(|e| format!("the response signature does not verify: {e}"))?;

    let mut ours = Vec::new();
    for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
        ours.push(id.rehash(hash, issuer).map_err(|e| e.to_string())?);
    }
    let single = basic
        .responses
        .iter()
        .find(|s| s.cert_id.as_ref().is_some_and(|c| ours.contains(c)))
        .ok_or_else(|| {
            format!(
                "the response does not answer for serial {}",
                hex::encode(&id.serial)
            )
        })?;

    if single.this_update > now + CLOCK_SKEW {
        return Err(format!(
            "the answer claims to be from the future (thisUpdate {})",
            single.this_update
        ));
    }
    let expires = single
        .next_update
        .unwrap_or(single.this_update + LIFETIME_WITHOUT_NEXT_UPDATE);
    if expires + CLOCK_SKEW < now {
        return Err(format!("the answer is stale (valid until {expires})"));
    }

    Ok(match single.status {
        CertStatus::Good => OcspAnswer::Good,
        CertStatus::Revoked { at, reason } => OcspAnswer::Revoked {
            at,
            reason: reason.map(reason_name),
        },
        CertStatus::Unknown => {
            return Err("the responder does not know the certificate".into());
        }
    })
}

/// The key the response must be signed with: the issuer's when the response names the
/// issuer as responder, else that of an included responder certificate the issuer
/// authorised.
fn signer_key<'r>(
    basic: &'r BasicResponse<'_>,
    issuer: &'r IssuerKey,
    now: OffsetDateTime,
) -> Result<SubjectPublicKeyInfo<'r>, String> {
    let issuer_spki = issuer.spki().map_err(|e| e.to_string())?;
    if names(
        &basic.responder,
        &issuer.name_der,
        &issuer_spki.subject_public_key.data,
    ) {
        return Ok(issuer_spki);
    }
    for cert in &basic.certs {
        let key = cert.public_key();
        if names(
            &basic.responder,
            cert.subject().as_raw(),
            &key.subject_public_key.data,
        ) {
            authorised(cert, issuer, &issuer_spki, now)?;
            return Ok(key.clone());
        }
    }
    Err("signed by neither the issuer nor a responder certificate it included".into())
}

fn names(id: &ResponderId<'_>, name_der: &[u8], key_bits: &[u8]) -> bool {
    match id {
        ResponderId::ByName(name) => *name == name_der,
        ResponderId::ByKey(hash) => *hash == CertIdHash::Sha1.digest(key_bits).as_slice(),
    }
}

/// RFC 6960 §4.2.2.2: a delegated responder certificate is issued directly by the CA
/// that issued the certificate in question and carries id-kp-OCSPSigning.
fn authorised(
    cert: &X509Certificate<'_>,
    issuer: &IssuerKey,
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    now: OffsetDateTime,
) -> Result<(), String> {
    if cert.issuer().as_raw() != issuer.name_der.as_slice()
        || cert.verify_signature(Some(issuer_spki)).is_err()
    {
        return Err("the responder certificate was not issued by the certificate's issuer".into());
    }
    let ocsp_signing = matches!(cert.extended_key_usage(), Ok(Some(eku)) if eku.value.ocsp_signing);
    if !ocsp_signing {
        return Err("the responder certificate lacks the OCSP-signing purpose".into());
    }
    let validity = cert.validity();
    let now = now.unix_timestamp();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return Err("the responder certificate is not valid now".into());
    }
    Ok(())
}

/// CRLReason (RFC 5280 §5.3.1) names as the CRL path spells them (webpki's Debug
/// names), so both sources read alike.
fn reason_name(code: u8) -> String {
    let name = match code {
        0 => "Unspecified",
        1 => "KeyCompromise",
        2 => "CaCompromise",
        3 => "AffiliationChanged",
        4 => "Superseded",
        5 => "CessationOfOperation",
        6 => "CertificateHold",
        8 => "RemoveFromCrl",
        9 => "PrivilegeWithdrawn",
        10 => "AaCompromise",
        _ => return format!("reason code {code}"),
    };
    name.to_string()
}
