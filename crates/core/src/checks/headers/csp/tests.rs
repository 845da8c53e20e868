//! CSP judged from headers alone (CSP3 §2.2 parsing, §6 directives, §8 keywords).
//! `<meta>` delivery is in `meta_tests.rs`.

use crate::checks::test_support::{the, with_id};
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn run_headers(headers: &[(&str, &str)]) -> Vec<Finding> {
    super::super::run_on_headers(headers)
}

fn run(policies: &[&str]) -> Vec<Finding> {
    let headers: Vec<(&str, &str)> = policies
        .iter()
        .map(|p| ("content-security-policy", *p))
        .collect();
    run_headers(&headers)
}

/// The csp.unsafe finding, or `None` when the policies pass.
fn unsafe_of(policies: &[&str]) -> Option<Finding> {
    let findings = run(policies);
    assert!(
        with_id(&findings, FindingId::HeaderCspMissing).is_empty(),
        "{findings:?}"
    );
    match with_id(&findings, FindingId::HeaderCspUnsafe).as_slice() {
        [] => None,
        [f] => Some((*f).clone()),
        many => panic!("several csp.unsafe findings: {many:?}"),
    }
}

fn kinds(policies: &[&str]) -> Vec<String> {
    unsafe_of(policies).map(|f| f.kinds).unwrap_or_default()
}

#[test]
fn strict_policies_pass() {
    for policy in [
        "default-src 'none'",
        "default-src 'self'",
        "default-src 'self'; style-src 'self' 'unsafe-inline'",
        "script-src 'self' https://cdn.example; object-src 'none'",
        "script-src 'nonce-abc123' 'unsafe-inline'; object-src 'none'; base-uri 'none'",
        "script-src 'sha256-abc=' 'unsafe-inline'; object-src 'none'; base-uri 'self'",
        "script-src 'nonce-abc' 'strict-dynamic' 'unsafe-inline' https: http:; object-src 'none'; base-uri 'none'",
        "default-src 'self'; img-src 'self' blob:; worker-src blob:",
        "default-src 'self'; upgrade-insecure-requests; report-uri /csp",
        "default-src 'self'; form-action 'self' https://pay.example",
    ] {
        assert_eq!(unsafe_of(&[policy]), None, "{policy}");
    }
}

#[test]
fn missing_report_only_and_invalid_policies_are_one_id() {
    let f = run(&[]);
    let missing = the(&f, FindingId::HeaderCspMissing);
    assert_eq!(
        (missing.severity, missing.kinds.as_slice()),
        (Severity::Medium, &["absent".to_string()][..])
    );
    let f = run_headers(&[("content-security-policy-report-only", "default-src 'self'")]);
    assert_eq!(the(&f, FindingId::HeaderCspMissing).kinds, ["report_only"]);
    // Empty, unparseable and misspelt policies all enforce nothing: the same id and kind.
    for value in [
        "",
        " ; , ;",
        "script_src 'self'",
        "script-src 'self' ünïcode.example",
        "scirpt-src 'none'",
        "defualt-src 'none'; upgrade_insecure_requests",
    ] {
        let f = run(&[value]);
        let m = the(&f, FindingId::HeaderCspMissing);
        assert_eq!(m.kinds, ["invalid"], "{value:?}");
        assert!(
            with_id(&f, FindingId::HeaderCspUnsafe).is_empty(),
            "{value:?}"
        );
    }
}

#[test]
fn a_misspelt_directive_beside_valid_ones_is_reported_and_free() {
    let f = unsafe_of(&["default-src 'self'; scirpt-src 'none'"]).unwrap();
    assert_eq!(f.kinds, ["unknown_directive"]);
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.detail,
        "scirpt-src is not a directive browsers know\n  header: scirpt-src 'none'"
    );
}

#[test]
fn inline_and_eval_in_scripts_are_separate_kinds() {
    let f = unsafe_of(&["default-src 'self' 'unsafe-inline' 'unsafe-eval'"]).unwrap();
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.kinds, ["script_unsafe_inline", "script_unsafe_eval"]);
    assert_eq!(
        f.detail,
        "inline scripts may run ('unsafe-inline')\n  header: default-src 'self' 'unsafe-inline' 'unsafe-eval'\n\
         scripts may compile strings ('unsafe-eval')\n  header: default-src 'self' 'unsafe-inline' 'unsafe-eval'"
    );
    assert_eq!(
        kinds(&["script-src 'self' 'unsafe-eval'; object-src 'none'"]),
        ["script_unsafe_eval"]
    );
    assert_eq!(
        unsafe_of(&["script-src 'self' 'unsafe-eval'; object-src 'none'"])
            .unwrap()
            .severity,
        Severity::Medium
    );
}

