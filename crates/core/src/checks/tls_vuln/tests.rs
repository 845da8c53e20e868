use super::check;
use crate::checks::test_support::evidence_with_chains;
use crate::evidence::{
    Evidence, FallbackProbe, HelloEchoes, LegacyTls, ProbeReaction, RobotAnswer, RobotProbe,
    TlsVersion, VulnerabilityProbes,
};
use crate::finding::FindingId;

fn clean() -> VulnerabilityProbes {
    VulnerabilityProbes {
        version: TlsVersion::Tls12,
        hello: Some(HelloEchoes {
            secure_renegotiation: true,
            extended_master_secret: true,
            heartbeat: false,
            compression: 0,
        }),
        hello_outcome: None,
        heartbeat: None,
        early_ccs: Some(alert("unexpected_message")),
        fallback: None,
        robot: None,
        handshakes: 1,
    }
}

fn alert(description: &str) -> ProbeReaction {
    ProbeReaction::Alert {
        description: description.into(),
    }
}

fn ids(probes: VulnerabilityProbes) -> Vec<FindingId> {
    let mut e: Evidence = evidence_with_chains(None, None);
    e.legacy = Some(LegacyTls {
        versions: vec![],
        handshakes: 0,
        elapsed_ms: 0,
        server_key: None,
        cut_short: false,
        vulnerabilities: Some(probes),
    });
    let mut out = Vec::new();
    check(&e, &mut out);
    out.into_iter().map(|f| f.id).collect()
}

fn round(reactions: [ProbeReaction; 5]) -> Vec<RobotAnswer> {
    reactions
        .into_iter()
        .map(|reaction| RobotAnswer {
            variant: "v".into(),
            reaction,
        })
        .collect()
}

#[test]
fn a_clean_server_is_silent() {
    assert_eq!(ids(clean()), vec![]);
}

#[test]
fn heartbleed_needs_an_answer_longer_than_the_request_that_really_carries_it() {
    let answer = |payload_len, record_len| VulnerabilityProbes {
        heartbeat: Some(ProbeReaction::Heartbeat {
            payload_len,
            record_len,
            sent_payload_len: 16,
        }),
        ..clean()
    };
    assert_eq!(
        ids(answer(0x4000, 0x4000 + 19)),
        vec![FindingId::TlsVulnHeartbleed]
    );
    assert_eq!(
        ids(answer(16, 35)),
        vec![],
        "the well-formed request echoed"
    );
    assert_eq!(ids(answer(0x4000, 40)), vec![], "a claim without the bytes");
}

#[test]
fn an_early_ccs_fires_only_when_the_server_took_it() {
    for (reaction, fires) in [
        (alert("bad_record_mac"), true),
        (alert("decryption_failed"), true),
        (ProbeReaction::Continued { content_type: 22 }, true),
        (alert("unexpected_message"), false),
        (ProbeReaction::Closed, false),
        (ProbeReaction::Timeout, false),
    ] {
        let got = ids(VulnerabilityProbes {
            early_ccs: Some(reaction.clone()),
            ..clean()
        });
        assert_eq!(
            got.contains(&FindingId::TlsVulnCcsInjection),
            fires,
            "{reaction:?}"
        );
    }
}

#[test]
fn robot_needs_the_same_non_uniform_pattern_twice() {
    let oracle = [
        alert("bad_record_mac"),
        alert("handshake_failure"),
        alert("bad_record_mac"),
        alert("bad_record_mac"),
        alert("bad_record_mac"),
    ];
    let with = |rounds: Vec<Vec<RobotAnswer>>| VulnerabilityProbes {
        robot: Some(RobotProbe {
            suite: "TLS_RSA_WITH_AES_128_GCM_SHA256".into(),
            rounds,
        }),
        ..clean()
    };
    assert_eq!(
        ids(with(vec![round(oracle.clone()), round(oracle.clone())])),
        vec![FindingId::TlsVulnRobot]
    );
    let uniform = std::array::from_fn(|_| alert("bad_record_mac"));
    assert_eq!(ids(with(vec![round(uniform)])), vec![]);
    let mut noise = oracle.clone();
    noise[1] = alert("bad_record_mac");
    assert_eq!(
        ids(with(vec![round(oracle), round(noise)])),
        vec![],
        "not repeated"
    );
}

#[test]
fn echoes_missing_fire_their_ids() {
    let got = ids(VulnerabilityProbes {
        hello: Some(HelloEchoes {
            secure_renegotiation: false,
            extended_master_secret: false,
            heartbeat: false,
            compression: 1,
        }),
        ..clean()
    });
    assert_eq!(
        got,
        vec![
            FindingId::TlsVulnInsecureRenegotiation,
            FindingId::TlsVulnCompression,
            FindingId::TlsVulnNoExtendedMasterSecret
        ]
    );
}

#[test]
fn fallback_fires_on_an_accepted_downgrade_without_the_sentinel() {
    let fallback = |accepted: Option<TlsVersion>, sentinel| VulnerabilityProbes {
        fallback: Some(FallbackProbe {
            highest: TlsVersion::Tls12,
            asked: TlsVersion::Tls11,
            accepted,
            reaction: accepted.is_none().then(|| alert("inappropriate_fallback")),
            downgrade_sentinel: sentinel,
        }),
        ..clean()
    };
    assert_eq!(
        ids(fallback(Some(TlsVersion::Tls11), false)),
        vec![FindingId::TlsVulnNoFallbackScsv]
    );
    assert_eq!(ids(fallback(Some(TlsVersion::Tls11), true)), vec![]);
    assert_eq!(ids(fallback(None, false)), vec![]);
}
