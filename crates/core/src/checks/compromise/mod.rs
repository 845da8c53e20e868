//! Compromise findings: signs that the site has been hacked or is abused.
//!
//! - `compromise.spam_injection`: gambling spam in the page ([`spam`]).
//! - `compromise.cloaking`: a crawler sees spam or a redirect a browser does not
//!   ([`cloaking`], fed by the collector's crawler-UA fetches).
//! - `compromise.blocklisted`: the site, or something it links to or loads, is on the
//!   configured blocklist ([`blocklist`]).

pub mod blocklist;
pub mod cloaking;
pub mod spam;

use super::pages::Pages;
use crate::evidence::{CrawlerKind, Evidence};
use crate::finding::Finding;
use crate::rules::PageRules;

pub(super) fn check(evidence: &Evidence, pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    // The home page is scored once, for spam_injection and as the cloaking baseline.
    let primary_spam = pages.primary.as_ref().map(|page| {
        let assessment = spam::assess(page, &rules.spam);
        out.extend(spam::finding(&assessment, &rules.spam));
        assessment.is_spam(&rules.spam)
    });
    out.extend(blocklist::check(
        &evidence.host,
        pages.primary.as_ref(),
        &rules.blocklist,
    ));
    // The crawler views fetched the home page of the chain that carries content.
    if let Some(browser) = evidence.https.as_ref().or(evidence.http.as_ref()) {
        for view in &evidence.crawler_views {
            let label = match view.kind {
                CrawlerKind::Googlebot => "Googlebot",
                CrawlerKind::SearchReferrer => "search-result visitor",
            };
            out.extend(cloaking::check_view(
                browser,
                pages.page_of(browser).zip(primary_spam),
                label,
                &view.chain,
                &rules.spam,
            ));
        }
    }
}
