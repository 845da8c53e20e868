//! `header.coop.*`, `header.coep.*`, `header.corp.*`: the cross-origin isolation headers,
//! graded as the HTTP Observatory v2 grades them and read as browsers read them.
//!
//! - Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy are structured-field
//!   tokens (HTML §7.1.3.2 "obtain a cross-origin opener policy", §7.1.4 "obtain an
//!   embedder policy"): parameters such as `report-to` are allowed, tokens are
//!   case-sensitive, and a value that is not one Item — two header lines included —
//!   is ignored, so the browser applies `unsafe-none`.
//! - Cross-Origin-Resource-Policy (Fetch §3.7) is compared byte for byte with
//!   `same-origin`, `same-site` and `cross-origin` after combining every line; anything
//!   else is ignored (`cross-origin` behaviour). Unlike the Observatory, a `<meta
//!   http-equiv>` CORP counts for nothing: it is no HTML pragma, so browsers ignore it.
//!
//! A value browsers ignore is `*.invalid` (the Observatory's -5); a value that
//! restricts (COOP `same-origin`, `same-origin-allow-popups`, `noopener-allow-popups`;
//! COEP `require-corp`, `credentialless`; CORP `same-origin`, `same-site`) is the
//! strength `*.protective` (its +10); `unsafe-none`, `cross-origin` and absence are the
//! defaults and report nothing.

use super::excerpt;
use crate::checks::parse::structured;
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

struct Header {
    name: &'static str,
    shown: &'static str,
    protective: &'static [&'static str],
    default: &'static str,
    invalid: FindingId,
    strength: FindingId,
    /// A structured-field token (COOP, COEP) or a plain exact value (CORP).
    structured: bool,
}

