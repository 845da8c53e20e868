//! CSP delivered in `<meta http-equiv>` (HTML §4.2.5.3) together with headers.

use crate::checks::test_support::{the, with_id};
use crate::finding::{Finding, FindingId};

fn page(head: &str, body: &str) -> String {
    format!("<!doctype html><html><head>{head}</head><body>{body}</body></html>")
}

fn meta(policy: &str) -> String {
    format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">")
}

fn run(headers: &[(&str, &str)], html: &str) -> Vec<Finding> {
    super::super::run_on_page(headers, Some(html))
}

#[test]
fn a_meta_policy_alone_is_a_policy() {
    // The case: only <meta ... default-src 'none'> was reported missing.
    let f = run(&[], &page(&meta("default-src 'none'"), ""));
    assert!(with_id(&f, FindingId::HeaderCspMissing).is_empty(), "{f:?}");
    assert!(with_id(&f, FindingId::HeaderCspUnsafe).is_empty(), "{f:?}");
    assert!(
        the(&f, FindingId::HeaderCspStrict)
            .detail
            .contains("  meta: default-src 'none'")
    );
}

#[test]
fn a_header_and_a_meta_policy_are_both_enforced() {
    // The case: header img-src 'none' + meta default-src 'none' was reported as
    // leaving scripts unrestricted; the meta policy restricts them.
    let f = run(
        &[("content-security-policy", "img-src 'none'")],
        &page(&meta("default-src 'none'"), ""),
    );
    assert!(with_id(&f, FindingId::HeaderCspUnsafe).is_empty(), "{f:?}");
    assert!(with_id(&f, FindingId::HeaderCspMissing).is_empty(), "{f:?}");
}

#[test]
fn the_detail_says_which_policy_allowed_what() {
    let f = run(
        &[(
            "content-security-policy",
            "script-src 'self' 'unsafe-inline'; object-src 'none'",
        )],
        &page(&meta("default-src * 'unsafe-inline'"), ""),
    );
    let unsafe_ = the(&f, FindingId::HeaderCspUnsafe);
    assert_eq!(
        unsafe_.detail,
        "inline scripts may run ('unsafe-inline')\n  header: script-src 'self' 'unsafe-inline'\n  \
         meta: default-src * 'unsafe-inline'"
    );
}

#[test]
fn a_meta_policy_outside_head_or_after_a_script_does_not_count() {
    for html in [
        page("", &meta("default-src 'none'")),
        page(
            &format!(
                "<script src=/app.js></script>{}",
                meta("default-src 'none'")
            ),
            "",
        ),
        page(
            &format!("<noscript>{}</noscript>", meta("default-src 'none'")),
            "",
        ),
    ] {
        let f = run(&[], &html);
        let m = the(&f, FindingId::HeaderCspMissing);
        assert_eq!(m.kinds, ["meta_ignored"], "{html}");
        assert!(
            m.detail.contains("\n  ignored: <meta> policy"),
            "{}",
            m.detail
        );
    }
}

#[test]
fn meta_policies_lose_frame_ancestors_and_are_not_comma_lists() {
    // Only frame-ancestors, dropped from meta: nothing browsers enforce remains.
    let f = run(&[], &page(&meta("frame-ancestors 'none'"), ""));
    assert_eq!(the(&f, FindingId::HeaderCspMissing).kinds, ["invalid"]);
    // In a header the comma separates two policies, both enforced: inline script is
    // blocked by the first. In meta the whole content is one policy, so `script-src`
    // and 'unsafe-inline' are sources of default-src, and inline script runs.
    let value = "default-src 'self', script-src 'unsafe-inline'";
    let f = run(&[("content-security-policy", value)], &page("", ""));
    assert!(with_id(&f, FindingId::HeaderCspUnsafe).is_empty(), "{f:?}");
    let f = run(&[], &page(&meta(value), ""));
    let unsafe_ = the(&f, FindingId::HeaderCspUnsafe);
    assert_eq!(unsafe_.kinds, ["script_unsafe_inline"]);
    assert!(
        unsafe_
            .detail
            .contains("\n  meta: default-src 'self', script-src 'unsafe-inline'")
    );
}

#[test]
fn report_only_in_meta_is_ignored() {
    let html = page(
        "<meta http-equiv=\"Content-Security-Policy-Report-Only\" content=\"default-src 'none'\">",
        "",
    );
    assert_eq!(
        the(&run(&[], &html), FindingId::HeaderCspMissing).kinds,
        ["absent"]
    );
}

#[test]
fn a_meta_policy_and_a_header_with_a_hole_each_must_allow_it() {
    // Header allows http images, meta forbids all images: images over http are blocked.
    let f = run(
        &[(
            "content-security-policy",
            "default-src 'self'; img-src http:",
        )],
        &page(&meta("img-src 'none'"), ""),
    );
    assert!(with_id(&f, FindingId::HeaderCspUnsafe).is_empty(), "{f:?}");
}
