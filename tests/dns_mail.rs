//! DNS and mail evidence through the real collector (issue 14), against servers on
//! loopback:
//! - Debian's NSD serving zones signed by `ldns-signzone` (valid, expired, tampered
//!   after signing), so the validator is checked against a signer and a server that
//!   share no code with it; each zone's trust anchor is the DS `ldns-keygen` printed;
//! - the fleet's DNS server and SMTP servers (STARTTLS with a certificate from the
//!   fleet's rcgen PKI, or no STARTTLS), whose SMTP claims `openssl s_client -starttls
//!   smtp` confirms independently of the collector's client.
//!
//! A missing `nsd`, `ldns-*` or `openssl` binary fails the tests: `.ci/run` installs them.

use crate::common::{DOMAIN, host, judge, settings_for};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel_collect::{Collector, CollectorSettings, DnsConfig, DomainSettings};
use trustlabel_core::dns::Name;
use trustlabel_core::dns::dnssec::TrustAnchor;
use trustlabel_core::evidence::Evidence;
use trustlabel_core::evidence::dns::DnssecStatus;
use trustlabel_core::evidence::mail::{PolicyFetch, SmtpOutcome};
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::mail::mta_sts;
use trustlabel_fleet::{
    CertKind, Fleet, FleetExtras, MailDefaults, MailServer, SiteSpec, SmtpBehaviour, ZoneRecord,
    ZoneSpec,
};

use crate::common::exim::Exim;
use crate::common::nsd::{Nsd, Signed, Zones, run};
use crate::common::openssl::OpensslServer;
use crate::common::pki::TestCa;
use crate::common::{assert_fires, assert_silent};

// ---------------------------------------------------------------------------------
// NSD with ldns-signed zones
// ---------------------------------------------------------------------------------

/// Starts NSD serving each `(apex, signing)` zone (a domain that receives no mail,
/// with SPF, DMARC and CAA); returns it with the zones' anchors.
fn start_nsd(zones: &[(&str, Signed)]) -> (Nsd, Vec<TrustAnchor>) {
    let mut dir = Zones::new();
    let ip = dir.ip();
    let anchors = zones
        .iter()
        .map(|(apex, how)| {
            let body = format!(
                "www IN A {ip}\n\
                 @ IN MX 0 .\n\
                 @ IN TXT \"v=spf1 -all\"\n\
                 _dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@{apex}\"\n\
                 @ IN CAA 0 issue \"letsencrypt.org\"\n"
            );
            dir.signed(apex, &body, *how)
        })
        .collect();
    (dir.start(), anchors)
}

fn nsd_collector(nsd: &Nsd, anchors: Vec<TrustAnchor>) -> Collector {
    crate::common::collector(nsd_settings(nsd, anchors))
}

/// Resolves through `nsd` only, trusts `anchors`; private addresses allowed (every
/// peer is on loopback).
fn nsd_settings(nsd: &Nsd, anchors: Vec<TrustAnchor>) -> CollectorSettings {
    let quick = Duration::from_secs(3);
    CollectorSettings {
        dns: DnsConfig::Servers(vec![nsd.addr]),
        allow_private_addresses: true,
        connect_timeout: quick,
        handshake_timeout: quick,
        request_timeout: quick,
        site_deadline: Duration::from_secs(20),
        domain: DomainSettings {
            trust_anchors: anchors,
            dns_timeout: quick,
            smtp_timeout: quick,
            ..DomainSettings::default()
        },
        ..CollectorSettings::default()
    }
}

/// Asserts that `evidence` validated in `zone` and no DNSSEC finding fired; the
/// findings, for more checks.
#[track_caller]
fn assert_secure(evidence: &Evidence, zone: &str, now: OffsetDateTime) -> Vec<Finding> {
    assert_eq!(
        dnssec_status(evidence),
        DnssecStatus::Secure { zone: zone.into() },
        "{:#?}",
        evidence.dns
    );
    let findings = judge(evidence, now);
    for id in [
        FindingId::DnsDnssecBogus,
        FindingId::DnsDnssecUnsigned,
        FindingId::DnsDnssecUnverified,
    ] {
        assert_silent(&findings, id);
    }
    findings
}