const HEADERS: [Header; 3] = [
    Header {
        name: "cross-origin-opener-policy",
        shown: "Cross-Origin-Opener-Policy",
        protective: &[
            "same-origin",
            "same-origin-allow-popups",
            "noopener-allow-popups",
        ],
        default: "unsafe-none",
        invalid: FindingId::HeaderCoopInvalid,
        strength: FindingId::HeaderCoopProtective,
        structured: true,
    },
    Header {
        name: "cross-origin-embedder-policy",
        shown: "Cross-Origin-Embedder-Policy",
        protective: &["require-corp", "credentialless"],
        default: "unsafe-none",
        invalid: FindingId::HeaderCoepInvalid,
        strength: FindingId::HeaderCoepProtective,
        structured: true,
    },
    Header {
        name: "cross-origin-resource-policy",
        shown: "Cross-Origin-Resource-Policy",
        protective: &["same-origin", "same-site"],
        default: "cross-origin",
        invalid: FindingId::HeaderCorpInvalid,
        strength: FindingId::HeaderCorpProtective,
        structured: false,
    },
];

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    for header in &HEADERS {
        let lines: Vec<&str> = response.header_values(header.name).collect();
        if lines.iter().all(|l| l.trim_matches([' ', '\t']).is_empty()) {
            // Nothing said: the default applies, as with no header at all.
            continue;
        }
        let value = if header.structured {
            structured::parse_header(lines.iter().copied())
                .and_then(|item| item.token().map(str::to_string))
        } else {
            let trimmed: Vec<&str> = lines.iter().map(|l| l.trim_matches([' ', '\t'])).collect();
            Some(trimmed.join(", "))
        };
        let shown = excerpt(&lines.join(", "));
        match value.as_deref() {
            Some(v) if header.protective.contains(&v) => out.push(Finding::new(
                header.strength,
                Severity::Info,
                format!("{}: {shown}", header.shown),
            )),
            Some(v) if v == header.default => {}
            _ => {
                let why = if lines.len() > 1 {
                    format!("{} header lines", lines.len())
                } else if header.structured {
                    "not one of its tokens (case-sensitive, optionally with parameters)".into()
                } else {
                    "not exactly same-origin, same-site or cross-origin (case-sensitive)".into()
                };
                out.push(Finding::new(
                    header.invalid,
                    Severity::Low,
                    format!(
                        "{}: {shown} is ignored by browsers ({why}), so they apply {}",
                        header.shown, header.default
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    fn ids(headers: &[(&str, &str)]) -> Vec<FindingId> {
        run(headers)
            .into_iter()
            .map(|f| f.id)
            .filter(|id| {
                matches!(
                    id,
                    FindingId::HeaderCoopInvalid
                        | FindingId::HeaderCoopProtective
                        | FindingId::HeaderCoepInvalid
                        | FindingId::HeaderCoepProtective
                        | FindingId::HeaderCorpInvalid
                        | FindingId::HeaderCorpProtective
                )
            })
            .collect()
    }

    #[test]
    fn restrictive_values_are_strengths() {
        for (header, value, id) in [
            (
                "cross-origin-opener-policy",
                "same-origin",
                FindingId::HeaderCoopProtective,
            ),
            (
                "cross-origin-opener-policy",
                "same-origin-allow-popups; report-to=\"r\"",
                FindingId::HeaderCoopProtective,
            ),
            (
                "cross-origin-opener-policy",
                "noopener-allow-popups",
                FindingId::HeaderCoopProtective,
            ),
            (
                "cross-origin-embedder-policy",
                "require-corp",
                FindingId::HeaderCoepProtective,
            ),
            (
                "cross-origin-embedder-policy",
                " credentialless ",
                FindingId::HeaderCoepProtective,
            ),
            (
                "cross-origin-resource-policy",
                "same-origin",
                FindingId::HeaderCorpProtective,
            ),
            (
                "cross-origin-resource-policy",
                "same-site",
                FindingId::HeaderCorpProtective,
            ),
        ] {
            assert_eq!(ids(&[(header, value)]), [id], "{header}: {value}");
            assert_eq!(the(&run(&[(header, value)]), id).severity, Severity::Info);
        }
    }

    #[test]
    fn defaults_and_absence_report_nothing() {
        assert_eq!(ids(&[]), []);
        for (header, value) in [
            ("cross-origin-opener-policy", "unsafe-none"),
            (
                "cross-origin-embedder-policy",
                "unsafe-none; report-to=\"e\"",
            ),
            ("cross-origin-resource-policy", "cross-origin"),
            ("cross-origin-opener-policy-report-only", "garbage"),
            ("cross-origin-embedder-policy", " "),
        ] {
            assert_eq!(ids(&[(header, value)]), [], "{header}: {value}");
        }
    }

    #[test]
    fn values_browsers_ignore_are_invalid() {
        for (header, value, id) in [
            (
                "cross-origin-opener-policy",
                "Same-Origin",
                FindingId::HeaderCoopInvalid,
            ),
            (
                "cross-origin-opener-policy",
                "\"same-origin\"",
                FindingId::HeaderCoopInvalid,
            ),
            (
                "cross-origin-opener-policy",
                "same-origin;",
                FindingId::HeaderCoopInvalid,
            ),
            (
                "cross-origin-opener-policy",
                "deny",
                FindingId::HeaderCoopInvalid,
            ),
            (
                "cross-origin-embedder-policy",
                "require-corp, credentialless",
                FindingId::HeaderCoepInvalid,
            ),
            (
                "cross-origin-resource-policy",
                "Same-Origin",
                FindingId::HeaderCorpInvalid,
            ),
            (
                "cross-origin-resource-policy",
                "same-origin; x",
                FindingId::HeaderCorpInvalid,
            ),
        ] {
            let findings = run(&[(header, value)]);
            assert_eq!(ids(&[(header, value)]), [id], "{header}: {value}");
            assert!(
                the(&findings, id).detail.contains("ignored by browsers"),
                "{header}: {value}"
            );
        }
    }

    #[test]
    fn two_header_lines_are_invalid_even_when_equal() {
        for header in [
            "cross-origin-opener-policy",
            "cross-origin-embedder-policy",
            "cross-origin-resource-policy",
        ] {
            let value = if header.ends_with("embedder-policy") {
                "require-corp"
            } else {
                "same-origin"
            };
            let findings = run(&[(header, value), (header, value)]);
            let invalid: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.detail.contains("2 header lines"))
                .collect();
            assert_eq!(invalid.len(), 1, "{header}: {findings:?}");
            assert!(with_id(&findings, FindingId::HeaderCoopProtective).is_empty());
        }
    }
}
