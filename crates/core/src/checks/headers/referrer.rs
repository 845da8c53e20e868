//! `header.referrer.unsafe`: a referrer policy that leaks more than the browser
//! default, and the strength `header.referrer.private`.
//!
//! The policy in force is the header's (the last token browsers recognise), replaced by
//! the last valid `<meta name="referrer">` of the page, which browsers apply over it
//! (HTML §4.2.5.1). Absent or unrecognised values are *not* reported: browsers then
//! apply strict-origin-when-cross-origin, which is safe. (The Observatory fails an
//! invalid header; we judge the effective policy instead, since that is what visitors
//! get.) Reported, following the Observatory's "unsafe" set:
//! - `unsafe-url`, `no-referrer-when-downgrade` (low): the full URL, with its path and
//!   query string, goes to other sites;
//! - `origin`, `origin-when-cross-origin` (info): the origin goes even to plain-http
//!   sites, i.e. in clear text.
//!
//! A private policy set on purpose (`no-referrer`, `same-origin`, `strict-origin`,
//! `strict-origin-when-cross-origin`) is the Observatory's bonus.

use super::excerpt;
use crate::checks::parse::referrer::{self, ReferrerPolicy};
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::PageFacts;

pub(super) fn check(response: &HttpResponse, page: Option<&PageFacts>, out: &mut Vec<Finding>) {
    let raw: Vec<&str> = response.header_values("referrer-policy").collect();
    let from_header = referrer::effective(raw.iter().copied())
        .map(|p| (p, format!("Referrer-Policy: {}", excerpt(&raw.join(", ")))));
    let from_meta = page
        .map(|p| p.meta_policies.referrer.as_slice())
        .unwrap_or(&[])
        .iter()
        .rev()
        .find_map(|content| {
            referrer::from_meta(content).map(|p| {
                (
                    p,
                    format!("<meta name=\"referrer\" content=\"{}\">", excerpt(content)),
                )
            })
        });
    let overridden = from_meta.is_some() && from_header.is_some();
    let Some((policy, source)) = from_meta.or(from_header) else {
        return;
    };
    let source = if overridden {
        format!("{source}, which overrides the header")
    } else {
        source
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
        | ReferrerPolicy::StrictOriginWhenCrossOrigin => {
            out.push(Finding::new(
                FindingId::HeaderReferrerPrivate,
                Severity::Info,
                format!("effective policy {} ({source})", policy.as_str()),
            ));
            return;
        }
    };
    out.push(Finding::new(
        FindingId::HeaderReferrerUnsafe,
        severity,
        format!("effective policy {} {leak} ({source})", policy.as_str()),
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
            None,
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

    fn with_meta(header: Option<&str>, metas: &[&str]) -> Vec<Finding> {
        let head: String = metas
            .iter()
            .map(|m| format!("<meta name=\"referrer\" content=\"{m}\">"))
            .collect();
        let page = format!("<html><head>{head}</head><body></body></html>");
        let headers: Vec<(&str, &str)> =
            header.map(|h| ("referrer-policy", h)).into_iter().collect();
        super::super::run_on_page(&headers, Some(&page))
    }

    #[test]
    fn a_valid_meta_overrides_the_header() {
        // HTML §4.2.5.1: the meta sets the document's policy after the header did.
        let f = with_meta(Some("unsafe-url"), &["no-referrer"]);
        assert!(with_id(&f, FindingId::HeaderReferrerUnsafe).is_empty());
        assert!(
            the(&f, FindingId::HeaderReferrerPrivate)
                .detail
                .contains("which overrides the header"),
        );
        let f = with_meta(Some("strict-origin"), &["always"]);
        let unsafe_ = the(&f, FindingId::HeaderReferrerUnsafe);
        assert!(
            unsafe_.detail.starts_with("effective policy unsafe-url"),
            "{}",
            unsafe_.detail
        );
        assert!(
            unsafe_
                .detail
                .contains("<meta name=\"referrer\" content=\"always\">")
        );
    }

    #[test]
    fn an_invalid_meta_leaves_the_header_in_force_and_the_last_valid_one_wins() {
        let f = with_meta(
            Some("unsafe-url"),
            &["no-referrer, same-origin", " no-referrer"],
        );
        the(&f, FindingId::HeaderReferrerUnsafe);
        let f = with_meta(None, &["unsafe-url", "bogus", "same-origin"]);
        assert!(with_id(&f, FindingId::HeaderReferrerUnsafe).is_empty());
        the(&f, FindingId::HeaderReferrerPrivate);
    }

    #[test]
    fn the_private_strength_needs_a_policy_set_on_purpose() {
        assert!(with_id(&run(&[]), FindingId::HeaderReferrerPrivate).is_empty());
        assert!(with_id(&run(&["bogus"]), FindingId::HeaderReferrerPrivate).is_empty());
        assert_eq!(
            the(
                &run(&["strict-origin-when-cross-origin"]),
                FindingId::HeaderReferrerPrivate
            )
            .detail,
            "effective policy strict-origin-when-cross-origin \
             (Referrer-Policy: strict-origin-when-cross-origin)"
        );
    }
}
