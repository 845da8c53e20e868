//! The cookie flags (RFC 6265bis §5.6, §5.7): what browsers store, Secure, HttpOnly,
//! SameSite.

use super::*;
use crate::checks::test_support::{
    chain, evidence_with_chains, final_chain, response, response_with_status, the, with_id,
};
use crate::evidence::ChainEnd;
use crate::page::AnalysedPages;
use crate::rules::PageRules;

/// Every cookie finding of `evidence`, judged with the built-in cookie rules.
pub(super) fn run(evidence: &Evidence) -> Vec<Finding> {
    let rules = CookieRules::builtin().expect("built-in cookie rules");
    let pages = Pages::from_evidence(evidence, &PageRules::none(), AnalysedPages::default());
    let mut out = Vec::new();
    check(evidence, &pages, &rules, &mut out);
    out
}

/// The problems (strengths left out) of these Set-Cookie lines on one https answer.
pub(super) fn cookies_over_https(lines: &[&str]) -> Vec<Finding> {
    let headers: Vec<(&str, &str)> = lines.iter().map(|l| ("set-cookie", *l)).collect();
    let evidence = evidence_with_chains(None, Some(final_chain("https", vec![response(&headers)])));
    let mut out = run(&evidence);
    out.retain(|f| !f.id.is_strength());
    out
}

/// A random-looking session id.
pub(super) const ID: &str = "q8Xf2LkP9sVz4RtY7wBn3HcM";
const HARDENED: &str = "sessionid=q8Xf2LkP9sVz4RtY; Path=/; Secure; HttpOnly; SameSite=Lax";

#[test]
fn hardened_cookies_and_no_cookies_pass() {
    assert_eq!(cookies_over_https(&[]), []);
    assert_eq!(
        cookies_over_https(&[
            HARDENED,
            "__Host-id=1; Path=/; Secure; HttpOnly; SameSite=Strict",
            "theme=dark; Secure; SameSite=None",
            "XSRF-TOKEN=abc; Secure; SameSite=Strict",
        ]),
        []
    );
}

#[test]
fn a_cookie_without_secure_is_insecure_and_its_value_is_never_shown() {
    let findings = cookies_over_https(&["theme=d4rk-v4lue; HttpOnly; SameSite=Lax"]);
    let f = the(&findings, FindingId::CookieInsecure);
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.detail,
        "without Secure: theme (preference: interface preference)"
    );
    assert_eq!(f.kinds, ["other"]);
    assert!(findings.iter().all(|f| !f.detail.contains("d4rk")));
}

#[test]
fn an_insecure_session_cookie_is_high() {
    let findings = cookies_over_https(&["PHPSESSID=abc; HttpOnly; SameSite=Lax"]);
    let f = the(&findings, FindingId::CookieInsecure);
    assert_eq!(
        (f.severity, f.kinds.as_slice()),
        (Severity::High, &["session".to_string()][..])
    );
}

#[test]
fn cookies_set_over_http_are_insecure_by_nature() {
    let http = final_chain(
        "http",
        vec![response(&[(
            "set-cookie",
            "lang=en; HttpOnly; SameSite=Lax",
        )])],
    );
    let https = final_chain("https", vec![response(&[("set-cookie", HARDENED)])]);
    let out = run(&evidence_with_chains(Some(http), Some(https)));
    assert_eq!(
        the(&out, FindingId::CookieInsecure).detail,
        "without Secure: lang (preference: interface preference; set over http)"
    );
}

#[test]
fn cookies_on_redirect_hops_count() {
    let redirect = response_with_status(302, &[("set-cookie", "track=1; Secure; HttpOnly")]);
    let https = chain(
        "https",
        vec![redirect],
        ChainEnd::Offsite {
            location: "https://elsewhere.test/".into(),
        },
    );
    let out = run(&evidence_with_chains(None, Some(https)));
    assert_eq!(
        the(&out, FindingId::CookieNoSamesite).detail,
        "without a valid SameSite: track (unknown purpose)"
    );
}

#[test]
fn session_cookies_without_httponly_are_reported_with_their_role() {
    let findings = cookies_over_https(&[
        "JSESSIONID=1; Secure; SameSite=Lax",
        "connect.sid=2; Secure; SameSite=Lax",
        "theme=3; Secure; SameSite=Lax",
        "XSRF-TOKEN=4; Secure; SameSite=Lax",
        "JSESSIONID=5; Secure; SameSite=Lax",
    ]);
    let f = the(&findings, FindingId::CookieNoHttponly);
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.detail,
        "session cookies without HttpOnly: JSESSIONID (session: framework session id), \
         connect.sid (session: framework session id)"
    );
}

#[test]
fn samesite_must_be_strict_lax_or_none_with_secure() {
    let findings = cookies_over_https(&[
        "a=1; Secure; HttpOnly",
        "b=1; Secure; HttpOnly; SameSite=Bogus",
        "c=1; HttpOnly; SameSite=None",
        "d=1; Secure; HttpOnly; SameSite=none",
        "e=1; Secure; HttpOnly; samesite=STRICT",
    ]);
    let f = the(&findings, FindingId::CookieNoSamesite);
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.detail,
        "without a valid SameSite: a (unknown purpose), b (unknown purpose; unknown SameSite \
         value), c (unknown purpose; SameSite=None without Secure)"
    );
    assert_eq!(f.kinds, ["missing", "invalid", "none_without_secure"]);
    let f = cookies_over_https(&["a=1; Secure; HttpOnly"]);
    assert_eq!(the(&f, FindingId::CookieNoSamesite).severity, Severity::Low);
}

#[test]
fn a_session_or_csrf_cookie_without_samesite_is_medium() {
    for (line, kind) in [
        ("sessionid=1; Secure; HttpOnly", "session"),
        ("csrftoken=1; Secure", "csrf"),
    ] {
        let findings = cookies_over_https(&[line]);
        let f = the(&findings, FindingId::CookieNoSamesite);
        assert_eq!(
            (f.severity, f.kinds.as_slice()),
            (Severity::Medium, &[kind.to_string()][..]),
            "{line}"
        );
    }
}

#[test]
fn lines_browsers_would_not_store_are_ignored() {
    assert_eq!(
        cookies_over_https(&[
            "",
            "=",
            "bad=\u{1}value",
            "__Host-sid=1; Secure; Domain=example.test; Path=/",
            "__Secure-sid=1; HttpOnly; SameSite=Lax",
        ]),
        []
    );
    // Secure cookies cannot be set over http; browsers drop them.
    let http = final_chain("http", vec![response(&[("set-cookie", "sid=1; Secure")])]);
    assert_eq!(run(&evidence_with_chains(Some(http), None)), []);
}

#[test]
fn deletions_are_not_judged() {
    assert_eq!(
        cookies_over_https(&[
            "sessionid=; Max-Age=0",
            "sessionid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]),
        []
    );
    let findings = cookies_over_https(&["sessionid=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT"]);
    the(&findings, FindingId::CookieInsecure);
}

#[test]
fn a_nameless_cookie_is_shown_as_such() {
    let findings = cookies_over_https(&["justavalue; HttpOnly; SameSite=Lax"]);
    assert_eq!(
        the(&findings, FindingId::CookieInsecure).detail,
        "without Secure: (nameless) (unknown purpose)"
    );
    assert!(with_id(&findings, FindingId::CookieNoHttponly).is_empty());
}
