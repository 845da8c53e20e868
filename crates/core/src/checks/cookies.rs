//! `cookie.insecure`, `cookie.no_httponly`, `cookie.no_samesite`.
//!
//! Every Set-Cookie of every response in both chains is judged, because a cookie set
//! on any hop (a redirect included) lands in the visitor's browser. A cookie set over
//! plain http is insecure by nature: it travelled in clear text and can never carry
//! Secure. Lines browsers would not store (malformed, breaking a `__Host-`/`__Secure-`
//! prefix rule, Secure over http) and deletions (Max-Age ≤ 0, Expires already past at
//! scan time) are skipped: they leave nothing in the browser to protect.
//!
//! Details name cookies, never their values (values may be live session secrets).

use super::headers::excerpt;
use super::parse::set_cookie::{self, SameSite, SetCookie};
use crate::evidence::{Evidence, FetchChain};
use crate::finding::{Finding, FindingId, Severity};

/// Substrings of (lower-cased) names that mark a cookie as identifying a session or a
/// login, as the Observatory's `sess`/`login` test does, widened to common frameworks
/// (`.ASPXAUTH`, `wordpress_logged_in_*`, `remember_web_*`, JWTs, `*_token`).
const SESSION_MARKERS: [&str; 7] = [
    "sess",
    "auth",
    "token",
    "login",
    "logged_in",
    "jwt",
    "remember",
];

/// Name segments (split on punctuation) that mark a session id, e.g. `connect.sid`;
/// as a substring `sid` would also match `inside` or `consider`.
const SESSION_SEGMENTS: [&str; 2] = ["sid", "ssid"];

struct Observed {
    cookie: SetCookie,
    over_https: bool,
}

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let observed = observed_cookies(evidence);

    let insecure: Vec<&Observed> = observed.iter().filter(|o| !o.cookie.secure).collect();
    if !insecure.is_empty() {
        let session = insecure.iter().any(|o| is_session_like(&o.cookie.name));
        let severity = if session {
            Severity::High
        } else {
            Severity::Medium
        };
        let names = names(insecure.iter().map(|o| {
            let suffix = if o.over_https { "" } else { " (set over http)" };
            format!("{}{suffix}", shown_name(&o.cookie))
        }));
        out.push(Finding::new(
            FindingId::CookieInsecure,
            severity,
            format!("without Secure: {names}"),
        ));
    }

    let scriptable: Vec<&Observed> = observed
        .iter()
        .filter(|o| !o.cookie.http_only && is_session_like(&o.cookie.name))
        .collect();
    if !scriptable.is_empty() {
        out.push(Finding::new(
            FindingId::CookieNoHttponly,
            Severity::Medium,
            format!(
                "session cookies without HttpOnly: {}",
                names(scriptable.iter().map(|o| shown_name(&o.cookie)))
            ),
        ));
    }

    let cross_site: Vec<&Observed> = observed
        .iter()
        .filter(|o| lacks_same_site(&o.cookie))
        .collect();
    if !cross_site.is_empty() {
        let sensitive = cross_site
            .iter()
            .any(|o| is_session_like(&o.cookie.name) || is_csrf_like(&o.cookie.name));
        let severity = if sensitive {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.push(Finding::new(
            FindingId::CookieNoSamesite,
            severity,
            format!(
                "without a valid SameSite: {}",
                names(cross_site.iter().map(|o| shown_name(&o.cookie)))
            ),
        ));
    }
}

fn observed_cookies(evidence: &Evidence) -> Vec<Observed> {
    let chains: [Option<&FetchChain>; 2] = [evidence.https.as_ref(), evidence.http.as_ref()];
    let mut observed = Vec::new();
    for hop in chains.into_iter().flatten().flat_map(|c| &c.hops) {
        let Some(response) = &hop.response else {
            continue;
        };
        // The hop's own URL decides: an https chain may be redirected to http.
        let over_https = hop
            .url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        for line in response.header_values("set-cookie") {
            let Ok(cookie) = set_cookie::parse(line) else {
                continue;
            };
            // A deletion is judged at the time the cookie was received, not at re-judging.
            if cookie.stored_by_browsers(over_https) && !cookie.is_removal(evidence.started_at) {
                observed.push(Observed { cookie, over_https });
            }
        }
    }
    observed
}

