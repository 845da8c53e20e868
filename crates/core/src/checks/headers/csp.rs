//! `header.csp.missing` and `header.csp.unsafe`.
//!
//! The judgement mirrors the HTTP Observatory's CSP test, tightened where it is lenient:
//! it asks whether an attacker who can inject markup can get script (or a plugin) to
//! run, and only then about weaker issues (insecure schemes outside scripts, invalid
//! constructs). `unsafe-inline` in style-src alone is deliberately not a problem, as in
//! the Observatory: it enables styling tricks, not script execution.
//!
//! Several policies (several headers, or a comma list) are all enforced: a load must
//! pass each one. So a capability problem is only reported when *every* policy allows
//! it, while a validity problem (a repeated directive) is reported wherever it occurs.
//! `Content-Security-Policy-Report-Only` enforces nothing and is ignored; `<meta>`
//! policies are out of scope for now.

use super::excerpt;
use crate::checks::parse::csp::{self, Directive, Keyword, Policy, Source};
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

const HEADER: &str = "content-security-policy";

/// What a problem lets an attacker do; used to combine policies (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ScriptUnrestricted,
    ScriptUnsafeInline,
    ScriptUnsafeEval,
    ScriptBroadSource,
    ObjectUnrestricted,
    InsecureScriptSource,
    InsecureObjectSource,
    InsecureOtherSource,
    StyleUnsafeEval,
    StrictDynamicWithoutNonce,
    DuplicateDirective,
}

impl Kind {
    /// Capabilities combine across policies; validity problems do not.
    fn is_capability(self) -> bool {
        !matches!(
            self,
            Kind::StrictDynamicWithoutNonce | Kind::DuplicateDirective
        )
    }

    /// Whether a policy with problem `self` also allows what `other` describes:
    /// unrestricted scripts (or plugins) allow every weakness of that kind.
    fn implies(self, other: Kind) -> bool {
        self == other
            || (self == Kind::ScriptUnrestricted
                && matches!(
                    other,
                    Kind::ScriptUnsafeInline
                        | Kind::ScriptUnsafeEval
                        | Kind::ScriptBroadSource
                        | Kind::InsecureScriptSource
                ))
            || (self == Kind::ObjectUnrestricted && other == Kind::InsecureObjectSource)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    kind: Kind,
    severity: Severity,
    text: String,
}

/// Every enforced policy of the response, in header order.
pub(super) fn enforced_policies(response: &HttpResponse) -> Vec<Policy> {
    response
        .header_values(HEADER)
        .flat_map(csp::parse_header)
        .collect()
}

pub(super) fn check(response: &HttpResponse, policies: &[Policy], out: &mut Vec<Finding>) {
    if policies.is_empty() {
        let detail = match response.header_values(HEADER).next() {
            Some(value) => format!(
                "Content-Security-Policy has no valid directive ({})",
                excerpt(value)
            ),
            None if response
                .header_values(&format!("{HEADER}-report-only"))
                .next()
                .is_some() =>
            {
                "only Content-Security-Policy-Report-Only, which enforces nothing".to_string()
            }
            None => "no Content-Security-Policy header".to_string(),
        };
        out.push(Finding::new(
            FindingId::HeaderCspMissing,
            Severity::Medium,
            detail,
        ));
        return;
    }
    let problems = combined_problems(policies);
    if let Some(severity) = problems.iter().map(|p| p.severity).max() {
        let texts: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
        out.push(Finding::new(
            FindingId::HeaderCspUnsafe,
            severity,
            texts.join("; "),
        ));
    }
}

fn combined_problems(policies: &[Policy]) -> Vec<Problem> {
    let per_policy: Vec<Vec<Problem>> = policies.iter().map(policy_problems).collect();
    let allowed_by_all = |kind: Kind| {
        per_policy
            .iter()
            .all(|ps| ps.iter().any(|p| p.kind.implies(kind)))
    };
    let mut kept: Vec<Problem> = Vec::new();
    for problem in per_policy.iter().flatten() {
        let keep = if problem.kind.is_capability() {
            allowed_by_all(problem.kind) && !kept.iter().any(|k| k.kind == problem.kind)
        } else {
            !kept.contains(problem)
        };
        if keep {
            kept.push(problem.clone());
        }
    }
    kept
}

fn policy_problems(policy: &Policy) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut push = |kind, severity, text: String| {
        problems.push(Problem {
            kind,
            severity,
            text,
        })
    };

