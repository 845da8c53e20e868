use super::*;
use crate::checks::test_support::evidence_with_chains;
use crate::evidence::{AcceptedSuite, VersionOutcome};

fn suite(code: u16, kx: Option<KeyExchangeParams>) -> AcceptedSuite {
    AcceptedSuite {
        code,
        name: SuiteTable::builtin().name(code),
        key_exchange: kx,
    }
}

fn supported(version: TlsVersion, suites: Vec<AcceptedSuite>) -> VersionProbe {
    VersionProbe {
        version,
        outcome: VersionOutcome::Supported,
        suites,
        server_order: None,
        complete: true,
        handshakes: 1,
    }
}

fn refused(version: TlsVersion) -> VersionProbe {
    VersionProbe {
        version,
        outcome: VersionOutcome::Alert {
            description: "protocol_version".into(),
        },
        suites: vec![],
        server_order: None,
        complete: true,
        handshakes: 1,
    }
}

fn timed_out(version: TlsVersion) -> VersionProbe {
    VersionProbe {
        outcome: VersionOutcome::Timeout,
        complete: false,
        ..refused(version)
    }
}

fn evidence_of(versions: Vec<VersionProbe>) -> Evidence {
    let mut e = evidence_with_chains(None, None);
    e.legacy = Some(LegacyTls {
        versions,
        handshakes: 0,
        elapsed_ms: 0,
        server_key: None,
        cut_short: false,
        vulnerabilities: None,
    });
    e
}

fn run(versions: Vec<VersionProbe>) -> Vec<(FindingId, Severity)> {
    let mut out = Vec::new();
    check(&evidence_of(versions), &mut out);
    out.sort_by_key(|f| f.id);
    out.iter().map(|f| (f.id, f.severity)).collect()
}

fn ecdhe() -> Option<KeyExchangeParams> {
    Some(KeyExchangeParams::Ecdh {
        group: "x25519".into(),
    })
}

fn modern() -> Vec<VersionProbe> {
    vec![
        refused(TlsVersion::Ssl3),
        refused(TlsVersion::Tls10),
        refused(TlsVersion::Tls11),
        supported(
            TlsVersion::Tls12,
            vec![suite(0xc02f, ecdhe()), suite(0xc030, ecdhe())],
        ),
        supported(TlsVersion::Tls13, vec![suite(0x1301, ecdhe())]),
    ]
}

#[test]
fn a_modern_server_raises_nothing() {
    assert_eq!(run(modern()), vec![]);
}

#[test]
fn old_versions_each_raise_their_finding() {
    let mut v = modern();
    v[0] = supported(TlsVersion::Ssl3, vec![suite(0xc013, ecdhe())]);
    v[1] = supported(TlsVersion::Tls10, vec![suite(0xc013, ecdhe())]);
    v[2] = supported(TlsVersion::Tls11, vec![suite(0xc013, ecdhe())]);
    assert_eq!(
        run(v),
        vec![
            (FindingId::TlsProtoSslv3, Severity::High),
            (FindingId::TlsProtoTls10, Severity::Medium),
            (FindingId::TlsProtoTls11, Severity::Medium),
        ]
    );
}

#[test]
fn missing_tls12_and_13_need_a_clear_refusal() {
    let only_tls10 = vec![
        refused(TlsVersion::Ssl3),
        supported(TlsVersion::Tls10, vec![suite(0xc014, ecdhe())]),
        refused(TlsVersion::Tls11),
        refused(TlsVersion::Tls12),
        refused(TlsVersion::Tls13),
    ];
    let ids: Vec<FindingId> = run(only_tls10).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![
            FindingId::TlsProtoTls10,
            FindingId::TlsProtoNoTls12,
            FindingId::TlsProtoNoTls13,
            FindingId::TlsCipherNoAead,
        ]
    );
    let mut unsure = modern();
    unsure[3] = timed_out(TlsVersion::Tls12);
    unsure[4] = timed_out(TlsVersion::Tls13);
    assert_eq!(run(unsure), vec![], "a timeout proves nothing");
}

#[test]
fn null_and_anonymous_suites_are_critical_and_named() {
    let mut v = modern();
    v[3].suites.push(suite(0x0002, None)); // RSA_WITH_NULL_SHA
    v[3].suites
        .push(suite(0x0034, Some(KeyExchangeParams::Dh { bits: 2048 }))); // DH_anon_WITH_AES_128_CBC_SHA
    let mut out = Vec::new();
    check(&evidence_of(v), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        (out[0].id, out[0].severity),
        (FindingId::TlsCipherWeak, Severity::Critical)
    );
    assert!(
        out[0]
            .detail
            .contains("TLS_RSA_WITH_NULL_SHA [no encryption (NULL); TLSv1.2]"),
        "{}",
        out[0].detail
    );
    assert!(
        out[0]
            .detail
            .contains("TLS_DH_anon_WITH_AES_128_CBC_SHA [anonymous"),
        "{}",
        out[0].detail
    );
}

#[test]
fn triple_des_and_small_dh_groups_are_medium_weak() {
    let mut v = modern();
    v[3].suites.push(suite(0x000a, None));
    v[3].suites
        .push(suite(0x0033, Some(KeyExchangeParams::Dh { bits: 1024 })));
    assert_eq!(run(v), vec![(FindingId::TlsCipherWeak, Severity::Medium)]);
    let mut v = modern();
    v[3].suites
        .push(suite(0x0033, Some(KeyExchangeParams::Dh { bits: 512 })));
    assert_eq!(run(v), vec![(FindingId::TlsCipherWeak, Severity::High)]);
}

#[test]
fn static_rsa_preferred_is_no_forward_secrecy_and_cbc_only_is_no_aead() {
    let cbc_rsa = vec![
        refused(TlsVersion::Ssl3),
        refused(TlsVersion::Tls10),
        refused(TlsVersion::Tls11),
        supported(
            TlsVersion::Tls12,
            vec![suite(0x002f, None), suite(0x0035, None)],
        ),
        refused(TlsVersion::Tls13),
    ];
    let ids: Vec<FindingId> = run(cbc_rsa).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![
            FindingId::TlsProtoNoTls13,
            FindingId::TlsCipherNoForwardSecrecy,
            FindingId::TlsCipherNoAead,
        ]
    );
    // Static RSA accepted but never preferred: real clients get forward secrecy.
    let mut v = modern();
    v[3].suites.push(suite(0x009c, None));
    assert_eq!(run(v), vec![]);
}

#[test]
fn the_legacy_probe_settles_tls13_for_the_transport_check() {
    assert!(!decides_tls13(&evidence_with_chains(None, None)));
    assert!(decides_tls13(&evidence_of(modern())));
}
