//! Must fire: every finding id of the catalog, produced by a fleet site scanned through the
//! real `Collector` and judged by the real checks (`run_all` with the built-in rules), and
//! silent on the good site (`SiteSpec::good`) scanned the same way — or, for a strength
//! (`FindingId::is_strength`), silent on a site that lacks it.
//!
//! [`case`] maps each `FindingId` to the site that must produce it with a `match` that has
//! no wildcard arm, and the test walks `FindingId::ALL`: a new id without a case does not
//! compile, and a case that stops producing its id fails here. Every id is produced on
//! loopback through the collector; none needed a hand-built stand-in (the SHA-1 signature
//! rcgen cannot write is made by `fleet::sha1_sign`, TLS 1.0/1.1-only servers by the
//! fleet's fake legacy peers, whose protocol claims real OpenSSL peers back up in
//! `legacy_openssl.rs`).
//!
//! The `dns.*` and `mail.*` ids are judged per name and per registrable domain, so their
//! cases bring a DNS zone of their own (`www.<zone>`, served by the fleet's DNS server,
//! signed unless the case says otherwise and delegated from the fleet's signed `test.`,
//! the scanner's trust anchor) and, for mail, the fleet SMTP server the zone's MX names.
//!
//! All sites live in one fleet and are scanned concurrently, each once.

use crate::common::flaw_peer::FlawPeer;
use crate::common::openssl::RsaCert;
use crate::common::{DOMAIN, host, judge, settings_for};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::task::JoinSet;
use trustlabel_collect::{Collector, CollectorSettings};
use trustlabel_core::dns::wire::Tlsa;
use trustlabel_core::evidence::CORS_PROBE_ORIGIN;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_fleet::{
    CertKind, DnsRecord, FLEET_EXPIRES, Fleet, FleetExtras, HttpBehaviour, Ipv6Behaviour,
    MailDefaults, MailServer, RecordData, Route, Signing, SiteSpec, SmtpBehaviour, TlsBehaviour,
    ZoneRecord, ZoneSpec, bot_wall, security_txt_route,
};

const GOV_HOME: &str = include_str!("fixtures/pages/gov_home.html");
const NOTICE_COMPLETE: &str = include_str!("fixtures/pages/notice_complete.html");
const NOTICE_INCOMPLETE: &str = include_str!("fixtures/pages/notice_incomplete.html");
const SPAM_HIDDEN: &str = include_str!("fixtures/pages/spam_hidden.html");
const APPOINTMENT: &str = include_str!("fixtures/pages/vn_form_appointment.html");
const NOTICE_WEAK: &str = include_str!("fixtures/pages/vn_notice_weak.html");
const SPAM_VISIBLE: &str = include_str!("fixtures/pages/spam_visible_unaccented.html");
/// Where `gov_home.html` links its privacy notice.
const NOTICE_PATH: &str = "/chinh-sach-bao-mat/";

/// The name of a fleet DNS record that points at 127.0.0.1: loopback, so refused by the
/// address rule of [`Scanner::PublicOnly`] (and harmless even if the rule broke).
const INTERNAL: &str = "intranet";

/// How a case is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scanner {
    /// The tests' collector (`common::settings_for`): the fleet's DNS and root, loopback
    /// addresses allowed.
    Fleet,
    /// As in production, non-public addresses refused; only the fleet's site block
    /// 127.77.1.0/24 passes the address rule (`treat_as_public`) to play the internet.
    PublicOnly,
}

/// What must produce one id: the name scanned, the fleet site behind it (none for a
/// name the fleet does not serve), other sites it needs (a redirect target), the scanner
/// and, for a strength, the site that must not earn it (problems must be silent on the
/// good site, which earns every header strength).
struct Case {
    host: String,
    site: Option<SiteSpec>,
    also: Vec<SiteSpec>,
    scanner: Scanner,
    /// The DNS zone of the site's registrable domain, when it is not the fleet's default
    /// one (`fleet.test`: signed, CAA, a domain that sends and receives no mail).
    zone: Option<ZoneSpec>,
    /// The mail server the zone's MX names.
    mail: Option<MailServer>,
    quiet: Option<SiteSpec>,
    /// The peer outside the fleet the site relays to, kept running for the scan.
    _peer: Option<(FlawPeer, RsaCert)>,
}