fn dnssec_status(evidence: &Evidence) -> DnssecStatus {
    evidence
        .dns
        .as_ref()
        .expect("DNS evidence")
        .dnssec
        .status
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn nsd_zones_signed_by_ldns_validate_or_are_bogus() {
    let (nsd, anchors) = start_nsd(&[
        ("nsd-good.test", Signed::Valid),
        ("nsd-expired.test", Signed::Expired),
        ("nsd-tampered.test", Signed::Tampered),
    ]);
    let collector = nsd_collector(&nsd, anchors);
    let now = OffsetDateTime::now_utc();

    // The web side fails (nothing listens on port 443 there): the DNS side does not
    // depend on it.
    let good = collector.collect("www.nsd-good.test", 443).await;
    let findings = assert_secure(&good, "nsd-good.test", now);
    for id in [
        FindingId::MailSpfMissing,
        FindingId::MailDmarcMissing,
        FindingId::MailMxMissing,
    ] {
        assert_silent(&findings, id);
    }
    let mail = good.mail.as_ref().expect("mail evidence");
    assert!(mail.mx.is_null(), "null MX read from NSD: {:?}", mail.mx);
    assert!(mail.mx.secure, "the null MX set validates");
    assert_eq!(
        mail.dmarc.records,
        ["v=DMARC1; p=reject; rua=mailto:dmarc@nsd-good.test"]
    );
    let caa = &good.dns.as_ref().unwrap().caa;
    assert_eq!(caa.found_at.as_deref(), Some("nsd-good.test"));
    assert_eq!(caa.records[0].value, "letsencrypt.org");

    let expired = collector.collect("www.nsd-expired.test", 443).await;
    match dnssec_status(&expired) {
        DnssecStatus::Bogus { at, why } => {
            assert_eq!(at, "nsd-expired.test", "{why}");
            assert!(why.contains("expired"), "{why}");
        }
        other => panic!("expired signatures must be bogus: {other:?}"),
    }
    assert_fires(&judge(&expired, now), FindingId::DnsDnssecBogus);

    let tampered = collector.collect("www.nsd-tampered.test", 443).await;
    match dnssec_status(&tampered) {
        DnssecStatus::Bogus { at, why } => {
            assert_eq!(at, "www.nsd-tampered.test", "{why}");
        }
        other => panic!("a record changed after signing must be bogus: {other:?}"),
    }
    assert_fires(&judge(&tampered, now), FindingId::DnsDnssecBogus);

    // The anchor of another zone does not cover this one: no conclusion, not secure.
    let foreign = TrustAnchor {
        zone: Name::parse("elsewhere.test").unwrap(),
        ds: vec![],
        keys: vec![],
    };
    let unanchored = nsd_collector(&nsd, vec![foreign]);
    let outside = unanchored.collect("www.nsd-good.test", 443).await;
    assert!(
        matches!(dnssec_status(&outside), DnssecStatus::Indeterminate { .. }),
        "{:?}",
        dnssec_status(&outside)
    );
    drop(nsd);
}

// ---------------------------------------------------------------------------------
// The fleet: SPF/DMARC present and missing, MX with and without STARTTLS
// ---------------------------------------------------------------------------------

/// A receiving domain `apex` with MX `mx.<apex>` behaving as `smtp`, SPF and DMARC when
/// `authenticated`.
fn mail_zone(apex: &str, authenticated: bool) -> ZoneSpec {
    let mut zone = ZoneSpec::new(apex)
        .with_mail(MailDefaults::None)
        .with_record(ZoneRecord::mx(apex, 10, &format!("mx.{apex}")));
    if authenticated {
        zone = zone
            .with_record(ZoneRecord::txt(apex, "v=spf1 mx -all"))
            .with_record(ZoneRecord::txt(
                &format!("_dmarc.{apex}"),
                "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.net",
            ));
    }
    zone
}

async fn mail_fleet() -> (Fleet, Collector) {
    let extras = FleetExtras {
        zones: vec![
            mail_zone("tls-mail.test", true),
            mail_zone("plain-mail.test", false),
        ],
        mail_servers: vec![
            MailServer::new("mx.tls-mail.test", SmtpBehaviour::StartTls(CertKind::Good)),
            MailServer::new("mx.plain-mail.test", SmtpBehaviour::NoStartTls),
        ],
        ..FleetExtras::default()
    };
    let sites = vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good("www.tls-mail.test"),
        SiteSpec::good("shop.tls-mail.test"),
        SiteSpec::good("www.plain-mail.test"),
    ];
    let fleet = Fleet::start_with(DOMAIN, sites, extras)
        .await
        .expect("fleet starts");
    let collector = crate::common::collector(settings_for(&fleet));
    (fleet, collector)
}

