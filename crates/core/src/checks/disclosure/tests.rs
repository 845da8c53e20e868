use super::*;
use crate::checks::test_support::{SCAN_TIME, evidence_with_chains, response_with_status, the};
use crate::evidence::{Body, Hop};
use std::net::{IpAddr, Ipv4Addr};

const URL: &str = "https://example.test/.well-known/security.txt";
const PLAIN: &str = "text/plain; charset=utf-8";
/// Valid at [`SCAN_TIME`] (2025-03-01), within a year.
const GOOD: &str = "Contact: mailto:security@example.test\nExpires: 2025-09-01T00:00:00Z\n\
    Canonical: https://example.test/.well-known/security.txt\n";

fn answer(status: u16, content_type: Option<&str>, body: &str) -> HttpResponse {
    let headers: Vec<(&str, &str)> = content_type
        .map(|t| ("content-type", t))
        .into_iter()
        .collect();
    let mut r = response_with_status(status, &headers);
    r.body = Body {
        bytes: body.as_bytes().to_vec(),
        truncated: false,
        timed_out: false,
        content_encoding: None,
        decode_error: None,
    };
    r
}

fn hop(url: &str, response: Option<HttpResponse>) -> Hop {
    Hop {
        url: url.into(),
        address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        response,
    }
}

fn judged(chain: FetchChain) -> Vec<Finding> {
    let mut evidence = evidence_with_chains(None, None);
    evidence.security_txt = Some(chain);
    let mut findings = Vec::new();
    check(&evidence, SCAN_TIME, &mut findings);
    findings
}

fn served(response: HttpResponse) -> Vec<Finding> {
    judged(FetchChain {
        hops: vec![hop(URL, Some(response))],
        end: ChainEnd::Final,
    })
}

fn ids(findings: &[Finding]) -> Vec<FindingId> {
    findings.iter().map(|f| f.id).collect()
}

#[test]
fn a_valid_file_is_a_strength_and_nothing_else() {
    let findings = served(answer(200, Some(PLAIN), GOOD));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtPublished]);
    let f = &findings[0];
    assert!(f.id.is_strength());
    assert_eq!(
        f.detail,
        format!("{URL}: Contact mailto:security@example.test; Expires 2025-09-01T00:00:00Z")
    );
}

#[test]
fn a_signed_file_says_the_signature_was_not_verified() {
    let signed = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{GOOD}-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
    );
    let findings = served(answer(200, Some(PLAIN), &signed));
    let f = the(&findings, FindingId::SecurityTxtPublished);
    assert!(
        f.detail
            .contains("OpenPGP cleartext signature, which was not verified"),
        "{}",
        f.detail
    );
}

#[test]
fn not_found_or_an_html_catch_all_is_missing() {
    for response in [
        answer(404, Some("text/html"), "<h1>Not found</h1>"),
        answer(
            200,
            Some("text/html; charset=utf-8"),
            "<!DOCTYPE html><html><body>Trang chủ</body></html>",
        ),
        answer(200, Some("text/html"), "Welcome to our portal"),
        answer(200, None, "  <html><body>Contact: us</body></html>"),
    ] {
        let findings = served(response.clone());
        assert_eq!(
            ids(&findings),
            [FindingId::SecurityTxtMissing],
            "{response:?}"
        );
        assert_eq!(findings[0].severity, Severity::Info);
    }
}

#[test]
fn a_wrong_content_type_is_invalid_and_the_file_still_judged() {
    for content_type in [
        Some("text/html"),
        Some("text/plain"),
        Some("application/octet-stream; charset=utf-8"),
        None,
    ] {
        let findings = served(answer(200, content_type, GOOD));
        let f = the(&findings, FindingId::SecurityTxtInvalid);
        assert!(
            f.detail.contains("text/plain; charset=utf-8 is required"),
            "{}",
            f.detail
        );
        assert_eq!(f.severity, Severity::Low);
        assert!(
            ids(&findings)
                .iter()
                .all(|id| *id != FindingId::SecurityTxtPublished)
        );
    }
    for fine in ["text/plain;charset=UTF-8", "Text/Plain; charset=\"utf-8\""] {
        assert_eq!(
            ids(&served(answer(200, Some(fine), GOOD))),
            [FindingId::SecurityTxtPublished],
            "{fine}"
        );
    }
}