    let script = policy.effective("script-src");
    match script {
        None => push(
            Kind::ScriptUnrestricted,
            Severity::Medium,
            "neither script-src nor default-src is set, so scripts are unrestricted".into(),
        ),
        Some(d) => {
            // With 'strict-dynamic' (CSP3) browsers ignore 'unsafe-inline', 'self' and
            // every host or scheme source: only nonces, hashes and their descendants run.
            let strict_dynamic = d.has_keyword(Keyword::StrictDynamic);
            if strict_dynamic && !d.has_nonce_or_hash() {
                push(
                    Kind::StrictDynamicWithoutNonce,
                    Severity::Low,
                    format!("{} has 'strict-dynamic' without a nonce or hash", d.name),
                );
            }
            if d.has_keyword(Keyword::UnsafeInline) && !d.has_nonce_or_hash() && !strict_dynamic {
                push(
                    Kind::ScriptUnsafeInline,
                    Severity::Medium,
                    format!("{} allows 'unsafe-inline'", d.name),
                );
            }
            if d.has_keyword(Keyword::UnsafeEval) {
                push(
                    Kind::ScriptUnsafeEval,
                    Severity::Medium,
                    format!("{} allows 'unsafe-eval'", d.name),
                );
            }
            if !strict_dynamic {
                if let Some(list) = listed(d, is_broad) {
                    push(
                        Kind::ScriptBroadSource,
                        Severity::Medium,
                        format!(
                            "{} allows scripts from overly broad sources ({list})",
                            d.name
                        ),
                    );
                }
                if let Some(list) = listed(d, is_insecure) {
                    push(
                        Kind::InsecureScriptSource,
                        Severity::Medium,
                        format!("{} allows scripts over an insecure scheme ({list})", d.name),
                    );
                }
            }
        }
    }

    let object = policy.effective("object-src");
    match object {
        None => push(
            Kind::ObjectUnrestricted,
            Severity::Medium,
            "object-src not restricted (neither object-src nor default-src is set)".into(),
        ),
        Some(d) => {
            if let Some(list) = listed(d, is_broad) {
                push(
                    Kind::ObjectUnrestricted,
                    Severity::Medium,
                    format!(
                        "{} allows plugins from overly broad sources ({list})",
                        d.name
                    ),
                );
            }
            if let Some(list) = listed(d, is_insecure) {
                push(
                    Kind::InsecureObjectSource,
                    Severity::Medium,
                    format!("{} allows plugins over an insecure scheme ({list})", d.name),
                );
            }
        }
    }

    let judged: Vec<&str> = [script, object]
        .iter()
        .flatten()
        .map(|d| d.name.as_str())
        .collect();
    let insecure_elsewhere: Vec<String> = policy
        .directives
        .iter()
        .filter(|d| !judged.contains(&d.name.as_str()))
        .filter_map(|d| listed(d, is_insecure).map(|list| format!("{} ({list})", d.name)))
        .collect();
    if !insecure_elsewhere.is_empty() {
        push(
            Kind::InsecureOtherSource,
            Severity::Low,
            format!("insecure scheme in {}", insecure_elsewhere.join(", ")),
        );
    }

    if let Some(style) = policy.effective("style-src")
        && !judged.contains(&style.name.as_str())
        && style.has_keyword(Keyword::UnsafeEval)
    {
        push(
            Kind::StyleUnsafeEval,
            Severity::Low,
            format!("{} allows 'unsafe-eval'", style.name),
        );
    }

    for name in &policy.duplicates {
        push(
            Kind::DuplicateDirective,
            Severity::Low,
            format!("{name} is repeated; browsers use only the first"),
        );
    }
    problems
}

/// The sources of `d` matching `pred`, space-separated, or `None` when there are none.
fn listed(d: &Directive, pred: fn(&Source) -> bool) -> Option<String> {
    let found: Vec<String> = d
        .sources
        .iter()
        .filter(|s| pred(s))
        .map(|s| excerpt(&s.to_string()))
        .collect();
    (!found.is_empty()).then(|| found.join(" "))
}

/// Sources that admit content from (nearly) anyone: `*`, a bare scheme such as
/// `https:` or `data:` (data: is inline script under another name), or a host wildcard
/// with only a scheme (`https://*`). `blob:` and `filesystem:` are exempt: only code
/// already running on the page can mint such URLs.
fn is_broad(source: &Source) -> bool {
    match source {
        Source::Wildcard => true,
        Source::Scheme(s) => s != "blob" && s != "filesystem",
        Source::Host { host, .. } => host == "*",
        _ => false,
    }
}

