//! Fixture builders shared by the checks' unit tests.
//!
//! Checks read only a few fields of [`Evidence`]; these builders fill the rest with
//! neutral values so that each test states just the facts it is about.

use super::{CheckContext, CheckSettings};
use crate::evidence::{
    Body, ChainEnd, EVIDENCE_SCHEMA_VERSION, Evidence, FetchChain, Header, Hop, HttpResponse,
    Resolution, ResolutionSource,
};
use crate::finding::{Finding, FindingId};
use crate::rules::PageRules;
use std::net::{IpAddr, Ipv4Addr};
use time::OffsetDateTime;
use time::macros::datetime;

/// The scan time of every fixture, so date-dependent checks are reproducible.
pub(crate) const SCAN_TIME: OffsetDateTime = datetime!(2025-03-01 12:00 UTC);

/// A 200 response with these headers (names lower-cased, as the collector stores them).
pub(crate) fn response(headers: &[(&str, &str)]) -> HttpResponse {
    response_with_status(200, headers)
}

pub(crate) fn response_with_status(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        version: "HTTP/1.1".to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| Header {
                name: name.to_ascii_lowercase(),
                value: (*value).to_string(),
                invalid_utf8: false,
            })
            .collect(),
        body: Body {
            bytes: Vec::new(),
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 5,
    }
}

/// A chain whose hops got these responses in order and ended as `end`.
pub(crate) fn chain(scheme: &str, responses: Vec<HttpResponse>, end: ChainEnd) -> FetchChain {
    FetchChain {
        hops: responses
            .into_iter()
            .enumerate()
            .map(|(i, response)| Hop {
                url: format!("{scheme}://example.test/{i}"),
                address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                response: Some(response),
            })
            .collect(),
        end,
    }
}

/// A chain that reached a final (non-redirect) answer.
pub(crate) fn final_chain(scheme: &str, responses: Vec<HttpResponse>) -> FetchChain {
    chain(scheme, responses, ChainEnd::Final)
}

/// Evidence for `example.test` with the given chains and nothing else observed.
pub(crate) fn evidence_with_chains(
    http: Option<FetchChain>,
    https: Option<FetchChain>,
) -> Evidence {
    Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        host: "example.test".to_string(),
        https_port: 443,
        http_port: 80,
        started_at: SCAN_TIME,
        finished_at: SCAN_TIME,
        resolution: Resolution::Resolved {
            addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            pinned: IpAddr::V4(Ipv4Addr::LOCALHOST),
            source: ResolutionSource::Override,
        },
        tls: None,
        http,
        https,
        revocation: None,
        deadline_exceeded: false,
        legacy: None,
        privacy_page: None,
        crawler_views: Vec::new(),
        exposure: None,
        dns: None,
        mail: None,
        security_txt: None,
    }
}

/// Evidence whose https chain ends in one 200 response with these headers.
pub(crate) fn evidence_with_https_headers(headers: &[(&str, &str)]) -> Evidence {
    evidence_with_chains(None, Some(final_chain("https", vec![response(headers)])))
}

/// No page rules: the context of tests about other checks (an immutable constant).
static NO_PAGE_RULES: PageRules = PageRules::none();
static NO_COOKIE_RULES: crate::cookie_rules::CookieRules = crate::cookie_rules::CookieRules::none();

pub(crate) fn ctx(settings: &CheckSettings) -> CheckContext<'_> {
    CheckContext {
        now: SCAN_TIME,
        settings,
        page_rules: &NO_PAGE_RULES,
        cookie_rules: &NO_COOKIE_RULES,
        exposures: std::sync::Arc::new(
            crate::exposures::ExposureRules::builtin().expect("built-in exposure rules"),
        ),
    }
}

/// The findings with this id (tests usually expect zero or one).
pub(crate) fn with_id(findings: &[Finding], id: FindingId) -> Vec<&Finding> {
    findings.iter().filter(|f| f.id == id).collect()
}

/// The single finding with this id; panics with the full list otherwise.
pub(crate) fn the(findings: &[Finding], id: FindingId) -> &Finding {
    match with_id(findings, id).as_slice() {
        [one] => one,
        other => panic!("expected exactly one {id}, got {other:?} in {findings:?}"),
    }
}

