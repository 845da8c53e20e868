//! Checks: pure functions from evidence to findings.
//!
//! No I/O and no clock: the scan time is passed in through [`CheckContext`], so the same
//! stored evidence always yields the same findings for the same `now`.

use crate::cookie_rules::CookieRules;
use crate::evidence::Evidence;
use crate::exposures::ExposureRules;
use crate::finding::Finding;
use crate::page::AnalysedPages;
use crate::rulefile::{RuleFileError, RuleText};
use crate::rules::PageRules;
use std::sync::Arc;
use time::OffsetDateTime;

mod blocked;
mod certificate;
pub mod compromise;
mod content;
mod cookies;
mod disclosure;
pub mod dns;
mod exposure;
mod headers;
mod legacy_tls;
mod mail;
mod pages;
pub mod parse;
mod privacy;
mod reachability;
mod software;
#[cfg(test)]
pub(crate) mod test_support;
mod tls_vuln;
mod transport;

pub use privacy::notice_incomplete;

/// Thresholds the checks use; defaults follow the label policy (HSTS of one year).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSettings {
    /// HSTS max-age below this (seconds) is `header.hsts.short`.
    pub hsts_min_max_age: u64,
    /// A certificate expiring within this many days is `cert.expiring_soon`.
    pub expiring_soon_days: i64,
    /// RSA/DSA keys below this many bits are `cert.weak_key`.
    pub min_rsa_bits: u32,
    /// EC keys below this many bits are `cert.weak_key`.
    pub min_ec_bits: u32,
    /// An advisory feed dated more than this many days before the scan is named in the
    /// verdict.
    pub feed_max_age_days: i64,
}

impl CheckSettings {
    /// The `[checks]` table of the policy file (defaults where it says nothing): the
    /// label policy sets these thresholds, the checks apply them.
    pub fn from_policy_file(file: &RuleText<'_>) -> Result<CheckSettings, RuleFileError> {
        #[derive(serde::Deserialize)]
        struct OnlyChecks {
            #[serde(default)]
            checks: CheckSettings,
        }
        file.parse::<OnlyChecks>().map(|f| f.checks)
    }
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            hsts_min_max_age: 31_536_000,
            expiring_soon_days: 30,
            min_rsa_bits: 2048,
            min_ec_bits: 256,
            feed_max_age_days: 30,
        }
    }
}

/// Everything a check may depend on besides the evidence.
#[derive(Debug, Clone)]
pub struct CheckContext<'a> {
    pub now: OffsetDateTime,
    pub settings: &'a CheckSettings,
    /// Rule files of the page checks (privacy, trackers, software, spam, blocklist).
    pub page_rules: &'a PageRules,
    /// Cookies whose role is known by name (`cookies.toml`).
    pub cookie_rules: &'a CookieRules,
    /// The exposure rules in force: the same set the collector probed with.
    pub exposures: Arc<ExposureRules>,
}

/// Runs every check over one site's evidence. Findings come out sorted by id so that
/// stored results and reports are deterministic.
pub fn run_all(evidence: &Evidence, ctx: &CheckContext<'_>) -> Vec<Finding> {
    run_all_with(evidence, ctx, AnalysedPages::default())
}

/// [`run_all`] reusing the pages the collector analysed from this same evidence.
pub fn run_all_with(
    evidence: &Evidence,
    ctx: &CheckContext<'_>,
    analysed: AnalysedPages,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    reachability::check(evidence, &mut findings);
    let blocked = blocked::check(evidence, ctx.page_rules, &mut findings);
    transport::check(evidence, &mut findings);
    legacy_tls::check(evidence, &mut findings);
    tls_vuln::check(evidence, &mut findings);
    certificate::check(evidence, ctx, &mut findings);
    let pages = pages::Pages::from_evidence(evidence, ctx.page_rules, analysed);
    headers::check(evidence, pages.secure(), ctx, &mut findings);
    cookies::check(evidence, &pages, ctx.cookie_rules, &mut findings);
    exposure::check(evidence, &ctx.exposures, &mut findings);
    if !blocked {
        // A firewall's page is not the site's: its notice, content, software and
        // security.txt are unknown, not missing.
        privacy::check(&pages, ctx.page_rules, ctx.now, &mut findings);
        content::check(&pages, ctx.page_rules, &mut findings);
        software::check(&pages, ctx.page_rules, &mut findings);
        disclosure::check(evidence, ctx.now, &mut findings);
    }
    compromise::check(evidence, &pages, ctx.page_rules, &mut findings);
    dns::check(evidence, &mut findings);
    mail::check(evidence, &mut findings);
    findings.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.detail.cmp(&b.detail)));
    findings.dedup();
    findings
}

/// The response whose headers represent the site: the final answer of the https chain,
/// or its last answer when the chain stopped early (a redirect off-site, a loop).
/// `None` when nothing was fetched over verified HTTPS.
pub fn primary_response(evidence: &Evidence) -> Option<&crate::evidence::HttpResponse> {
    evidence.https.as_ref().and_then(|c| c.last_response())
}
