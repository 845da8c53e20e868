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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{html_page, page_rules};
    use crate::finding::Severity;
    use crate::page::{PageLimits, analyse_page};

    fn facts(body: &str) -> PageFacts {
        analyse_page(
            "https://so.example.gov.vn/",
            &html_page(body.as_bytes(), &[]),
            &PageLimits::default(),
        )
    }

    #[test]
    fn a_listed_site_or_a_listed_reference_is_reported_once_per_host() {
        let rules = page_rules();
        let f = check("cdn.malware-drop.example", None, &rules.blocklist);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        let page = facts(
            "<a href='https://seo-backlink-network.example/a'>a</a>\
             <a href='https://seo-backlink-network.example/b'>b</a>\
             <script src='https://malware-drop.example/x.js'></script>",
        );
        let f = check("so.example.gov.vn", Some(&page), &rules.blocklist);
        let details: Vec<&str> = f.iter().map(|f| f.detail.as_str()).collect();
        assert_eq!(f.len(), 2, "{details:?}");
        assert!(details[0].starts_with("the page links to https://seo-backlink-network.example/a"));
        assert!(
            details[1]
                .starts_with("the page loads a script from https://malware-drop.example/x.js")
        );
    }

    #[test]
    fn unlisted_sites_and_lookalike_names_are_not_reported() {
        let rules = page_rules();
        let page = facts("<a href='https://notmalware-drop.example/'>x</a><a href='/local'>y</a>");
        assert!(check("so.example.gov.vn", Some(&page), &rules.blocklist).is_empty());
    }
}