impl Case {
    /// A site whose TLS port relays to `tls_flaws.py` with `flaw`.
    fn flawed(flaw: &str) -> Case {
        let label = format!("tls-{}", flaw.replace('_', "-"));
        let cert = RsaCert::generate(&host(&label));
        let peer = FlawPeer::start(flaw, &cert);
        let site = good(&label).with_tls(TlsBehaviour::Relay(peer.addr));
        Case {
            _peer: Some((peer, cert)),
            ..Case::site(site)
        }
    }

    fn site(spec: SiteSpec) -> Case {
        Case {
            host: spec.host.clone(),
            site: Some(spec),
            also: Vec::new(),
            scanner: Scanner::Fleet,
            quiet: None,
            zone: None,
            mail: None,
            _peer: None,
        }
    }

    /// A good site `www.<apex>` in its own zone.
    fn zone(zone: ZoneSpec) -> Case {
        Case {
            zone: Some(zone.clone()),
            ..Case::site(SiteSpec::good(&format!("www.{}", zone.apex)))
        }
    }

    /// A good site in its own zone, which receives mail at `mx.<apex>` (a server that
    /// behaves as `smtp`) and publishes SPF `mx -all` and DMARC `p=reject` besides
    /// `records`.
    fn mail(apex: &str, smtp: SmtpBehaviour, records: Vec<ZoneRecord>) -> Case {
        let mx = format!("mx.{apex}");
        let zone = ZoneSpec::new(apex)
            .with_mail(MailDefaults::None)
            .with_record(ZoneRecord::mx(apex, 10, &mx))
            .with_record(ZoneRecord::txt(apex, "v=spf1 mx -all"))
            .with_record(ZoneRecord::txt(
                &format!("_dmarc.{apex}"),
                "v=DMARC1; p=reject",
            ))
            .with_records(records);
        Case {
            mail: Some(MailServer::new(&mx, smtp)),
            ..Case::zone(zone)
        }
    }

    fn name(label: &str, scanner: Scanner) -> Case {
        Case {
            host: host(label),
            site: None,
            also: Vec::new(),
            scanner,
            zone: None,
            mail: None,
            quiet: None,
            _peer: None,
        }
    }

    /// Another site the case's site needs in the fleet.
    fn also(mut self, spec: SiteSpec) -> Case {
        self.also.push(spec);
        self
    }

    /// A strength: it must not fire on `spec` (instead of the good site).
    fn quiet_on(mut self, spec: SiteSpec) -> Case {
        self.quiet = Some(spec);
        self
    }

    /// The site scanned to show the id silent.
    fn quiet_host(&self, good: &SiteSpec) -> String {
        self.quiet.as_ref().unwrap_or(good).host.clone()
    }
}

