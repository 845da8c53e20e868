//! `compromise.blocklisted`: the site itself, or a host its page links to, frames or
//! loads from, is on a list of `checks/blocklist.toml`.

use crate::finding::{Finding, FindingId};
use crate::page::PageFacts;
use crate::page::text::excerpt;
use crate::rules::blocklist::Blocklist;
use crate::rules::url_host;

pub fn check(site: &str, page: Option<&PageFacts>, rules: &Blocklist) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some((info, domain)) = rules.listing(site) {
        out.push(Finding::new(
            FindingId::CompromiseBlocklisted,
            info.severity,
            format!(
                "the site is under {domain}, listed in `{}`: {}",
                info.id, info.rationale
            ),
        ));
    }
    let Some(page) = page else { return out };
    let references = page
        .links
        .iter()
        .map(|l| ("links to", l.url.as_str()))
        .chain(
            page.scripts
                .iter()
                .map(|r| ("loads a script from", r.url.as_str())),
        )
        .chain(page.frames.iter().map(|r| ("frames", r.url.as_str())))
        .chain(
            page.objects
                .iter()
                .chain(&page.media)
                .chain(&page.stylesheets)
                .map(|r| ("loads", r.url.as_str())),
        )
        .chain(
            page.meta_refresh
                .iter()
                .map(|u| ("redirects to", u.as_str())),
        )
        .chain(page.embedded_urls.iter().map(|u| ("loads", u.as_str())));
    let mut seen = Vec::new();
    for (how, url) in references {
        let Some(host) = url_host(url) else { continue };
        let Some((info, domain)) = rules.listing(&host) else {
            continue;
        };
        if seen.contains(&host) {
            continue;
        }
        out.push(Finding::new(
            FindingId::CompromiseBlocklisted,
            info.severity,
            format!(
                "the page {how} {}, under {domain} listed in `{}`",
                excerpt(url, 160),
                info.id
            ),
        ));
        seen.push(host);
    }
    out
}
