//! The `tls.vuln.*` probes against peers that share no code with the prober: a server
//! written in Python from the RFCs with one flaw each (`tests/peers/tls_flaws.py`, for
//! what Debian's OpenSSL 3 can no longer be: Heartbleed, CCS injection, a ROBOT oracle,
//! compression, no RFC 5746, no RFC 7507) and Debian's `openssl s_server` (EMS switched
//! off through its configuration; TLS_FALLBACK_SCSV honoured; the modern defaults). The
//! fleet's rustls site is the modern rustls peer of `must_fire.rs`.

use crate::common::flaw_peer::FlawPeer;
use crate::common::legacy::legacy;
use crate::common::openssl::{OpensslServer, RsaCert};
use crate::legacy_openssl::{HOST, scan, scan_with};
use std::time::Duration;
use trustlabel_core::evidence::{Evidence, ProbeReaction, TlsVersion, VulnerabilityProbes};
use trustlabel_core::finding::{Finding, FindingId};

fn vuln_ids(findings: &[Finding]) -> Vec<FindingId> {
    findings
        .iter()
        .filter(|f| f.id.as_str().starts_with("tls.vuln."))
        .map(|f| f.id)
        .collect()
}

fn probes(evidence: &Evidence) -> &VulnerabilityProbes {
    legacy(evidence)
        .vulnerabilities
        .as_ref()
        .expect("the vulnerability probes ran")
}

fn alert(description: &str) -> Option<ProbeReaction> {
    Some(ProbeReaction::Alert {
        description: description.into(),
    })
}