/// What `openssl s_client -starttls smtp` says of a fleet mail server: whether the TLS
/// session was set up, and its output.
fn openssl_starttls(fleet: &Fleet, mx: &str) -> (bool, String) {
    let addr = fleet
        .mail_addrs()
        .iter()
        .find(|(h, _)| h == mx)
        .map(|(_, a)| *a)
        .expect("mail server");
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), fleet.root_ca_pem()).expect("write root");
    let out = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect"])
        .arg(addr.to_string())
        .args([
            "-servername",
            mx,
            "-verify_hostname",
            mx,
            "-verify_return_error",
        ])
        .arg("-CAfile")
        .arg(ca.path())
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs (is it installed?)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let verified = text.contains("Verify return code: 0 (ok)");
    (out.status.success() && verified, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn spf_and_dmarc_present_and_missing_and_mx_with_and_without_starttls() {
    let (fleet, collector) = mail_fleet().await;
    let now = OffsetDateTime::now_utc();

    // The servers do what they claim, by OpenSSL's account.
    let (tls_ok, text) = openssl_starttls(&fleet, "mx.tls-mail.test");
    assert!(tls_ok, "openssl: {text}");
    let (plain_ok, text) = openssl_starttls(&fleet, "mx.plain-mail.test");
    assert!(!plain_ok, "no STARTTLS, yet openssl set up TLS: {text}");

    let tls = collector.collect("www.tls-mail.test", 443).await;
    let mail = tls.mail.as_ref().expect("mail evidence");
    assert_eq!(mail.domain, "tls-mail.test");
    assert_eq!(mail.mx.records.len(), 1);
    assert!(mail.mx.secure, "the MX set of a signed zone validates");
    assert_eq!(mail.dmarc.records.len(), 1, "{:?}", mail.dmarc);
    assert!(mail.spf.fetched.contains_key("tls-mail.test"));
    assert_eq!(mail.servers.len(), 1);
    match &mail.servers[0].smtp {
        SmtpOutcome::Tls {
            ehlo,
            version,
            chain,
            verification,
            ..
        } => {
            assert!(ehlo.iter().any(|l| l == "STARTTLS"), "{ehlo:?}");
            assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
            assert_eq!(chain[0].san_dns, ["mx.tls-mail.test"]);
            assert_eq!(*verification, None, "a fleet certificate for the MX name");
        }
        other => panic!("STARTTLS expected: {other:?}"),
    }
    assert_eq!(mail.smtp_connections, 1);
    let findings = judge(&tls, now);
    for id in [
        FindingId::MailSpfMissing,
        FindingId::MailSpfWeak,
        FindingId::MailDmarcMissing,
        FindingId::MailDmarcNotEnforcing,
        FindingId::MailStarttlsMissing,
        FindingId::MailStarttlsCertInvalid,
        FindingId::MailStarttlsFailed,
        FindingId::MailMxUnreachable,
    ] {
        assert_silent(&findings, id);
    }
    // Signed zone, no TLSA; no MTA-STS or TLS-RPT records were published.
    assert_fires(&findings, FindingId::MailDaneMissing);
    assert_fires(&findings, FindingId::MailMtaStsMissing);
    assert_fires(&findings, FindingId::MailTlsrptMissing);

    // A second site of the domain: the same mail server is not contacted again.
    let shop = collector.collect("shop.tls-mail.test", 443).await;
    let shop_mail = shop.mail.as_ref().expect("mail evidence");
    assert_eq!(
        shop_mail.smtp_connections, 0,
        "one SMTP connection per MX per run"
    );
    assert_eq!(shop_mail.servers[0].smtp, mail.servers[0].smtp);

    let plain = collector.collect("www.plain-mail.test", 443).await;
    let mail = plain.mail.as_ref().expect("mail evidence");
    assert!(mail.dmarc.records.is_empty());
    match &mail.servers[0].smtp {
        SmtpOutcome::NoStarttls { ehlo, .. } => {
            assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
            assert_eq!(ehlo[0], "mx.plain-mail.test");
        }
        other => panic!("no STARTTLS expected: {other:?}"),
    }
    let findings = judge(&plain, now);
    assert_fires(&findings, FindingId::MailSpfMissing);
    assert_fires(&findings, FindingId::MailDmarcMissing);
    assert_fires(&findings, FindingId::MailStarttlsMissing);
    assert_silent(&findings, FindingId::MailMxUnreachable);

    // The fleet's own domain sends and receives no mail, and says so: nothing to fix.
    let good = collector.collect(&host("good"), 443).await;
    let findings = judge(&good, now);
    let dns_or_mail: Vec<_> = findings
        .iter()
        .filter(|f| {
            let id = f.id.to_string();
            id.starts_with("dns.") || id.starts_with("mail.")
        })
        .map(|f| (f.id, f.detail.clone()))
        .collect();
    assert!(dns_or_mail.is_empty(), "{dns_or_mail:#?}");
    assert_eq!(
        dnssec_status(&good),
        DnssecStatus::Secure {
            zone: DOMAIN.into()
        }
    );
    fleet.shutdown().await;
}

/// Mail servers that misbehave: each way becomes evidence of where the conversation
/// stopped, within the reply time limit, and the finding that says so.
#[tokio::test(flavor = "multi_thread")]
async fn an_mx_that_tarpits_drops_refuses_or_answers_garbage_becomes_evidence() {
    let cases = [
        ("tarpit-mail.test", SmtpBehaviour::Silent),
        ("drop-mail.test", SmtpBehaviour::DropAfterStartTls),
        ("old-tls-mail.test", SmtpBehaviour::OutdatedTls),
        ("garbage-mail.test", SmtpBehaviour::Garbage),
        ("closed-mail.test", SmtpBehaviour::Closed),
    ];
    let extras = FleetExtras {
        zones: cases
            .iter()
            .map(|(apex, _)| mail_zone(apex, true))
            .collect(),
        mail_servers: cases
            .iter()
            .map(|(apex, b)| MailServer::new(&format!("mx.{apex}"), *b))
            .collect(),
        ..FleetExtras::default()
    };
    let sites = cases
        .iter()
        .map(|(apex, _)| SiteSpec::good(&format!("www.{apex}")))
        .collect();
    let fleet = Fleet::start_with(DOMAIN, sites, extras)
        .await
        .expect("fleet starts");
    let reply_limit = Duration::from_secs(1);
    let mut settings = settings_for(&fleet);
    settings.domain.smtp_timeout = reply_limit;
    let collector = crate::common::collector(settings);
    let now = OffsetDateTime::now_utc();

    let mut outcomes = Vec::new();
    for (apex, _) in cases {
        let started = std::time::Instant::now();
        let evidence = collector.collect(&format!("www.{apex}"), 443).await;
        let mail = evidence.mail.clone().expect("mail evidence");
        assert_eq!(mail.servers.len(), 1, "{apex}");
        outcomes.push((
            mail.servers[0].smtp.clone(),
            judge(&evidence, now),
            started.elapsed(),
        ));
    }
    let [tarpit, drop, old, garbage, closed] = outcomes.try_into().expect("five");

    match &tarpit.0 {
        SmtpOutcome::Broken {
            stage, timed_out, ..
        } => {
            assert_eq!(*stage, trustlabel_core::evidence::mail::SmtpStage::Greeting);
            assert!(timed_out);
        }
        other => panic!("tarpit: {other:?}"),
    }
    assert_fires(&tarpit.1, FindingId::MailStarttlsFailed);
    assert!(
        tarpit.2 < Duration::from_secs(10),
        "the tarpit costs the reply limit, not the server's patience: {:?}",
        tarpit.2
    );

    match &drop.0 {
        SmtpOutcome::TlsFailed {
            version_refused, ..
        } => assert!(!version_refused),
        other => panic!("dropped after STARTTLS: {other:?}"),
    }
    assert_fires(&drop.1, FindingId::MailStarttlsFailed);

    match &old.0 {
        SmtpOutcome::TlsFailed {
            version_refused, ..
        } => assert!(version_refused, "a protocol_version alert"),
        other => panic!("outdated TLS: {other:?}"),
    }
    assert_fires(&old.1, FindingId::MailStarttlsTlsOutdated);

    match &garbage.0 {
        SmtpOutcome::Broken {
            stage, last_reply, ..
        } => {
            assert_eq!(*stage, trustlabel_core::evidence::mail::SmtpStage::Greeting);
            assert!(
                last_reply
                    .as_deref()
                    .is_some_and(|r| r.starts_with("HTTP/1.1 400")),
                "{last_reply:?}"
            );
        }
        other => panic!("garbage: {other:?}"),
    }
    assert_fires(&garbage.1, FindingId::MailStarttlsFailed);

    assert!(
        matches!(closed.0, SmtpOutcome::ConnectFailed { .. }),
        "{:?}",
        closed.0
    );
    assert_fires(&closed.1, FindingId::MailMxUnreachable);
    fleet.shutdown().await;
}

// ---------------------------------------------------------------------------------
// SPF and DMARC verdicts against checkdmarc (PyPI), an independent implementation
// ---------------------------------------------------------------------------------

/// What checkdmarc concluded, through its Python API: it resolves through a stub resolver
/// pointed at our NSD (`resolver=`), so both implementations read the same zones.
const CHECKDMARC: &str = r#"
import json, sys
try:
    import dns.resolver
    import checkdmarc.spf as spf, checkdmarc.dmarc as dmarc
except ImportError as e:
    print("IMPORT-ERROR " + str(e))
    sys.exit(3)
r = dns.resolver.Resolver(configure=False)
r.nameservers = [sys.argv[1]]
r.timeout = r.lifetime = 3
out = {}
for d in sys.argv[2:]:
    s = spf.check_spf(d, resolver=r, nameservers=[sys.argv[1]])
    m = dmarc.check_dmarc(d, resolver=r, nameservers=[sys.argv[1]])
    tags = m.get("tags") or {}
    tag = lambda t: (tags.get(t) or {}).get("value")
    out[d] = {"spf": {"valid": s.get("valid"), "error": s.get("error"),
                      "all": (s.get("parsed") or {}).get("all")},
              "dmarc": {"valid": m.get("valid"), "error": m.get("error"),
                        "p": tag("p"), "sp": tag("sp"), "pct": tag("pct")}}
print(json.dumps(out))
"#;

/// One row of the table: the domain's SPF and DMARC TXT records (plus any other records
/// its includes need), and the verdict both implementations must reach.
struct Case {
    label: &'static str,
    spf: &'static [&'static str],
    dmarc: &'static [&'static str],
    extra: &'static str,
    spf_verdict: &'static str,
    dmarc_verdict: &'static str,
    /// Where checkdmarc differs on purpose: its verdicts, and why.
    checkdmarc_differs: Option<(&'static str, &'static str, &'static str)>,
}

