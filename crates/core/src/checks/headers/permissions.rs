//! `header.permissions.missing`: no Permissions-Policy (nor its predecessor
//! Feature-Policy). Informational: it limits what embedded third parties may use
//! (camera, geolocation...), a hardening measure rather than a vulnerability.

use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    let present = ["permissions-policy", "feature-policy"].iter().any(|name| {
        response
            .header_values(name)
            .any(|v| !v.trim_matches([' ', '\t']).is_empty())
    });
    if !present {
        out.push(Finding::new(
            FindingId::HeaderPermissionsMissing,
            Severity::Info,
            "no Permissions-Policy header",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    #[test]
    fn either_header_with_content_satisfies_it() {
        for headers in [
            [("permissions-policy", "camera=(), geolocation=()")],
            [("feature-policy", "camera 'none'")],
        ] {
            assert!(with_id(&run(&headers), FindingId::HeaderPermissionsMissing).is_empty());
        }
    }

    #[test]
    fn absent_or_blank_is_reported_as_info() {
        for headers in [&[][..], &[("permissions-policy", "  ")]] {
            let findings = run(headers);
            assert_eq!(
                the(&findings, FindingId::HeaderPermissionsMissing).severity,
                Severity::Info
            );
        }
    }
}
