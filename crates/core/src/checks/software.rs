//! Software the page shows (generator tag, version headers, page title, script and
//! stylesheet URLs) whose version falls in an advisory of `checks/software.toml` or of
//! an advisory feed (`checks/feeds/`):
//!
//! - `software.outdated` / `software.vulnerable_js`: any advisory, one finding per
//!   product at the severity of its worst advisory (JavaScript libraries are the
//!   latter);
//! - `software.vulnerable`: an advisory of high or critical severity with a fixed
//!   version to upgrade to; the label policy blocks on it;
//! - `software.known_exploited`: an advisory naming a CVE of the Known Exploited
//!   Vulnerabilities catalog in force; always critical.
//!
//! Each detail names the version, how it was seen (the evidence and its confidence) and
//! per advisory its CVE ids and fixed version, which the owner page shows as they are.
//! Software seen without a version proves nothing and is not reported.

use super::pages::Pages;
use crate::finding::{Finding, FindingId, Severity};
use crate::rules::PageRules;
use crate::rules::software::{Advisory, Detection, SoftwareKind};
use crate::rules::version::Version;

pub(super) fn check(pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    let Some(page) = &pages.primary else { return };
    for detection in rules.software.detect(page) {
        let Some(version) = &detection.version else {
            continue;
        };
        let advisories = detection.advisories();
        let Some(severity) = advisories.iter().map(|a| a.info.severity).max() else {
            continue;
        };
        let id = match detection.software.kind {
            SoftwareKind::Js => FindingId::SoftwareVulnerableJs,
            _ => FindingId::SoftwareOutdated,
        };
        out.push(Finding::new(
            id,
            severity,
            detail(&detection, version, &advisories),
        ));
        let serious: Vec<&Advisory> = advisories
            .iter()
            .copied()
            .filter(|a| a.serious_with_fix())
            .collect();
        if let Some(severity) = serious.iter().map(|a| a.info.severity).max() {
            out.push(Finding::new(
                FindingId::SoftwareVulnerable,
                severity,
                detail(&detection, version, &serious),
            ));
        }
        let exploited: Vec<&Advisory> = advisories
            .iter()
            .copied()
            .filter(|a| a.known_exploited)
            .collect();
        if !exploited.is_empty() {
            out.push(Finding::new(
                FindingId::SoftwareKnownExploited,
                Severity::Critical,
                detail(&detection, version, &exploited),
            ));
        }
    }
}

/// One line for the sighting, then one indented line per advisory led by its CVE id
/// (the owner page lists them, the CVE set apart):
///
/// ```text
/// WordPress 4.7.2 (seen in generator: WordPress 4.7.2; meta generator, confidence high)
///   CVE-2022-21661: high; fixed in 5.8.3; affects <5.8.3; SQL injection… [TL-…, osv.json]
/// ```
fn detail(detection: &Detection<'_>, version: &Version, advisories: &[&Advisory]) -> String {
    let mut out = format!(
        "{} {version} (seen in {}; {}, confidence {})",
        detection.name(),
        detection.seen_in.replace('\n', " "),
        detection.evidence.as_str(),
        detection.confidence().as_str(),
    );
    for a in advisories {
        let (lead, also) = match a.cves.split_first() {
            Some((first, rest)) => (first.as_str(), rest),
            None => (a.info.id.as_str(), &[][..]),
        };
        let mut facts = vec![a.info.severity.as_str().to_string()];
        if let Some(fixed) = &a.fixed {
            facts.push(format!("fixed in {fixed}"));
        }
        if a.known_exploited {
            facts.push("known exploited (CISA KEV)".to_string());
        }
        facts.push(format!("affects {}", a.affected_text));
        if !also.is_empty() {
            facts.push(format!("also {}", also.join(", ")));
        }
        out.push_str(&format!(
            "\n  {lead}: {}; {} [{}, {}]",
            facts.join("; "),
            a.info.rationale.replace('\n', " "),
            a.info.id,
            a.source
        ));
    }
    out
}

#[cfg(test)]
mod tests;