/// The site that must produce `id`. No wildcard: every id needs its own arm.
fn case(id: FindingId) -> Case {
    use FindingId::*;
    match id {
        SiteUnreachable => Case::site(
            good("unreachable")
                .with_tls(TlsBehaviour::Closed)
                .with_http(HttpBehaviour::Closed),
        ),
        // Plain HTTP answers, the TLS port swallows the handshake.
        SiteTimeout => Case::site(good("silent").with_tls(TlsBehaviour::Silent)),
        SiteDnsFailed => Case::name("nowhere", Scanner::Fleet),
        SiteAddressRefused => Case::name(INTERNAL, Scanner::PublicOnly),
        // Visitors get the page; the scanner's User-Agent gets a firewall challenge.
        SiteBlocked => Case::site(bot_wall(good("bot-wall"))),

        TlsNone => Case::site(
            good("no-https")
                .with_tls(TlsBehaviour::Closed)
                .with_http(HttpBehaviour::Serve),
        ),
        HttpNoHttpsRedirect => Case::site(good("no-redirect").with_http(HttpBehaviour::Serve)),
        HttpRedirectOffsite => Case::site(good("offsite-redirect").with_route(Route::redirect(
            "/",
            301,
            "https://elsewhere.example/",
        ))),
        HttpRedirectLoop => Case::site(
            good("redirect-loop")
                .with_route(Route::redirect("/", 302, "/a"))
                .with_route(Route::redirect("/a", 302, "/")),
        ),
        // The bare domain sends http straight to https://www. (both schemes redirect).
        HttpRedirectOffHost => Case::site(good("apex").with_http(HttpBehaviour::Serve).with_route(
            Route::redirect("/", 301, &format!("https://www.{}/", host("apex"))),
        ))
        .also(SiteSpec::good(&format!("www.{}", host("apex")))),
        TlsProtoSslv3
        | TlsProtoNoTls12
        | TlsProtoNoTls13
        | TlsCipherWeak
        | TlsCipherNoForwardSecrecy
        | TlsCipherNoAead => Case::site(good("sslv3-only").with_tls(TlsBehaviour::Sslv3Only)),
        TlsProtoTls10 => Case::site(good("tls10-only").with_tls(TlsBehaviour::Tls10Only)),
        TlsProtoTls11 => Case::site(good("tls11-only").with_tls(TlsBehaviour::Tls11Only)),

        CertExpired => cert(CertKind::Expired),
        CertNotYetValid => cert(CertKind::NotYetValid),
        CertExpiringSoon => cert(CertKind::ExpiringSoon),
        CertNameMismatch => cert(CertKind::WrongHost),
        CertSelfSigned => cert(CertKind::SelfSigned),
        CertUntrusted => cert(CertKind::UntrustedRoot),
        CertChainIncomplete => cert(CertKind::MissingIntermediate),
        CertWeakKey => cert(CertKind::WeakKey),
        CertWeakSignature => cert(CertKind::WeakSignature),
        CertRevoked => cert(CertKind::Revoked),

        HeaderHstsMissing
        | HeaderCspMissing
        | HeaderFrameMissing
        | HeaderXctoMissing
        | HeaderPermissionsMissing => Case::site(bare_headers()),
        HeaderHstsShort
        | HeaderCspUnsafe
        | HeaderReferrerUnsafe
        | HeaderVersionLeak
        | CookieInsecure
        | CookieNoHttponly
        | CookieNoSamesite
        | CorsWildcardCredentials => Case::site(weak_headers()),
        HeaderCoopInvalid | HeaderCoepInvalid | HeaderCorpInvalid => Case::site(
            good("cross-origin-invalid")
                .with_header("Cross-Origin-Opener-Policy", "Same-Origin")
                .with_header(
                    "Cross-Origin-Embedder-Policy",
                    "require-corp, credentialless",
                )
                .with_header("Cross-Origin-Resource-Policy", "same-origin; x"),
        ),
        // Strengths: the good site earns the header ones, the bare one none.
        HeaderCspStrict | HeaderFrameProtected | HeaderReferrerPrivate => {
            Case::site(SiteSpec::good(&host("good"))).quiet_on(bare_headers())
        }
        HeaderCoopProtective | HeaderCoepProtective | HeaderCorpProtective => Case::site(
            good("isolated")
                .with_header("Cross-Origin-Opener-Policy", "same-origin")
                .with_header("Cross-Origin-Embedder-Policy", "require-corp")
                .with_header("Cross-Origin-Resource-Policy", "same-site"),
        )
        .quiet_on(SiteSpec::good(&host("good"))),
        CookieHardened => Case::site(SiteSpec::good(&host("good"))).quiet_on(weak_headers()),
        ContentSriComplete => Case::site(page("sri", SRI_SCRIPTS)).quiet_on(portal()),

        ContentMixedActive | ContentMixedPassive => Case::site(page("mixed-content", MIXED)),
        ContentSriMissing
        | ContentTrackers
        | PrivacyCollectsPersonalData
        | SoftwareOutdated
        | SoftwareVulnerableJs => Case::site(portal()),

        // An appointment form asking for symptoms, its notice silent about sensitive data.
        PrivacyCollectsSensitiveData => Case::site(
            page("sensitive-form", APPOINTMENT)
                .with_route(Route::page("/thong-bao-xu-ly-du-lieu/", NOTICE_WEAK)),
        ),
        PrivacyNoticeMissing => Case::site(page("no-notice", FORM_WITHOUT_NOTICE)),
        PrivacyNoticeIncomplete => Case::site(
            page("incomplete-notice", GOV_HOME)
                .with_route(Route::page(NOTICE_PATH, NOTICE_INCOMPLETE)),
        ),
        PrivacyFormInsecureAction => Case::site(page("insecure-form", FORM_POSTING_TO_HTTP)),
        // The same personal-data form, also served over plain http (no redirect).
        PrivacyFormOverHttp => {
            Case::site(portal_named("plain-form").with_http(HttpBehaviour::Serve))
        }

        ExposureVcs | ExposureEnv | ExposureBackup | ExposureDirListing | ExposureDebugPage
        | ExposureAdminPanel => Case::site(leaky()),

        CompromiseSpamInjection => Case::site(page("hacked", SPAM_HIDDEN)),
        CompromiseCloaking => Case::site(
            page("cloaked", GOV_HOME)
                .with_route(Route::page("/", SPAM_VISIBLE).when_header("User-Agent", "Googlebot")),
        ),
        CompromiseBlocklisted => Case::site(page("blocklisted-link", LINKS_TO_LISTED_DOMAIN)),

        // A delegation from the signed `test.` without a DS record.
        DnsDnssecUnsigned => {
            Case::zone(ZoneSpec::new("unsigned.test").with_signing(Signing::Unsigned))
        }
        DnsDnssecBogus => {
            Case::zone(ZoneSpec::new("expired-sigs.test").with_signing(Signing::Expired))
        }
        // Under `invalid.`, which no anchor the scanner was given covers.
        DnsDnssecUnverified => Case::zone(ZoneSpec::new("unanchored.invalid").unanchored()),
        DnsCaaMissing => Case::zone(ZoneSpec::new("no-caa.test").without_caa()),
        DnsCaaDisallowsIssuer => Case::zone(
            ZoneSpec::new("other-ca.test")
                .without_caa()
                .with_record(ZoneRecord::caa_issue("other-ca.test", "letsencrypt.org")),
        ),
        DnsIpv6Missing => Case::site(good("no-ipv6").with_ipv6(Ipv6Behaviour::None)),
        DnsIpv6Unreachable => Case::site(good("ipv6-closed").with_ipv6(Ipv6Behaviour::Closed)),
        DnsIpv6DifferentContent => Case::site(
            good("ipv6-other").with_ipv6(Ipv6Behaviour::Different(IPV6_OTHER_HOME.into())),
        ),
        // Its only name server has an IPv4 address (the fleet's DNS server) and no AAAA.
        DnsNsNoIpv6 => Case::zone(
            ZoneSpec::new("ns-v4-only.test")
                .with_name_server("ns.ns-v4-only.test")
                .with_record(ZoneRecord::new(
                    "ns.ns-v4-only.test",
                    RecordData::A(Ipv4Addr::new(127, 77, 0, 1)),
                )),
        ),

        MailMxMissing | MailSpfMissing | MailDmarcMissing => {
            Case::zone(ZoneSpec::new("no-mail-records.test").with_mail(MailDefaults::None))
        }
        MailSpfInvalid | MailDmarcInvalid => Case::zone(
            ZoneSpec::new("broken-records.test")
                .with_mail(MailDefaults::None)
                .with_record(ZoneRecord::txt(
                    "broken-records.test",
                    "v=spf1 ipv4:192.0.2.1 -all",
                ))
                .with_record(ZoneRecord::txt(
                    "_dmarc.broken-records.test",
                    "v=DMARC1; p=maybe",
                )),
        ),
        // Eleven `a` mechanisms: eleven DNS lookups.
        MailSpfLookupLimit => Case::zone(
            ZoneSpec::new("spf-lookups.test")
                .with_mail(MailDefaults::None)
                .with_record(ZoneRecord::txt(
                    "spf-lookups.test",
                    &format!("v=spf1{} -all", " a".repeat(11)),
                )),
        ),
        MailSpfAllowAll | MailDmarcNotEnforcing => Case::zone(
            ZoneSpec::new("allow-all.test")
                .with_mail(MailDefaults::None)
                .with_record(ZoneRecord::txt("allow-all.test", "v=spf1 +all"))
                .with_record(ZoneRecord::txt("_dmarc.allow-all.test", "v=DMARC1; p=none")),
        ),
        MailSpfWeak => Case::zone(
            ZoneSpec::new("soft-fail.test")
                .with_mail(MailDefaults::None)
                .with_record(ZoneRecord::txt("soft-fail.test", "v=spf1 mx ?all"))
                .with_record(ZoneRecord::txt(
                    "_dmarc.soft-fail.test",
                    "v=DMARC1; p=reject",
                )),
        ),
        MailMxUnreachable => Case::mail("mx-closed.test", SmtpBehaviour::Closed, vec![]),
        // A signed zone without TLSA, MTA-STS or TLS-RPT records, whose MX offers no
        // STARTTLS.
        MailStarttlsMissing | MailDaneMissing | MailMtaStsMissing | MailTlsrptMissing => {
            Case::mail("no-starttls.test", SmtpBehaviour::NoStartTls, vec![])
        }
        MailStarttlsCertInvalid => Case::mail(
            "mx-expired-cert.test",
            SmtpBehaviour::StartTls(CertKind::Expired),
            vec![],
        ),
        MailStarttlsTlsOutdated => {
            Case::mail("mx-old-tls.test", SmtpBehaviour::OutdatedTls, vec![])
        }
        MailStarttlsFailed => Case::mail("mx-garbage.test", SmtpBehaviour::Garbage, vec![]),
        // A TLSA record (DANE-EE, SPKI, SHA-256) that matches no key.
        MailDaneMismatch => Case::mail(
            "dane-mismatch.test",
            SmtpBehaviour::StartTls(CertKind::Good),
            vec![ZoneRecord::new(
                "_25._tcp.mx.dane-mismatch.test",
                RecordData::Tlsa(Tlsa {
                    usage: 3,
                    selector: 1,
                    matching: 1,
                    data: vec![0x5a; 32],
                }),
            )],
        ),
        // An MTA-STS TXT record, but no `mta-sts.` host serving the policy.
        MailMtaStsInvalid => Case::mail(
            "sts-unserved.test",
            SmtpBehaviour::StartTls(CertKind::Good),
            vec![ZoneRecord::txt(
                "_mta-sts.sts-unserved.test",
                "v=STSv1; id=20261205",
            )],
        ),
        // The good site serves a valid security.txt (`SiteSpec::good`).
        SecurityTxtMissing => Case::site(no_security_txt()),
        SecurityTxtInvalid => Case::site(
            good("bad-security-txt").with_route(
                Route::new(SECURITY_TXT, 200)
                    .with_header("Content-Type", "text/plain")
                    .with_body("Contact: attt@bad-security-txt.fleet.test\nExpires: 2027-06-30\n"),
            ),
        ),
        SecurityTxtExpired => {
            Case::site(good("expired-security-txt").with_route(security_txt_route(
                "Contact: mailto:attt@example.test\nExpires: 2021-01-01T00:00:00Z\n",
            )))
        }
        SecurityTxtCanonicalMismatch => Case::site(good("copied-security-txt").with_route(
            security_txt_route(&format!(
                "Contact: mailto:attt@example.test\nExpires: {FLEET_EXPIRES}\n\
                 Canonical: https://other.example/.well-known/security.txt\n"
            )),
        )),
        // Signed (a made-up signature block: the framing is all the scanner reads).
        SecurityTxtExpiresFar => Case::site(
            good("far-security-txt").with_route(security_txt_route(SIGNED_FAR_SECURITY_TXT)),
        ),
        SecurityTxtPublished => {
            Case::site(SiteSpec::good(&host("good"))).quiet_on(no_security_txt())
        }
        // TLS vulnerability probes (issue 12): the fleet site's TLS port relays to a
        // Python peer with that one flaw (tests/peers/tls_flaws.py; `tls_vulns.rs` proves
        // each against it and Debian's OpenSSL).
        TlsVulnHeartbleed => Case::flawed("heartbleed"),
        TlsVulnCcsInjection => Case::flawed("ccs"),
        TlsVulnRobot => Case::flawed("robot"),
        TlsVulnInsecureRenegotiation => Case::flawed("no_reneg"),
        TlsVulnCompression => Case::flawed("compression"),
        TlsVulnNoFallbackScsv => Case::flawed("no_fallback"),
        TlsVulnNoExtendedMasterSecret => Case::flawed("no_ems"),
        // Advisory feeds (issue 12): WordPress 4.7.2 has fixed high-severity advisories;
        // a Liferay 7.0.4 portal (by its header) one in the CISA KEV catalog.
        SoftwareVulnerable => Case::site(page("wordpress-4-7-2", WORDPRESS_472_HOME)),
        SoftwareKnownExploited => Case::site(liferay_portal()),
    }
}

