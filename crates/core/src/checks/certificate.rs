//! `cert.*`: the certificate chain the server presented, judged at `ctx.now`.
//!
//! Dates and names are judged here from the parsed chain, not taken from the verifier's
//! verdict at scan time, so re-judging stored evidence later gives today's answer.

use super::CheckContext;
use crate::evidence::{
    AiaOutcome, CertificateInfo, Evidence, Revocation, RevocationSource, TlsProbe, TlsSession,
    VerifyError,
};
use crate::finding::{Finding, FindingId, Severity};
use time::OffsetDateTime;

/// Signature algorithms whose collisions are practical (MD2, MD5, SHA-1).
const WEAK_SIGNATURE_OIDS: [&str; 7] = [
    "1.2.840.113549.1.1.2", // md2WithRSAEncryption
    "1.2.840.113549.1.1.4", // md5WithRSAEncryption
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.3.14.3.2.29",        // sha1WithRSASignature (OIW)
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.2.840.10040.4.3",    // dsa-with-sha1
    "1.3.14.3.2.27",        // dsaWithSHA1 (OIW)
];

pub(super) fn check(evidence: &Evidence, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
    let (chain, session) = match &evidence.tls {
        Some(TlsProbe::Established(s)) => (&s.chain, Some(s.as_ref())),
        Some(TlsProbe::HandshakeFailed { chain, .. }) => (chain, None),
        _ => return,
    };
    let Some(leaf) = chain.first() else {
        return;
    };
    validity(leaf, chain, ctx, out);
    name(leaf, &evidence.host, out);
    if let Some(session) = session {
        trust(leaf, session, out);
    }
    weak_keys(chain, ctx, out);
    weak_signatures(chain, out);
    if let Some(Revocation::Revoked {
        source,
        revoked_at,
        reason,
    }) = &evidence.revocation
    {
        let source = match source {
            RevocationSource::OcspStaple => "the stapled OCSP response".to_string(),
            RevocationSource::Crl { url } => format!("the CA's CRL ({url})"),
            RevocationSource::OcspResponder { url } => {
                format!("the CA's OCSP responder ({url})")
            }
        };
        let when = revoked_at
            .map(|t| format!(" on {}", date(&t)))
            .unwrap_or_default();
        let why = reason
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        out.push(Finding::new(
            FindingId::CertRevoked,
            Severity::Critical,
            format!(
                "certificate serial {} was revoked{when}{why} according to {source}",
                leaf.serial_hex
            ),
        ));
    }
}

fn date(t: &OffsetDateTime) -> String {
    t.date().to_string()
}

fn validity(
    leaf: &CertificateInfo,
    chain: &[CertificateInfo],
    ctx: &CheckContext<'_>,
    out: &mut Vec<Finding>,
) {
    if ctx.now > leaf.not_after {
        out.push(Finding::new(
            FindingId::CertExpired,
            Severity::Critical,
            format!("the certificate expired on {}", date(&leaf.not_after)),
        ));
    } else if ctx.now < leaf.not_before {
        out.push(Finding::new(
            FindingId::CertNotYetValid,
            Severity::Critical,
            format!(
                "the certificate is only valid from {}",
                date(&leaf.not_before)
            ),
        ));
    } else {
        let days_left = (leaf.not_after - ctx.now).whole_days();
        if days_left < ctx.settings.expiring_soon_days {
            out.push(Finding::new(
                FindingId::CertExpiringSoon,
                Severity::Medium,
                format!(
                    "the certificate expires on {} ({days_left} days left)",
                    date(&leaf.not_after)
                ),
            ));
        }
    }
    for ca in chain.iter().skip(1).filter(|c| !c.self_signed) {
        if ctx.now > ca.not_after {
            out.push(Finding::new(
                FindingId::CertExpired,
                Severity::Critical,
                format!(
                    "intermediate certificate `{}` expired on {}",
                    ca.subject,
                    date(&ca.not_after)
                ),
            ));
        }
    }
}

fn name(leaf: &CertificateInfo, host: &str, out: &mut Vec<Finding>) {
    let host = host.to_ascii_lowercase();
    let matches = if host.parse::<std::net::IpAddr>().is_ok() {
        leaf.san_ip.contains(&host)
    } else {
        leaf.san_dns
            .iter()
            .any(|pattern| dns_name_matches(pattern, &host))
    };
    if !matches {
        let names = if leaf.san_dns.is_empty() && leaf.san_ip.is_empty() {
            "no subjectAltName".to_string()
        } else {
            leaf.san_dns
                .iter()
                .chain(&leaf.san_ip)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(Finding::new(
            FindingId::CertNameMismatch,
            Severity::Critical,
            format!("the certificate is not valid for {host}; it names: {names}"),
        ));
    }
}

/// RFC 6125 matching: exact, or a wildcard as the whole left-most label matching exactly
/// one label (never the bare parent, never across dots, never on a public suffix).
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if let Some(suffix) = pattern.strip_prefix("*.") {
        if suffix.split('.').count() < 2 {
            return false;
        }
        match host.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest == suffix,
            None => false,
        }
    } else {
        pattern == host
    }
}

