//! `header.frame.missing`: protection against being framed (clickjacking).
//!
//! Judged as the HTML standard's "check a navigation response's adherence to
//! X-Frame-Options" does: when any enforced CSP has `frame-ancestors`, browsers ignore
//! X-Frame-Options entirely, so a permissive `frame-ancestors *` is not rescued by
//! `X-Frame-Options: DENY`. Unlike the Observatory, `frame-ancestors` only counts when
//! it actually restricts framing (no `*` or bare-scheme source).

use super::excerpt;
use crate::checks::parse::csp::{Policy, Source};
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

const XFO: &str = "x-frame-options";

/// `policies` are the header policies only: HTML drops `frame-ancestors` from `<meta>`
/// policies. A protected page gets the strength `header.frame.protected` (the
/// Observatory's bonus for X-Frame-Options or frame-ancestors).
pub(super) fn check(response: &HttpResponse, policies: &[Policy], out: &mut Vec<Finding>) {
    match unprotected_because(response, policies) {
        Some(problem) => out.push(Finding::new(
            FindingId::HeaderFrameMissing,
            Severity::Medium,
            problem,
        )),
        None => out.push(Finding::new(
            FindingId::HeaderFrameProtected,
            Severity::Info,
            protected_by(response, policies),
        )),
    }
}

/// What refuses cross-site framing (called only when something does).
fn protected_by(response: &HttpResponse, policies: &[Policy]) -> String {
    match policies.iter().find_map(|p| p.get("frame-ancestors")) {
        Some(d) => {
            let shown: Vec<String> = d.sources.iter().map(ToString::to_string).collect();
            format!("CSP frame-ancestors {}", excerpt(&shown.join(" ")))
        }
        None => {
            let raw: Vec<&str> = response.header_values(XFO).collect();
            format!("X-Frame-Options: {}", excerpt(&raw.join(", ")))
        }
    }
}

/// Why any site may frame the page, or `None` when browsers refuse cross-site framing.
fn unprotected_because(response: &HttpResponse, policies: &[Policy]) -> Option<String> {
    let ancestors: Vec<_> = policies
        .iter()
        .filter_map(|p| p.get("frame-ancestors"))
        .collect();
    if !ancestors.is_empty() {
        // Every policy must allow a framing: one restrictive directive is enough.
        if ancestors
            .iter()
            .any(|d| !d.sources.iter().any(allows_anyone))
        {
            return None;
        }
        let shown: Vec<String> = ancestors[0]
            .sources
            .iter()
            .map(ToString::to_string)
            .collect();
        return Some(format!(
            "CSP frame-ancestors allows any site ({}); X-Frame-Options is ignored when \
             frame-ancestors is present",
            excerpt(&shown.join(" "))
        ));
    }
    let raw: Vec<&str> = response.header_values(XFO).collect();
    let mut values: Vec<String> = Vec::new();
    for v in raw.iter().flat_map(|v| v.split(',')) {
        let v = v.trim_matches([' ', '\t']).to_ascii_lowercase();
        if !values.contains(&v) {
            values.push(v);
        }
    }
    let shown = || excerpt(&raw.join(", "));
    match values.as_slice() {
        [] => Some("no X-Frame-Options header and no CSP frame-ancestors".to_string()),
        [one] if one == "deny" || one == "sameorigin" => None,
        [one] if one.starts_with("allow-from") => Some(format!(
            "X-Frame-Options `{}` is obsolete and ignored by browsers; use CSP frame-ancestors",
            shown()
        )),
        [_] => Some(format!(
            "X-Frame-Options `{}` is not DENY or SAMEORIGIN",
            shown()
        )),
        // Conflicting values: browsers block framing if any of them is a known keyword.
        many if many
            .iter()
            .any(|v| matches!(v.as_str(), "deny" | "sameorigin" | "allowall")) =>
        {
            None
        }
        _ => Some(format!(
            "X-Frame-Options `{}` is not DENY or SAMEORIGIN",
            shown()
        )),
    }
}

