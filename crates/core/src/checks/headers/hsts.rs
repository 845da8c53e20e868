//! `header.hsts.missing` and `header.hsts.short`.
//!
//! An invalid or disabling header is reported as *missing* (with the reason) because
//! browsers ignore it: the visitor gets exactly the protection of no header at all.
//!
//! Browsers learn HSTS per host (RFC 6797 §8.1): the final page's header protects only
//! its own host (and its subdomains with `includeSubDomains`). When the scanned host's
//! https answer redirects to another host of the site (`example.vn` → `www.example.vn`),
//! the scanned host — the name people type — is protected only by a header on its own
//! answer, or by the final host's `includeSubDomains` when it is a subdomain of it.

use super::excerpt;
use crate::checks::parse::hsts::{self, Hsts};
use crate::evidence::{Evidence, HttpResponse};
use crate::finding::{Finding, FindingId, Severity};
use crate::rules::{host_is_under, url_host};

const HEADER: &str = "strict-transport-security";

pub(super) fn check(
    evidence: &Evidence,
    response: &HttpResponse,
    min_max_age: u64,
    out: &mut Vec<Finding>,
) {
    if let Some(problem) = judge(response, min_max_age) {
        out.push(problem);
    }
    scanned_host(evidence, response, min_max_age, out);
}

/// The HSTS a browser keeps from `response`: one valid header with a max-age above 0.
pub(crate) fn effective(response: &HttpResponse) -> Option<Hsts> {
    let mut values = response.header_values(HEADER);
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    hsts::parse(value).ok().filter(|h| h.max_age > 0)
}

/// The scanned host when its https answers redirected to another host (see the module
/// docs): judged on its own last answer, unless the final host's header covers it.
fn scanned_host(
    evidence: &Evidence,
    last: &HttpResponse,
    min_max_age: u64,
    out: &mut Vec<Finding>,
) {
    let Some(chain) = &evidence.https else {
        return;
    };
    let host = evidence.host.to_ascii_lowercase();
    let answered: Vec<(String, &HttpResponse)> = chain
        .hops
        .iter()
        .filter_map(|h| Some((url_host(&h.url)?, h.response.as_ref()?)))
        .collect();
    let Some((final_host, _)) = answered.last() else {
        return;
    };
    if *final_host == host {
        return;
    }
    let Some((_, own)) = answered.iter().rev().find(|(h, _)| *h == host) else {
        return;
    };
    let covered =
        effective(last).is_some_and(|h| h.include_subdomains && host_is_under(&host, final_host));
    if covered {
        return;
    }
    if let Some(problem) = judge(own, min_max_age) {
        let detail = format!(
            "https://{host}/ redirects to https://{final_host}/ and browsers learn HSTS per \
             host: for {host} itself, {}",
            problem.detail
        );
        out.push(Finding::new(problem.id, problem.severity, detail));
    }
}