/// No SameSite, an unknown value (browsers then apply their own default, which differs
/// between browsers), or `None` without Secure (refused by Chromium, sent cross-site by
/// others).
fn lacks_same_site(cookie: &SetCookie) -> bool {
    match cookie.same_site {
        None | Some(SameSite::Unrecognized) => true,
        Some(SameSite::None) => !cookie.secure,
        Some(SameSite::Strict | SameSite::Lax) => false,
    }
}

/// Anti-CSRF cookies are excluded: the double-submit pattern (`XSRF-TOKEN`) needs
/// scripts to read them, so HttpOnly would break the site.
fn is_session_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if is_csrf_like(&lower) {
        return false;
    }
    SESSION_MARKERS.iter().any(|m| lower.contains(m))
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|segment| SESSION_SEGMENTS.contains(&segment))
}

fn is_csrf_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("csrf") || lower.contains("xsrf")
}

fn shown_name(cookie: &SetCookie) -> String {
    if cookie.name.is_empty() {
        "(nameless)".to_string()
    } else {
        excerpt(&cookie.name)
    }
}

/// Distinct entries in first-seen order, comma-separated.
fn names(entries: impl Iterator<Item = String>) -> String {
    let mut distinct: Vec<String> = Vec::new();
    for entry in entries {
        if !distinct.contains(&entry) {
            distinct.push(entry);
        }
    }
    distinct.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        chain, evidence_with_chains, final_chain, response, response_with_status, the, with_id,
    };
    use crate::evidence::ChainEnd;

    fn cookies_over_https(lines: &[&str]) -> Vec<Finding> {
        let headers: Vec<(&str, &str)> = lines.iter().map(|l| ("set-cookie", *l)).collect();
        let evidence =
            evidence_with_chains(None, Some(final_chain("https", vec![response(&headers)])));
        let mut out = Vec::new();
        check(&evidence, &mut out);
        out
    }

    const HARDENED: &str = "sessionid=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax";

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
        assert_eq!(f.detail, "without Secure: theme");
        assert!(findings.iter().all(|f| !f.detail.contains("d4rk")));
    }

    #[test]
    fn an_insecure_session_cookie_is_high() {
        let findings = cookies_over_https(&["PHPSESSID=abc; HttpOnly; SameSite=Lax"]);
        assert_eq!(
            the(&findings, FindingId::CookieInsecure).severity,
            Severity::High
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
        let mut out = Vec::new();
        check(&evidence_with_chains(Some(http), Some(https)), &mut out);
        assert_eq!(
            the(&out, FindingId::CookieInsecure).detail,
            "without Secure: lang (set over http)"
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
        let mut out = Vec::new();
        check(&evidence_with_chains(None, Some(https)), &mut out);
        assert_eq!(
            the(&out, FindingId::CookieNoSamesite).detail,
            "without a valid SameSite: track"
        );
    }

    #[test]
    fn session_cookies_without_httponly_are_reported_by_name() {
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
            "session cookies without HttpOnly: JSESSIONID, connect.sid"
        );
    }

    #[test]
    fn session_names_are_recognised_without_catching_ordinary_words() {
        for name in [
            "PHPSESSID",
            "ASP.NET_SessionId",
            "laravel_session",
            ".ASPXAUTH",
            "wordpress_logged_in_abc",
            "auth_token",
            "sid",
            "__Host-SID",
            "remember_web_59ba",
            "jwt",
        ] {
            assert!(is_session_like(name), "{name}");
        }
        for name in [
            "theme",
            "consider",
            "inside",
            "_ga",
            "csrftoken",
            "XSRF-TOKEN",
            "lang",
        ] {
            assert!(!is_session_like(name), "{name}");
        }
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
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.detail, "without a valid SameSite: a, b, c");
    }

    #[test]
    fn a_session_or_csrf_cookie_without_samesite_is_medium() {
        for line in ["sessionid=1; Secure; HttpOnly", "csrftoken=1; Secure"] {
            let findings = cookies_over_https(&[line]);
            assert_eq!(
                the(&findings, FindingId::CookieNoSamesite).severity,
                Severity::Medium,
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
        let mut out = Vec::new();
        check(&evidence_with_chains(Some(http), None), &mut out);
        assert_eq!(out, []);
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
            "without Secure: (nameless)"
        );
        assert!(with_id(&findings, FindingId::CookieNoHttponly).is_empty());
    }
}
