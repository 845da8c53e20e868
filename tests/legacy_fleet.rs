//! The legacy TLS prober against the fleet: the modern rustls site, the fake SSLv3-only
//! server (Debian 12's OpenSSL has no SSLv3, so SSLv3 detection is proven here) and hostile
//! ports. Real OpenSSL peers are in `legacy_openssl.rs`.

use crate::common::legacy::{alert, legacy, legacy_findings, outcomes, suites};
use crate::common::{TestFleet, host};
use trustlabel_core::evidence::{ProbeReaction, TlsVersion, VersionOutcome};
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::policy::{Grade, Policy};
use trustlabel_fleet::{HostileTls, SiteSpec, TlsBehaviour};

fn tls_ids(findings: &[Finding]) -> Vec<FindingId> {
    legacy_findings(findings).iter().map(|f| f.id).collect()
}

#[tokio::test]
async fn a_modern_rustls_site_speaks_tls12_and_13_with_aead_forward_secret_suites_only() {
    let name = host("good");
    let fleet = TestFleet::start(vec![SiteSpec::good(&name)]).await;
    let (evidence, findings) = fleet.findings(&name).await;
    let l = legacy(&evidence);
    assert_eq!(
        outcomes(l),
        vec![
            (TlsVersion::Ssl3, alert("handshake_failure")),
            (TlsVersion::Tls10, alert("protocol_version")),
            (TlsVersion::Tls11, alert("protocol_version")),
            (TlsVersion::Tls12, VersionOutcome::Supported),
            (TlsVersion::Tls13, VersionOutcome::Supported),
        ]
    );
    assert_eq!(
        suites(l, TlsVersion::Tls12),
        [
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ]
    );
    assert_eq!(
        suites(l, TlsVersion::Tls13),
        [
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    let tls12 = l.version(TlsVersion::Tls12).expect("probed");
    assert_eq!(tls12.server_order, Some(false), "rustls follows the client");
    assert!(l.versions.iter().all(|v| v.complete));
    assert_eq!(l.server_key.as_ref().map(|k| k.bits), Some(256));
    // 16 for versions and suites, 2 for the vulnerability probes: the extended hello
    // (with its early ChangeCipherSpec) and the TLS_FALLBACK_SCSV hello at 1.2.
    assert_eq!(l.handshakes, 18);
    let probes = l.vulnerabilities.as_ref().expect("vulnerability probes");
    assert_eq!(probes.handshakes, 2);
    assert_eq!(
        probes.early_ccs,
        Some(ProbeReaction::Alert {
            description: "unexpected_message".into()
        })
    );
    let fallback = probes.fallback.as_ref().expect("fallback asked");
    // rustls does not look for the SCSV; as a TLS 1.3 server it marks the 1.2 answer
    // with RFC 8446's downgrade sentinel instead, which TLS 1.3 clients check.
    assert_eq!(fallback.accepted, Some(TlsVersion::Tls12));
    assert!(fallback.downgrade_sentinel);
    let problems: Vec<_> = findings.iter().filter(|f| !f.id.is_strength()).collect();
    assert_eq!(
        problems,
        Vec::<&trustlabel_core::finding::Finding>::new(),
        "a modern site stays clean"
    );
}

#[tokio::test]
async fn an_sslv3_only_server_is_found_and_graded_f() {
    let name = host("sslv3");
    let fleet = TestFleet::start(vec![
        SiteSpec::good(&name).with_tls(TlsBehaviour::Sslv3Only),
    ])
    .await;
    let (evidence, findings) = fleet.findings(&name).await;
    let l = legacy(&evidence);
    let answered_sslv3 = || VersionOutcome::OtherVersion {
        answered: "SSLv3".into(),
    };
    assert_eq!(
        outcomes(l),
        vec![
            (TlsVersion::Ssl3, VersionOutcome::Supported),
            (TlsVersion::Tls10, answered_sslv3()),
            (TlsVersion::Tls11, answered_sslv3()),
            (TlsVersion::Tls12, answered_sslv3()),
            // The TLS 1.3 hello offers only TLS 1.3 suites, none of which it knows.
            (TlsVersion::Tls13, alert("handshake_failure")),
        ]
    );
    assert_eq!(
        suites(l, TlsVersion::Ssl3),
        [
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
        ]
    );
    assert_eq!(
        l.version(TlsVersion::Ssl3).and_then(|v| v.server_order),
        Some(false)
    );
    assert_eq!(
        tls_ids(&findings),
        vec![
            FindingId::TlsProtoSslv3,
            FindingId::TlsProtoNoTls12,
            FindingId::TlsProtoNoTls13,
            FindingId::TlsCipherWeak,
            FindingId::TlsCipherNoForwardSecrecy,
            FindingId::TlsCipherNoAead,
        ]
    );
    let weak = findings.iter().find(|f| f.id == FindingId::TlsCipherWeak);
    assert!(
        weak.is_some_and(|f| f
            .detail
            .contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA [64-bit block cipher; SSLv3]")),
        "{weak:?}"
    );
    let verdict = Policy::builtin().expect("policy").evaluate(&findings);
    assert_eq!(verdict.grade, Grade::F);
    assert!(verdict.caps.contains(&(FindingId::TlsProtoSslv3, Grade::F)));
}

#[tokio::test]
async fn hostile_answers_end_in_evidence_within_the_deadline() {
    let kinds = [
        (
            "garbage",
            TlsBehaviour::Hostile(HostileTls::Garbage),
            "not a TLS record",
        ),
        (
            "midrecord",
            TlsBehaviour::Hostile(HostileTls::CloseMidRecord),
            "closed mid-record",
        ),
        (
            "oversized",
            TlsBehaviour::Hostile(HostileTls::OversizedRecord),
            "oversized record of 65535 bytes",
        ),
    ];
    let mut specs: Vec<SiteSpec> = kinds
        .iter()
        .map(|(label, tls, _)| SiteSpec::good(&host(label)).with_tls(*tls))
        .collect();
    specs.push(SiteSpec::good(&host("alert")).with_tls(TlsBehaviour::Hostile(HostileTls::Alert)));
    specs.push(SiteSpec::good(&host("silent")).with_tls(TlsBehaviour::Silent));
    let fleet = TestFleet::start(specs).await;

    for (label, _, message) in kinds {
        let (evidence, findings) = fleet.findings(&host(label)).await;
        // Each broken answer ends its hello at once: the site deadline never strikes.
        assert!(
            !evidence.deadline_exceeded,
            "{label} ran into the site deadline"
        );
        let l = legacy(&evidence);
        for v in &l.versions {
            match &v.outcome {
                VersionOutcome::Malformed { message: m } => {
                    assert!(m.contains(message), "{label} {}: {m}", v.version)
                }
                other => panic!("{label} {}: {other:?}", v.version),
            }
            assert!(!v.complete && v.suites.is_empty());
        }
        assert_eq!(
            tls_ids(&findings),
            vec![],
            "{label}: broken answers prove nothing"
        );
    }

    let (evidence, findings) = fleet.findings(&host("alert")).await;
    let l = legacy(&evidence);
    assert!(
        l.versions
            .iter()
            .all(|v| v.outcome == alert("handshake_failure"))
    );
    assert_eq!(tls_ids(&findings), vec![]);

    let (evidence, _) = fleet.findings(&host("silent")).await;
    let l = legacy(&evidence);
    assert_eq!(
        l.handshakes, 1,
        "a silent port is asked once, not five times"
    );
    assert_eq!(
        l.version(TlsVersion::Tls12).map(|v| &v.outcome),
        Some(&VersionOutcome::Timeout)
    );
    assert!(
        l.versions
            .iter()
            .filter(|v| v.version != TlsVersion::Tls12)
            .all(|v| v.outcome == VersionOutcome::NotProbed)
    );
    assert!(!evidence.deadline_exceeded);
}
