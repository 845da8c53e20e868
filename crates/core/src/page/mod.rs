//! Page analysis: what an HTML response contains, as plain facts.
//!
//! Pure and rule-free: [`analyse_page`] turns one response (headers + bytes + its URL)
//! into [`PageFacts`] — forms and their fields, links, scripts, styles, frames, media,
//! generator tags, software headers, visible text and text hidden from visitors — and
//! the checks judge those facts with the rule files. The same analysis applies to any
//! response: the home page, the privacy-notice page, a crawler-UA fetch.
//!
//! Work on hostile HTML is bounded by [`PageLimits`]: input bytes, nesting depth (see
//! [`guard`]), elements walked, items kept per list and text kept. Whatever a limit cut
//! is recorded in [`PageFacts::limits_hit`], so a judgement is never silently made on
//! half a page.

pub mod charset;
pub mod guard;
mod html;
pub mod policies;
pub mod style;
pub mod text;

use crate::evidence::{FetchChain, HttpResponse};
use serde::{Deserialize, Serialize};

pub use charset::{Charset, CharsetSource};
pub use policies::{MetaCsp, MetaPolicies};
pub use style::HiddenReason;

/// Bounds on the work one page may cost (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Bytes of the body analysed (the collector's body cap is 2 MiB).
    pub max_input_bytes: usize,
    /// Nesting depth the parser is allowed to see.
    pub max_depth: usize,
    /// Elements walked after parsing.
    pub max_elements: usize,
    /// Entries kept in each list (links, scripts, forms, inputs of a form...).
    pub max_items: usize,
    /// Characters kept of the visible text, and of the hidden text.
    pub max_text_chars: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits {
            max_input_bytes: 2 * 1024 * 1024,
            max_depth: 256,
            max_elements: 200_000,
            max_items: 2_000,
            max_text_chars: 512 * 1024,
        }
    }
}

/// Everything the checks need to know about one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageFacts {
    /// Absolute URL the page was fetched from (links are resolved against it or `<base>`).
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// False for non-HTML bodies: only headers were analysed.
    pub is_html: bool,
    pub charset: Option<Charset>,
    pub title: Option<String>,
    /// `<meta name="generator">` values.
    pub generators: Vec<String>,
    /// Headers that name software (`server`, `x-powered-by`, ...), as (name, value).
    pub software_headers: Vec<(String, String)>,
    pub forms: Vec<Form>,
    pub links: Vec<Link>,
    pub scripts: Vec<Resource>,
    /// Absolute URLs written inside inline scripts: trackers are mostly loaded by a
    /// snippet that builds the script element itself.
    pub embedded_urls: Vec<String>,
    pub stylesheets: Vec<Resource>,
    /// `<iframe>` and `<frame>`.
    pub frames: Vec<Resource>,
    /// `<object>` and `<embed>`: active content like scripts.
    pub objects: Vec<Resource>,
    /// Images, audio, video and their sources, icons: passive content.
    pub media: Vec<Resource>,
    /// Target of a `<meta http-equiv="refresh">`, resolved.
    pub meta_refresh: Option<String>,
    /// Content-Security-Policy and referrer policy declared in `<meta>` elements.
    #[serde(default)]
    pub meta_policies: MetaPolicies,
    /// NFC text a visitor sees, whitespace squeezed.
    pub visible_text: String,
    /// The same visible text cut where the layout breaks it (paragraphs, headings, list
    /// items, table cells), each piece with where it sits on the page: the privacy
    /// notice is read sentence by sentence under its headings, and spam is judged by the
    /// region it stands in (an article body, a footer, a sidebar).
    #[serde(default)]
    pub blocks: Vec<TextBlock>,
    /// Signs that the page is one article with a headline, a date and an author.
    #[serde(default)]
    pub article: ArticleSignals,
    /// Text a visitor does not see, one entry per hidden element (outermost).
    pub hidden_text: Vec<HiddenText>,
    pub limits_hit: Vec<LimitHit>,
}