/// A WordPress 4.7.2 home page as the core prints it: generator tag and `?ver=` assets.
pub(crate) const WORDPRESS_472_HOME: &str = "<!doctype html><html lang=\"vi\"><head>\
    <meta charset=\"utf-8\"><title>Sở Văn hóa</title>\
    <meta name=\"generator\" content=\"WordPress 4.7.2\">\
    <link rel=\"stylesheet\" href=\"/wp-includes/css/dashicons.min.css?ver=4.7.2\">\
    <script src=\"/wp-includes/js/wp-emoji-release.min.js?ver=4.7.2\"></script>\
    </head><body><h1>Sở Văn hóa, Thể thao và Du lịch</h1><p>Tin tức và thông báo.</p>\
    </body></html>";

/// A Liferay 7.0.4 portal: the `Liferay-Portal` header and a barebone script whose
/// `b=` parameter is the build number.
pub(crate) fn liferay_portal() -> SiteSpec {
    page("liferay-portal", LIFERAY_HOME).with_header(
        "Liferay-Portal",
        "Liferay Community Edition Portal 7.0.4 GA5 (Wilberforce / Build 7004 / August 31, 2017)",
    )
}

const LIFERAY_HOME: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Cổng thông tin điện tử</title>\
    <script src=\"/html/js/barebone.jsp?browserId=other&amp;themeId=portal_WAR_theme&amp;\
    colorSchemeId=01&amp;minifierType=js&amp;minifierBundleId=javascript.barebone.files&amp;\
    languageId=vi_VN&amp;b=7004&amp;t=1504171234000\"></script></head>\
    <body><h1>Cổng thông tin điện tử tỉnh</h1><p>Thông tin chỉ đạo điều hành.</p></body></html>";

