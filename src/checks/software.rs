//! `software.outdated` and `software.vulnerable_js`: software the page shows (generator
//! tag, version headers, script and stylesheet URLs) whose version falls in an
//! advisory of `checks/software.toml`.
//!
//! One finding per product, at the severity of its worst advisory, naming the version,
//! where it was seen and the CVE ids; JavaScript libraries are `software.vulnerable_js`,
//! CMSs, servers and languages `software.outdated`. Software seen without a version
//! proves nothing and is not reported.

use super::pages::Pages;
use crate::finding::{Finding, FindingId};
use crate::rules::PageRules;
use crate::rules::software::SoftwareKind;

pub(super) fn check(pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    let Some(page) = &pages.primary else { return };
    for detection in rules.software.detect(page) {
        let advisories = detection.advisories();
        let Some(severity) = advisories.iter().map(|a| a.info.severity).max() else {
            continue;
        };
        let Some(version) = &detection.version else {
            continue;
        };
        let id = match detection.software.kind {
            SoftwareKind::Js => FindingId::SoftwareVulnerableJs,
            _ => FindingId::SoftwareOutdated,
        };
        let reasons: Vec<String> = advisories
            .iter()
            .map(|a| {
                let cves = if a.cves.is_empty() {
                    String::new()
                } else {
                    format!(" {}", a.cves.join(", "))
                };
                format!(
                    "{} [{}{cves}]: {}",
                    a.affected_text, a.info.id, a.info.rationale
                )
            })
            .collect();
        out.push(Finding::new(
            id,
            severity,
            format!(
                "{} {version} (seen in {}): {}",
                detection.software.name,
                detection.seen_in,
                reasons.join("; ")
            ),
        ));
    }
}