fn trust(leaf: &CertificateInfo, session: &TlsSession, out: &mut Vec<Finding>) {
    let v = &session.verification;
    let trusted = v.error_now.is_none() || v.path_as_sent.is_none();
    if trusted {
        return;
    }
    if leaf.self_signed {
        out.push(Finding::new(
            FindingId::CertSelfSigned,
            Severity::Critical,
            format!("the certificate is self-signed (`{}`)", leaf.subject),
        ));
        return;
    }
    let incomplete = v.path_as_sent == Some(VerifyError::UnknownIssuer)
        && v.path_with_aia == Some(AiaOutcome::Verified);
    if incomplete {
        out.push(Finding::new(
            FindingId::CertChainIncomplete,
            Severity::High,
            format!(
                "the server does not send the intermediate certificate for `{}`; clients \
                 that do not fetch it (most non-browser clients) reject the site",
                leaf.issuer
            ),
        ));
        return;
    }
    let why = match (&v.path_as_sent, &v.path_with_aia) {
        (Some(VerifyError::UnknownIssuer), Some(AiaOutcome::FetchFailed { url, message })) => {
            format!(
                "issuer `{}` is not trusted (AIA fetch of {url} failed: {message})",
                leaf.issuer
            )
        }
        (Some(VerifyError::UnknownIssuer), _) => {
            format!("issuer `{}` does not chain to a trusted root", leaf.issuer)
        }
        (Some(other), _) => format!("the chain does not verify: {other:?}"),
        (None, _) => return,
    };
    out.push(Finding::new(
        FindingId::CertUntrusted,
        Severity::Critical,
        why,
    ));
}

fn weak_keys(chain: &[CertificateInfo], ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
    for (index, cert) in chain.iter().enumerate() {
        if index > 0 && cert.self_signed {
            continue; // a root sent along is not used for verification
        }
        let key = &cert.key;
        let weak = match key.algorithm.as_str() {
            "rsa" | "dsa" => key.bits < ctx.settings.min_rsa_bits,
            "ec" => key.bits < ctx.settings.min_ec_bits,
            _ => false,
        };
        if weak {
            let role = if index == 0 {
                "certificate"
            } else {
                "intermediate"
            };
            out.push(Finding::new(
                FindingId::CertWeakKey,
                Severity::High,
                format!(
                    "the {role} `{}` has a {}-bit {} key",
                    cert.subject,
                    key.bits,
                    key.algorithm.to_ascii_uppercase()
                ),
            ));
        }
    }
}