const SECURITY_TXT: &str = "/.well-known/security.txt";

fn no_security_txt() -> SiteSpec {
    good("no-security-txt").without_route(SECURITY_TXT)
}

/// An OpenPGP cleartext-signed security.txt expiring in 2099 (the signature is filler).
const SIGNED_FAR_SECURITY_TXT: &str = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n\
    Contact: mailto:attt@example.test\nExpires: 2099-12-31T16:59:59Z\n\
    -----BEGIN PGP SIGNATURE-----\n\ndHJ1c3RsYWJlbCB0ZXN0IGZpbGxlcg==\n=AAAA\n\
    -----END PGP SIGNATURE-----\n";

/// The home page a site serves over IPv6 when it differs from the IPv4 one.
const IPV6_OTHER_HOME: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Trang bảo trì</title></head><body><h1>Đang bảo trì</h1>\
    <p>Máy chủ IPv6 này phục vụ một trang khác hẳn.</p><p>.............................\
    ............................................................................</p>\
    </body></html>";

fn good(label: &str) -> SiteSpec {
    SiteSpec::good(&host(label))
}

fn cert(kind: CertKind) -> Case {
    Case::site(good(kind.slug()).with_cert(kind))
}

/// A good site whose home page is `body` (its headers stay the strict ones).
fn page(label: &str, body: &str) -> SiteSpec {
    good(label).with_home_body(body)
}

