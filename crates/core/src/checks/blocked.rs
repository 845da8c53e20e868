//! `site.blocked`: the site answered, but not with itself. A firewall challenge, a
//! CAPTCHA wall or a refusal (403, 429) on the home page stops the assessment; that is
//! neither "down" (`site.unreachable`) nor a failing site, and the owner can allow the
//! scanner (the public scanner page says how).

use crate::evidence::{Evidence, HttpResponse};
use crate::finding::{Finding, FindingId, Severity};
use crate::rules::PageRules;

/// Statuses that refuse the scanner even when no firewall signature is recognised.
const REFUSALS: [u16; 2] = [403, 429];

/// Adds `site.blocked` when the home page is a firewall's or a refusal; true when it did,
/// so the page checks do not judge the firewall's page as the site's.
pub(super) fn check(evidence: &Evidence, rules: &PageRules, out: &mut Vec<Finding>) -> bool {
    if out
        .iter()
        .any(|f| f.id.category() == crate::finding::Category::Reachability)
    {
        return false;
    }
    let Some((scheme, response)) = home_answer(evidence) else {
        return false;
    };
    let detail = match rules.firewall.recognise(response) {
        Some(m) => format!(
            "the {scheme} home page answered {} with a {} page instead of the site \
             (signature {}: {})",
            response.status, m.signature.vendor, m.signature.info.id, m.matched
        ),
        None if REFUSALS.contains(&response.status) => format!(
            "the {scheme} home page answered {} to the scanner (no firewall signature \
             recognised)",
            response.status
        ),
        None => return false,
    };
    out.push(Finding::new(FindingId::SiteBlocked, Severity::High, detail));
    true
}

/// The answer the home page ended on: over verified HTTPS when there was one, else
/// over plain HTTP.
fn home_answer(evidence: &Evidence) -> Option<(&'static str, &HttpResponse)> {
    let https = evidence.https.as_ref().and_then(|c| c.last_response());
    match https {
        Some(r) => Some(("HTTPS", r)),
        None => evidence
            .http
            .as_ref()
            .and_then(|c| c.last_response())
            .map(|r| ("HTTP", r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{
        evidence_with_chains, final_chain, html_page, page_rules, response_with_status,
    };

    fn run(evidence: &Evidence) -> Vec<Finding> {
        let mut out = Vec::new();
        check(evidence, &page_rules(), &mut out);
        out
    }

    fn home(status: u16, headers: &[(&str, &str)], body: &str) -> Evidence {
        let mut r = response_with_status(status, headers);
        r.body.bytes = body.as_bytes().to_vec();
        evidence_with_chains(None, Some(final_chain("https", vec![r])))
    }

    #[test]
    fn a_firewall_challenge_is_blocked_and_named() {
        let e = home(
            403,
            &[("cf-mitigated", "challenge")],
            "<title>Just a moment...</title>",
        );
        let found = run(&e);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, FindingId::SiteBlocked);
        assert!(
            found[0].detail.contains("Cloudflare"),
            "{}",
            found[0].detail
        );
        assert!(
            found[0].detail.contains("cf-mitigated"),
            "{}",
            found[0].detail
        );
        let imperva = home(
            200,
            &[],
            "<script src=\"/_Incapsula_Resource?SWJIYLWA=1\"></script>",
        );
        assert!(run(&imperva)[0].detail.contains("Imperva"));
    }

    #[test]
    fn a_bare_refusal_is_blocked_but_an_error_or_an_ordinary_captcha_is_not() {
        let refused = run(&home(403, &[], "<h1>Forbidden</h1>"));
        assert!(
            refused[0].detail.contains("no firewall signature"),
            "{refused:?}"
        );
        assert_eq!(
            run(&home(429, &[], "slow down"))[0].id,
            FindingId::SiteBlocked
        );
        assert!(
            run(&home(503, &[], "maintenance")).is_empty(),
            "down for maintenance"
        );
        assert!(run(&home(500, &[], "error")).is_empty());
        let form = "<form><div class=\"g-recaptcha\"></div><input name=email></form>";
        assert!(
            run(&home(200, &[], form)).is_empty(),
            "a contact form's CAPTCHA"
        );
        assert_eq!(
            run(&home(429, &[], form))[0].id,
            FindingId::SiteBlocked,
            "a CAPTCHA wall"
        );
    }

    #[test]
    fn plain_http_counts_when_there_is_no_https_and_outages_stay_unreachable() {
        let http = final_chain("http", vec![response_with_status(403, &[])]);
        assert_eq!(
            run(&evidence_with_chains(Some(http), None))[0].detail,
            "the HTTP home page answered 403 to the scanner (no firewall signature recognised)"
        );
        let mut out = vec![Finding::new(FindingId::SiteTimeout, Severity::High, "x")];
        check(&home(403, &[], ""), &page_rules(), &mut out);
        assert_eq!(out.len(), 1, "an outage is not also a block");
        assert!(
            run(&evidence_with_chains(
                None,
                Some(final_chain("https", vec![html_page(b"<p>ok</p>", &[])]))
            ))
            .is_empty()
        );
    }
}
