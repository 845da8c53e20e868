//! Disclosure: `/.well-known/security.txt` (RFC 9116), how a finder of a vulnerability
//! reaches the site's owner.
//!
//! The answer the collector recorded is judged here: where it came from (the host itself
//! over https, a redirect elsewhere), its `Content-Type`, then the file's own rules
//! ([`parse::security_txt`]). Nothing fires when the file was not fetched or the fetch
//! failed (a timeout says nothing about the file); a valid file is a strength. These are
//! informational for the label: low or info severity, never blocking.

use super::parse::security_txt::{self, Problem};
use crate::evidence::{ChainEnd, Evidence, FetchChain, HttpResponse, SECURITY_TXT_CAP};
use crate::finding::{Finding, FindingId, Severity};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(super) fn check(evidence: &Evidence, now: OffsetDateTime, findings: &mut Vec<Finding>) {
    let Some(chain) = &evidence.security_txt else {
        return;
    };
    let Some(first) = chain.hops.first() else {
        return;
    };
    let asked = first.url.as_str();
    let missing = |why: String| {
        Finding::new(
            FindingId::SecurityTxtMissing,
            Severity::Info,
            format!("{asked}: {why}"),
        )
    };
    match &chain.end {
        ChainEnd::Final => {}
        ChainEnd::Offsite { location } if location.starts_with("http:") => {
            findings.push(Finding::new(
                FindingId::SecurityTxtInvalid,
                Severity::Low,
                format!(
                    "{asked}: redirects to {location}, plain http (RFC 9116 §3: the file must be \
                     fetched over https; the redirect was not followed)"
                ),
            ));
            return;
        }
        ChainEnd::Offsite { location } => {
            findings.push(missing(format!(
                "redirects to {location} on another host; such a redirect is recorded, not \
                 followed (RFC 9116 §3 and §6.5: a file speaks for the host it is fetched from, \
                 and a redirect elsewhere needs a person to check it)"
            )));
            return;
        }
        ChainEnd::TooManyRedirects { limit } => {
            findings.push(missing(format!("more than {limit} redirects")));
            return;
        }
        ChainEnd::Loop { url } => {
            findings.push(missing(format!("redirect loop at {url}")));
            return;
        }
        ChainEnd::BadLocation { location } => {
            findings.push(missing(format!(
                "redirect to an unusable location `{location}`"
            )));
            return;
        }
        // A failure or a refusal says nothing about the file: unknown, not missing.
        _ => return,
    }
    let Some(response) = chain.final_response() else {
        return;
    };
    if response.body.timed_out {
        return;
    }
    if response.status != 200 {
        findings.push(missing(format!("HTTP {}", response.status)));
        return;
    }
    let content_type = response.header("content-type");
    if looks_like_html(content_type, &response.body.bytes) {
        findings.push(missing(
            "answered with an HTML page (the site's answer to any path), not a security.txt".into(),
        ));
        return;
    }
    judge_file(chain, response, content_type, now, findings);
}

fn judge_file(
    chain: &FetchChain,
    response: &HttpResponse,
    content_type: Option<&str>,
    now: OffsetDateTime,
    findings: &mut Vec<Finding>,
) {
    let fetched: Vec<&str> = chain.hops.iter().map(|h| h.url.as_str()).collect();
    let url = fetched.last().copied().unwrap_or_default();
    let file = security_txt::parse(&response.body.bytes);
    let judgement = file.judge(now, &fetched);
    let truncated = file.truncated || response.body.truncated;
    let mut problems: Vec<String> = content_type_problem(response, content_type)
        .into_iter()
        .collect();
    problems.extend(judgement.problems.iter().map(Problem::to_string));
    if !problems.is_empty() {
        if truncated {
            problems.push(format!(
                "only the first {} KiB were read",
                SECURITY_TXT_CAP / 1024
            ));
        }
        findings.push(Finding::new(
            FindingId::SecurityTxtInvalid,
            Severity::Low,
            format!("{url}: {}", problems.join("; ")),
        ));
    }
    let expires = judgement.expires.and_then(|at| at.format(&Rfc3339).ok());
    let scan_time = now.format(&Rfc3339).unwrap_or_default();
    if let (true, Some(expires)) = (judgement.expired, &expires) {
        findings.push(Finding::new(
            FindingId::SecurityTxtExpired,
            Severity::Low,
            format!("{url}: Expires {expires} is not after the scan time {scan_time}"),
        ));
    }
    if let (true, Some(expires)) = (judgement.expires_far, &expires) {
        findings.push(Finding::new(
            FindingId::SecurityTxtExpiresFar,
            Severity::Info,
            format!(
                "{url}: Expires {expires} is more than a year after the scan time {scan_time} \
                 (RFC 9116 §2.5.5 recommends less, so stale contacts do not linger)"
            ),
        ));
    }
    if let Some(canonical) = &judgement.canonical_mismatch {
        findings.push(Finding::new(
            FindingId::SecurityTxtCanonicalMismatch,
            Severity::Low,
            format!(
                "{url}: Canonical lists {} but not this URL, so RFC 9116 §2.5.2 says its \
                 contents should not be trusted",
                canonical.join(", ")
            ),
        ));
    }
    if problems.is_empty() && !judgement.expired && judgement.canonical_mismatch.is_none() {
        let signed = if file.signed {
            "; wrapped in an OpenPGP cleartext signature, which was not verified (the \
             scanner holds no key to check it against)"
        } else {
            ""
        };
        findings.push(Finding::new(
            FindingId::SecurityTxtPublished,
            Severity::Info,
            format!(
                "{url}: Contact {}; Expires {}{signed}",
                judgement.contacts.join(", "),
                expires.unwrap_or_default()
            ),
        ));
    }
}

/// RFC 9116 §3: `text/plain` with `charset=utf-8`.
fn content_type_problem(response: &HttpResponse, content_type: Option<&str>) -> Option<String> {
    let values: Vec<&str> = response.header_values("content-type").collect();
    let Some(value) = content_type else {
        return Some(if values.is_empty() {
            "no Content-Type (text/plain; charset=utf-8 is required)".to_string()
        } else {
            format!(
                "{} Content-Type headers (one, text/plain; charset=utf-8, is required)",
                values.len()
            )
        });
    };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim();
    let charset = parts.find_map(|p| {
        let (name, v) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    });
    let media_ok = media.eq_ignore_ascii_case("text/plain");
    let charset_ok = charset.is_some_and(|c| c.eq_ignore_ascii_case("utf-8"));
    (!media_ok || !charset_ok)
        .then(|| format!("Content-Type `{value}` (text/plain; charset=utf-8 is required)"))
}

/// A page, not a text file: an HTML media type, or a body that opens with markup.
fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    let html_type = content_type.is_some_and(|t| {
        let media = t.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("text/html")
            || media.eq_ignore_ascii_case("application/xhtml+xml")
    });
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    let markup = start.starts_with(b"<!doctype")
        || start.starts_with(b"<html")
        || start.starts_with(b"<head");
    markup || (html_type && !body.windows(8).any(|w| w.eq_ignore_ascii_case(b"contact:")))
}

#[cfg(test)]
mod tests;
