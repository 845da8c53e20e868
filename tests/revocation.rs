//! Revocation over real TLS on loopback: the stapled OCSP answer first, then the CA's
//! OCSP responder, then its CRL; when nothing answers, the attempts are recorded and no
//! finding is guessed.

use crate::common::{TestFleet, assert_fires, assert_silent, host};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpSocket;
use trustlabel_collect::CollectorSettings;
use trustlabel_core::connect_to::ConnectTo;
use trustlabel_core::evidence::{Evidence, Revocation, RevocationSource, TlsProbe};
use trustlabel_core::finding::{Category, FindingId};
use trustlabel_fleet::{CertKind, SiteSpec, TlsBehaviour};

const RESPONDER: &str = "http://ocsp.fleet.test/";
const CRL: &str = "http://pki.fleet.test/intermediate.crl";

fn revocation(evidence: &Evidence) -> &Revocation {
    evidence.revocation.as_ref().expect("revocation checked")
}

fn staple(evidence: &Evidence) -> Option<&str> {
    match &evidence.tls {
        Some(TlsProbe::Established(session)) => session.ocsp_staple_base64.as_deref(),
        other => panic!("no TLS session: {other:?}"),
    }
}

/// A loopback port that refuses connections while the socket is held: bound, never
/// listening, so no other server can take the port and answer in its place.
fn refusing_port() -> (TcpSocket, SocketAddr) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let addr = socket.local_addr().expect("address");
    (socket, addr)
}

/// Sends the collector's requests for `host` (port 80) to `addr` instead.
fn point(settings: &mut CollectorSettings, host: &str, addr: SocketAddr) {
    settings.overrides.retain(|o| o.host != host);
    settings.overrides.push(ConnectTo {
        host: host.to_string(),
        port: 80,
        addr,
    });
}

#[tokio::test]
async fn a_good_staple_decides_without_asking_the_responder() {
    let name = host("stapled");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name).with_ocsp_staple()]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    assert!(staple(&evidence).is_some(), "the server stapled");
    assert_eq!(
        revocation(&evidence),
        &Revocation::Good {
            source: RevocationSource::OcspStaple
        }
    );
    assert_eq!(fleet.fleet.ocsp_requests(), 0);
    assert!(
        findings
            .iter()
            .all(|f| f.id.category() != Category::Certificate),
        "{findings:#?}"
    );
}

#[tokio::test]
async fn a_stapled_revocation_is_a_cert_revoked_finding() {
    let name = host("stapled-revoked");
    let spec = SiteSpec::good(&name)
        .with_cert(CertKind::Revoked)
        .with_ocsp_staple();
    let fleet = TestFleet::start(vec![spec]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    let Revocation::Revoked {
        source,
        revoked_at,
        reason,
    } = revocation(&evidence)
    else {
        panic!("not revoked: {:?}", evidence.revocation);
    };
    assert_eq!(source, &RevocationSource::OcspStaple);
    assert_eq!(reason.as_deref(), Some("KeyCompromise"));
    let days_ago = (time::OffsetDateTime::now_utc() - revoked_at.expect("time")).whole_days();
    assert_eq!(days_ago, 2);
    assert_eq!(fleet.fleet.ocsp_requests(), 0);
    assert_fires(&findings, FindingId::CertRevoked);
    let finding = findings.iter().find(|f| f.id == FindingId::CertRevoked);
    assert!(
        finding.is_some_and(|f| f.detail.contains("stapled OCSP")),
        "{finding:?}"
    );
}

#[tokio::test]
async fn without_a_staple_the_responder_answers_and_is_asked_once_per_certificate() {
    let specs = vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good(&host("revoked")).with_cert(CertKind::Revoked),
        SiteSpec::good(&host("delegated")).with_delegated_ocsp(),
    ];
    let fleet = TestFleet::start(specs).await;
    let by_responder = RevocationSource::OcspResponder {
        url: RESPONDER.into(),
    };

    let (evidence, findings) = fleet.findings(&host("revoked")).await;
    assert!(staple(&evidence).is_none());
    assert!(
        matches!(revocation(&evidence), Revocation::Revoked { source, .. } if *source == by_responder),
        "{:?}",
        evidence.revocation
    );
    assert_fires(&findings, FindingId::CertRevoked);

    for label in ["good", "delegated"] {
        let (evidence, findings) = fleet.findings(&host(label)).await;
        assert_eq!(
            revocation(&evidence),
            &Revocation::Good {
                source: by_responder.clone()
            },
            "{label}"
        );
        assert_silent(&findings, FindingId::CertRevoked);
    }
    assert_eq!(fleet.fleet.ocsp_requests(), 3);
    // A re-scan reuses the cached answer.
    let again = fleet.evidence(&host("good")).await;
    assert!(matches!(revocation(&again), Revocation::Good { .. }));
    assert_eq!(fleet.fleet.ocsp_requests(), 3);
}

#[tokio::test]
async fn a_responder_that_is_down_falls_back_to_the_crl() {
    let name = host("revoked");
    let (_held, refusing) = refusing_port();
    let fleet = TestFleet::start_with(
        vec![SiteSpec::good(&name).with_cert(CertKind::Revoked)],
        |fleet, settings| point(settings, &fleet.ocsp_host(), refusing),
    )
    .await;
    let (evidence, findings) = fleet.findings(&name).await;
    assert!(
        matches!(
            revocation(&evidence),
            Revocation::Revoked { source: RevocationSource::Crl { url }, .. } if url == CRL
        ),
        "{:?}",
        evidence.revocation
    );
    assert_fires(&findings, FindingId::CertRevoked);
}

#[tokio::test]
async fn a_responder_that_never_answers_leaves_time_for_the_crl() {
    let name = host("good");
    let silent = host("silent");
    let specs = vec![
        SiteSpec::good(&name),
        SiteSpec::good(&silent).with_tls(TlsBehaviour::Silent),
    ];
    let fleet = TestFleet::start_with(specs, |fleet, settings| {
        let black_hole = fleet.site(&silent).expect("silent site").https_addr;
        point(settings, &fleet.ocsp_host(), black_hole);
        settings.request_timeout = Duration::from_secs(30);
        settings.site_deadline = Duration::from_secs(6);
    })
    .await;
    let evidence = fleet.evidence(&name).await;
    // The CRL answered: the silent responder was given up on before the deadline (it
    // gets half of what is left), and nothing ran into the deadline.
    assert_eq!(
        revocation(&evidence),
        &Revocation::Good {
            source: RevocationSource::Crl { url: CRL.into() }
        }
    );
    assert!(!evidence.deadline_exceeded);
}

#[tokio::test]
async fn with_every_source_down_revocation_is_unknown_and_nothing_fires() {
    let name = host("revoked");
    let (_held, refusing) = refusing_port();
    let fleet = TestFleet::start_with(
        vec![SiteSpec::good(&name).with_cert(CertKind::Revoked)],
        |fleet, settings| {
            point(settings, &fleet.ocsp_host(), refusing);
            point(settings, &fleet.pki_host(), refusing);
        },
    )
    .await;
    let (evidence, findings) = fleet.findings(&name).await;
    let Revocation::Unknown { attempts } = revocation(&evidence) else {
        panic!("expected Unknown, got {:?}", evidence.revocation);
    };
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert!(attempts[0].starts_with(RESPONDER), "{attempts:#?}");
    assert!(attempts[1].starts_with(CRL), "{attempts:#?}");
    assert_silent(&findings, FindingId::CertRevoked);
    assert!(
        findings
            .iter()
            .all(|f| f.id.category() != Category::Certificate),
        "{findings:#?}"
    );
}