/// Verdict classes: SPF `missing`, `invalid` (syntax, two records, over ten lookups),
/// `pass_all` (+all), `neutral` (?all, or no `all` at all), `ok` (-all or ~all);
/// DMARC `missing`, `invalid`, `not_enforcing` (p=none, sp=none, pct<100), `enforcing`.
const CASES: &[Case] = &[
    Case {
        label: "strict",
        spf: &["v=spf1 mx -all"],
        dmarc: &["v=DMARC1; p=reject; rua=mailto:dmarc@strict.test"],
        extra: "",
        spf_verdict: "ok",
        dmarc_verdict: "enforcing",
        checkdmarc_differs: None,
    },
    Case {
        label: "open",
        spf: &["v=spf1 +all"],
        dmarc: &[],
        extra: "",
        spf_verdict: "pass_all",
        dmarc_verdict: "missing",
        checkdmarc_differs: None,
    },
    Case {
        label: "neutral",
        spf: &["v=spf1 mx ?all"],
        dmarc: &["v=DMARC1; p=none"],
        extra: "",
        spf_verdict: "neutral",
        dmarc_verdict: "not_enforcing",
        checkdmarc_differs: None,
    },
    Case {
        label: "soft",
        spf: &["v=spf1 a mx ~all"],
        dmarc: &["v=DMARC1; p=quarantine; pct=50"],
        extra: "",
        spf_verdict: "ok",
        dmarc_verdict: "not_enforcing",
        // checkdmarc 6 follows RFC 9989 (DMARCbis), which removed `pct`: it warns and
        // reads the policy as whole. Receivers that implement RFC 7489 still sample, so
        // we count pct=50 as not enforced.
        checkdmarc_differs: Some(("ok", "enforcing", "RFC 9989 removed pct")),
    },
    Case {
        label: "nospf",
        spf: &[],
        dmarc: &["v=DMARC1; p=reject; sp=none"],
        extra: "",
        spf_verdict: "missing",
        dmarc_verdict: "not_enforcing",
        checkdmarc_differs: None,
    },
    Case {
        label: "syntax",
        spf: &["v=spf1 foo -all"],
        dmarc: &["v=DMARC1; p=bogus"],
        extra: "",
        spf_verdict: "invalid",
        dmarc_verdict: "invalid",
        checkdmarc_differs: None,
    },
    Case {
        label: "twice",
        spf: &["v=spf1 -all", "v=spf1 mx -all"],
        dmarc: &["v=DMARC1; p=reject", "v=DMARC1; p=none"],
        extra: "",
        spf_verdict: "invalid",
        dmarc_verdict: "invalid",
        checkdmarc_differs: None,
    },
    Case {
        label: "include",
        spf: &["v=spf1 include:_spf.include.test -all"],
        dmarc: &["v=DMARC1; p=quarantine"],
        extra: "_spf IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"\n",
        spf_verdict: "ok",
        dmarc_verdict: "enforcing",
        checkdmarc_differs: None,
    },
    Case {
        label: "redirect",
        spf: &["v=spf1 redirect=_spf.redirect.test"],
        dmarc: &["v=DMARC1; p=reject"],
        extra: "_spf IN TXT \"v=spf1 ip4:192.0.2.1 +all\"\n",
        spf_verdict: "pass_all",
        dmarc_verdict: "enforcing",
        checkdmarc_differs: None,
    },
    Case {
        label: "eleven",
        spf: &[
            "v=spf1 include:i1.eleven.test include:i2.eleven.test include:i3.eleven.test \
             include:i4.eleven.test include:i5.eleven.test include:i6.eleven.test \
             include:i7.eleven.test include:i8.eleven.test include:i9.eleven.test \
             include:i10.eleven.test include:i11.eleven.test -all",
        ],
        dmarc: &["v=DMARC1; p=reject"],
        extra: "i1 IN TXT \"v=spf1 -all\"\ni2 IN TXT \"v=spf1 -all\"\ni3 IN TXT \"v=spf1 -all\"\n\
                i4 IN TXT \"v=spf1 -all\"\ni5 IN TXT \"v=spf1 -all\"\ni6 IN TXT \"v=spf1 -all\"\n\
                i7 IN TXT \"v=spf1 -all\"\ni8 IN TXT \"v=spf1 -all\"\ni9 IN TXT \"v=spf1 -all\"\n\
                i10 IN TXT \"v=spf1 -all\"\ni11 IN TXT \"v=spf1 -all\"\n",
        spf_verdict: "invalid",
        dmarc_verdict: "enforcing",
        checkdmarc_differs: None,
    },
];