/// Sources fetched without TLS on an https page.
fn is_insecure(source: &Source) -> bool {
    matches!(source.scheme(), Some("http" | "ftp" | "ws"))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run_headers(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    fn run(policies: &[&str]) -> Vec<Finding> {
        let headers: Vec<(&str, &str)> = policies
            .iter()
            .map(|p| ("content-security-policy", *p))
            .collect();
        run_headers(&headers)
    }

    /// The csp.unsafe finding's (severity, detail), or `None` when the policy passes.
    fn unsafe_of(policies: &[&str]) -> Option<(Severity, String)> {
        let findings = run(policies);
        assert!(with_id(&findings, FindingId::HeaderCspMissing).is_empty());
        match with_id(&findings, FindingId::HeaderCspUnsafe).as_slice() {
            [] => None,
            [f] => Some((f.severity, f.detail.clone())),
            many => panic!("several csp.unsafe findings: {many:?}"),
        }
    }

    fn detail(policies: &[&str]) -> String {
        unsafe_of(policies).map(|(_, d)| d).unwrap_or_default()
    }

    #[test]
    fn strict_policies_pass() {
        for policy in [
            "default-src 'none'",
            "default-src 'self'",
            "default-src 'self'; style-src 'self' 'unsafe-inline'",
            "script-src 'self' https://cdn.example; object-src 'none'",
            "script-src 'nonce-abc123' 'unsafe-inline'; object-src 'none'",
            "script-src 'sha256-abc=' 'unsafe-inline'; object-src 'none'",
            "script-src 'nonce-abc' 'strict-dynamic' 'unsafe-inline' https: http:; object-src 'none'",
            "default-src 'self'; img-src 'self' blob:; worker-src blob:",
            "default-src 'self'; upgrade-insecure-requests; report-uri /csp",
        ] {
            assert_eq!(unsafe_of(&[policy]), None, "{policy}");
        }
    }

    #[test]
    fn missing_header_is_reported_and_report_only_does_not_count() {
        let f = run(&[]);
        let missing = the(&f, FindingId::HeaderCspMissing);
        assert_eq!(missing.severity, Severity::Medium);
        assert!(with_id(&f, FindingId::HeaderCspUnsafe).is_empty());
        let f = run_headers(&[("content-security-policy-report-only", "default-src 'self'")]);
        assert!(
            the(&f, FindingId::HeaderCspMissing)
                .detail
                .contains("Report-Only")
        );
    }

    #[test]
    fn a_header_without_any_valid_directive_counts_as_missing() {
        for value in [
            "",
            " ; , ;",
            "script_src 'self'",
            "script-src 'self' ünïcode.example",
        ] {
            let f = run(&[value]);
            assert!(
                the(&f, FindingId::HeaderCspMissing)
                    .detail
                    .contains("no valid directive"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn unsafe_inline_and_eval_in_scripts_are_medium() {
        let (sev, d) = unsafe_of(&["default-src 'self' 'unsafe-inline' 'unsafe-eval'"]).unwrap();
        assert_eq!(sev, Severity::Medium);
        assert_eq!(
            d,
            "default-src allows 'unsafe-inline'; default-src allows 'unsafe-eval'"
        );
        assert_eq!(
            detail(&["script-src 'self' 'UNSAFE-INLINE'; object-src 'none'"]),
            "script-src allows 'unsafe-inline'"
        );
    }

    #[test]
    fn script_src_overrides_default_src() {
        assert_eq!(
            unsafe_of(&["default-src 'self' 'unsafe-inline'; script-src 'self'"]),
            None
        );
        assert_eq!(
            detail(&["default-src 'self'; script-src 'self' 'unsafe-inline'"]),
            "script-src allows 'unsafe-inline'"
        );
    }

    #[test]
    fn wildcard_and_scheme_only_script_sources_are_unsafe() {
        for (source, shown) in [
            ("*", "*"),
            ("https:", "https:"),
            ("HTTP:", "http:"),
            ("data:", "data:"),
            ("https://*", "https://*"),
        ] {
            let policy = format!("default-src 'self'; script-src 'self' {source}");
            let d = detail(&[&policy]);
            assert!(
                d.contains(&format!(
                    "script-src allows scripts from overly broad sources ({shown})"
                )),
                "{policy}: {d}"
            );
        }
    }

    #[test]
    fn object_src_must_be_restricted() {
        assert_eq!(
            detail(&["script-src 'self'"]),
            "object-src not restricted (neither object-src nor default-src is set)"
        );
        assert_eq!(
            detail(&["default-src 'self'; object-src *"]),
            "object-src allows plugins from overly broad sources (*)"
        );
        let (sev, _) = unsafe_of(&["script-src 'self'"]).unwrap();
        assert_eq!(sev, Severity::Medium);
    }

    #[test]
    fn no_script_or_default_src_means_unrestricted_scripts() {
        let d = detail(&["frame-ancestors 'none'"]);
        assert!(
            d.contains("neither script-src nor default-src is set"),
            "{d}"
        );
        assert!(d.contains("object-src not restricted"), "{d}");
    }

    #[test]
    fn insecure_schemes_are_medium_for_scripts_and_low_elsewhere() {
        let (sev, d) = unsafe_of(&["default-src 'self'; script-src http://cdn.example"]).unwrap();
        assert_eq!(sev, Severity::Medium);
        assert_eq!(
            d,
            "script-src allows scripts over an insecure scheme (http://cdn.example)"
        );
        let (sev, d) = unsafe_of(&[
            "default-src 'self'; img-src 'self' http://img.example; connect-src ws://x.example",
        ])
        .unwrap();
        assert_eq!(sev, Severity::Low);
        assert_eq!(
            d,
            "insecure scheme in img-src (http://img.example), connect-src (ws://x.example)"
        );
    }

    #[test]
    fn unsafe_inline_in_style_src_only_passes_but_style_eval_is_low() {
        assert_eq!(
            unsafe_of(&["default-src 'self'; style-src 'unsafe-inline' *"]),
            None
        );
        let (sev, d) = unsafe_of(&["default-src 'self'; style-src 'unsafe-eval'"]).unwrap();
        assert_eq!(
            (sev, d.as_str()),
            (Severity::Low, "style-src allows 'unsafe-eval'")
        );
    }

    #[test]
    fn strict_dynamic_without_nonce_or_hash_is_flagged_low() {
        let (sev, d) =
            unsafe_of(&["script-src 'strict-dynamic' 'unsafe-inline'; object-src 'none'"]).unwrap();
        assert_eq!(sev, Severity::Low);
        assert_eq!(d, "script-src has 'strict-dynamic' without a nonce or hash");
    }

    #[test]
    fn repeated_directives_are_flagged_and_the_first_one_is_judged() {
        let (sev, d) =
            unsafe_of(&["default-src 'self'; script-src 'self'; script-src 'unsafe-inline'"])
                .unwrap();
        assert_eq!(sev, Severity::Low);
        assert_eq!(d, "script-src is repeated; browsers use only the first");
    }

    #[test]
    fn every_problem_is_listed_and_the_worst_severity_wins() {
        let (sev, d) = unsafe_of(&[
            "script-src 'unsafe-inline' 'unsafe-eval' https:; img-src http:; style-src 'unsafe-eval'",
        ])
        .unwrap();
        assert_eq!(sev, Severity::Medium);
        assert_eq!(
            d,
            "script-src allows 'unsafe-inline'; script-src allows 'unsafe-eval'; \
             script-src allows scripts from overly broad sources (https:); \
             object-src not restricted (neither object-src nor default-src is set); \
             insecure scheme in img-src (http:); style-src allows 'unsafe-eval'"
        );
    }

    #[test]
    fn several_policies_must_all_allow_a_weakness() {
        // The second policy forbids what the first allows: nothing unsafe gets through.
        assert_eq!(
            unsafe_of(&["script-src 'unsafe-inline'", "default-src 'self'"]),
            None
        );
        assert_eq!(
            unsafe_of(&["script-src 'unsafe-inline', default-src 'self'"]),
            None
        );
        // A policy without script-src lets the other policy's weakness through.
        assert_eq!(
            detail(&[
                "frame-ancestors 'none'",
                "default-src 'self' 'unsafe-inline'"
            ]),
            "default-src allows 'unsafe-inline'"
        );
        // Both allow inline script: reported once.
        assert_eq!(
            detail(&[
                "default-src 'self' 'unsafe-inline'",
                "script-src 'unsafe-inline' 'self'; object-src 'none'"
            ]),
            "default-src allows 'unsafe-inline'"
        );
    }

    #[test]
    fn combining_keeps_the_weakness_that_every_policy_allows() {
        // Scripts from http are blocked by the second policy; plugins from http are not
        // (the first policy leaves plugins unrestricted).
        assert_eq!(
            detail(&[
                "script-src http://a.example",
                "default-src 'self'; object-src http://b.example"
            ]),
            "object-src allows plugins over an insecure scheme (http://b.example)"
        );
    }

    #[test]
    fn validity_problems_are_reported_from_any_policy() {
        let d = detail(&[
            "default-src 'self'",
            "default-src 'self'; img-src 'self'; img-src *",
        ]);
        assert_eq!(d, "img-src is repeated; browsers use only the first");
    }
}
