//! Every certificate defect of the test PKI, scanned for real over TLS on loopback:
//! each must raise its finding, and the good site none.

use crate::common::{TestFleet, assert_fires, host};
use trustlabel_core::evidence::{AiaOutcome, Revocation, TlsProbe, VerifyError};
use trustlabel_core::finding::{Category, FindingId};
use trustlabel_fleet::{CertKind, SiteSpec};

fn cert_findings(findings: &[trustlabel_core::finding::Finding]) -> Vec<FindingId> {
    findings
        .iter()
        .filter(|f| f.id.category() == Category::Certificate)
        .map(|f| f.id)
        .collect()
}

async fn scan_kind(
    kind: CertKind,
) -> (
    trustlabel_core::evidence::Evidence,
    Vec<trustlabel_core::finding::Finding>,
) {
    let name = host(kind.slug());
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_cert(kind)]).await;
    fleet.findings(&name).await
}

#[tokio::test]
async fn the_good_site_has_no_certificate_finding_and_one_handshake_serves_the_page() {
    let (evidence, findings) = scan_kind(CertKind::Good).await;
    assert_eq!(cert_findings(&findings), vec![]);
    let Some(TlsProbe::Established(session)) = &evidence.tls else {
        panic!("no TLS session: {:?}", evidence.tls);
    };
    assert_eq!(session.version, "TLSv1.3");
    assert_eq!(session.verification.error_now, None);
    assert_eq!(session.chain.len(), 2, "leaf and intermediate as sent");
    let page = evidence
        .https
        .as_ref()
        .and_then(|c| c.final_response())
        .expect("home page");
    assert_eq!(page.status, 200);
    assert!(
        matches!(evidence.revocation, Some(Revocation::Good { .. })),
        "{:?}",
        evidence.revocation
    );
}

#[tokio::test]
async fn expired() {
    let (_, findings) = scan_kind(CertKind::Expired).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertExpired]);
}

#[tokio::test]
async fn not_yet_valid() {
    let (_, findings) = scan_kind(CertKind::NotYetValid).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertNotYetValid]);
}

#[tokio::test]
async fn expiring_soon() {
    let (_, findings) = scan_kind(CertKind::ExpiringSoon).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertExpiringSoon]);
}

#[tokio::test]
async fn wrong_host() {
    let (evidence, findings) = scan_kind(CertKind::WrongHost).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertNameMismatch]);
    // Never fetch content over a connection the strict verifier refused.
    let https = evidence.https.expect("https chain recorded");
    assert!(
        https.hops.is_empty(),
        "content fetched over an unverified connection"
    );
}

#[tokio::test]
async fn self_signed() {
    let (_, findings) = scan_kind(CertKind::SelfSigned).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertSelfSigned]);
}

#[tokio::test]
async fn untrusted_root() {
    let (_, findings) = scan_kind(CertKind::UntrustedRoot).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertUntrusted]);
}

#[tokio::test]
async fn missing_intermediate_is_completed_through_aia() {
    let (evidence, findings) = scan_kind(CertKind::MissingIntermediate).await;
    assert_eq!(
        cert_findings(&findings),
        vec![FindingId::CertChainIncomplete]
    );
    let Some(TlsProbe::Established(session)) = &evidence.tls else {
        panic!("no TLS session");
    };
    assert_eq!(
        session.verification.path_as_sent,
        Some(VerifyError::UnknownIssuer)
    );
    assert_eq!(
        session.verification.path_with_aia,
        Some(AiaOutcome::Verified)
    );
}

#[tokio::test]
async fn weak_key() {
    let (evidence, findings) = scan_kind(CertKind::WeakKey).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertWeakKey]);
    assert_fires(&findings, FindingId::CertWeakKey);
    let Some(TlsProbe::Established(session)) = &evidence.tls else {
        panic!("no TLS session: {:?}", evidence.tls);
    };
    assert_eq!(session.chain[0].key.bits, 1024);
}

#[tokio::test]
async fn revoked() {
    let (evidence, findings) = scan_kind(CertKind::Revoked).await;
    assert_eq!(cert_findings(&findings), vec![FindingId::CertRevoked]);
    assert!(matches!(
        evidence.revocation,
        Some(Revocation::Revoked { .. })
    ));
}
