//! `cookie.insecure`, `cookie.no_httponly`, `cookie.no_samesite` and the strength
//! `cookie.hardened`.
//!
//! Every Set-Cookie of every response in both chains is judged, because a cookie set
//! on any hop (a redirect included) lands in the visitor's browser. A cookie set over
//! plain http is insecure by nature: it travelled in clear text and can never carry
//! Secure. Lines browsers would not store (malformed, breaking a `__Host-`/`__Secure-`
//! prefix rule, Secure over http) and deletions (Max-Age ≤ 0, Expires already past at
//! scan time) are skipped: they leave nothing in the browser to protect.
//!
//! What a cookie is for decides how much its flags matter, so each one is given a role
//! from evidence, and the finding names the role it assumed:
//! 1. a name `checks/cookies.toml` knows (framework sessions, load-balancer affinity,
//!    bot protection, consent, analytics, preferences);
//! 2. an anti-CSRF name (`csrf`, `xsrf`);
//! 3. a session when a name marker (`sess`, `auth`, `token`, `sid`…) comes with a value
//!    that could be an id (8 characters or more, not a plain number or word), or when
//!    the value is random-looking (16 characters or more, letters and high entropy) and
//!    the server marked it HttpOnly (it treats it as a secret itself) or set it with
//!    the login page (a page with a password field);
//! 4. otherwise its purpose is unknown: a name marker alone, with a value such as `1`
//!    or `vi`, does not make a login secret.
//!
//! A cookie without Secure is priced by its role and by HSTS: a browser that knows the
//! host's HSTS never sends it over http (host-only cookies, or a Domain whose HSTS
//! includes subdomains), which the Observatory counts as a mitigation too.
//!
//! Details name cookies, never their values (values may be live session secrets).

use super::headers::{excerpt, hsts_effective};
use super::pages::Pages;
use super::parse::hsts::Hsts;
use super::parse::set_cookie::{self, SameSite, SetCookie};
use crate::cookie_rules::{CookieRules, Role};
use crate::evidence::{Evidence, FetchChain};
use crate::finding::{Finding, FindingId, Severity};
use crate::rules::url_host;
use std::collections::BTreeMap;

/// Substrings of (lower-cased) names that suggest a session or a login, as the
/// Observatory's `sess`/`login` test does, widened to common frameworks (`*_token`,
/// `jwt`, `remember_*`): evidence only together with the value (see the module docs).
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
    role: Role,
    /// Why that role, for the finding ("" when nothing said anything).
    because: String,
    /// A browser that knows the site's HSTS never sends this cookie over http.
    hsts_protected: bool,
}

impl Observed {
    fn is_session(&self) -> bool {
        self.role == Role::Session
    }

    /// `name (role: because)`, the way findings list cookies.
    fn shown(&self) -> String {
        self.shown_with("")
    }

    /// `name (role: because; note)`.
    fn shown_with(&self, note: &str) -> String {
        let mut inside = self.role.as_str().to_string();
        if !self.because.is_empty() {
            inside.push_str(": ");
            inside.push_str(&self.because);
        }
        if !note.is_empty() {
            inside.push_str("; ");
            inside.push_str(note);
        }
        format!("{} ({inside})", shown_name(&self.cookie))
    }
}

