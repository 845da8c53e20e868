//! `cors.wildcard_credentials`: CORS that lets other sites read authenticated responses.
//!
//! The collector sends [`CORS_PROBE_ORIGIN`] as `Origin`. Echoing it (or allowing the
//! `null` origin of sandboxed documents) with `Access-Control-Allow-Credentials: true`
//! lets any site read what a logged-in visitor sees: high. `*` with credentials is
//! refused by browsers, so nothing leaks through it directly, but it shows the intent
//! to allow credentialed reads from anyone: medium.

use super::CORS_PROBE_ORIGIN;
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    // Browsers require exactly one header with exactly `true`.
    let credentials = response
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.trim_matches([' ', '\t']) == "true");
    if !credentials {
        return;
    }
    let Some(origin) = response
        .header("access-control-allow-origin")
        .map(|v| v.trim_matches([' ', '\t']))
    else {
        return;
    };
    let (severity, what) = match origin {
        "*" => (Severity::Medium, "Access-Control-Allow-Origin: *"),
        o if o == CORS_PROBE_ORIGIN => (
            Severity::High,
            "the probe Origin is reflected in Access-Control-Allow-Origin",
        ),
        "null" => (Severity::High, "Access-Control-Allow-Origin: null"),
        _ => return,
    };
    out.push(Finding::new(
        FindingId::CorsWildcardCredentials,
        severity,
        format!("{what} with Access-Control-Allow-Credentials: true"),
    ));
}

#[cfg(test)]
mod tests {
    use super::CORS_PROBE_ORIGIN;
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    fn with_credentials(origin: &str) -> Vec<Finding> {
        run(&[
            ("access-control-allow-origin", origin),
            ("access-control-allow-credentials", "true"),
        ])
    }

    #[test]
    fn a_reflected_probe_origin_with_credentials_is_high() {
        let findings = with_credentials(CORS_PROBE_ORIGIN);
        let f = the(&findings, FindingId::CorsWildcardCredentials);
        assert_eq!(f.severity, Severity::High);
        assert!(f.detail.contains("reflected"), "{}", f.detail);
        assert_eq!(
            the(
                &with_credentials("null"),
                FindingId::CorsWildcardCredentials
            )
            .severity,
            Severity::High
        );
    }

    #[test]
    fn a_wildcard_with_credentials_is_medium() {
        let findings = with_credentials(" * ");
        assert_eq!(
            the(&findings, FindingId::CorsWildcardCredentials).severity,
            Severity::Medium
        );
    }

    #[test]
    fn safe_cors_configurations_pass() {
        let cases: [&[(&str, &str)]; 5] = [
            &[("access-control-allow-origin", "*")],
            &[("access-control-allow-origin", CORS_PROBE_ORIGIN)],
            &[
                ("access-control-allow-origin", "https://partner.example"),
                ("access-control-allow-credentials", "true"),
            ],
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-credentials", "TRUE"),
            ],
            &[
                ("access-control-allow-origin", CORS_PROBE_ORIGIN),
                ("access-control-allow-origin", "https://partner.example"),
                ("access-control-allow-credentials", "true"),
            ],
        ];
        for headers in cases {
            assert!(
                with_id(&run(headers), FindingId::CorsWildcardCredentials).is_empty(),
                "{headers:?}"
            );
        }
    }
}
