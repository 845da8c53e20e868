//! `header.xcto.missing`: `X-Content-Type-Options: nosniff`.
//!
//! Every value must be `nosniff` (case-insensitive): repeated `nosniff` lines are
//! fine, anything else alongside is reported even where browsers read only the first
//! value, because such a header shows the setting is not under control.

use super::excerpt;
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

const HEADER: &str = "x-content-type-options";

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    let raw: Vec<&str> = response.header_values(HEADER).collect();
    let all_nosniff = !raw.is_empty()
        && raw
            .iter()
            .flat_map(|v| v.split(','))
            .all(|v| v.trim_matches([' ', '\t']).eq_ignore_ascii_case("nosniff"));
    if all_nosniff {
        return;
    }
    let detail = if raw.is_empty() {
        "no X-Content-Type-Options header".to_string()
    } else {
        format!(
            "X-Content-Type-Options is `{}`, not `nosniff`",
            excerpt(&raw.join(", "))
        )
    };
    out.push(Finding::new(
        FindingId::HeaderXctoMissing,
        Severity::Low,
        detail,
    ));
}

#[cfg(test)]
mod tests {
    use crate::checks::CheckSettings;
    use crate::checks::test_support::{ctx, evidence_with_https_headers, the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(values: &[&str]) -> Vec<Finding> {
        let headers: Vec<(&str, &str)> = values
            .iter()
            .map(|v| ("x-content-type-options", *v))
            .collect();
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

    #[test]
    fn nosniff_passes_in_any_case_and_repeated() {
        for values in [
            &["nosniff"][..],
            &["NoSniff "],
            &["nosniff", "nosniff"],
            &["nosniff, nosniff"],
        ] {
            assert!(
                with_id(&run(values), FindingId::HeaderXctoMissing).is_empty(),
                "{values:?}"
            );
        }
    }

    #[test]
    fn absence_is_reported_low() {
        let findings = run(&[]);
        let f = the(&findings, FindingId::HeaderXctoMissing);
        assert_eq!(
            (f.severity, f.detail.as_str()),
            (Severity::Low, "no X-Content-Type-Options header")
        );
    }

    #[test]
    fn other_values_are_reported_with_the_value() {
        for values in [
            &["sniff"][..],
            &[""],
            &["nosniff;"],
            &["nosniff, off"],
            &["nosniff", "none"],
        ] {
            let findings = run(values);
            let f = the(&findings, FindingId::HeaderXctoMissing);
            assert!(
                f.detail.starts_with("X-Content-Type-Options is `"),
                "{values:?}: {}",
                f.detail
            );
        }
    }
}