#[test]
fn script_src_overrides_default_src_and_script_src_elem_overrides_both() {
    assert_eq!(
        unsafe_of(&["default-src 'self' 'unsafe-inline'; script-src 'self'"]),
        None
    );
    assert_eq!(
        kinds(&["default-src 'self'; script-src 'self' 'unsafe-inline'"]),
        ["script_unsafe_inline"]
    );
    // CSP3 §6.1.4: <script> elements follow script-src-elem first.
    assert_eq!(
        kinds(&["default-src 'self'; script-src 'self'; script-src-elem *"]),
        ["script_broad_source"]
    );
    // Inline event handlers follow script-src-attr when it is set.
    assert_eq!(
        kinds(&["default-src 'self'; script-src-attr 'unsafe-inline'"]),
        ["script_unsafe_inline"]
    );
}

#[test]
fn wildcard_and_scheme_only_script_sources_are_broad() {
    for source in ["*", "https:", "HTTP:", "data:", "https://*"] {
        let policy = format!("default-src 'self'; script-src 'self' {source}");
        assert!(
            kinds(&[&policy]).contains(&"script_broad_source".to_string()),
            "{policy}"
        );
    }
    // blob: can only be minted by code already running.
    assert_eq!(
        unsafe_of(&["default-src 'self'; script-src 'self' blob:"]),
        None
    );
}

#[test]
fn plugins_must_be_restricted() {
    let f = unsafe_of(&["script-src 'self'"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["object_unrestricted".to_string()][..], Severity::Medium)
    );
    assert_eq!(
        f.detail,
        "plugins (object, embed) are not restricted\n  header: no object-src nor a directive it falls back to"
    );
    assert_eq!(
        kinds(&["default-src 'self'; object-src *"]),
        ["object_unrestricted"]
    );
}

#[test]
fn no_script_restriction_says_it_once() {
    let f = unsafe_of(&["frame-ancestors 'none'"]).unwrap();
    assert_eq!(f.kinds, ["script_unrestricted", "object_unrestricted"]);
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn insecure_schemes_are_active_or_passive() {
    let f = unsafe_of(&["default-src 'self'; script-src http://cdn.example"]).unwrap();
    assert_eq!(f.kinds, ["script_insecure_scheme"]);
    let f = unsafe_of(&["default-src 'self'; img-src 'self' http://img.example; media-src http:"])
        .unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["insecure_passive".to_string()][..], Severity::Low)
    );
    assert_eq!(
        f.detail,
        "images or media may load over plain http (img-src)\n  header: img-src 'self' http://img.example\n\
         images or media may load over plain http (media-src)\n  header: media-src http:"
    );
    let f = unsafe_of(&["default-src 'self'; connect-src ws://x.example"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["insecure_active".to_string()][..], Severity::Medium)
    );
    // One directive opening several kinds of load is one line.
    let f =
        unsafe_of(&["default-src 'self' http://cdn.example; script-src 'self'; object-src 'none'"])
            .unwrap();
    assert_eq!(f.kinds, ["insecure_active", "insecure_passive"]);
    assert!(
        f.detail.starts_with("active content may load over plain http (style-src-elem, font-src, connect-src, frame-src, manifest-src)\n  header: default-src 'self' http://cdn.example"),
        "{}",
        f.detail
    );
}

#[test]
fn styles_pass_unless_they_eval() {
    assert_eq!(
        unsafe_of(&["default-src 'self'; style-src 'unsafe-inline' *"]),
        None
    );
    let f = unsafe_of(&["default-src 'self'; style-src 'unsafe-eval'"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["style_unsafe_eval".to_string()][..], Severity::Low)
    );
}

#[test]
fn base_uri_matters_when_scripts_are_trusted_by_nonce_or_hash() {
    // A <base> injected before a nonce'd script with a relative src loads it elsewhere.
    let f = unsafe_of(&["script-src 'nonce-r4nd0m'; object-src 'none'"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["base_uri_unrestricted".to_string()][..], Severity::Medium)
    );
    assert_eq!(
        kinds(&["script-src 'sha256-abc='; object-src 'none'; base-uri *"]),
        ["base_uri_unrestricted"]
    );
    assert_eq!(
        unsafe_of(&["script-src 'nonce-r4nd0m'; object-src 'none'; base-uri 'self'"]),
        None
    );
    // With an allow-list of hosts, a <base> cannot add a source: not reported.
    assert_eq!(unsafe_of(&["default-src 'self'"]), None);
}

