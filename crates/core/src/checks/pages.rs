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

use crate::evidence::{ChainEnd, Evidence};
use crate::page::{PageFacts, PageLimits, analyse_chain};
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
    pub fn from_evidence(evidence: &Evidence, rules: &PageRules) -> Pages {
        let limits = PageLimits::default();
        let secure = evidence
            .https
            .as_ref()
            .and_then(|c| analyse_chain(c, &limits));
        let plain_http = evidence
            .http
            .as_ref()
            .filter(|c| matches!(c.end, ChainEnd::Final))
            .and_then(|c| analyse_chain(c, &limits))
            .filter(|p| p.url.starts_with("http://"));
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

    /// The https page, when there is one.
    pub fn secure(&self) -> Option<&PageFacts> {
        self.primary.as_ref().filter(|_| self.primary_is_secure)
    }
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