/// A department home page (`gov_home.html`: personal-data form, WordPress 5.2.1,
/// jQuery 1.8.3, Bootstrap from a CDN without SRI, Google Tag Manager) with a complete
/// privacy notice.
fn portal() -> SiteSpec {
    portal_named("portal")
}

fn portal_named(label: &str) -> SiteSpec {
    page(label, GOV_HOME).with_route(Route::page(NOTICE_PATH, NOTICE_COMPLETE))
}

/// Every security header but `Content-Type` and the (secure) cookie left out.
fn bare_headers() -> SiteSpec {
    [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Permissions-Policy",
        "Referrer-Policy",
    ]
    .into_iter()
    .fold(good("bare-headers"), |spec, name| spec.without_header(name))
}

/// Every header present with a weak value, a version banner, a bare cookie and a CORS
/// policy that reflects any origin with credentials.
fn weak_headers() -> SiteSpec {
    good("weak-headers")
        .with_header("Strict-Transport-Security", "max-age=300")
        .with_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
        )
        .with_header("Referrer-Policy", "unsafe-url")
        .with_header("Server", "Apache/2.4.41 (Ubuntu)")
        .with_header("Set-Cookie", "PHPSESSID=secret; Path=/")
        .with_header("Access-Control-Allow-Origin", CORS_PROBE_ORIGIN)
        .with_header("Access-Control-Allow-Credentials", "true")
}