impl PageFacts {
    /// Facts of a page nothing was learned from yet.
    pub fn empty(url: &str, status: u16) -> PageFacts {
        PageFacts {
            url: url.to_string(),
            status,
            content_type: None,
            is_html: false,
            charset: None,
            title: None,
            generators: Vec::new(),
            software_headers: Vec::new(),
            forms: Vec::new(),
            links: Vec::new(),
            scripts: Vec::new(),
            embedded_urls: Vec::new(),
            stylesheets: Vec::new(),
            frames: Vec::new(),
            objects: Vec::new(),
            media: Vec::new(),
            meta_refresh: None,
            meta_policies: MetaPolicies::default(),
            visible_text: String::new(),
            blocks: Vec::new(),
            article: ArticleSignals::default(),
            hidden_text: Vec::new(),
            limits_hit: Vec::new(),
        }
    }
}

/// A form, or the inputs that belong to no form (`detached`), which scripts submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Absolute URL the form submits to (the page itself when no action is given).
    pub action: String,
    /// Lower-cased `method`, "get" by default.
    pub method: String,
    pub hidden: bool,
    pub detached: bool,
    pub inputs: Vec<Input>,
    /// A control that sends it: a `<button>`, an `<input>` of type submit, image or
    /// button, or an element with `role="button"`. Controls outside any form form one
    /// only with such a control (a script sends them when it is pressed).
    #[serde(default)]
    pub submits: bool,
}

/// Where a block of text sits on the page, from landmark elements, ARIA roles and the
/// class and id names sites give their layout ("footer", "sidebar", "entry-content").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    #[default]
    Body,
    Header,
    Nav,
    Main,
    /// An article's body (`<article>`, `itemprop="articleBody"`, "post-content"...).
    Article,
    /// Sidebars, widgets, related links.
    Aside,
    Footer,
}

/// A piece of visible text between two layout breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBlock {
    /// NFC, whitespace squeezed.
    pub text: String,
    /// 1–6 inside `<h1>`–`<h6>` (or an element with `role="heading"`), else 0.
    pub heading: u8,
    /// A list item, definition or table cell: a piece of a list, not a sentence.
    pub item: bool,
    /// A table cell (`<td>`, `<th>`): the cell before it in the row may be its label.
    #[serde(default)]
    pub cell: bool,
    pub region: Region,
    /// Characters of the text inside links: a block that is mostly links is a menu.
    pub link_chars: usize,
}

/// Signs that a page is one article (a news item, a blog post) rather than a portal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArticleSignals {
    /// Text of the first `<h1>`.
    pub headline: Option<String>,
    /// A publication date in the markup: `<time>`, `article:published_time`,
    /// `datePublished`, or an element whose class names a date.
    pub dated: bool,
    /// An author in the markup: `<meta name="author">`, `rel="author"`,
    /// `itemprop="author"`, or an element whose class names the author or byline.
    pub byline: bool,
    /// Article markup: `<article>`, `og:type` article, an `Article`/`NewsArticle`
    /// schema.org type, or `itemprop="articleBody"`.
    pub markup: bool,
}

/// One data-entry control: `<input>`, `<select>` or `<textarea>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// "input", "select" or "textarea".
    pub tag: String,
    /// Lower-cased `type` of an input ("text" when absent); the tag name otherwise.
    pub kind: String,
    pub name: Option<String>,
    pub id: Option<String>,
    /// Text of the `<label>` for it (by `for=` or by wrapping), NFC.
    pub label: Option<String>,
    pub placeholder: Option<String>,
    pub autocomplete: Option<String>,
    /// `aria-label`, or the text of the elements `aria-labelledby` names.
    pub aria_label: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// The text a person reads right before the control when no label names it: the
    /// previous cell of its table row, or the text just before it ("Họ và tên (*):").
    #[serde(default)]
    pub context: Option<String>,
}

