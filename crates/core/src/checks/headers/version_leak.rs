//! `header.version_leak`: software versions announced in response headers.
//!
//! A version lets anyone match the site against vulnerability databases without
//! probing. A bare product name ("nginx", "cloudflare") is fine; what counts is a
//! number standing as a version: after `/`, a space or `(` (`Apache/2.4.41`,
//! `Drupal 9`), or dotted (`4.0.30319`). Digits glued to letters (`AmazonS3`,
//! `ECS (dcb/7F84)` node ids, host names like `mw1234.eqiad`) are not versions.

use super::excerpt;
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};

const HEADERS: [&str; 5] = [
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-generator",
];

pub(super) fn check(response: &HttpResponse, out: &mut Vec<Finding>) {
    let leaks: Vec<String> = HEADERS
        .iter()
        .flat_map(|name| {
            response
                .header_values(name)
                .filter(|v| contains_version(v))
                .map(move |v| format!("{name}: {}", excerpt(v)))
        })
        .collect();
    if !leaks.is_empty() {
        out.push(Finding::new(
            FindingId::HeaderVersionLeak,
            Severity::Low,
            leaks.join("; "),
        ));
    }
}

/// Whether the text holds a number that reads as a version (see module docs).
fn contains_version(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = skip_digits(b, i);
        let mut dotted = false;
        while b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end = skip_digits(b, end + 1);
            dotted = true;
        }
        let ends_cleanly = b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
        if ends_cleanly && starts_cleanly(b, start, dotted) {
            return true;
        }
        i = end;
    }
    false
}

fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// What may precede a version: nothing, a separator, or `v` after one (`v1.2`);
/// `-`/`_` only before a dotted number (`nginx-1.18.0`), as they also join ids.
fn starts_cleanly(b: &[u8], start: usize, dotted: bool) -> bool {
    let separator = |i: Option<usize>| match i.map(|i| b[i]) {
        None => true,
        Some(c) => b" \t/(,;=".contains(&c),
    };
    let before = start.checked_sub(1);
    match before.map(|i| b[i]) {
        Some(b'v' | b'V') => separator(start.checked_sub(2)),
        Some(b'-' | b'_') => dotted,
        _ => separator(before),
    }
}

#[cfg(test)]
mod tests {
    use super::contains_version;
    use crate::checks::test_support::{the, with_id};
    use crate::finding::{Finding, FindingId, Severity};

    fn run(headers: &[(&str, &str)]) -> Vec<Finding> {
        super::super::run_on_headers(headers)
    }

    #[test]
    fn versions_are_recognised() {
        for value in [
            "Apache/2.4.41 (Ubuntu)",
            "PHP/7.4.3",
            "nginx/1.18.0",
            "Microsoft-IIS/10.0",
            "PHP/8",
            "4.0.30319",
            "5.2",
            "Drupal 9 (https://www.drupal.org)",
            "WordPress 6.4.2",
            "Jetty(9.4.z-SNAPSHOT)",
            "openresty v1.21",
            "nginx-1.18.0",
        ] {
            assert!(contains_version(value), "{value}");
        }
    }

    #[test]
    fn product_names_and_ids_are_not_versions() {
        for value in [
            "nginx",
            "cloudflare",
            "Apache",
            "AmazonS3",
            "ECS (dcb/7F84)",
            "ECAcc (nyd/D144)",
            "mw1234.eqiad.wmnet",
            "HTTPServer2",
            "ip-10-0-0-1",
            "",
            "ünïcode/ß",
        ] {
            assert!(!contains_version(value), "{value}");
        }
    }

    #[test]
    fn leaks_from_every_listed_header_are_named_in_one_finding() {
        let findings = run(&[
            ("server", "Apache/2.4.41 (Ubuntu)"),
            ("x-powered-by", "PHP/7.4.3"),
            ("x-aspnet-version", "4.0.30319"),
            ("x-generator", "Drupal 9 (https://www.drupal.org)"),
            ("x-other", "Thing/1.0"),
        ]);
        let f = the(&findings, FindingId::HeaderVersionLeak);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            f.detail,
            "server: Apache/2.4.41 (Ubuntu); x-powered-by: PHP/7.4.3; \
             x-aspnet-version: 4.0.30319; x-generator: Drupal 9 (https://www.drupal.org)"
        );
    }

    #[test]
    fn bare_product_names_pass() {
        let findings = run(&[
            ("server", "nginx"),
            ("x-powered-by", "Express"),
            ("server", "cloudflare"),
        ]);
        assert!(with_id(&findings, FindingId::HeaderVersionLeak).is_empty());
    }
}
