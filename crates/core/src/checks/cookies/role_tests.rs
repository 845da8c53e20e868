//! Cookie roles from evidence (names known in `cookies.toml`, values, HttpOnly, the login
//! page), HSTS as a mitigation, and the `cookie.hardened` strength.

use super::tests::{ID, cookies_over_https, run};
use super::*;
use crate::checks::test_support::{
    evidence_with_chains, final_chain, page_chain, response, the, with_id,
};

fn role_of(line: &str) -> String {
    let findings = cookies_over_https(&[&format!("{line}; SameSite=Lax")]);
    the(&findings, FindingId::CookieInsecure).detail.clone()
}

#[test]
fn a_session_affinity_cookie_is_infrastructure_not_a_login() {
    // The case: "sess" inside an affinity cookie's name made it a login secret.
    let f = cookies_over_https(&[&format!(
        "my-app-session-affinity={ID}; Secure; SameSite=Lax"
    )]);
    assert!(with_id(&f, FindingId::CookieNoHttponly).is_empty(), "{f:?}");
    assert_eq!(
        role_of("ARRAffinity=abc"),
        "without Secure: ARRAffinity (infrastructure: load-balancer affinity)"
    );
    assert_eq!(
        role_of("incap_ses_123_456=abc"),
        "without Secure: incap_ses_123_456 (infrastructure: CDN or WAF bot protection)"
    );
}

#[test]
fn a_session_name_needs_an_id_like_value() {
    for value in ["1", "true", "vi", "abcdefgh", "12345678901234"] {
        let f = cookies_over_https(&[&format!("user_session={value}; Secure; SameSite=Lax")]);
        assert!(
            with_id(&f, FindingId::CookieNoHttponly).is_empty(),
            "{value}"
        );
    }
    let f = cookies_over_https(&["user_session=a1b2c3d4e5; Secure; SameSite=Lax"]);
    assert!(
        the(&f, FindingId::CookieNoHttponly)
            .detail
            .contains("user_session (session: session-like name and an id-like value)")
    );
}

#[test]
fn httponly_and_a_random_value_make_an_unnamed_cookie_a_session() {
    let detail = role_of(&format!("xq={ID}; HttpOnly"));
    assert_eq!(
        detail,
        "without Secure: xq (session: HttpOnly with a random value)"
    );
    // Without HttpOnly, or with a plain value, nothing says it is a secret.
    assert_eq!(
        role_of(&format!("xq={ID}")),
        "without Secure: xq (unknown purpose)"
    );
    assert_eq!(
        role_of("xq=2025-03-01T12:00:00Z; HttpOnly"),
        "without Secure: xq (unknown purpose)"
    );
}

#[test]
fn a_random_cookie_set_by_the_login_page_is_a_session() {
    let login = b"<html><body><form method=post><input name=u>\
                  <input type=password name=p></form></body></html>";
    let mut page = crate::checks::test_support::html_page(login, &[]);
    page.headers.push(crate::evidence::Header {
        name: "set-cookie".into(),
        value: format!("k={ID}; Secure; SameSite=Lax"),
        invalid_utf8: false,
    });
    let evidence = evidence_with_chains(None, Some(page_chain("https://example.test/", page)));
    let f = run(&evidence);
    assert!(
        the(&f, FindingId::CookieNoHttponly)
            .detail
            .contains("k (session: set by the login page with a random value)")
    );
}

#[test]
fn hsts_keeps_a_host_only_cookie_off_http() {
    let sts = ("strict-transport-security", "max-age=31536000");
    let one = |cookie: &str, hsts: bool| {
        let mut headers = vec![("set-cookie", cookie)];
        if hsts {
            headers.push(sts);
        }
        let evidence =
            evidence_with_chains(None, Some(final_chain("https", vec![response(&headers)])));
        the(&run(&evidence), FindingId::CookieInsecure).clone()
    };
    let f = one("PHPSESSID=abc; HttpOnly; SameSite=Lax", true);
    assert_eq!(
        (f.severity, f.kinds.clone()),
        (Severity::Low, vec!["session_hsts".to_string()])
    );
    assert!(f.detail.contains("HSTS keeps it off http"), "{}", f.detail);
    assert_eq!(one("theme=x; SameSite=Lax", true).kinds, ["other_hsts"]);
    // A Domain cookie also goes to subdomains, which this HSTS does not cover.
    let f = one(
        "PHPSESSID=abc; Domain=example.test; HttpOnly; SameSite=Lax",
        true,
    );
    assert_eq!(f.kinds, ["session"]);
    assert_eq!(
        one("PHPSESSID=abc; HttpOnly; SameSite=Lax", false).kinds,
        ["session"]
    );
}

#[test]
fn hardened_cookies_earn_the_strength_and_any_fault_withholds_it() {
    let strength = |lines: &[&str]| {
        let headers: Vec<(&str, &str)> = lines.iter().map(|l| ("set-cookie", *l)).collect();
        let evidence =
            evidence_with_chains(None, Some(final_chain("https", vec![response(&headers)])));
        with_id(&run(&evidence), FindingId::CookieHardened).len()
    };
    assert_eq!(
        strength(&[
            &format!("sid={ID}; Secure; HttpOnly; SameSite=Lax"),
            "theme=d; Secure; SameSite=Strict"
        ]),
        1
    );
    assert_eq!(
        strength(&[]),
        0,
        "no cookie, no bonus (the Observatory's 'no cookies': 0)"
    );
    assert_eq!(strength(&["theme=d; Secure"]), 0);
    assert_eq!(strength(&[&format!("sid={ID}; Secure; SameSite=Lax")]), 0);
}
