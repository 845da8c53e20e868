//! Every protocol claim of the legacy prober, proven against Debian's real OpenSSL
//! (`openssl s_server` on loopback), with what the scanner then reports for that peer.
//! OpenSSL 3 needs `@SECLEVEL=0` before it will speak TLS 1.0/1.1, NULL, anonymous or
//! 1024-bit DHE suites. Debian 12's OpenSSL has no SSLv3 at all: SSLv3 detection is proven
//! against the fleet's fake SSLv3 server (`legacy_fleet.rs`).

use crate::common::legacy::{alert, legacy, legacy_findings, outcomes, suites};
use crate::common::openssl::{OpensslServer, RsaCert, dh1024};
use std::net::SocketAddr;
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel_collect::{CollectorSettings, DnsConfig, RateLimit};
use trustlabel_core::connect_to::ConnectTo;
use trustlabel_core::evidence::{Evidence, KeyExchangeParams, TlsVersion, VersionOutcome};
use trustlabel_core::finding::{Finding, FindingId, Severity};
use trustlabel_core::policy::{Grade, Policy, Verdict};

pub(crate) const HOST: &str = "legacy.test";

/// Scans `HOST` with its TLS port at `addr` (plain HTTP refused).
pub(crate) async fn scan(addr: SocketAddr, cert: &RsaCert) -> (Evidence, Vec<Finding>) {
    scan_with(addr, cert, |_| {}).await
}

/// [`scan`] with settings changed by `adjust` (shorter timeouts for hostile peers).
pub(crate) async fn scan_with(
    addr: SocketAddr,
    cert: &RsaCert,
    adjust: impl FnOnce(&mut CollectorSettings),
) -> (Evidence, Vec<Finding>) {
    // Port held, refusing: a socket bound but never listening keeps the port ours (so
    // no other test's server can take it and answer) while connections to it are refused.
    let closed = tokio::net::TcpSocket::new_v4().expect("socket");
    closed
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let closed_addr = closed.local_addr().expect("addr");
    let mut settings = CollectorSettings {
        dns: DnsConfig::Servers(vec!["127.0.0.1:9".parse().expect("addr")]),
        overrides: vec![
            ConnectTo {
                host: HOST.into(),
                port: 443,
                addr,
            },
            ConnectTo {
                host: HOST.into(),
                port: 80,
                addr: closed_addr,
            },
        ],
        extra_roots_pem: vec![std::fs::read_to_string(&cert.cert).expect("cert PEM")],
        only_extra_roots: true,
        allow_private_addresses: true,
        connect_timeout: Duration::from_secs(2),
        // Generous: s_server is single-threaded, so a hello may wait for another connection.
        handshake_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(3),
        site_deadline: Duration::from_secs(30),
        per_host: RateLimit {
            per_second: 1000,
            burst: 1000,
        },
        per_ip: RateLimit {
            per_second: 1000,
            burst: 1000,
        },
        ..CollectorSettings::default()
    };
    adjust(&mut settings);
    let collector = crate::common::collector(settings);
    let evidence = collector.collect(HOST, 443).await;
    drop(closed);
    let findings = crate::common::judge(&evidence, OffsetDateTime::now_utc());
    (evidence, findings)
}

/// The findings the legacy probe drives, and the policy's verdict over them alone (so
/// the header findings of `s_server -www` do not blur the TLS grade).
fn tls_only(findings: &[Finding]) -> (Vec<(FindingId, Severity)>, Verdict) {
    let tls = legacy_findings(findings);
    let verdict = Policy::builtin().expect("policy").evaluate(&tls);
    (tls.iter().map(|f| (f.id, f.severity)).collect(), verdict)
}

#[tokio::test]
async fn tls10_to_12_with_cbc_only_static_rsa_in_server_order() {
    let cert = RsaCert::generate(HOST);
    let server = OpensslServer::start(
        &cert,
        &[
            "-no_tls1_3",
            "-cipher",
            "AES128-SHA:AES256-SHA:@SECLEVEL=0",
            "-serverpref",
        ],
    );
    let (evidence, findings) = scan(server.addr, &cert).await;
    let l = legacy(&evidence);
    assert_eq!(
        outcomes(l),
        vec![
            (TlsVersion::Ssl3, alert("handshake_failure")),
            (TlsVersion::Tls10, VersionOutcome::Supported),
            (TlsVersion::Tls11, VersionOutcome::Supported),
            (TlsVersion::Tls12, VersionOutcome::Supported),
            (TlsVersion::Tls13, alert("protocol_version")),
        ]
    );
    for version in [TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12] {
        // We offer AES-256 before AES-128; the server's own order puts AES-128 first.
        assert_eq!(
            suites(l, version),
            [
                "TLS_RSA_WITH_AES_128_CBC_SHA",
                "TLS_RSA_WITH_AES_256_CBC_SHA"
            ],
            "{version}"
        );
        let probe = l.version(version).expect("probed");
        assert_eq!(probe.server_order, Some(true), "{version}: -serverpref");
        assert!(probe.complete);
    }
    assert_eq!(
        l.server_key
            .as_ref()
            .map(|k| (k.algorithm.as_str(), k.bits)),
        Some(("rsa", 2048))
    );
    let (tls, verdict) = tls_only(&findings);
    assert_eq!(
        tls,
        vec![
            (FindingId::TlsProtoTls10, Severity::Medium),
            (FindingId::TlsProtoTls11, Severity::Medium),
            (FindingId::TlsProtoNoTls13, Severity::Info),
            (FindingId::TlsCipherNoForwardSecrecy, Severity::Medium),
            (FindingId::TlsCipherNoAead, Severity::Medium),
        ]
    );
    assert_eq!(
        verdict.caps,
        vec![
            (FindingId::TlsProtoTls10, Grade::B),
            (FindingId::TlsProtoTls11, Grade::B),
            (FindingId::TlsCipherNoForwardSecrecy, Grade::B),
        ]
    );
    assert_eq!(verdict.grade, Grade::C, "score 55 under the B caps");
}

