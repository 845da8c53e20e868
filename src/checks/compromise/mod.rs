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
use crate::evidence::Evidence;
use crate::finding::Finding;
use crate::rules::PageRules;

pub(super) fn check(evidence: &Evidence, pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    if let Some(page) = &pages.primary {
        out.extend(spam::check(page, &rules.spam));
    }
    out.extend(blocklist::check(
        &evidence.host,
        pages.primary.as_ref(),
        &rules.blocklist,
    ));
}