/// Each flaw of the Python peer fires its id and nothing else of the family; the same
/// peer without a flaw fires none.
#[tokio::test(flavor = "multi_thread")]
async fn each_flaw_of_an_independent_peer_fires_its_id_and_only_it() {
    use FindingId::*;
    let cert = RsaCert::generate(HOST);
    let cases: Vec<(&str, Vec<FindingId>)> = vec![
        ("none", vec![]),
        ("heartbleed", vec![TlsVulnHeartbleed]),
        ("ccs", vec![TlsVulnCcsInjection]),
        ("robot", vec![TlsVulnRobot]),
        ("compression", vec![TlsVulnCompression]),
        ("no_reneg", vec![TlsVulnInsecureRenegotiation]),
        ("no_ems", vec![TlsVulnNoExtendedMasterSecret]),
        ("no_fallback", vec![TlsVulnNoFallbackScsv]),
    ];
    let peers: Vec<FlawPeer> = cases
        .iter()
        .map(|(flaw, _)| FlawPeer::start(flaw, &cert))
        .collect();
    let scans = futures::future::join_all(peers.iter().map(|p| scan(p.addr, &cert))).await;
    let mut failures = Vec::new();
    for ((flaw, expected), (evidence, findings)) in cases.iter().zip(&scans) {
        let got = vuln_ids(findings);
        if &got != expected {
            failures.push(format!(
                "{flaw}: expected {expected:?}, got {got:?}; evidence: {:?}",
                legacy(evidence).vulnerabilities
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let evidence = |flaw: &str| &scans[cases.iter().position(|c| c.0 == flaw).expect("case")].0;
    // The facts behind the verdicts, as the peers were written to answer.
    let clean = probes(evidence("none"));
    assert_eq!(clean.version, TlsVersion::Tls12);
    assert_eq!(clean.early_ccs, alert("unexpected_message"));
    assert_eq!(clean.heartbeat, None, "no heartbeat echoed, none sent");
    let fallback = clean
        .fallback
        .as_ref()
        .expect("TLS 1.1 and 1.2: fallback asked");
    assert_eq!(
        (fallback.asked, fallback.accepted),
        (TlsVersion::Tls11, None)
    );
    assert_eq!(fallback.reaction, alert("inappropriate_fallback"));
    let robot = clean.robot.as_ref().expect("RSA key exchange: ROBOT asked");
    assert_eq!(
        robot.rounds.len(),
        1,
        "uniform answers need no second round"
    );
    assert!(
        robot.rounds[0]
            .iter()
            .all(|a| a.reaction == alert("bad_record_mac").expect("alert")),
        "{robot:?}"
    );
    let bled = probes(evidence("heartbleed"));
    assert!(
        matches!(
            bled.heartbeat,
            Some(ProbeReaction::Heartbeat {
                payload_len: 0x4000,
                ..
            })
        ),
        "{:?}",
        bled.heartbeat
    );
    assert_eq!(probes(evidence("ccs")).early_ccs, alert("bad_record_mac"));
    let oracle = probes(evidence("robot")).robot.as_ref().expect("robot");
    assert_eq!(oracle.rounds.len(), 2, "a differing round is asked again");
    // The politeness cost: 1 extended hello + 1 fallback + 5 ROBOT, plus the heartbeat
    // probe where it is echoed and 5 more ROBOT where the first round differed.
    assert_eq!(clean.handshakes, 7);
    assert_eq!(bled.handshakes, 8);
    assert_eq!(probes(evidence("robot")).handshakes, 12);
    drop(peers);
}

/// Debian's OpenSSL with its defaults (TLS 1.2 and 1.3): every probe answered the
/// patched way, no `tls.vuln.*` id.
#[tokio::test(flavor = "multi_thread")]
async fn a_modern_openssl_is_silent() {
    let cert = RsaCert::generate(HOST);
    let server = OpensslServer::start(&cert, &[]);
    let (evidence, findings) = scan(server.addr, &cert).await;
    assert_eq!(vuln_ids(&findings), vec![]);
    let p = probes(&evidence);
    assert_eq!(p.early_ccs, alert("unexpected_message"));
    let hello = p.hello.as_ref().expect("ServerHello");
    assert!(hello.secure_renegotiation && hello.extended_master_secret);
    assert_eq!((hello.compression, hello.heartbeat), (0, false));
    let fallback = p.fallback.as_ref().expect("1.2 and 1.3: fallback asked");
    assert_eq!(
        (fallback.highest, fallback.asked),
        (TlsVersion::Tls13, TlsVersion::Tls12)
    );
    assert_eq!(fallback.reaction, alert("inappropriate_fallback"));
}

/// Debian's OpenSSL with RSA key exchange and TLS 1.1 and 1.2: not a ROBOT oracle, and
/// TLS_FALLBACK_SCSV refused at 1.1.
#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_rsa_key_exchange_is_no_oracle_and_refuses_the_fallback() {
    let cert = RsaCert::generate(HOST);
    let server = OpensslServer::start(
        &cert,
        &[
            "-no_tls1_3",
            "-no_tls1",
            "-cipher",
            "AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0",
        ],
    );
    let (evidence, findings) = scan(server.addr, &cert).await;
    assert_eq!(vuln_ids(&findings), vec![]);
    let p = probes(&evidence);
    let fallback = p.fallback.as_ref().expect("fallback asked");
    assert_eq!(
        (fallback.asked, fallback.reaction.clone()),
        (TlsVersion::Tls11, alert("inappropriate_fallback"))
    );
    let robot = p.robot.as_ref().expect("RSA key exchange: ROBOT asked");
    assert_eq!(robot.rounds.len(), 1, "{robot:?}");
}

/// Debian's OpenSSL with `Options = -ExtendedMasterSecret`: the ServerHello lacks RFC
/// 7627's extension, and `tls.vuln.no_extended_master_secret` fires.
#[tokio::test(flavor = "multi_thread")]
async fn openssl_without_extended_master_secret_fires_its_id() {
    let cert = RsaCert::generate(HOST);
    let config = cert.dir.path().join("no-ems.cnf");
    std::fs::write(
        &config,
        "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n\
         [ssl_sect]\nsystem_default = system_default_sect\n\
         [system_default_sect]\nOptions = -ExtendedMasterSecret\n",
    )
    .expect("write config");
    let server = OpensslServer::start_configured(&cert, &["-no_tls1_3"], Some(&config));
    let (evidence, findings) = scan(server.addr, &cert).await;
    assert_eq!(
        vuln_ids(&findings),
        vec![FindingId::TlsVulnNoExtendedMasterSecret],
        "{:?}",
        legacy(&evidence).vulnerabilities
    );
}

/// A server that answers the hello and then stalls, sends garbage or hangs up on the
/// probe's records: every probe ends in evidence (timeout, malformed, closed) within the
/// site deadline, and no `tls.vuln.*` id is made of it.
#[tokio::test(flavor = "multi_thread")]
async fn probes_of_a_hostile_peer_end_in_evidence_within_the_deadline() {
    let cert = RsaCert::generate(HOST);
    let deadline = Duration::from_secs(8);
    let cases = [
        ("stall", ProbeReaction::Timeout),
        (
            "garbage",
            ProbeReaction::Malformed {
                message: "not a TLS record (type 0)".into(),
            },
        ),
        ("hangup", ProbeReaction::Closed),
    ];
    let peers: Vec<FlawPeer> = cases
        .iter()
        .map(|(f, _)| FlawPeer::start(f, &cert))
        .collect();
    let scans = futures::future::join_all(peers.iter().map(|p| {
        scan_with(p.addr, &cert, |s| {
            s.handshake_timeout = Duration::from_secs(2);
            s.site_deadline = deadline;
        })
    }))
    .await;
    for ((flaw, reaction), (evidence, findings)) in cases.iter().zip(&scans) {
        assert_eq!(vuln_ids(findings), vec![], "{flaw}");
        let l = legacy(evidence);
        // The evidence's own clock; the guard only catches a hang.
        assert!(
            l.elapsed_ms <= deadline.as_millis() as u64 + 1000,
            "{flaw}: {} ms",
            l.elapsed_ms
        );
        let p = probes(evidence);
        assert!(
            [Some(reaction.clone()), Some(ProbeReaction::NotProbed)].contains(&p.early_ccs),
            "{flaw}: {:?}",
            p.early_ccs
        );
        let robot = p.robot.as_ref().expect("ROBOT asked");
        for answer in robot.rounds.iter().flatten() {
            assert!(
                [reaction.clone(), ProbeReaction::NotProbed].contains(&answer.reaction),
                "{flaw}: {robot:?}"
            );
        }
    }
    drop(peers);
}