#[tokio::test]
async fn tls12_with_null_anonymous_and_1024_bit_dhe_suites_is_f() {
    let cert = RsaCert::generate(HOST);
    let dh = dh1024();
    let server = OpensslServer::start(
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:ADH-AES128-SHA:NULL-SHA:@SECLEVEL=0",
            "-dhparam",
            dh.to_str().expect("UTF-8 path"),
        ],
    );
    let (evidence, findings) = scan(server.addr, &cert).await;
    let l = legacy(&evidence);
    assert_eq!(
        outcomes(l),
        vec![
            (TlsVersion::Ssl3, alert("handshake_failure")),
            (TlsVersion::Tls10, alert("protocol_version")),
            (TlsVersion::Tls11, alert("protocol_version")),
            (TlsVersion::Tls12, VersionOutcome::Supported),
            (TlsVersion::Tls13, alert("protocol_version")),
        ]
    );
    let tls12 = l.version(TlsVersion::Tls12).expect("probed");
    let seen: Vec<(&str, Option<KeyExchangeParams>)> = tls12
        .suites
        .iter()
        .map(|s| (s.name.as_str(), s.key_exchange.clone()))
        .collect();
    let dh1024 = || Some(KeyExchangeParams::Dh { bits: 1024 });
    assert_eq!(
        seen,
        vec![
            ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", dh1024()),
            (
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                Some(KeyExchangeParams::Ecdh {
                    group: "x25519".into()
                })
            ),
            ("TLS_DH_anon_WITH_AES_128_CBC_SHA", dh1024()),
            ("TLS_RSA_WITH_NULL_SHA", None),
        ]
    );
    assert_eq!(
        tls12.server_order,
        Some(false),
        "s_server follows the client by default"
    );
    let (tls, verdict) = tls_only(&findings);
    assert_eq!(
        tls,
        vec![
            (FindingId::TlsProtoNoTls13, Severity::Info),
            (FindingId::TlsCipherWeak, Severity::Critical),
        ]
    );
    let weak = findings
        .iter()
        .find(|f| f.id == FindingId::TlsCipherWeak)
        .expect("weak");
    for named in [
        "TLS_RSA_WITH_NULL_SHA [no encryption (NULL); TLSv1.2]",
        "TLS_DH_anon_WITH_AES_128_CBC_SHA [anonymous, no server authentication, 1024-bit DH group; TLSv1.2]",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 [1024-bit DH group; TLSv1.2]",
    ] {
        assert!(
            weak.detail.contains(named),
            "{named} not in {}",
            weak.detail
        );
    }
    assert!(verdict.caps.contains(&(FindingId::TlsCipherWeak, Grade::F)));
    assert_eq!(verdict.grade, Grade::F);
}

#[tokio::test]
async fn a_tls10_only_server_lacks_tls12() {
    let cert = RsaCert::generate(HOST);
    let server = OpensslServer::start(&cert, &["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let (evidence, findings) = scan(server.addr, &cert).await;
    let l = legacy(&evidence);
    let answered_tls10 = || VersionOutcome::OtherVersion {
        answered: "TLSv1.0".into(),
    };
    assert_eq!(
        outcomes(l),
        vec![
            (TlsVersion::Ssl3, alert("handshake_failure")),
            (TlsVersion::Tls10, VersionOutcome::Supported),
            (TlsVersion::Tls11, answered_tls10()),
            (TlsVersion::Tls12, answered_tls10()),
            (TlsVersion::Tls13, alert("protocol_version")),
        ]
    );
    assert_eq!(
        suites(l, TlsVersion::Tls10),
        ["TLS_RSA_WITH_AES_128_CBC_SHA"]
    );
    let (tls, verdict) = tls_only(&findings);
    assert_eq!(
        tls,
        vec![
            (FindingId::TlsProtoTls10, Severity::Medium),
            (FindingId::TlsProtoNoTls12, Severity::High),
            (FindingId::TlsProtoNoTls13, Severity::Info),
            (FindingId::TlsCipherNoForwardSecrecy, Severity::Medium),
            (FindingId::TlsCipherNoAead, Severity::Medium),
        ]
    );
    assert!(
        verdict
            .caps
            .contains(&(FindingId::TlsProtoNoTls12, Grade::C))
    );
    assert_eq!(verdict.grade, Grade::CMinus, "score 45");
}