pub(super) fn check(
    evidence: &Evidence,
    pages: &Pages,
    rules: &CookieRules,
    out: &mut Vec<Finding>,
) {
    let observed = observed_cookies(evidence, pages, rules);

    let insecure: Vec<&Observed> = observed.iter().filter(|o| !o.cookie.secure).collect();
    if !insecure.is_empty() {
        let kind = |o: &Observed| match (o.is_session(), o.hsts_protected) {
            (true, false) => ("session", Severity::High),
            (true, true) => ("session_hsts", Severity::Low),
            (false, false) => ("other", Severity::Medium),
            (false, true) => ("other_hsts", Severity::Low),
        };
        let severity = insecure
            .iter()
            .map(|o| kind(o).1)
            .max()
            .unwrap_or(Severity::Low);
        let names = names(insecure.iter().map(|o| {
            o.shown_with(if !o.over_https {
                "set over http"
            } else if o.hsts_protected {
                "HSTS keeps it off http"
            } else {
                ""
            })
        }));
        out.push(
            Finding::new(
                FindingId::CookieInsecure,
                severity,
                format!("without Secure: {names}"),
            )
            .with_kinds(insecure.iter().map(|o| kind(o).0)),
        );
    }

    let scriptable: Vec<&Observed> = observed
        .iter()
        .filter(|o| !o.cookie.http_only && o.is_session())
        .collect();
    if !scriptable.is_empty() {
        out.push(Finding::new(
            FindingId::CookieNoHttponly,
            Severity::Medium,
            format!(
                "session cookies without HttpOnly: {}",
                names(scriptable.iter().map(|o| o.shown()))
            ),
        ));
    }

    let cross_site: Vec<(&Observed, &'static str)> = observed
        .iter()
        .filter_map(|o| same_site_problem(o).map(|kind| (o, kind)))
        .collect();
    if !cross_site.is_empty() {
        let severity = if cross_site.iter().any(|(_, kind)| *kind != "missing") {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.push(
            Finding::new(
                FindingId::CookieNoSamesite,
                severity,
                format!(
                    "without a valid SameSite: {}",
                    names(cross_site.iter().map(|(o, kind)| o.shown_with(match *kind {
                        "invalid" => "unknown SameSite value",
                        "none_without_secure" => "SameSite=None without Secure",
                        _ => "",
                    })))
                ),
            )
            .with_kinds(cross_site.iter().map(|(_, kind)| *kind)),
        );
    }

    if !observed.is_empty() && insecure.is_empty() && scriptable.is_empty() && cross_site.is_empty()
    {
        out.push(Finding::new(
            FindingId::CookieHardened,
            Severity::Info,
            format!(
                "every cookie is Secure and has SameSite, every session cookie is HttpOnly: {}",
                names(observed.iter().map(Observed::shown))
            ),
        ));
    }
}

fn observed_cookies(evidence: &Evidence, pages: &Pages, rules: &CookieRules) -> Vec<Observed> {
    let chains: [Option<&FetchChain>; 2] = [evidence.https.as_ref(), evidence.http.as_ref()];
    let hsts = hsts_by_host(evidence);
    let login_page = pages
        .primary
        .as_ref()
        .filter(|p| {
            p.forms
                .iter()
                .any(|f| f.inputs.iter().any(|i| i.kind == "password"))
        })
        .map(|p| p.url.as_str());
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
        let host = url_host(&hop.url).unwrap_or_default();
        for line in response.header_values("set-cookie") {
            let Ok(cookie) = set_cookie::parse(line) else {
                continue;
            };
            // A deletion is judged at the time the cookie was received, not at re-judging.
            if !cookie.stored_by_browsers(over_https) || cookie.is_removal(evidence.started_at) {
                continue;
            }
            let (role, because) = assume_role(&cookie, rules, login_page == Some(hop.url.as_str()));
            let hsts_protected = over_https
                && match &cookie.domain {
                    None => hsts.contains_key(&host),
                    Some(domain) => hsts.get(domain).is_some_and(|h| h.include_subdomains),
                };
            observed.push(Observed {
                cookie,
                over_https,
                role,
                because,
                hsts_protected,
            });
        }
    }
    observed
}

/// The HSTS browsers keep per host from the https chain (the last answer of each host).
fn hsts_by_host(evidence: &Evidence) -> BTreeMap<String, Hsts> {
    let mut by_host = BTreeMap::new();
    for hop in evidence.https.iter().flat_map(|c| &c.hops) {
        let (Some(host), Some(response)) = (url_host(&hop.url), &hop.response) else {
            continue;
        };
        match hsts_effective(response) {
            Some(h) => {
                by_host.insert(host, h);
            }
            None => {
                by_host.remove(&host);
            }
        }
    }
    by_host
}

/// The role a cookie is assumed to play, and why (see the module docs).
fn assume_role(cookie: &SetCookie, rules: &CookieRules, login_page: bool) -> (Role, String) {
    if let Some(rule) = rules.known(&cookie.name) {
        return (rule.role, rule.label.clone());
    }
    let lower = cookie.name.to_ascii_lowercase();
    if is_csrf_like(&lower) {
        return (Role::Csrf, "anti-CSRF name".into());
    }
    let marked = SESSION_MARKERS.iter().any(|m| lower.contains(m))
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|segment| SESSION_SEGMENTS.contains(&segment));
    let value = cookie.value.trim_matches('"');
    let random = looks_random(value);
    if marked && could_be_an_id(value) {
        (
            Role::Session,
            "session-like name and an id-like value".into(),
        )
    } else if cookie.http_only && random {
        (Role::Session, "HttpOnly with a random value".into())
    } else if login_page && random {
        (
            Role::Session,
            "set by the login page with a random value".into(),
        )
    } else if marked {
        (
            Role::Unknown,
            "session-like name, but its value is too short or plain to be an id".into(),
        )
    } else {
        (Role::Unknown, String::new())
    }
}

/// 8 characters or more, and not a plain number, boolean or word.
fn could_be_an_id(value: &str) -> bool {
    value.chars().count() >= 8
        && !value.chars().all(|c| c.is_ascii_digit())
        && !value.chars().all(|c| c.is_ascii_alphabetic())
}

/// 16 characters or more, with letters, and at least 3 bits of entropy per character:
/// random ids (hex, base64) pass, dates, counters and words do not.
fn looks_random(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 || !chars.iter().any(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    for c in &chars {
        *counts.entry(*c).or_default() += 1;
    }
    let n = chars.len() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 3.0
}

/// Why the cookie lacks a valid SameSite, as the kind priced by the policy: an
/// unknown value (browsers then apply their own differing defaults), `None` without
/// Secure (refused by Chromium, sent cross-site by others), or none at all — which
/// matters most for sessions and anti-CSRF tokens.
fn same_site_problem(o: &Observed) -> Option<&'static str> {
    match o.cookie.same_site {
        Some(SameSite::Strict | SameSite::Lax) => None,
        Some(SameSite::None) if o.cookie.secure => None,
        Some(SameSite::None) => Some("none_without_secure"),
        Some(SameSite::Unrecognized) => Some("invalid"),
        None => Some(match o.role {
            Role::Session => "session",
            Role::Csrf => "csrf",
            _ => "missing",
        }),
    }
}

fn is_csrf_like(lower: &str) -> bool {
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
mod role_tests;
#[cfg(test)]
mod tests;