impl Input {
    /// Whether a visitor types or chooses a value here (not a button or hidden field).
    pub fn takes_entry(&self) -> bool {
        !matches!(
            self.kind.as_str(),
            "hidden" | "submit" | "button" | "reset" | "image" | "checkbox" | "radio"
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Absolute URL, or the raw `href` when it cannot be resolved.
    pub url: String,
    /// Anchor text (NFC, squeezed), or the `title`/`alt` inside when there is none.
    pub text: String,
    pub hidden: bool,
    pub rel: Option<String>,
}

/// A sub-resource reference: script, stylesheet, frame, object or media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub tag: String,
    /// Absolute URL, or the raw attribute value when it cannot be resolved.
    pub url: String,
    pub integrity: Option<String>,
    pub hidden: bool,
    /// Inside `<noscript>`: loaded only by browsers without JavaScript.
    pub noscript: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HiddenText {
    pub reason: HiddenReason,
    pub text: String,
}

/// A bound of [`PageLimits`] that cut the analysis short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "limit", rename_all = "snake_case")]
pub enum LimitHit {
    InputTruncated { bytes: usize },
    NestingFlattened { tags_removed: usize },
    Elements { max: usize },
    Items { max: usize },
    Text { max: usize },
}

/// Headers whose values name server-side software.
const SOFTWARE_HEADERS: [&str; 9] = [
    "server",
    "x-powered-by",
    "x-generator",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-drupal-cache",
    "x-pingback",
    "liferay-portal",
    "microsoftsharepointteamservices",
];

/// Analyses one response fetched from `url` (see the module docs).
pub fn analyse_page(url: &str, response: &HttpResponse, limits: &PageLimits) -> PageFacts {
    #[cfg(test)]
    analysis_count::ANALYSES.with(|n| n.set(n.get() + 1));
    let content_type = response.header("content-type").map(str::to_string);
    let software_headers = SOFTWARE_HEADERS
        .iter()
        .flat_map(|name| {
            response
                .header_values(name)
                .map(move |v| (name.to_string(), v.to_string()))
        })
        .collect();
    let mut facts = PageFacts::empty(url, response.status);
    facts.content_type = content_type.clone();
    facts.software_headers = software_headers;
    let bytes = &response.body.bytes;
    if !looks_like_html(content_type.as_deref(), bytes) {
        return facts;
    }
    facts.is_html = true;
    let input = if bytes.len() > limits.max_input_bytes {
        facts.limits_hit.push(LimitHit::InputTruncated {
            bytes: limits.max_input_bytes,
        });
        &bytes[..limits.max_input_bytes]
    } else {
        &bytes[..]
    };
    let (decoded, charset) = charset::decode(input, content_type.as_deref());
    facts.charset = Some(charset);
    let (guarded, report) = guard::flatten_deep_nesting(&decoded, limits.max_depth);
    if report.tags_removed > 0 {
        facts.limits_hit.push(LimitHit::NestingFlattened {
            tags_removed: report.tags_removed,
        });
    }
    html::walk(&guarded, limits, &mut facts);
    facts
}

/// How many pages this thread analysed: lets a test prove a scan parses each page once
/// (each test runs on a thread of its own, so the count is the test's).
#[cfg(test)]
pub(crate) mod analysis_count {
    use std::cell::Cell;

    thread_local! {
        pub(super) static ANALYSES: Cell<usize> = const { Cell::new(0) };
    }

    /// Pages analysed by this thread so far.
    pub(crate) fn get() -> usize {
        ANALYSES.with(Cell::get)
    }
}

/// Pages already analysed while the evidence was collected, handed to the checks with
/// that same evidence so that no page is parsed twice in one scan. Empty when stored
/// evidence is judged again: the checks then analyse every page themselves.
#[derive(Debug, Clone, Default)]
pub struct AnalysedPages {
    /// The final page of the content chain (verified https, or http for a site with no
    /// HTTPS port), read by the collector for its privacy-notice link.
    pub home: Option<PageFacts>,
}

/// The final page of a fetch chain, analysed with the URL of the hop that answered it;
/// `None` when the chain reached no final answer.
pub fn analyse_chain(chain: &FetchChain, limits: &PageLimits) -> Option<PageFacts> {
    let response = chain.final_response()?;
    let hop = chain
        .hops
        .iter()
        .rev()
        .find(|h| h.response.as_ref() == Some(response))?;
    Some(analyse_page(&hop.url, response, limits))
}

/// HTML by declared type, or, without a usable declaration, by its first bytes.
fn looks_like_html(content_type: Option<&str>, bytes: &[u8]) -> bool {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("text/html" | "application/xhtml+xml") => true,
        Some("" | "text/plain" | "application/octet-stream") | None => {
            let start = bytes
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
                .unwrap_or(bytes.len());
            bytes[start..].first() == Some(&b'<')
        }
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests;