/// What is wrong with the HSTS of one response, if anything.
fn judge(response: &HttpResponse, min_max_age: u64) -> Option<Finding> {
    let missing =
        |detail: String| Finding::new(FindingId::HeaderHstsMissing, Severity::High, detail);
    let values: Vec<&str> = response.header_values(HEADER).collect();
    let value = match values.as_slice() {
        [] => return Some(missing("no Strict-Transport-Security header".into())),
        [one] => *one,
        many => {
            // RFC 6797 lets browsers pick the first, but which one survives proxies and
            // caches is not reliable; the Observatory rejects duplicates too.
            return Some(missing(format!(
                "invalid: {} Strict-Transport-Security headers ({})",
                many.len(),
                excerpt(&many.join(" | "))
            )));
        }
    };
    match hsts::parse(value) {
        Err(e) => Some(missing(format!(
            "invalid: {e} (Strict-Transport-Security: {})",
            excerpt(value)
        ))),
        Ok(h) if h.max_age == 0 => Some(missing(
            "max-age=0 tells browsers to forget HSTS for this site".into(),
        )),
        Ok(h) if h.max_age < min_max_age => Some(Finding::new(
            FindingId::HeaderHstsShort,
            Severity::Medium,
            format!(
                "max-age={} is below the required {min_max_age} seconds",
                h.max_age
            ),
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{
        ctx, evidence_with_chains, evidence_with_https_headers, final_chain, response, the, with_id,
    };
    use crate::evidence::Evidence;
    use crate::finding::{Finding, FindingId, Severity};

    fn run_with(evidence: &Evidence, settings: &CheckSettings) -> Vec<Finding> {
        let mut out = Vec::new();
        super::super::check(evidence, None, &ctx(settings), &mut out);
        out
    }

    fn run(sts: &[&str]) -> Vec<Finding> {
        let headers: Vec<(&str, &str)> = sts
            .iter()
            .map(|v| ("strict-transport-security", *v))
            .collect();
        run_with(
            &evidence_with_https_headers(&headers),
            &CheckSettings::default(),
        )
    }

    fn missing_detail(sts: &[&str]) -> String {
        the(&run(sts), FindingId::HeaderHstsMissing).detail.clone()
    }

    #[test]
    fn one_year_or_more_passes_in_any_spelling() {
        for value in [
            "max-age=31536000",
            "Max-Age=\"63072000\"; includeSubDomains; preload",
            "max-age=31536000;",
        ] {
            let findings = run(&[value]);
            assert!(
                with_id(&findings, FindingId::HeaderHstsMissing).is_empty(),
                "{value}"
            );
            assert!(
                with_id(&findings, FindingId::HeaderHstsShort).is_empty(),
                "{value}"
            );
        }
    }

    #[test]
    fn an_absent_header_is_missing_with_high_severity() {
        let findings = run(&[]);
        let f = the(&findings, FindingId::HeaderHstsMissing);
        assert_eq!(f.severity, Severity::High);
        assert!(with_id(&findings, FindingId::HeaderHstsShort).is_empty());
    }

    #[test]
    fn a_short_max_age_is_reported_with_its_value() {
        let findings = run(&["max-age=15552000; includeSubDomains"]);
        let f = the(&findings, FindingId::HeaderHstsShort);
        assert!(f.detail.contains("max-age=15552000"), "{}", f.detail);
        assert!(with_id(&findings, FindingId::HeaderHstsMissing).is_empty());
    }

    #[test]
    fn the_threshold_comes_from_the_settings() {
        let settings = CheckSettings {
            hsts_min_max_age: 600,
            ..CheckSettings::default()
        };
        let evidence = evidence_with_https_headers(&[("strict-transport-security", "max-age=600")]);
        let findings = run_with(&evidence, &settings);
        assert!(with_id(&findings, FindingId::HeaderHstsShort).is_empty());
        assert!(with_id(&findings, FindingId::HeaderHstsMissing).is_empty());
        let evidence = evidence_with_https_headers(&[("strict-transport-security", "max-age=599")]);
        the(&run_with(&evidence, &settings), FindingId::HeaderHstsShort);
    }

    #[test]
    fn max_age_zero_counts_as_missing() {
        assert!(missing_detail(&["max-age=0; includeSubDomains"]).contains("max-age=0"));
        assert!(with_id(&run(&["max-age=0"]), FindingId::HeaderHstsShort).is_empty());
    }

    #[test]
    fn invalid_headers_count_as_missing_with_the_reason() {
        let d = missing_detail(&["max-age=31536000", "max-age=31536000"]);
        assert!(
            d.starts_with("invalid: 2 Strict-Transport-Security headers"),
            "{d}"
        );
        let d = missing_detail(&["max-age=31536000, max-age=31536000"]);
        assert!(
            d.starts_with("invalid: several comma-separated values"),
            "{d}"
        );
        let d = missing_detail(&["max-age=31536000; max-age=1"]);
        assert!(d.contains("appears more than once"), "{d}");
        let d = missing_detail(&["includeSubDomains; preload"]);
        assert!(d.starts_with("invalid: no max-age"), "{d}");
        let d = missing_detail(&["max-age=one-year"]);
        assert!(
            d.contains("(Strict-Transport-Security: max-age=one-year)"),
            "{d}"
        );
        assert!(missing_detail(&[""]).starts_with("invalid: empty value"));
    }

    #[test]
    fn a_header_sent_only_over_plain_http_does_not_count() {
        let sts = [("strict-transport-security", "max-age=31536000")];
        let evidence = evidence_with_chains(
            Some(final_chain("http", vec![response(&sts)])),
            Some(final_chain("https", vec![response(&[])])),
        );
        the(
            &run_with(&evidence, &CheckSettings::default()),
            FindingId::HeaderHstsMissing,
        );
    }
}
