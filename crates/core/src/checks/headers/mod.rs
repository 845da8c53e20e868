//! Security headers of the response that represents the site, and the policies its
//! page declares in `<meta>` elements.
//!
//! The primary https response is judged (see [`super::primary_response`]): it is what a
//! visitor's browser applies, together with the Content-Security-Policy and referrer
//! policy of its HTML (`page`, the same response analysed). Headers sent over plain
//! http are ignored by browsers (HSTS) or not what a visitor ends up with; HSTS is also
//! judged on the scanned host's own https answers when they redirect to another host,
//! since browsers learn it per host (RFC 6797 §8.1). Without verified HTTPS nothing is
//! reported here; the transport checks report that failure instead.

use super::CheckContext;
use crate::evidence::Evidence;
use crate::finding::Finding;
use crate::page::PageFacts;

mod cors;
mod cross_origin;
mod csp;
mod framing;
mod hsts;
mod permissions;
mod referrer;
mod version_leak;
mod xcto;

pub use crate::evidence::CORS_PROBE_ORIGIN;

/// Longest header text quoted in a finding's detail: the detail is evidence for a
/// person, and a hostile server must not be able to bloat stored findings.
const EXCERPT_CHARS: usize = 200;

/// `page` is the primary response's HTML analysed (`None` for other content, or when
/// the https chain did not end on a page).
pub(super) fn check(
    evidence: &Evidence,
    page: Option<&PageFacts>,
    ctx: &CheckContext<'_>,
    out: &mut Vec<Finding>,
) {
    let Some(response) = super::primary_response(evidence) else {
        return;
    };
    hsts::check(evidence, response, ctx.settings.hsts_min_max_age, out);
    let policies = csp::enforced_policies(response, page);
    csp::check(response, &policies, out);
    framing::check(response, &policies.header_policies(), out);
    xcto::check(response, out);
    referrer::check(response, page, out);
    permissions::check(response, out);
    version_leak::check(response, out);
    cors::check(response, out);
    cross_origin::check(response, out);
}

/// The HSTS header of `response` as browsers read it, for the checks that depend on
/// whether HSTS protects the site (cookies without Secure).
pub(super) use hsts::effective as hsts_effective;

/// Server-supplied text made safe to quote in a detail: bounded in length and with
/// control characters replaced, since details end up in terminals and reports.
pub(super) fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Runs every header check over a response with these headers (unit-test helper).
#[cfg(test)]
fn run_on_headers(headers: &[(&str, &str)]) -> Vec<Finding> {
    run_on_page(headers, None)
}

/// Runs every header check over a response with these headers whose HTML is `body`
/// (unit-test helper for the `<meta>` policies).
#[cfg(test)]
fn run_on_page(headers: &[(&str, &str)], body: Option<&str>) -> Vec<Finding> {
    let settings = crate::checks::CheckSettings::default();
    let evidence = crate::checks::test_support::evidence_with_https_headers(headers);
    let page = body.map(|html| {
        let mut response = crate::checks::test_support::response(headers);
        response.body.bytes = html.as_bytes().to_vec();
        crate::page::analyse_page(
            "https://example.test/",
            &response,
            &crate::page::PageLimits::default(),
        )
    });
    let mut out = Vec::new();
    check(
        &evidence,
        page.as_ref(),
        &crate::checks::test_support::ctx(&settings),
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{
        chain, ctx, evidence_with_chains, evidence_with_https_headers, final_chain, response,
        response_with_status,
    };
    use crate::evidence::ChainEnd;
    use crate::finding::FindingId;

    fn run(evidence: &Evidence) -> Vec<Finding> {
        let settings = CheckSettings::default();
        let mut out = Vec::new();
        check(evidence, None, &ctx(&settings), &mut out);
        out.retain(|f| !f.id.is_strength());
        out
    }

    #[test]
    fn nothing_is_reported_without_verified_https() {
        let bare = [("server", "Apache/2.4.41")];
        let http_only =
            evidence_with_chains(Some(final_chain("http", vec![response(&bare)])), None);
        assert_eq!(run(&http_only), []);
        let untrusted = evidence_with_chains(
            None,
            Some(chain("https", Vec::new(), ChainEnd::CertificateNotTrusted)),
        );
        assert_eq!(run(&untrusted), []);
    }

    #[test]
    fn a_bare_response_gets_every_missing_header_finding() {
        let ids: Vec<FindingId> = run(&evidence_with_https_headers(&[]))
            .iter()
            .map(|f| f.id)
            .collect();
        for id in [
            FindingId::HeaderHstsMissing,
            FindingId::HeaderCspMissing,
            FindingId::HeaderFrameMissing,
            FindingId::HeaderXctoMissing,
            FindingId::HeaderPermissionsMissing,
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert!(!ids.contains(&FindingId::HeaderReferrerUnsafe));
    }

    #[test]
    fn a_hardened_response_gets_no_finding() {
        let evidence = evidence_with_https_headers(&[
            (
                "strict-transport-security",
                "max-age=63072000; includeSubDomains; preload",
            ),
            (
                "content-security-policy",
                "default-src 'self'; object-src 'none'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("permissions-policy", "geolocation=()"),
            ("server", "nginx"),
        ]);
        assert_eq!(run(&evidence), []);
    }

    #[test]
    fn a_chain_that_stopped_early_is_judged_on_its_last_response() {
        let redirect = response_with_status(
            301,
            &[
                ("location", "https://elsewhere.test/"),
                ("x-content-type-options", "nosniff"),
            ],
        );
        let offsite = ChainEnd::Offsite {
            location: "https://elsewhere.test/".into(),
        };
        let evidence = evidence_with_chains(None, Some(chain("https", vec![redirect], offsite)));
        let ids: Vec<FindingId> = run(&evidence).iter().map(|f| f.id).collect();
        assert!(ids.contains(&FindingId::HeaderHstsMissing));
        assert!(!ids.contains(&FindingId::HeaderXctoMissing));
    }

    #[test]
    fn excerpts_are_bounded_and_printable() {
        assert_eq!(excerpt("a\u{1b}[31mb"), "a?[31mb");
        let long = "é".repeat(EXCERPT_CHARS + 1);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(&long[..2 * EXCERPT_CHARS]),
            long[..2 * EXCERPT_CHARS]
        );
    }
}
