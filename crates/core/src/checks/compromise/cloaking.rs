//! `compromise.cloaking`: the page a search-engine crawler (or a visitor arriving from a
//! search result) gets differs from what a browser gets, in the way hacked sites do it —
//! spam or a redirect shown only to the crawler, so the owner never sees it.
//!
//! Pure comparisons: the collector fetches the crawler views and the caller passes them
//! here. Differences that are not spam or an off-site redirect (ads, timestamps, A/B
//! tests) are not cloaking and are ignored.

use super::spam::assess;
use crate::domain::same_site;
use crate::evidence::{ChainEnd, FetchChain};
use crate::finding::{Finding, FindingId, Severity};
use crate::page::text::excerpt;
use crate::page::{PageFacts, PageLimits, analyse_chain};
use crate::rules::spam::SpamRules;
use crate::rules::url_host;

/// Why a crawler view counts as cloaked, comparing two analysed pages: spam the browser
/// view does not carry, or a meta refresh to another site that the browser view lacks.
pub fn compare(browser: &PageFacts, crawler: &PageFacts, rules: &SpamRules) -> Option<String> {
    compare_with(
        browser,
        assess(browser, rules).is_spam(rules),
        crawler,
        rules,
    )
}

/// [`compare`] with the browser view's spam verdict already known (the page checks
/// scored it once for `compromise.spam_injection`).
fn compare_with(
    browser: &PageFacts,
    browser_is_spam: bool,
    crawler: &PageFacts,
    rules: &SpamRules,
) -> Option<String> {
    let seen = assess(crawler, rules);
    if seen.is_spam(rules) && !browser_is_spam {
        return Some(format!(
            "spam shown only to the crawler: {}",
            seen.describe(rules)
        ));
    }
    let site = url_host(&browser.url).unwrap_or_default();
    let offsite = |p: &PageFacts| {
        p.meta_refresh
            .as_deref()
            .and_then(url_host)
            .filter(|h| !same_site(h, &site))
    };
    match (offsite(browser), offsite(crawler)) {
        (None, Some(host)) => Some(format!("the crawler is sent to {host} by a meta refresh")),
        _ => None,
    }
}

/// `compromise.cloaking` for one crawler view (`label`: "Googlebot", "search referrer")
/// of the same URL the browser chain fetched: an off-site redirect only the crawler
/// gets, or a [`compare`] difference between the final pages. `browser_page` is the
/// browser chain's final page when the other page checks already analysed it, with
/// whether they found it spam.
pub fn check_view(
    browser: &FetchChain,
    browser_page: Option<(&PageFacts, bool)>,
    label: &str,
    crawler: &FetchChain,
    rules: &SpamRules,
) -> Option<Finding> {
    let reason = match (&browser.end, &crawler.end) {
        (ChainEnd::Offsite { location: a }, ChainEnd::Offsite { location: b })
            if url_host(a) == url_host(b) =>
        {
            None
        }
        (_, ChainEnd::Offsite { location }) => Some(format!(
            "the crawler is redirected to {}",
            excerpt(location, 160)
        )),
        _ => {
            let limits = PageLimits::default();
            let analysed;
            let browser_page = match browser_page {
                Some(known) => Some(known),
                None => {
                    analysed = analyse_chain(browser, &limits);
                    analysed
                        .as_ref()
                        .map(|p| (p, assess(p, rules).is_spam(rules)))
                }
            };
            match (browser_page, analyse_chain(crawler, &limits)) {
                (Some((b, spam)), Some(c)) => compare_with(b, spam, &c, rules),
                _ => None,
            }
        }
    }?;
    Some(Finding::new(
        FindingId::CompromiseCloaking,
        Severity::Critical,
        format!("{label} view: {reason}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::pages::*;
    use crate::checks::test_support::{html_page, page_chain, page_rules};

    const URL: &str = "https://portal.example.gov.vn/";

    fn facts(body: &[u8]) -> PageFacts {
        crate::page::analyse_page(URL, &html_page(body, &[]), &PageLimits::default())
    }

    #[test]
    fn spam_shown_only_to_the_crawler_is_cloaking() {
        let rules = page_rules();
        let reason = compare(&facts(GOV_HOME), &facts(SPAM_VISIBLE), &rules.spam).expect("cloaked");
        assert!(
            reason.starts_with("spam shown only to the crawler"),
            "{reason}"
        );
    }

    #[test]
    fn the_same_page_or_the_same_spam_for_everyone_is_not_cloaking() {
        let rules = page_rules();
        assert_eq!(
            compare(&facts(GOV_HOME), &facts(GOV_HOME), &rules.spam),
            None
        );
        assert_eq!(
            compare(&facts(NEWS_GAMBLING), &facts(NEWS_GAMBLING), &rules.spam),
            None
        );
        assert_eq!(
            compare(&facts(SPAM_HIDDEN), &facts(SPAM_HIDDEN), &rules.spam),
            None,
            "spam everyone gets is spam_injection, not cloaking"
        );
        let different_but_clean = facts(b"<p>Phien ban cho may tim kiem</p>");
        assert_eq!(
            compare(&facts(GOV_HOME), &different_but_clean, &rules.spam),
            None
        );
    }

    #[test]
    fn a_redirect_only_the_crawler_gets_is_cloaking() {
        let rules = page_rules();
        let browser = page_chain(URL, html_page(GOV_HOME, &[]));
        let mut crawler = browser.clone();
        crawler.end = ChainEnd::Offsite {
            location: "https://fb88vn.bet/".into(),
        };
        let f = check_view(&browser, None, "Googlebot", &crawler, &rules.spam).expect("cloaking");
        assert_eq!(
            f.detail,
            "Googlebot view: the crawler is redirected to https://fb88vn.bet/"
        );
        assert_eq!(
            check_view(&browser, None, "Googlebot", &browser, &rules.spam),
            None
        );
        let refresh = facts(b"<meta http-equiv=refresh content='0;url=https://fb88vn.bet/'>");
        assert!(compare(&facts(GOV_HOME), &refresh, &rules.spam).is_some());
    }

    #[test]
    fn run_all_judges_the_collected_crawler_views() {
        use crate::checks::test_support::{evidence_with_home, judge_pages, the, with_id};
        use crate::evidence::{CrawlerKind, CrawlerView};
        use crate::finding::FindingId;
        let view = |kind, body: &[u8]| CrawlerView {
            kind,
            user_agent: "test".into(),
            referer: None,
            chain: page_chain("https://example.test/", html_page(body, &[])),
        };
        let mut evidence = evidence_with_home(GOV_HOME);
        evidence.crawler_views = vec![
            view(CrawlerKind::Googlebot, SPAM_VISIBLE),
            view(CrawlerKind::SearchReferrer, GOV_HOME),
        ];
        let findings = judge_pages(&evidence);
        let f = the(&findings, FindingId::CompromiseCloaking);
        assert!(
            f.detail
                .starts_with("Googlebot view: spam shown only to the crawler"),
            "{}",
            f.detail
        );
        evidence.crawler_views = vec![view(CrawlerKind::Googlebot, GOV_HOME)];
        assert!(with_id(&judge_pages(&evidence), FindingId::CompromiseCloaking).is_empty());
    }
}