#[test]
fn every_problem_is_named_in_one_finding() {
    let findings = served(answer(
        200,
        Some("text/plain"),
        "Contact: security@example.test\nExpires: 2025-09-01\nExpires: 2025-10-01T00:00:00Z\n",
    ));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtInvalid]);
    assert_eq!(
        findings[0].detail,
        format!(
            "{URL}: Content-Type `text/plain` (text/plain; charset=utf-8 is required); \
             Expires appears 2 times (exactly once is required); \
             Contact `security@example.test` is not a URI"
        )
    );
}

#[test]
fn expired_far_and_canonical_are_named_apart() {
    let expired = GOOD.replace("2025-09-01T00:00:00Z", "2025-02-28T00:00:00Z");
    let findings = served(answer(200, Some(PLAIN), &expired));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtExpired]);
    assert_eq!(
        findings[0].detail,
        format!(
            "{URL}: Expires 2025-02-28T00:00:00Z is not after the scan time 2025-03-01T12:00:00Z"
        )
    );

    let far = GOOD.replace("2025-09-01T00:00:00Z", "2030-01-01T00:00:00Z");
    let findings = served(answer(200, Some(PLAIN), &far));
    assert_eq!(
        ids(&findings),
        [
            FindingId::SecurityTxtExpiresFar,
            FindingId::SecurityTxtPublished
        ],
        "a recommendation, the file stays valid"
    );

    let elsewhere = GOOD.replace("https://example.test/", "https://other.example/");
    let findings = served(answer(200, Some(PLAIN), &elsewhere));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtCanonicalMismatch]);
}

#[test]
fn a_redirect_on_the_host_is_judged_where_it_ends() {
    let moved = "https://example.test/security.txt";
    let good = GOOD.replace(URL, moved);
    let chain = FetchChain {
        hops: vec![
            hop(
                URL,
                Some(response_with_status(301, &[("location", "/security.txt")])),
            ),
            hop(moved, Some(answer(200, Some(PLAIN), &good))),
        ],
        end: ChainEnd::Final,
    };
    assert_eq!(ids(&judged(chain)), [FindingId::SecurityTxtPublished]);
}

#[test]
fn a_redirect_off_the_host_is_missing_and_to_plain_http_invalid() {
    let off = |location: &str| FetchChain {
        hops: vec![hop(
            URL,
            Some(response_with_status(302, &[("location", location)])),
        )],
        end: ChainEnd::Offsite {
            location: location.into(),
        },
    };
    let findings = judged(off("https://security.example.org/security.txt"));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtMissing]);
    assert!(
        findings[0].detail.contains("recorded, not followed"),
        "{}",
        findings[0].detail
    );
    let findings = judged(off("http://example.test/.well-known/security.txt"));
    assert_eq!(ids(&findings), [FindingId::SecurityTxtInvalid]);
}

#[test]
fn a_failed_fetch_or_no_fetch_says_nothing() {
    let failed = FetchChain {
        hops: vec![hop(URL, None)],
        end: ChainEnd::Failed {
            kind: crate::evidence::FetchFailureKind::Timeout,
            message: "slow".into(),
        },
    };
    assert_eq!(judged(failed), []);
    let mut evidence = evidence_with_chains(None, None);
    let mut findings = Vec::new();
    check(&evidence, SCAN_TIME, &mut findings);
    assert_eq!(findings, []);
    let mut slow = answer(200, Some(PLAIN), "Contact: mailto:a@b.example\n");
    slow.body.timed_out = true;
    evidence.security_txt = Some(FetchChain {
        hops: vec![hop(URL, Some(slow))],
        end: ChainEnd::Final,
    });
    check(&evidence, SCAN_TIME, &mut findings);
    assert_eq!(findings, []);
}

#[test]
fn a_capped_body_says_so_when_something_is_missing() {
    let mut r = answer(200, Some(PLAIN), "# a very long preamble\n");
    r.body.truncated = true;
    let findings = served(r);
    let f = the(&findings, FindingId::SecurityTxtInvalid);
    assert!(
        f.detail.ends_with("only the first 32 KiB were read"),
        "{}",
        f.detail
    );
}