fn weak_signatures(chain: &[CertificateInfo], out: &mut Vec<Finding>) {
    for (index, cert) in chain.iter().enumerate() {
        // The signature on a self-signed root is never relied on.
        if index > 0 && cert.self_signed {
            continue;
        }
        if WEAK_SIGNATURE_OIDS.contains(&cert.signature_algorithm_oid.as_str()) {
            let role = if index == 0 {
                "certificate"
            } else {
                "intermediate"
            };
            out.push(Finding::new(
                FindingId::CertWeakSignature,
                Severity::High,
                format!(
                    "the {role} `{}` is signed with {}",
                    cert.subject, cert.signature_algorithm
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{SCAN_TIME, ctx, evidence_with_tls, leaf, verified};
    use crate::evidence::Verification;
    use time::Duration;

    const HOST: &str = "example.test";

    fn run(evidence: &Evidence) -> Vec<FindingId> {
        let settings = CheckSettings::default();
        let mut out = Vec::new();
        check(evidence, &ctx(&settings), &mut out);
        out.iter().map(|f| f.id).collect()
    }

    fn failed(path: VerifyError, aia: Option<AiaOutcome>) -> Verification {
        Verification {
            error_now: Some(path.clone()),
            path_as_sent: Some(path),
            path_with_aia: aia,
        }
    }

    #[test]
    fn a_good_certificate_raises_nothing() {
        assert_eq!(
            run(&evidence_with_tls(vec![leaf(HOST)], verified())),
            vec![]
        );
    }

    #[test]
    fn dates_are_judged_at_now() {
        let mut cert = leaf(HOST);
        cert.not_after = SCAN_TIME - Duration::days(1);
        assert_eq!(
            run(&evidence_with_tls(vec![cert.clone()], verified())),
            vec![FindingId::CertExpired]
        );
        cert.not_before = SCAN_TIME + Duration::days(1);
        cert.not_after = SCAN_TIME + Duration::days(300);
        assert_eq!(
            run(&evidence_with_tls(vec![cert.clone()], verified())),
            vec![FindingId::CertNotYetValid]
        );
        cert.not_before = SCAN_TIME - Duration::days(80);
        cert.not_after = SCAN_TIME + Duration::days(10);
        assert_eq!(
            run(&evidence_with_tls(vec![cert.clone()], verified())),
            vec![FindingId::CertExpiringSoon]
        );
        cert.not_after = SCAN_TIME + Duration::days(31);
        assert_eq!(run(&evidence_with_tls(vec![cert], verified())), vec![]);
    }

    #[test]
    fn an_expired_intermediate_is_reported() {
        let mut ca = leaf("Intermediate");
        ca.is_ca = true;
        ca.not_after = SCAN_TIME - Duration::days(3);
        let findings = run(&evidence_with_tls(vec![leaf(HOST), ca], verified()));
        assert_eq!(findings, vec![FindingId::CertExpired]);
    }

    #[test]
    fn names_follow_rfc_6125() {
        assert!(dns_name_matches("*.example.test", "www.example.test"));
        assert!(!dns_name_matches("*.example.test", "example.test"));
        assert!(!dns_name_matches("*.example.test", "a.b.example.test"));
        assert!(
            !dns_name_matches("*.test", "example.test"),
            "no wildcard on a bare TLD"
        );
        assert!(dns_name_matches("Example.TEST.", "example.test"));
        let mut cert = leaf("other.test");
        assert_eq!(
            run(&evidence_with_tls(vec![cert.clone()], verified())),
            vec![FindingId::CertNameMismatch]
        );
        cert.san_dns = vec!["*.example.test".into(), "example.test".into()];
        assert_eq!(run(&evidence_with_tls(vec![cert], verified())), vec![]);
    }

    #[test]
    fn trust_failures_are_told_apart() {
        let mut own = leaf(HOST);
        own.self_signed = true;
        let e = evidence_with_tls(vec![own], failed(VerifyError::UnknownIssuer, None));
        assert_eq!(run(&e), vec![FindingId::CertSelfSigned]);

        let e = evidence_with_tls(
            vec![leaf(HOST)],
            failed(VerifyError::UnknownIssuer, Some(AiaOutcome::Verified)),
        );
        assert_eq!(run(&e), vec![FindingId::CertChainIncomplete]);

        let aia_failed = AiaOutcome::FetchFailed {
            url: "http://ca.test/i.der".into(),
            message: "refused".into(),
        };
        let e = evidence_with_tls(
            vec![leaf(HOST)],
            failed(VerifyError::UnknownIssuer, Some(aia_failed)),
        );
        assert_eq!(run(&e), vec![FindingId::CertUntrusted]);

        // Expired but otherwise trusted: only the date finding, not "untrusted".
        let mut old = leaf(HOST);
        old.not_after = SCAN_TIME - Duration::days(2);
        let v = Verification {
            error_now: Some(VerifyError::Expired),
            path_as_sent: None,
            path_with_aia: None,
        };
        assert_eq!(
            run(&evidence_with_tls(vec![old], v)),
            vec![FindingId::CertExpired]
        );
    }

    #[test]
    fn weak_keys_and_signatures() {
        let mut cert = leaf(HOST);
        cert.key = crate::evidence::PublicKeyInfo {
            algorithm: "rsa".into(),
            bits: 1024,
            curve: None,
        };
        assert_eq!(
            run(&evidence_with_tls(vec![cert.clone()], verified())),
            vec![FindingId::CertWeakKey]
        );
        cert.key.bits = 2048;
        cert.signature_algorithm_oid = "1.2.840.113549.1.1.5".into();
        cert.signature_algorithm = "sha1WithRSAEncryption".into();
        assert_eq!(
            run(&evidence_with_tls(vec![cert], verified())),
            vec![FindingId::CertWeakSignature]
        );
        // A SHA-1 self-signed root sent along is never relied on.
        let mut root = leaf("Root");
        root.self_signed = true;
        root.signature_algorithm_oid = "1.2.840.113549.1.1.5".into();
        assert_eq!(
            run(&evidence_with_tls(vec![leaf(HOST), root], verified())),
            vec![]
        );
    }

    #[test]
    fn a_revoked_certificate_names_its_source() {
        let mut e = evidence_with_tls(vec![leaf(HOST)], verified());
        e.revocation = Some(Revocation::Revoked {
            source: RevocationSource::Crl {
                url: "http://ca.test/i.crl".into(),
            },
            revoked_at: Some(SCAN_TIME - Duration::days(5)),
            reason: Some("KeyCompromise".into()),
        });
        let settings = CheckSettings::default();
        let mut out = Vec::new();
        check(&e, &ctx(&settings), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, FindingId::CertRevoked);
        assert!(
            out[0].detail.contains("http://ca.test/i.crl"),
            "{}",
            out[0].detail
        );
        assert!(out[0].detail.contains("KeyCompromise"));
        e.revocation = Some(Revocation::Revoked {
            source: RevocationSource::OcspResponder {
                url: "http://ocsp.ca.test/".into(),
            },
            revoked_at: None,
            reason: None,
        });
        let mut out = Vec::new();
        check(&e, &ctx(&settings), &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .detail
                .contains("OCSP responder (http://ocsp.ca.test/)"),
            "{}",
            out[0].detail
        );
        e.revocation = Some(Revocation::Unknown { attempts: vec![] });
        assert_eq!(run(&e), vec![], "unknown status is never a finding");
    }
}
