//! The pages of one site's evidence, analysed once for all page checks.
//!
//! The page checks (privacy, content, software, compromise) judge [`PageFacts`], not raw
//! bodies; this module decides which responses stand for which page:
//! - `primary`: what a visitor gets — the final page of the verified https chain, or of
//!   the http chain when the site has no https at all;
//! - `secure`: the https page alone (mixed content only exists there);
//! - `plain_http`: a page the http chain served in clear text instead of redirecting;
//! - `notice`: the privacy-notice page the collector fetched from the primary page's
//!   notice link, or the primary page itself when that link points inside it
//!   (`#privacy`); `notice_gone` when the linked notice answered 404/410.

use crate::evidence::{ChainEnd, Evidence, FetchChain};
use crate::page::{AnalysedPages, PageFacts, PageLimits, analyse_chain};
use crate::rules::PageRules;

pub(crate) struct Pages {
    pub primary: Option<PageFacts>,
    /// Whether `primary` came over verified https.
    pub primary_is_secure: bool,
    pub plain_http: Option<PageFacts>,
    pub notice: Option<PageFacts>,
    /// The linked notice does not exist: its URL and status.
    pub notice_gone: Option<(String, u16)>,
}

impl Pages {
    /// Each page is parsed at most once: `analysed` holds what the collector already
    /// read of this same evidence, and an http chain that ends on an https page (the
    /// usual redirect) is not parsed at all.
    pub fn from_evidence(evidence: &Evidence, rules: &PageRules, analysed: AnalysedPages) -> Pages {
        let limits = PageLimits::default();
        let mut home = analysed.home;
        let mut analyse = |chain: &FetchChain| match home.take() {
            Some(known) if final_url(chain) == Some(known.url.as_str()) => Some(known),
            other => {
                home = other;
                analyse_chain(chain, &limits)
            }
        };
        let secure = evidence.https.as_ref().and_then(&mut analyse);
        let plain_http = evidence
            .http
            .as_ref()
            .filter(|c| matches!(c.end, ChainEnd::Final))
            .filter(|c| final_url(c).is_some_and(|u| u.starts_with("http://")))
            .and_then(&mut analyse);
        let primary_is_secure = secure.is_some();
        let primary = secure.or_else(|| plain_http.clone());
        let fetched = evidence
            .privacy_page
            .as_ref()
            .and_then(|c| analyse_chain(c, &limits));
        let notice_gone = fetched
            .as_ref()
            .filter(|n| matches!(n.status, 404 | 410))
            .map(|n| (n.url.clone(), n.status));
        let notice = fetched
            .filter(|n| (200..300).contains(&n.status))
            .or_else(|| {
                primary
                    .as_ref()
                    .filter(|p| links_into_itself(p, rules))
                    .cloned()
            });
        Pages {
            primary,
            primary_is_secure,
            plain_http,
            notice,
            notice_gone,
        }
    }

    /// The primary page when it is `chain`'s final page (so it need not be parsed again).
    pub fn page_of(&self, chain: &FetchChain) -> Option<&PageFacts> {
        self.primary
            .as_ref()
            .filter(|p| final_url(chain) == Some(p.url.as_str()))
    }

    /// The https page, when there is one.
    pub fn secure(&self) -> Option<&PageFacts> {
        self.primary.as_ref().filter(|_| self.primary_is_secure)
    }
}

/// The URL of the hop that gave the chain's final answer (the page's own URL).
fn final_url(chain: &FetchChain) -> Option<&str> {
    let response = chain.final_response()?;
    chain
        .hops
        .iter()
        .rev()
        .find(|h| h.response.as_ref() == Some(response))
        .map(|h| h.url.as_str())
}

/// Whether the page's privacy-notice link is a fragment of the page itself.
fn links_into_itself(page: &PageFacts, rules: &PageRules) -> bool {
    let base = page.url.split('#').next().unwrap_or("");
    page.links.iter().any(|l| {
        rules.privacy.is_notice_link(l)
            && l.url
                .split_once('#')
                .is_some_and(|(before, _)| before == base)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckSettings;
    use crate::checks::test_support::pages::{GOV_HOME, NOTICE_COMPLETE};
    use crate::checks::test_support::*;
    use crate::evidence::{CrawlerKind, CrawlerView, Hop};
    use crate::page::analysis_count;
    use crate::rules::PageRules;

    const HOME: &str = "https://example.test/";

    /// A site as scanned: http redirects to the https home page, a privacy notice, and
    /// both crawler views of the home page.
    fn scanned_site() -> Evidence {
        let home = page_chain(HOME, html_page(GOV_HOME, &[]));
        let mut http = home.clone();
        http.hops.insert(
            0,
            Hop {
                url: "http://example.test/".into(),
                address: None,
                response: Some(response_with_status(301, &[("location", HOME)])),
            },
        );
        let mut evidence = evidence_with_chains(Some(http), Some(home.clone()));
        evidence.privacy_page = Some(page_chain(
            "https://example.test/chinh-sach",
            html_page(NOTICE_COMPLETE, &[]),
        ));
        evidence.crawler_views = [CrawlerKind::Googlebot, CrawlerKind::SearchReferrer]
            .into_iter()
            .map(|kind| CrawlerView {
                kind,
                user_agent: "crawler".into(),
                referer: None,
                chain: home.clone(),
            })
            .collect();
        evidence
    }

    fn rules() -> PageRules {
        PageRules::builtin().expect("built-in page rules")
    }

    #[test]
    fn a_scan_parses_each_page_once_and_the_home_page_not_again_after_the_collector() {
        let evidence = scanned_site();
        let home =
            crate::page::analyse_chain(evidence.https.as_ref().unwrap(), &PageLimits::default());
        let settings = CheckSettings::default();
        let rules = rules();
        let mut ctx = ctx(&settings);
        ctx.page_rules = &rules;

        let before = analysis_count::get();
        crate::checks::run_all_with(&evidence, &ctx, AnalysedPages { home });
        assert_eq!(
            analysis_count::get() - before,
            3,
            "the notice and the two crawler views; the home page came from the collector \
             and the http chain ends on that same https page"
        );

        let before = analysis_count::get();
        crate::checks::run_all(&evidence, &ctx);
        assert_eq!(
            analysis_count::get() - before,
            4,
            "stored evidence judged again: the home page once more"
        );
    }

    #[test]
    fn an_analysed_page_of_another_url_is_not_taken_for_the_home_page() {
        let evidence = scanned_site();
        let mut other = crate::page::analyse_chain(
            evidence.privacy_page.as_ref().unwrap(),
            &PageLimits::default(),
        );
        let pages = Pages::from_evidence(&evidence, &rules(), AnalysedPages { home: other.take() });
        assert_eq!(pages.primary.map(|p| p.url).as_deref(), Some(HOME));
    }
}