/// One file per exposure rule, each behind the path the built-in rules probe.
fn leaky() -> SiteSpec {
    let text = |path: &str, body: &str| {
        Route::new(path, 200)
            .with_header("Content-Type", "text/plain")
            .with_body(body)
    };
    good("leaky")
        .with_route(text("/.git/HEAD", "ref: refs/heads/main\n"))
        .with_route(text(
            "/.env",
            "APP_ENV=production\nAPP_KEY=base64:c2VjcmV0\nDB_PASSWORD=hunter2\n",
        ))
        .with_route(text(
            "/backup.sql",
            "-- MySQL dump 10.13  Distrib 5.7.44, for Linux (x86_64)\n\
             CREATE TABLE `cong_dan` (`cccd` varchar(12));\n",
        ))
        .with_route(Route::page(
            "/uploads/",
            "<html><head><title>Index of /uploads</title></head>\
             <body><h1>Index of /uploads</h1></body></html>",
        ))
        .with_route(Route::page(
            "/phpinfo.php",
            "<!DOCTYPE html><html><head><title>PHP 7.4.3 - phpinfo()</title></head>\
             <body><h1 class=\"p\">PHP Version 7.4.3</h1></body></html>",
        ))
        .with_route(Route::page(
            "/wp-login.php",
            "<html><body><form name=\"loginform\" id=\"loginform\" action=\"/wp-login.php\" \
             method=\"post\"><input type=\"text\" name=\"log\">\
             <input type=\"password\" name=\"pwd\"></form></body></html>",
        ))
}

/// A first-party script and a third-party one, both with integrity, over https.
const SRI_SCRIPTS: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>SRI</title><script src=\"/app.js\" integrity=\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\"></script>\
    <script src=\"https://cdn.example/lib.js\" crossorigin=\"anonymous\" integrity=\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\"></script>\
    </head><body><h1>SRI</h1></body></html>";

/// A script and a stylesheet (active) and an image (passive) over plain http.
const MIXED: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Tin tức</title><script src=\"http://static.fleet.test/app.js\"></script>\
    <link rel=\"stylesheet\" href=\"http://static.fleet.test/site.css\"></head>\
    <body><h1>Tin tức</h1><img src=\"http://static.fleet.test/logo.png\" alt=\"logo\">\
    </body></html>";

/// A registration form asking for a name and a citizen-ID number, no privacy notice.
const FORM_WITHOUT_NOTICE: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Đăng ký</title></head><body><form action=\"/dang-ky\" method=\"post\">\
    <label for=\"t\">Họ và tên</label><input id=\"t\" name=\"ho_ten\">\
    <label for=\"c\">Số CCCD</label><input id=\"c\" name=\"cccd\">\
    <button>Gửi</button></form></body></html>";

/// The same kind of form on an https page, posting to an http:// URL.
const FORM_POSTING_TO_HTTP: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Đăng ký</title></head><body>\
    <form action=\"http://insecure-form.fleet.test/dang-ky\" method=\"post\">\
    <label for=\"t\">Họ và tên</label><input id=\"t\" name=\"ho_ten\">\
    <label for=\"c\">Số CCCD</label><input id=\"c\" name=\"cccd\">\
    <button>Gửi</button></form></body></html>";

/// A page linking to a domain of `checks/blocklist.toml` (never fetched: links are read,
/// not followed).
const LINKS_TO_LISTED_DOMAIN: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Liên kết</title></head><body><h1>Liên kết hữu ích</h1>\
    <a href=\"https://malware-drop.example/tai-lieu.exe\">Tải tài liệu</a></body></html>";

/// The findings of one scan, by the name scanned and the scanner used.
type Results = BTreeMap<(String, Scanner), Vec<Finding>>;

fn collector(fleet: &Fleet, scanner: Scanner) -> Arc<Collector> {
    // Every case's site is scanned at once (some two hundred sites, each with its
    // exposure probes, legacy hellos and DNS/mail questions), so on a loaded two-core
    // machine a site can need more than the tests' usual 20 s; a deadline that cut the
    // last exposure probes would make an id look silent. No case here waits for it.
    let patient = CollectorSettings {
        site_deadline: Duration::from_secs(90),
        ..settings_for(fleet)
    };
    let settings = match scanner {
        Scanner::Fleet => patient,
        Scanner::PublicOnly => CollectorSettings {
            allow_private_addresses: false,
            treat_as_public: vec!["127.77.1.0/24".parse().expect("range")],
            ..patient
        },
    };
    Arc::new(crate::common::collector(settings))
}

