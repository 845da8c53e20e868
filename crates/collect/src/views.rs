//! The page fetches beyond the home page, over the site's content channel: the linked
//! privacy notice and the two cloaking views of the home page.
//!
//! Why two requests do not carry the scanner's honest `User-Agent`: hacked sites show their
//! injected gambling spam only to search engines (so it gets indexed) and to visitors who
//! arrive from a search result (so they get redirected), and hide it from everyone else,
//! an honest scanner included. The only way to see what they serve is to ask as those two
//! would: once as Googlebot, once as a browser coming from a Google results page. Every
//! other request of a scan, these two excepted, names the scanner honestly.

use super::http::{ChainKind, Presentation, SiteFetcher};
use tokio::time::Instant;
use trustlabel_core::evidence::{ChainEnd, CrawlerKind, CrawlerView, FetchChain, FetchFailureKind};
use trustlabel_core::page::PageFacts;
use trustlabel_core::rules::PageRules;
use url::Url;

/// Googlebot's desktop `User-Agent`, as Google documents it.
pub const GOOGLEBOT_USER_AGENT: &str =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// A mainstream desktop browser: what a visitor from a search result sends.
pub const SEARCH_VISITOR_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) \
     AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// The home page as Googlebot and as a visitor from a Google search for the host, each
/// on a connection of its own so neither waits for the other.
pub(super) async fn crawler_views(
    googlebot: &mut SiteFetcher<'_>,
    visitor: &mut SiteFetcher<'_>,
    home: &Url,
    kind: ChainKind,
    deadline: Instant,
) -> Vec<CrawlerView> {
    let search = search_referer(home);
    let (as_googlebot, as_visitor) = tokio::join!(
        crawler_view(
            googlebot,
            home,
            kind,
            (CrawlerKind::Googlebot, GOOGLEBOT_USER_AGENT, None),
            deadline
        ),
        crawler_view(
            visitor,
            home,
            kind,
            (
                CrawlerKind::SearchReferrer,
                SEARCH_VISITOR_USER_AGENT,
                Some(search.as_str()),
            ),
            deadline
        ),
    );
    vec![as_googlebot, as_visitor]
}

/// [`crawler_views`] one after the other on one connection.
pub(super) async fn crawler_views_in_turn(
    fetcher: &mut SiteFetcher<'_>,
    home: &Url,
    kind: ChainKind,
    deadline: Instant,
) -> Vec<CrawlerView> {
    let search = search_referer(home);
    let googlebot = (CrawlerKind::Googlebot, GOOGLEBOT_USER_AGENT, None);
    let visitor = (
        CrawlerKind::SearchReferrer,
        SEARCH_VISITOR_USER_AGENT,
        Some(search.as_str()),
    );
    let first = crawler_view(fetcher, home, kind, googlebot, deadline).await;
    let second = crawler_view(fetcher, home, kind, visitor, deadline).await;
    vec![first, second]
}

/// What a visitor from a Google search for the host sends as `Referer`.
fn search_referer(home: &Url) -> String {
    let host = home.host_str().unwrap_or_default();
    format!(
        "https://www.google.com/search?q={}",
        url::form_urlencoded::byte_serialize(host.as_bytes()).collect::<String>()
    )
}

/// The home page as one crawler view: (which view, its `User-Agent`, its `Referer`).
async fn crawler_view(
    fetcher: &mut SiteFetcher<'_>,
    home: &Url,
    kind: ChainKind,
    (view, user_agent, referer): (CrawlerKind, &str, Option<&str>),
    deadline: Instant,
) -> CrawlerView {
    let how = Presentation {
        user_agent,
        referer,
        ..fetcher.presentation()
    };
    let chain = within(deadline, fetcher.fetch_chain_as(home.clone(), kind, &how)).await;
    CrawlerView {
        kind: view,
        user_agent: user_agent.to_string(),
        referer: referer.map(str::to_string),
        chain,
    }
}

/// The privacy notice the home page links to, when the link stays on the site and is not
/// the home page itself (the page analysis's matcher decides, with the rules in force).
/// Fetched like the home page (honest agent, redirects followed on the site, same body cap).
pub(super) async fn privacy_page(
    fetcher: &mut SiteFetcher<'_>,
    home: &PageFacts,
    kind: ChainKind,
    rules: &PageRules,
    deadline: Instant,
) -> Option<FetchChain> {
    let link = rules.privacy.notice_link_to_fetch(home)?;
    let link = Url::parse(&link.url).ok()?;
    let how = fetcher.presentation();
    Some(within(deadline, fetcher.fetch_chain_as(link, kind, &how)).await)
}

/// Runs a chain fetch but never past the site deadline (the politeness wait included).
async fn within(deadline: Instant, fetch: impl Future<Output = FetchChain>) -> FetchChain {
    tokio::time::timeout_at(deadline, fetch)
        .await
        .unwrap_or_else(|_| FetchChain {
            hops: vec![],
            end: ChainEnd::Failed {
                kind: FetchFailureKind::Timeout,
                message: "the site deadline passed before this fetch finished".into(),
            },
        })
}