fn allows_anyone(source: &Source) -> bool {
    match source {
        Source::Wildcard | Source::Scheme(_) => true,
        Source::Host { host, .. } => host == "*",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    fn run_page(headers: &[(&str, &str)], body: &str) -> Vec<Finding> {
        super::super::run_on_page(headers, Some(body))
    }

    fn protected(headers: &[(&str, &str)]) -> bool {
        with_id(&run(headers), FindingId::HeaderFrameMissing).is_empty()
    }

    fn why(headers: &[(&str, &str)]) -> String {
        the(&run(headers), FindingId::HeaderFrameMissing)
            .detail
            .clone()
    }

    #[test]
    fn deny_or_sameorigin_protects_in_any_case() {
        for value in ["DENY", "sameorigin", " SameOrigin ", "deny, DENY"] {
            assert!(protected(&[("x-frame-options", value)]), "{value}");
        }
        assert!(protected(&[
            ("x-frame-options", "DENY"),
            ("x-frame-options", "DENY")
        ]));
    }

    #[test]
    fn restrictive_frame_ancestors_protects_without_xfo() {
        for policy in [
            "frame-ancestors 'none'",
            "frame-ancestors 'self' https://partner.example",
            "default-src 'self'; frame-ancestors",
        ] {
            assert!(
                protected(&[("content-security-policy", policy)]),
                "{policy}"
            );
        }
    }

    #[test]
    fn nothing_at_all_is_missing() {
        let findings = run(&[]);
        let f = the(&findings, FindingId::HeaderFrameMissing);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.detail,
            "no X-Frame-Options header and no CSP frame-ancestors"
        );
    }

    #[test]
    fn allow_from_and_unknown_values_do_not_protect() {
        assert!(why(&[("x-frame-options", "ALLOW-FROM https://a.example")]).contains("obsolete"));
        assert_eq!(
            why(&[("x-frame-options", "yes please")]),
            "X-Frame-Options `yes please` is not DENY or SAMEORIGIN"
        );
        assert!(!protected(&[("x-frame-options", "")]));
        assert!(!protected(&[("x-frame-options", "allowall")]));
    }

    #[test]
    fn conflicting_values_block_framing_like_browsers() {
        assert!(protected(&[("x-frame-options", "DENY, SAMEORIGIN")]));
        assert!(protected(&[
            ("x-frame-options", "ALLOW-FROM https://a.example"),
            ("x-frame-options", "DENY")
        ]));
        assert!(!protected(&[("x-frame-options", "foo, bar")]));
    }

    #[test]
    fn permissive_frame_ancestors_overrides_xfo() {
        let d = why(&[
            ("x-frame-options", "DENY"),
            ("content-security-policy", "frame-ancestors https: 'self'"),
        ]);
        assert!(
            d.starts_with("CSP frame-ancestors allows any site (https: 'self')"),
            "{d}"
        );
        assert!(!protected(&[(
            "content-security-policy",
            "frame-ancestors *"
        )]));
    }

    #[test]
    fn one_restrictive_policy_among_several_is_enough() {
        assert!(protected(&[
            ("content-security-policy", "frame-ancestors *"),
            ("content-security-policy", "frame-ancestors 'self'"),
        ]));
    }

    #[test]
    fn report_only_frame_ancestors_does_not_count() {
        assert!(!protected(&[(
            "content-security-policy-report-only",
            "frame-ancestors 'none'"
        )]));
    }

    #[test]
    fn protection_earns_the_strength_and_its_absence_does_not() {
        let f = run(&[("x-frame-options", "SAMEORIGIN")]);
        assert_eq!(
            the(&f, FindingId::HeaderFrameProtected).detail,
            "X-Frame-Options: SAMEORIGIN"
        );
        let f = run(&[("content-security-policy", "frame-ancestors 'self'")]);
        assert_eq!(
            the(&f, FindingId::HeaderFrameProtected).detail,
            "CSP frame-ancestors 'self'"
        );
        assert!(with_id(&run(&[]), FindingId::HeaderFrameProtected).is_empty());
    }

    #[test]
    fn frame_ancestors_in_a_meta_policy_protects_nothing() {
        // HTML §4.2.5.3 removes frame-ancestors from policies delivered in <meta>.
        let page = "<html><head><meta http-equiv=\"Content-Security-Policy\" \
                    content=\"frame-ancestors 'none'\"></head><body></body></html>";
        let f = run_page(&[], page);
        the(&f, FindingId::HeaderFrameMissing);
        // ... nor does a permissive one there override a header X-Frame-Options.
        let page = "<html><head><meta http-equiv=\"Content-Security-Policy\" \
                    content=\"default-src 'self'; frame-ancestors *\"></head></html>";
        assert!(
            with_id(
                &run_page(&[("x-frame-options", "DENY")], page),
                FindingId::HeaderFrameMissing
            )
            .is_empty()
        );
    }
}