/// Scans every `(host, scanner)` once, all at the same time.
async fn scan_all(fleet: &Fleet, wanted: Vec<(String, Scanner)>) -> Results {
    let collectors: BTreeMap<Scanner, Arc<Collector>> = [Scanner::Fleet, Scanner::PublicOnly]
        .into_iter()
        .map(|s| (s, collector(fleet, s)))
        .collect();
    let mut scans = JoinSet::new();
    for (name, scanner) in wanted {
        let collector = Arc::clone(&collectors[&scanner]);
        scans.spawn(async move {
            let evidence = collector.collect(&name, 443).await;
            ((name, scanner), judge(&evidence, OffsetDateTime::now_utc()))
        });
    }
    let mut results = Results::new();
    while let Some(scan) = scans.join_next().await {
        let (key, findings) = scan.expect("a scan task");
        results.insert(key, findings);
    }
    results
}

#[tokio::test(flavor = "multi_thread")]
async fn every_finding_id_fires_through_the_collector_and_not_on_the_good_site() {
    let good_site = SiteSpec::good(&host("good"));
    let cases: Vec<(FindingId, Case)> = FindingId::ALL.iter().map(|&id| (id, case(id))).collect();

    // One fleet: every distinct site once (ids sharing a site share its spec exactly).
    let mut sites: BTreeMap<String, SiteSpec> = BTreeMap::new();
    sites.insert(good_site.host.clone(), good_site.clone());
    for (id, case) in &cases {
        for spec in case.site.iter().chain(&case.also).chain(&case.quiet) {
            let earlier = sites
                .entry(spec.host.clone())
                .or_insert_with(|| spec.clone());
            assert_eq!(
                earlier, spec,
                "{id}: two different sites named {}",
                spec.host
            );
        }
    }
    let specs: Vec<SiteSpec> = sites.into_values().collect();
    let internal = DnsRecord {
        name: host(INTERNAL),
        answers: vec![Ipv4Addr::LOCALHOST],
    };
    // Every distinct zone and mail server once, as for the sites.
    let mut zones: BTreeMap<String, ZoneSpec> = BTreeMap::new();
    let mut mail: BTreeMap<String, MailServer> = BTreeMap::new();
    for (id, case) in &cases {
        if let Some(zone) = &case.zone {
            let earlier = zones
                .entry(zone.apex.clone())
                .or_insert_with(|| zone.clone());
            assert_eq!(earlier, zone, "{id}: two different zones {}", zone.apex);
        }
        if let Some(server) = &case.mail {
            let earlier = mail
                .entry(server.host.clone())
                .or_insert_with(|| server.clone());
            assert_eq!(
                earlier, server,
                "{id}: two different mail servers {}",
                server.host
            );
        }
    }
    let extras = FleetExtras {
        records: vec![internal],
        zones: zones.into_values().collect(),
        mail_servers: mail.into_values().collect(),
        ..FleetExtras::default()
    };
    let fleet = Fleet::start_with(DOMAIN, specs, extras)
        .await
        .expect("fleet starts");

    // Each case's name with its scanner, and the site it must be silent on (the good
    // site for problems) with that scanner.
    let mut wanted: Vec<(String, Scanner)> = cases
        .iter()
        .flat_map(|(_, c)| {
            [
                (c.host.clone(), c.scanner),
                (c.quiet_host(&good_site), c.scanner),
            ]
        })
        .collect();
    wanted.sort();
    wanted.dedup();
    let results = scan_all(&fleet, wanted).await;

    let mut failures = Vec::new();
    for (id, case) in &cases {
        let fired = &results[&(case.host.clone(), case.scanner)];
        if !fired.iter().any(|f| f.id == *id) {
            let got: Vec<FindingId> = fired.iter().map(|f| f.id).collect();
            failures.push(format!(
                "{id} did not fire on {} ({:?}): {got:?}",
                case.host, case.scanner
            ));
        }
        let quiet = case.quiet_host(&good_site);
        if let Some(f) = results[&(quiet.clone(), case.scanner)]
            .iter()
            .find(|f| f.id == *id)
        {
            failures.push(format!(
                "{id} fired on {quiet}, where it must not ({:?}): {}",
                case.scanner, f.detail
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} ids failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
    fleet.shutdown().await;
}