#[test]
fn an_open_form_action_is_reported_and_an_absent_one_is_not() {
    let f = unsafe_of(&["default-src 'self'; form-action *"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["form_action_broad".to_string()][..], Severity::Low)
    );
    assert_eq!(
        kinds(&["default-src 'self'; form-action https:"]),
        ["form_action_broad"]
    );
    assert_eq!(
        kinds(&["default-src 'self'; form-action http://old.example"]),
        ["insecure_active"]
    );
    assert_eq!(unsafe_of(&["default-src 'self'"]), None);
}

#[test]
fn strict_dynamic_without_nonce_or_hash_is_a_validity_slip() {
    let f = unsafe_of(&["script-src 'strict-dynamic' 'unsafe-inline'; object-src 'none'"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (
            &["strict_dynamic_without_nonce".to_string()][..],
            Severity::Low
        )
    );
}

#[test]
fn repeated_directives_are_reported_and_the_first_one_is_judged() {
    let f =
        unsafe_of(&["default-src 'self'; script-src 'self'; script-src 'unsafe-inline'"]).unwrap();
    assert_eq!(
        (f.kinds.as_slice(), f.severity),
        (&["duplicate_directive".to_string()][..], Severity::Low)
    );
    assert_eq!(
        f.detail,
        "script-src is repeated; browsers use only the first\n  header: script-src"
    );
}

#[test]
fn several_policies_must_all_allow_a_weakness() {
    // CSP3 §4.1: every policy is enforced; the second forbids what the first allows.
    assert_eq!(
        unsafe_of(&["script-src 'unsafe-inline'", "default-src 'self'"]),
        None
    );
    assert_eq!(
        unsafe_of(&["script-src 'unsafe-inline', default-src 'self'"]),
        None
    );
    // A policy without script-src lets the other policy's weakness through, and both
    // are named with what they say.
    let f = unsafe_of(&[
        "frame-ancestors 'none'",
        "default-src 'self' 'unsafe-inline'",
    ])
    .unwrap();
    assert_eq!(f.kinds, ["script_unsafe_inline"]);
    assert_eq!(
        f.detail,
        "inline scripts may run ('unsafe-inline')\n  header #1: no script-src-elem nor a directive it falls back to\n  \
         header #2: default-src 'self' 'unsafe-inline'"
    );
}

#[test]
fn combining_keeps_the_weakness_that_every_policy_allows() {
    // Scripts from http are blocked by the second policy; plugins from http are not
    // (the first policy leaves plugins unrestricted).
    let f = unsafe_of(&[
        "script-src http://a.example",
        "default-src 'self'; object-src http://b.example",
    ])
    .unwrap();
    assert_eq!(f.kinds, ["insecure_active"]);
    assert!(f.detail.contains("(object-src)"), "{}", f.detail);
}

#[test]
fn validity_problems_are_reported_from_any_policy() {
    let f = unsafe_of(&[
        "default-src 'self'",
        "default-src 'self'; img-src 'self'; img-src *",
    ])
    .unwrap();
    assert_eq!(
        f.detail,
        "img-src is repeated; browsers use only the first\n  header #2: img-src"
    );
}

#[test]
fn a_strict_policy_earns_the_strength_by_level() {
    let strict = |policy: &str| {
        let f = run(&[policy]);
        with_id(&f, FindingId::HeaderCspStrict)
            .first()
            .map(|f| f.kinds.clone())
    };
    assert_eq!(strict("default-src 'self'"), Some(vec!["no_unsafe".into()]));
    assert_eq!(
        strict("default-src 'none'"),
        Some(vec!["no_unsafe".into()]),
        "forms open"
    );
    assert_eq!(
        strict("default-src 'none'; script-src 'self'; form-action 'self'"),
        Some(vec!["default_none".into()])
    );
    // Inline styles pass but earn nothing, as in the Observatory.
    assert_eq!(
        strict("default-src 'self'; style-src 'self' 'unsafe-inline'"),
        None
    );
    assert_eq!(
        strict("default-src 'self'; style-src 'nonce-x' 'unsafe-inline'"),
        Some(vec!["no_unsafe".into()])
    );
    // Any problem, even a free one, withholds it.
    assert_eq!(
        strict("default-src 'self'; img-src 'self'; img-src *"),
        None
    );
    assert_eq!(strict("default-src 'self' 'unsafe-inline'"), None);
    assert_eq!(
        run(&[])
            .iter()
            .filter(|f| f.id == FindingId::HeaderCspStrict)
            .count(),
        0
    );
}
