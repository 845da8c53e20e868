//! Evidence for cloaking: the home page as a search crawler and as a visitor arriving from a
//! search result see it. Hacked sites commonly inject gambling spam only for these two, so
//! the browser-like fetch of `Evidence.https` alone would never show it.

use super::FetchChain;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlerView {
    pub kind: CrawlerKind,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// The `Referer` sent, if any.
    pub referer: Option<String>,
    pub chain: FetchChain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrawlerKind {
    /// Googlebot's `User-Agent`, no `Referer`.
    Googlebot,
    /// A browser `User-Agent` with a Google search results page as `Referer`.
    SearchReferrer,
}
