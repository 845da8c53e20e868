//! `header.referrer.unsafe`: a Referrer-Policy that leaks more than the browser default.
//!
//! Absent or unrecognised headers are *not* reported: browsers then apply
//! strict-origin-when-cross-origin, which is safe. (The Observatory fails an invalid
//! header; we judge the effective policy instead, since that is what visitors get.)
//! Reported, following the Observatory's "unsafe" set plus no-referrer-when-downgrade:
//! - `unsafe-url`, `no-referrer-when-downgrade` (low): the full URL, with its path and
//!   query string, goes to other sites;
//! - `origin`, `origin-when-cross-origin` (info): the origin goes even to plain-http
//!   sites, i.e. in clear text.

use super::excerpt;
use crate::checks::parse::referrer::{self, ReferrerPolicy};
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    let Some(policy) = referrer::effective(response.header_values("referrer-policy")) else {
        return;
    };
    let (severity, leak) = match policy {
        ReferrerPolicy::UnsafeUrl => (
            Severity::Low,
            "sends the full URL to every site, even over plain http",
        ),
        ReferrerPolicy::NoReferrerWhenDowngrade => (
            Severity::Low,
            "sends the full URL to every other https site",
        ),
        ReferrerPolicy::Origin | ReferrerPolicy::OriginWhenCrossOrigin => (
            Severity::Info,
            "sends the site's origin even to plain-http sites",
        ),
        ReferrerPolicy::NoReferrer
        | ReferrerPolicy::SameOrigin
        | ReferrerPolicy::StrictOrigin
        | ReferrerPolicy::StrictOriginWhenCrossOrigin => return,
    };
    let raw: Vec<&str> = response.header_values("referrer-policy").collect();
    out.push(Finding::new(
        FindingId::HeaderReferrerUnsafe,
        severity,
        format!(
            "effective policy {} {leak} (Referrer-Policy: {})",
            policy.as_str(),
            excerpt(&raw.join(", "))
        ),
    ));
}

#[cfg(test)]
mod tests {
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{ctx, evidence_with_https_headers, the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(values: &[&str]) -> Vec<Finding> {
        let headers: Vec<(&str, &str)> = values.iter().map(|v| ("referrer-policy", *v)).collect();
        let settings = CheckSettings::default();
        let mut out = Vec::new();
        super::super::check(
            &evidence_with_https_headers(&headers),
            &ctx(&settings),
            &mut out,
        );
        out
    }

    fn passes(values: &[&str]) -> bool {
        with_id(&run(values), FindingId::HeaderReferrerUnsafe).is_empty()
    }

    #[test]
    fn absent_invalid_and_private_policies_pass() {
        assert!(passes(&[]));
        assert!(passes(&[""]));
        assert!(passes(&["something-new"]));
        for p in [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
        ] {
            assert!(passes(&[p]), "{p}");
        }
    }

    #[test]
    fn full_url_leaks_are_low() {
        for p in ["unsafe-url", "no-referrer-when-downgrade", "Unsafe-Url"] {
            let findings = run(&[p]);
            let f = the(&findings, FindingId::HeaderReferrerUnsafe);
            assert_eq!(f.severity, Severity::Low, "{p}");
            assert!(f.detail.contains("full URL"), "{}", f.detail);
        }
    }

    #[test]
    fn origin_leaks_over_downgrade_are_info() {
        for p in ["origin", "origin-when-cross-origin"] {
            assert_eq!(
                the(&run(&[p]), FindingId::HeaderReferrerUnsafe).severity,
                Severity::Info
            );
        }
    }

    #[test]
    fn the_last_valid_token_decides() {
        assert!(passes(&["unsafe-url, strict-origin-when-cross-origin"]));
        assert!(passes(&["unsafe-url", "no-referrer, bogus"]));
        let findings = run(&["no-referrer", "unsafe-url"]);
        let f = the(&findings, FindingId::HeaderReferrerUnsafe);
        assert_eq!(
            f.detail,
            "effective policy unsafe-url sends the full URL to every site, even over plain http \
             (Referrer-Policy: no-referrer, unsafe-url)"
        );
    }
}