/// The zone body of one case; it receives no mail (null MX), so nothing is probed over
/// SMTP.
fn case_zone(case: &Case, ns_ip: Ipv4Addr) -> String {
    // A TXT character-string holds at most 255 bytes: longer records are split into
    // several strings, which receivers join (RFC 7208 §3.3).
    let quote = |r: &str| {
        let escaped = r.replace('"', "\\\"");
        escaped
            .as_bytes()
            .chunks(200)
            .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut zone = format!("@ IN A {ns_ip}\n@ IN MX 0 .\n");
    for r in case.spf {
        zone.push_str(&format!("@ IN TXT {}\n", quote(r)));
    }
    for r in case.dmarc {
        zone.push_str(&format!("_dmarc IN TXT {}\n", quote(r)));
    }
    zone.push_str(case.extra);
    zone
}

/// Our verdicts, read from the findings the checks gave.
fn our_verdicts(findings: &[trustlabel_core::finding::Finding]) -> (&'static str, &'static str) {
    let has = |id: FindingId| findings.iter().any(|f| f.id == id);
    let spf = if has(FindingId::MailSpfMissing) {
        "missing"
    } else if has(FindingId::MailSpfInvalid) || has(FindingId::MailSpfLookupLimit) {
        "invalid"
    } else if has(FindingId::MailSpfAllowAll) {
        "pass_all"
    } else if has(FindingId::MailSpfWeak) {
        "neutral"
    } else {
        "ok"
    };
    let dmarc = if has(FindingId::MailDmarcMissing) {
        "missing"
    } else if has(FindingId::MailDmarcInvalid) {
        "invalid"
    } else if has(FindingId::MailDmarcNotEnforcing) {
        "not_enforcing"
    } else {
        "enforcing"
    };
    (spf, dmarc)
}

/// checkdmarc's verdicts in the same classes.
fn checkdmarc_verdicts(answer: &serde_json::Value) -> (&'static str, &'static str) {
    let spf = &answer["spf"];
    let spf_error = spf["error"].as_str().unwrap_or_default().to_lowercase();
    let spf = if spf["valid"].as_bool() != Some(true) {
        if spf_error.contains("does not have") || spf_error.contains("does not exist") {
            "missing"
        } else {
            "invalid"
        }
    } else {
        match spf["all"].as_str() {
            Some("pass") => "pass_all",
            Some("fail") | Some("softfail") => "ok",
            _ => "neutral",
        }
    };
    let dmarc = &answer["dmarc"];
    let dmarc_error = dmarc["error"].as_str().unwrap_or_default().to_lowercase();
    let dmarc = if dmarc["valid"].as_bool() != Some(true) {
        if dmarc_error.contains("does not exist") || dmarc_error.contains("not found") {
            "missing"
        } else {
            "invalid"
        }
    } else {
        let pct = match &dmarc["pct"] {
            serde_json::Value::Number(n) => n.as_u64().unwrap_or(100),
            serde_json::Value::String(s) => s.parse().unwrap_or(100),
            _ => 100,
        };
        let none = |tag: &str| dmarc[tag].as_str() == Some("none");
        if none("p") || none("sp") || pct < 100 {
            "not_enforcing"
        } else {
            "enforcing"
        }
    };
    (spf, dmarc)
}

/// Issue 14: our SPF and DMARC verdicts agree with checkdmarc's on a table of records
/// served by NSD. `checkdmarc` (PyPI, pinned in `.ci/run`) must be importable by the
/// `python3` first on PATH: the test fails, never skips, without it.
#[tokio::test(flavor = "multi_thread")]
async fn spf_and_dmarc_verdicts_agree_with_checkdmarc() {
    let mut zones = Zones::new();
    let ip = zones.ip();
    for case in CASES {
        zones.unsigned(&format!("{}.test", case.label), &case_zone(case, ip));
    }
    // The parent `test` itself, so a fallback to it (checkdmarc looks for DMARC at the
    // base domain as well) gets an authoritative "no such name" rather than REFUSED.
    zones.unsigned("test", "");
    let nsd = zones.start();

    let domains: Vec<String> = CASES.iter().map(|c| format!("{}.test", c.label)).collect();
    let out = Command::new("python3")
        .arg("-c")
        .arg(CHECKDMARC)
        .arg(ip.to_string())
        .args(&domains)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "checkdmarc did not run ({}): {stdout} {}\n\
         Install it as .ci/run does: python3 -m venv target/ci-python && \
         target/ci-python/bin/pip install checkdmarc==6.0.4, with target/ci-python/bin first on PATH",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_str(&stdout).expect("checkdmarc's JSON");

    let collector = nsd_collector(&nsd, vec![]);
    let scans = futures::future::join_all(domains.iter().map(|d| collector.collect(d, 443))).await;
    let mut disagreements = Vec::new();
    for ((case, domain), evidence) in CASES.iter().zip(&domains).zip(&scans) {
        let ours = our_verdicts(&judge(evidence, OffsetDateTime::now_utc()));
        let theirs = checkdmarc_verdicts(&theirs[domain]);
        let expected = (case.spf_verdict, case.dmarc_verdict);
        let theirs_expected = case
            .checkdmarc_differs
            .map_or(expected, |(spf, dmarc, _why)| (spf, dmarc));
        if ours != expected || theirs != theirs_expected {
            disagreements.push(format!(
                "{domain}: expected {expected:?} (checkdmarc {theirs_expected:?}), ours {ours:?}, checkdmarc {theirs:?} ({})",
                theirs_detail(&out.stdout, domain)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    drop(nsd);
}

fn theirs_detail(stdout: &[u8], domain: &str) -> String {
    serde_json::from_slice::<serde_json::Value>(stdout)
        .map(|v| v[domain].to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------
// NSD: an unsigned child and a broken chain below a signed parent
// ---------------------------------------------------------------------------------

/// Issue 14: below a parent signed by `ldns-signzone`, a delegation without DS (its
/// absence proved by the parent's signed NSEC) is insecure, and one whose DS names a key
/// the child does not sign with is bogus, through the real validator against NSD.
#[tokio::test(flavor = "multi_thread")]
async fn nsd_unsigned_child_is_insecure_and_a_broken_chain_is_bogus() {
    let mut zones = Zones::new();
    let ip = zones.ip();
    // A key-signing key the child never uses: the parent's DS names it.
    let stranger = zones.ksk("broken.nsd-parent.test");
    let parent = zones.signed(
        "nsd-parent.test",
        &format!(
            "www IN A {ip}\n@ IN MX 0 .\n@ IN TXT \"v=spf1 -all\"\n\
             _dmarc IN TXT \"v=DMARC1; p=reject\"\n\
             unsigned IN NS ns1.unsigned\nns1.unsigned IN A {ip}\n\
             broken IN NS ns1.broken\nns1.broken IN A {ip}\n\
             broken IN DS {}\n",
            stranger.ds_rdata
        ),
        Signed::Valid,
    );
    zones.unsigned("unsigned.nsd-parent.test", &format!("www IN A {ip}\n"));
    zones.signed(
        "broken.nsd-parent.test",
        &format!("www IN A {ip}\n"),
        Signed::Valid,
    );
    let nsd = zones.start();
    let collector = nsd_collector(&nsd, vec![parent]);
    let now = OffsetDateTime::now_utc();

    let good = collector.collect("www.nsd-parent.test", 443).await;
    assert_secure(&good, "nsd-parent.test", now);

    let unsigned = collector.collect("www.unsigned.nsd-parent.test", 443).await;
    match dnssec_status(&unsigned) {
        DnssecStatus::Insecure { at, why } => {
            assert_eq!(at, "unsigned.nsd-parent.test", "{why}");
        }
        other => panic!(
            "a delegation proved to have no DS is insecure: {other:?}\n{:#?}",
            unsigned.dns
        ),
    }
    let findings = judge(&unsigned, now);
    assert_fires(&findings, FindingId::DnsDnssecUnsigned);
    assert_silent(&findings, FindingId::DnsDnssecBogus);

    let broken = collector.collect("www.broken.nsd-parent.test", 443).await;
    match dnssec_status(&broken) {
        DnssecStatus::Bogus { at, why } => {
            assert_eq!(at, "broken.nsd-parent.test", "{why}");
        }
        other => panic!(
            "a DS that matches no key of the child is bogus: {other:?}\n{:#?}",
            broken.dns
        ),
    }
    let findings = judge(&broken, now);
    assert_fires(&findings, FindingId::DnsDnssecBogus);
    assert_silent(&findings, FindingId::DnsDnssecUnsigned);
    drop(nsd);
}

// ---------------------------------------------------------------------------------
// TCP after a truncated UDP answer, and a site whose own name does not resolve
// ---------------------------------------------------------------------------------

/// A TXT question with EDNS (1232 bytes, DO) written byte by byte, so the truncation
/// the test relies on is shown without the collector's code.
fn raw_txt_query(name: &str) -> Vec<u8> {
    let mut q = vec![0x4a, 0x17, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 16, 0, 1]);
    // OPT: root owner, type 41, payload 1232, DO bit set.
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
    q
}

/// Issue 14: a domain with many TXT records (site verifications, as real domains
/// collect them) has an answer larger than the 1232 bytes the collector advertises; NSD
/// sets TC over UDP and the collector reads the whole answer over TCP, so the SPF
/// record among them is found. The same NSD then shows a site whose own name does not
/// exist: its domain's mail evidence is still gathered.
#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_answer_is_read_over_tcp_and_an_unresolved_site_keeps_its_mail_evidence() {
    let mut zones = Zones::new();
    let ip = zones.ip();
    let mut body = format!(
        "www IN A {ip}\n@ IN MX 0 .\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n\
         @ IN TXT \"v=spf1 -all\"\n"
    );
    for i in 0..40 {
        body.push_str(&format!(
            "@ IN TXT \"site-verification-{i:02}=Zm9yIHRoZSB0ZXN0IG9ubHk6IGEgbG9uZyB0b2tlbiBsaWtlIHJlYWwgb25lcw\"\n"
        ));
    }
    zones.unsigned("many-txt.test", &body);
    let nsd = zones.start();

    // NSD truncates the UDP answer: the premise of the test.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    socket
        .send_to(&raw_txt_query("many-txt.test"), nsd.addr)
        .expect("send");
    let mut buf = [0u8; 4096];
    let (len, _) = socket.recv_from(&mut buf).expect("NSD answers over UDP");
    assert!(len <= 1232, "{len} bytes over UDP");
    assert_eq!(buf[2] & 0x02, 0x02, "TC set by NSD ({len} bytes)");

    let collector = nsd_collector(&nsd, vec![]);
    let now = OffsetDateTime::now_utc();
    let site = collector.collect("www.many-txt.test", 443).await;
    let mail = site.mail.as_ref().expect("mail evidence");
    match mail.spf.fetched.get("many-txt.test") {
        Some(trustlabel_core::mail::spf::Fetched::Records { records }) => {
            assert_eq!(records, &["v=spf1 -all"]);
        }
        other => panic!("the SPF record among 41 TXT records: {other:?}"),
    }
    let findings = judge(&site, now);
    for id in [
        FindingId::MailSpfMissing,
        FindingId::MailSpfInvalid,
        FindingId::MailDmarcMissing,
    ] {
        assert_silent(&findings, id);
    }

    // The site's own name does not exist; its registrable domain does.
    let gone = collector.collect("gone.many-txt.test", 443).await;
    assert!(
        matches!(
            gone.resolution,
            trustlabel_core::evidence::Resolution::Failed { .. }
        ),
        "{:?}",
        gone.resolution
    );
    let mail = gone.mail.as_ref().expect("mail evidence without the site");
    assert_eq!(mail.domain, "many-txt.test");
    assert!(mail.mx.is_null(), "{:?}", mail.mx);
    assert_eq!(mail.dmarc.records, ["v=DMARC1; p=reject"]);
    let dns = gone.dns.as_ref().expect("DNS evidence without the site");
    assert!(
        dns.ipv6
            .lookup_failure
            .as_deref()
            .is_some_and(|why| why.contains("did not resolve")),
        "{:?}",
        dns.ipv6
    );
    let findings = judge(&gone, now);
    assert_fires(&findings, FindingId::SiteDnsFailed);
    for id in [
        FindingId::DnsIpv6Missing,
        FindingId::MailSpfMissing,
        FindingId::MailDmarcMissing,
    ] {
        assert_silent(&findings, id);
    }
    drop(nsd);
}

// ---------------------------------------------------------------------------------
// Debian's Exim as the mail peer, in zones NSD serves: STARTTLS, DANE, MTA-STS
// ---------------------------------------------------------------------------------

/// The data of a TLSA 3 1 1 record for `key` (a PEM private key): the SHA-256 of its
/// public key, as `openssl` computes it, which shares no code with the collector.
fn openssl_spki_sha256(key: &Path) -> String {
    let dir = key.parent().expect("key directory");
    let key = key.to_str().expect("UTF-8 path");
    run(
        dir,
        "openssl",
        &[
            "pkey", "-in", key, "-pubout", "-outform", "DER", "-out", "spki.der",
        ],
    );
    let out = run(dir, "openssl", &["dgst", "-sha256", "-r", "spki.der"]);
    out.split_whitespace()
        .next()
        .expect("digest")
        .to_uppercase()
}

/// Scans `www.<apex>`, whose MX `mx.<apex>` offers STARTTLS with a certificate for
/// other names; its findings.
async fn name_mismatch_findings(
    collector: &Collector,
    apex: &str,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let evidence = collector.collect(&format!("www.{apex}"), 443).await;
    let mail = evidence.mail.as_ref().expect("mail evidence");
    match &mail.servers[0].smtp {
        SmtpOutcome::Tls { verification, .. } => {
            assert!(verification.is_some(), "not valid for mx.{apex}")
        }
        other => panic!("Exim offers STARTTLS: {other:?}"),
    }
    judge(&evidence, now)
}

/// Issue 14: Debian's Exim as the MX. Offering STARTTLS with a certificate for the MX
/// name, in a signed zone with a TLSA 3 1 1 record of its key (hashed by `openssl`)
/// and a valid MTA-STS policy (served by `openssl s_server`), the domain gets no mail
/// finding at all, nor does a certificate for another name that a DANE-EE record
/// authenticates; a TLSA record that does not match, a certificate for another name,
/// an Exim that speaks only TLS 1.0 (STARTTLS failed) and one without STARTTLS each give
/// their finding. Exim's own log shows one
/// session per MX name and no message.
#[tokio::test(flavor = "multi_thread")]
async fn debian_exim_starttls_dane_and_mta_sts() {
    let certs = tempfile::tempdir().expect("temp dir");
    crate::common::pki::readable_by_all(certs.path());
    let ca = TestCa::new();
    let mx_leaf = ca.leaf(
        &["mx.exim-tls.test", "mx.exim-dane.test"],
        certs.path(),
        "mx",
    );
    let exim_tls = Exim::start("mx.exim-tls.test", Some(&mx_leaf), "");
    let exim_plain = Exim::start("mx.exim-plain.test", None, "");
    // GnuTLS told to speak TLS 1.0 only, which the scanner (TLS 1.2 and 1.3) refuses.
    let old_leaf = ca.leaf(&["mx.exim-old.test"], certs.path(), "old");
    let exim_old = Exim::start(
        "mx.exim-old.test",
        Some(&old_leaf),
        "tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0",
    );
    let tlsa = openssl_spki_sha256(&mx_leaf.key);

    let policy_root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(policy_root.path().join(".well-known")).expect("mkdir");
    std::fs::write(
        policy_root.path().join(".well-known/mta-sts.txt"),
        "version: STSv1\r\nmode: enforce\r\nmx: mx.exim-tls.test\r\nmax_age: 604800\r\n",
    )
    .expect("write policy");
    let policy_ip = crate::common::nsd::loopback_address(44);
    let policy_leaf = ca.leaf(&["mta-sts.exim-tls.test"], certs.path(), "mta-sts");
    // `openssl s_server -WWW` serves the policy file: an HTTPS server that is not ours.
    let _policy_server = OpensslServer::start_on(
        &format!("{policy_ip}:443"),
        &policy_leaf.cert,
        &policy_leaf.key,
        &["-WWW"],
        Some(policy_root.path()),
        None,
    );

    let mut zones = Zones::new();
    let ip = zones.ip();
    let authenticated = "@ IN TXT \"v=spf1 mx -all\"\n\
                         _dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.net\"\n";
    let tls_zone = zones.signed(
        "exim-tls.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}\
             _25._tcp.mx IN TLSA 3 1 1 {tlsa}\n\
             _mta-sts IN TXT \"v=STSv1; id=20261205T0300\"\n\
             mta-sts IN A {policy_ip}\n\
             _smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.net\"\n",
            exim_tls.ip
        ),
        Signed::Valid,
    );
    let wrong_hash = "0".repeat(64);
    let dane_zone = zones.signed(
        "exim-dane.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}\
             _25._tcp.mx IN TLSA 3 1 1 {wrong_hash}\n",
            exim_tls.ip
        ),
        Signed::Valid,
    );
    // A fourth MX name its certificate does not cover, in a signed zone whose TLSA 3 1 1
    // record names the server's key: DANE-EE authenticates it (RFC 7672 §3.1.1).
    let dane_ee_zone = zones.signed(
        "exim-dane-ee.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}\
             _25._tcp.mx IN TLSA 3 1 1 {tlsa}\n",
            exim_tls.ip
        ),
        Signed::Valid,
    );
    // A third MX name for the same Exim: its certificate does not cover it.
    zones.unsigned(
        "exim-wrong.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}",
            exim_tls.ip
        ),
    );
    zones.unsigned(
        "exim-plain.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}",
            exim_plain.ip
        ),
    );
    zones.unsigned(
        "exim-old.test",
        &format!(
            "www IN A {ip}\n@ IN MX 10 mx\nmx IN A {}\n{authenticated}",
            exim_old.ip
        ),
    );
    let nsd = zones.start();
    let mut settings = nsd_settings(&nsd, vec![tls_zone, dane_zone, dane_ee_zone]);
    settings.extra_roots_pem = vec![ca.root_pem()];
    settings.only_extra_roots = true;
    let collector = crate::common::collector(settings);
    let now = OffsetDateTime::now_utc();

    // The good domain: STARTTLS with a valid certificate, DANE that matches, MTA-STS.
    let good = collector.collect("www.exim-tls.test", 443).await;
    let mail = good.mail.as_ref().expect("mail evidence");
    assert_eq!(mail.servers.len(), 1, "{mail:#?}");
    let server = &mail.servers[0];
    assert_eq!(server.addresses, [std::net::IpAddr::V4(exim_tls.ip)]);
    let (chain, version) = match &server.smtp {
        SmtpOutcome::Tls {
            ehlo,
            version,
            chain,
            verification,
            ..
        } => {
            assert!(ehlo[0].starts_with("mx.exim-tls.test"), "{ehlo:?}");
            assert!(ehlo.iter().any(|l| l == "STARTTLS"), "{ehlo:?}");
            assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
            assert_eq!(chain[0].san_dns, ["mx.exim-tls.test", "mx.exim-dane.test"]);
            assert_eq!(*verification, None, "valid for the MX name");
            (chain.clone(), version.clone())
        }
        other => panic!("Exim offers STARTTLS: {other:?}"),
    };
    let dane = server.tlsa.as_ref().expect("TLSA asked in a signed zone");
    assert!(dane.secure, "{dane:?}");
    assert_eq!(dane.records, [format!("3 1 1 {tlsa}")]);
    let der: Vec<Vec<u8>> = chain
        .iter()
        .map(|c| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(&c.der_base64)
                .expect("DER")
        })
        .collect();
    let record = trustlabel_core::dns::tlsa::parse_tlsa_text(&dane.records[0]).expect("TLSA");
    assert_eq!(
        trustlabel_core::dns::tlsa::tlsa_match(&record, &der),
        trustlabel_core::dns::tlsa::TlsaMatch::Matches { index: 0 }
    );
    match &mail.mta_sts.policy {
        Some(PolicyFetch::Fetched {
            status,
            content_type,
            body,
            ..
        }) => {
            assert_eq!(*status, 200);
            assert_eq!(content_type.as_deref(), Some("text/plain"));
            let policy = mta_sts::parse_policy(body).expect("a valid policy");
            assert_eq!(policy.mode, mta_sts::Mode::Enforce);
            assert!(policy.covers("mx.exim-tls.test"));
        }
        other => panic!("the policy file over HTTPS: {other:?}"),
    }
    let findings = judge(&good, now);
    let mail_findings: Vec<_> = findings
        .iter()
        .filter(|f| f.id.to_string().starts_with("mail."))
        .map(|f| (f.id, f.detail.clone()))
        .collect();
    assert!(mail_findings.is_empty(), "{mail_findings:#?}");

    // A TLSA record that names another key.
    let dane_bad = collector.collect("www.exim-dane.test", 443).await;
    let findings = judge(&dane_bad, now);
    assert_fires(&findings, FindingId::MailDaneMismatch);
    assert_silent(&findings, FindingId::MailStarttlsCertInvalid);

    // The same Exim under a name its certificate does not cover.
    let findings = name_mismatch_findings(&collector, "exim-wrong.test", now).await;
    assert_fires(&findings, FindingId::MailStarttlsCertInvalid);
    assert_silent(&findings, FindingId::MailStarttlsMissing);

    // The same name mismatch, authenticated by DANE-EE: nothing to fix.
    let findings = name_mismatch_findings(&collector, "exim-dane-ee.test", now).await;
    for id in [
        FindingId::MailStarttlsCertInvalid,
        FindingId::MailDaneMismatch,
        FindingId::MailDaneMissing,
    ] {
        assert_silent(&findings, id);
    }

    // Exim without STARTTLS.
    let plain = collector.collect("www.exim-plain.test", 443).await;
    let mail = plain.mail.as_ref().expect("mail evidence");
    match &mail.servers[0].smtp {
        SmtpOutcome::NoStarttls { ehlo, .. } => {
            assert!(ehlo[0].starts_with("mx.exim-plain.test"), "{ehlo:?}");
            assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
        }
        other => panic!("no STARTTLS expected: {other:?}"),
    }
    let findings = judge(&plain, now);
    assert_fires(&findings, FindingId::MailStarttlsMissing);
    assert_silent(&findings, FindingId::MailMxUnreachable);
    assert_silent(&findings, FindingId::MailStarttlsFailed);

    // Exim speaking only TLS 1.0: OpenSSL sets up a TLS 1.0 session with it (so it is
    // not merely broken). GnuTLS answers the scanner's TLS 1.2/1.3 hello with a
    // handshake_failure alert, not protocol_version as OpenSSL-based servers (and the
    // fleet's outdated server) do, so the version cannot be named from this one
    // conversation: STARTTLS is recorded as failed, which is what a modern sender meets.
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
            "-starttls",
        ])
        .args(["smtp", "-connect"])
        .arg(format!("{}:25", exim_old.ip))
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs (is it installed?)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Protocol  : TLSv1\n"), "{text}");
    let old = collector.collect("www.exim-old.test", 443).await;
    let mail = old.mail.as_ref().expect("mail evidence");
    match &mail.servers[0].smtp {
        SmtpOutcome::TlsFailed {
            version_refused,
            message,
            ..
        } => {
            assert!(!version_refused, "{message}");
            assert!(message.contains("HandshakeFailure"), "{message}");
        }
        other => panic!("TLS 1.0 only: {other:?}"),
    }
    let findings = judge(&old, now);
    assert_fires(&findings, FindingId::MailStarttlsFailed);
    assert_silent(&findings, FindingId::MailStarttlsMissing);

    // A site of that domain whose own name does not exist still has its mail judged.
    let gone = collector.collect("gone.exim-plain.test", 443).await;
    let findings = judge(&gone, now);
    assert_fires(&findings, FindingId::SiteDnsFailed);
    assert_fires(&findings, FindingId::MailStarttlsMissing);

    // Exim's account: one session per MX name (four names on the TLS one, which the
    // run caches per name), TLS on that one, no message in any.
    let log = exim_tls.main_log();
    let sessions = log.matches("no MAIL in SMTP connection").count();
    assert_eq!(sessions, 4, "{log}");
    // The version the evidence records is the one Exim logged (`X=TLS1.3:...`).
    let logged = log
        .split("X=")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_default();
    assert_eq!(
        format!("TLSv{}", &logged[3.min(logged.len())..]),
        version,
        "{log}"
    );
    assert!(!log.contains(" <= "), "no message was received: {log}");
    let log = exim_plain.main_log();
    assert_eq!(
        log.matches("no MAIL in SMTP connection").count(),
        1,
        "{log}"
    );
    drop(nsd);
}