/// A leaf certificate for `host`, valid a year around [`SCAN_TIME`], P-256, SHA-256.
pub(crate) fn leaf(host: &str) -> crate::evidence::CertificateInfo {
    crate::evidence::CertificateInfo {
        subject: format!("CN={host}"),
        issuer: "CN=Test Intermediate".into(),
        serial_hex: "01".into(),
        not_before: SCAN_TIME - time::Duration::days(180),
        not_after: SCAN_TIME + time::Duration::days(180),
        san_dns: vec![host.to_string()],
        san_ip: vec![],
        common_name: Some(host.to_string()),
        key: crate::evidence::PublicKeyInfo {
            algorithm: "ec".into(),
            bits: 256,
            curve: Some("prime256v1".into()),
        },
        signature_algorithm_oid: "1.2.840.10045.4.3.2".into(),
        signature_algorithm: "ecdsa-with-SHA256".into(),
        is_ca: false,
        self_signed: false,
        aia_ca_issuers: vec![],
        aia_ocsp: vec![],
        crl_distribution_points: vec![],
        der_base64: String::new(),
    }
}

/// Evidence of an established TLS 1.3 session presenting `chain`, with the verifier's
/// verdicts as given, and a good https home page.
pub(crate) fn evidence_with_tls(
    chain: Vec<crate::evidence::CertificateInfo>,
    verification: crate::evidence::Verification,
) -> Evidence {
    let mut evidence = evidence_with_https_headers(&[]);
    evidence.tls = Some(crate::evidence::TlsProbe::Established(Box::new(
        crate::evidence::TlsSession {
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            key_exchange_group: Some("X25519".into()),
            alpn: Some("http/1.1".into()),
            chain,
            ocsp_staple_base64: None,
            verification,
            handshake_signature_error: None,
        },
    )));
    evidence
}

/// The verifier accepted the chain.
pub(crate) fn verified() -> crate::evidence::Verification {
    crate::evidence::Verification {
        error_now: None,
        path_as_sent: None,
        path_with_aia: None,
    }
}

/// HTML fixtures of `tests/fixtures/pages/` (see its README).
pub(crate) mod pages {
    pub const GOV_HOME: &[u8] = include_bytes!("../../../../tests/fixtures/pages/gov_home.html");
    pub const GOV_HOME_NFD: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/gov_home_nfd.html");
    pub const FORM_CP1258: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/form_cp1258.html");
    pub const SEARCH_ONLY: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/search_only.html");
    pub const NEWS_GAMBLING: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/news_gambling.html");
    pub const SPAM_HIDDEN: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/spam_hidden.html");
    pub const SPAM_VISIBLE: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/spam_visible_unaccented.html");
    pub const NOTICE_COMPLETE: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/notice_complete.html");
    pub const NOTICE_INCOMPLETE: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/notice_incomplete.html");
    pub const NOTICE_DECREE13: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/vn_notice_decree13.html");
    pub const NOTICE_HOSPITAL: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/vn_notice_hospital.html");
    pub const NOTICE_WEAK: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/vn_notice_weak.html");
    pub const APPOINTMENT: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/vn_form_appointment.html");
    pub const ENROLMENT: &[u8] =
        include_bytes!("../../../../tests/fixtures/pages/vn_form_enrolment.html");
}

/// A 200 `text/html` response (charset undeclared: the page says or it is sniffed).
pub(crate) fn html_page(body: &[u8], extra_headers: &[(&str, &str)]) -> HttpResponse {
    let mut headers = vec![("content-type", "text/html")];
    headers.extend_from_slice(extra_headers);
    let mut r = response(&headers);
    r.body.bytes = body.to_vec();
    r
}

/// A chain that fetched `url` and got `response` as its final answer.
pub(crate) fn page_chain(url: &str, response: HttpResponse) -> FetchChain {
    FetchChain {
        hops: vec![Hop {
            url: url.to_string(),
            address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            response: Some(response),
        }],
        end: ChainEnd::Final,
    }
}

/// Evidence of `example.test` whose https home page is `body`.
pub(crate) fn evidence_with_home(body: &[u8]) -> Evidence {
    evidence_with_chains(
        None,
        Some(page_chain("https://example.test/", html_page(body, &[]))),
    )
}

/// Every finding of `run_all` with the built-in page rules.
pub(crate) fn judge_pages(evidence: &Evidence) -> Vec<Finding> {
    let settings = CheckSettings::default();
    let rules = PageRules::builtin().expect("built-in page rules");
    super::run_all(
        evidence,
        &CheckContext {
            now: SCAN_TIME,
            settings: &settings,
            page_rules: &rules,
            cookie_rules: &NO_COOKIE_RULES,
            exposures: std::sync::Arc::new(
                crate::exposures::ExposureRules::builtin().expect("built-in exposure rules"),
            ),
        },
    )
}

/// The built-in page rules (tests of single page checks).
pub(crate) fn page_rules() -> PageRules {
    PageRules::builtin().expect("built-in page rules")
}
