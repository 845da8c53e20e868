//! One walk over the parsed document that fills [`PageFacts`].
//!
//! The document is parsed with scripting disabled, as a crawler sees it: `<noscript>`
//! content becomes elements (marked hidden, since browsers with JavaScript do not show
//! it) instead of an opaque string. The walk is iterative (open/close edges with an
//! explicit stack), so depth costs no recursion.

use super::style::{HiddenReason, HidingRules, hidden_by_style};
use super::text::{nfc, squeeze};
use super::{
    Form, HiddenText, Input, LimitHit, Link, PageFacts, PageLimits, Region, Resource, TextBlock,
};
use ego_tree::iter::Edge;
use html5ever::driver::{self, ParseOpts};
use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use scraper::node::Element;
use scraper::{Html, HtmlTreeSink, Node};
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization;
use url::Url;

/// Elements that do not break words: text on either side runs on.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
    "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u", "var",
];

/// Bytes of inline script text searched for URLs, in total.
const MAX_INLINE_SCRIPT_BYTES: usize = 512 * 1024;
/// Stylesheet rules read for hiding classes, in total.
const MAX_STYLE_RULES: usize = 10_000;
/// Text blocks kept per page.
const MAX_BLOCKS: usize = 20_000;
/// Characters of text kept as a control's context (the end of the run before it).
const MAX_CONTEXT_CHARS: usize = 120;
/// Characters kept of a label, of a captured `aria-labelledby` target and of JSON-LD.
const MAX_CAPTURE_CHARS: usize = 1024;
const MAX_LD_JSON_CHARS: usize = 16 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TextMode {
    Normal,
    Title,
    Script,
    /// Text that is not content (`<style>`, `<template>`).
    Ignore,
}

#[derive(Clone, Copy)]
struct Frame {
    inline: bool,
    mode: TextMode,
    hidden: Option<HiddenReason>,
    /// Index in `facts.hidden_text` of the block this element's text goes to.
    hidden_block: Option<usize>,
    noscript: bool,
    form: Option<usize>,
    /// Index in `open_links` of the innermost anchor.
    link: Option<usize>,
    /// Index in `labels` of the innermost label.
    label: Option<usize>,
    /// Index in `captures` of an element some control names with `aria-labelledby`.
    capture: Option<usize>,
    region: Region,
    heading: u8,
    item: bool,
    cell: bool,
    /// Inside a `<select>` or `<textarea>`: its options are no label for what follows.
    in_control: bool,
    /// Inside a JSON-LD script (read for article markup).
    ld_json: bool,
}

impl Frame {
    const ROOT: Frame = Frame {
        inline: false,
        mode: TextMode::Normal,
        hidden: None,
        hidden_block: None,
        noscript: false,
        form: None,
        link: None,
        label: None,
        capture: None,
        region: Region::Body,
        heading: 0,
        item: false,
        cell: false,
        in_control: false,
        ld_json: false,
    };
}

struct LabelText {
    target_id: Option<String>,
    text: String,
    /// Inputs inside a label without `for` take its text: (form, input) indices.
    wrapped: Vec<(usize, usize)>,
}

struct Walker<'l> {
    limits: &'l PageLimits,
    base: Option<Url>,
    hiding: HidingRules,
    facts: PageFacts,
    stack: Vec<Frame>,
    /// Anchors being read: index into `facts.links` (None when over the item cap).
    open_links: Vec<(Option<usize>, String)>,
    labels: Vec<LabelText>,
    forms_by_id: HashMap<String, usize>,
    /// A `<form>` the parser closed before its controls (forms opened inside tables):
    /// the controls that follow belong to it.
    orphaning_form: Option<usize>,
    detached_form: Option<usize>,
    visible: String,
    hidden_chars: usize,
    title: String,
    inline_script: String,
    inline_script_bytes: usize,
    /// The visible block being read, and where it sits.
    block: String,
    /// Heading level, list item, table cell and region of the block being read.
    block_meta: (u8, bool, bool, Region),
    block_link_chars: usize,
    /// Text read since the last layout break, and the last such run: what stands before
    /// the next control (see `Input::context`).
    run: String,
    last_run: String,
    /// Ids some control names with `aria-labelledby`, and their texts as read.
    labelledby_ids: HashSet<String>,
    captures: Vec<(String, String)>,
    /// Controls waiting for their `aria-labelledby` texts: (form, input) and the ids.
    labelledby: Vec<((usize, usize), Vec<String>)>,
    /// An inline element opened or closed since the last text node.
    inline_edge: bool,
    /// The letters and digits that ended the last text node.
    tail: String,
    /// A submit control outside every form.
    submit_outside: bool,
    ld_json: String,
}

pub(super) fn walk(text: &str, limits: &PageLimits, facts: &mut PageFacts) {
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let document: Html =
        driver::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(text);
    let mut walker = Walker {
        limits,
        base: Url::parse(&facts.url).ok(),
        hiding: HidingRules::default(),
        facts: std::mem::replace(facts, PageFacts::empty(&facts.url, facts.status)),
        stack: vec![Frame::ROOT],
        open_links: Vec::new(),
        labels: Vec::new(),
        forms_by_id: HashMap::new(),
        orphaning_form: None,
        detached_form: None,
        visible: String::new(),
        hidden_chars: 0,
        title: String::new(),
        inline_script: String::new(),
        inline_script_bytes: 0,
        block: String::new(),
        block_meta: (0, false, false, Region::Body),
        block_link_chars: 0,
        run: String::new(),
        last_run: String::new(),
        labelledby_ids: HashSet::new(),
        captures: Vec::new(),
        labelledby: Vec::new(),
        inline_edge: false,
        tail: String::new(),
        submit_outside: false,
        ld_json: String::new(),
    };
    walker.learn_stylesheets(&document);
    walker.run(&document);
    *facts = walker.finish();
    facts.meta_policies = super::policies::collect(&document);
}

impl Walker<'_> {
    /// Reads the hiding rules of every `<style>` first: a rule applies to elements
    /// before the stylesheet too. Also notes the ids `aria-labelledby` names, whose
    /// text the walk then keeps.
    fn learn_stylesheets(&mut self, document: &Html) {
        let mut budget = MAX_STYLE_RULES;
        for node in document.tree.nodes() {
            let Some(el) = node.value().as_element() else {
                continue;
            };
            if let Some(ids) = el.attr("aria-labelledby") {
                if self.labelledby_ids.len() < self.limits.max_items {
                    self.labelledby_ids
                        .extend(ids.split_whitespace().map(str::to_string));
                }
            }
            if el.name() == "style" && budget > 0 {
                let css: String = node
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                    .collect();
                self.hiding.add_stylesheet(&css, budget);
                budget = budget.saturating_sub(css.matches('}').count().max(1));
            }
        }
    }

    fn run(&mut self, document: &Html) {
        let mut elements = 0usize;
        for edge in document.tree.root().traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(el) => {
                        elements += 1;
                        if elements > self.limits.max_elements {
                            self.hit(LimitHit::Elements {
                                max: self.limits.max_elements,
                            });
                            return;
                        }
                        self.open(el);
                    }
                    Node::Text(t) => self.text(t),
                    _ => {}
                },
                Edge::Close(node) => {
                    if let Node::Element(el) = node.value() {
                        self.close(el);
                    }
                }
            }
        }
    }

    fn top(&self) -> Frame {
        self.stack.last().copied().unwrap_or(Frame::ROOT)
    }

    fn open(&mut self, el: &Element) {
        let parent = self.top();
        let name = el.name();
        let mut frame = Frame {
            inline: INLINE.contains(&name),
            ..parent
        };
        if frame.inline {
            self.inline_edge = true;
        } else {
            self.visible.push(' ');
            self.layout_break();
            self.layout(el, &mut frame);
        }
        self.article_signs(el);
        if let Some(id) = el.id().filter(|id| self.labelledby_ids.contains(*id)) {
            frame.capture = Some(self.captures.len());
            self.captures.push((id.to_string(), String::new()));
        }
        frame.noscript |= name == "noscript";
        let own_hidden = self.hidden_reason(el);
        if parent.hidden.is_none() {
            if let Some(reason) = own_hidden {
                frame.hidden = Some(reason);
                frame.hidden_block = Some(self.facts.hidden_text.len());
                self.facts.hidden_text.push(HiddenText {
                    reason,
                    text: String::new(),
                });
            }
        } else if !frame.inline {
            self.push_hidden(" ", frame.hidden_block);
        }
        match name {
            "script" => {
                frame.mode = TextMode::Script;
                frame.ld_json = el
                    .attr("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
                if let Some(src) = el.attr("src") {
                    let r = self.resource(el, src, frame);
                    self.push_item(|f| &mut f.scripts, r);
                    frame.mode = TextMode::Ignore;
                }
            }
            "style" | "template" => frame.mode = TextMode::Ignore,
            "title" if self.title.is_empty() => frame.mode = TextMode::Title,
            "base" => {
                if let Some(href) = el.attr("href") {
                    if let Some(url) = self.base.as_ref().and_then(|b| b.join(href.trim()).ok()) {
                        self.base = Some(url);
                    }
                }
            }
            "meta" => self.meta(el),
            "link" => self.link_element(el, frame),
            "a" | "area" => {
                if let Some(href) = el.attr("href") {
                    let link = Link {
                        url: self.resolve(href),
                        text: String::new(),
                        hidden: frame.hidden.is_some(),
                        rel: el.attr("rel").map(str::to_string),
                    };
                    let index = self.push_item(|f| &mut f.links, link);
                    frame.link = Some(self.open_links.len());
                    let fallback = el.attr("title").or(el.attr("aria-label")).unwrap_or("");
                    self.open_links.push((index, fallback.to_string()));
                }
            }
            "img" => {
                if let (Some(link), Some(alt)) = (frame.link, el.attr("alt")) {
                    if let Some(open) = self.open_links.get_mut(link) {
                        open.1.push(' ');
                        open.1.push_str(alt);
                    }
                }
                self.media(el, "src", frame);
            }
            "audio" | "video" | "source" | "track" => {
                self.media(el, "src", frame);
                self.media(el, "poster", frame);
            }
            "iframe" | "frame" => {
                if let Some(src) = el.attr("src") {
                    let r = self.resource(el, src, frame);
                    self.push_item(|f| &mut f.frames, r);
                }
            }
            "object" | "embed" => {
                if let Some(src) = el.attr("data").or(el.attr("src")) {
                    let r = self.resource(el, src, frame);
                    self.push_item(|f| &mut f.objects, r);
                }
            }
            "form" => frame.form = Some(self.open_form(el, frame)),
            "label" => {
                frame.label = Some(self.labels.len());
                self.labels.push(LabelText {
                    target_id: el.attr("for").map(str::to_string),
                    text: String::new(),
                    wrapped: Vec::new(),
                });
            }
            "input" | "select" | "textarea" => {
                if name == "input"
                    && el
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("image"))
                {
                    self.media(el, "src", frame);
                }
                if name == "textarea" {
                    frame.mode = TextMode::Ignore;
                }
                if name != "input" {
                    frame.in_control = true;
                }
                self.input(el, frame);
            }
            "tr" => {
                // A row's label is in its own cells, never in the row above.
                self.run.clear();
                self.last_run.clear();
            }
            _ => {}
        }
        if is_submit(el) {
            self.note_submit(el, frame);
        }
        self.stack.push(frame);
    }

    /// The end of a layout block: the block's text is kept, and the run of text read
    /// since the last break becomes the text before whatever comes next.
    fn layout_break(&mut self) {
        let text = squeeze(&nfc(&self.block));
        if !text.is_empty() {
            let (heading, item, cell, region) = self.block_meta;
            let block = TextBlock {
                text,
                heading,
                item,
                cell,
                region,
                link_chars: self.block_link_chars,
            };
            // Blocks are bounded by the text cap, not by the item cap: a long notice
            // has more paragraphs than a page has forms.
            if self.facts.blocks.len() < MAX_BLOCKS {
                self.facts.blocks.push(block);
            } else {
                self.hit(LimitHit::Items { max: MAX_BLOCKS });
            }
        }
        self.block.clear();
        self.block_link_chars = 0;
        self.tail.clear();
        if !self.run.trim().is_empty() {
            self.last_run = std::mem::take(&mut self.run);
        }
        self.run.clear();
    }

    /// Region, heading level and list-item role of a block element.
    fn layout(&self, el: &Element, frame: &mut Frame) {
        let name = el.name();
        if let Some(level) = name
            .strip_prefix('h')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=6).contains(n))
        {
            frame.heading = level;
        } else if el
            .attr("role")
            .is_some_and(|r| r.eq_ignore_ascii_case("heading"))
        {
            frame.heading = el
                .attr("aria-level")
                .and_then(|l| l.trim().parse::<u8>().ok())
                .filter(|n| (1..=6).contains(n))
                .unwrap_or(2);
        }
        match name {
            "li" | "dt" | "dd" => {
                frame.item = true;
                frame.cell = false;
            }
            "td" | "th" => {
                frame.item = true;
                frame.cell = true;
            }
            "table" | "ul" | "ol" | "dl" => {
                // A list or table inside a cell or item starts its own pieces.
                frame.item = false;
                frame.cell = false;
            }
            _ => {}
        }
        if let Some(region) = region_of(el) {
            frame.region = region;
        }
    }

    /// Article markup, dates and bylines anywhere in the page.
    fn article_signs(&mut self, el: &Element) {
        let signs = &mut self.facts.article;
        let name = el.name();
        if name == "article"
            || el
                .attr("itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
            || el.attr("itemtype").is_some_and(|t| {
                ["NewsArticle", "/Article", "BlogPosting", "Report"]
                    .iter()
                    .any(|k| t.contains(k))
            })
        {
            signs.markup = true;
        }
        if name == "time"
            || el
                .attr("itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
        {
            signs.dated = true;
        }
        if el
            .attr("itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("author"))
            || el.attr("rel").is_some_and(|r| {
                r.split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("author"))
            })
        {
            signs.byline = true;
        }
        if el.attr("class").is_some() || el.attr("id").is_some() {
            let names = layout_names(el);
            if names.iter().any(|n| DATE_NAMES.contains(&n.as_str())) {
                signs.dated = true;
            }
            if names.iter().any(|n| AUTHOR_NAMES.contains(&n.as_str())) {
                signs.byline = true;
            }
        }
    }

    /// A control that submits: its form (or the controls outside any form) can be sent.
    fn note_submit(&mut self, el: &Element, frame: Frame) {
        let form = el
            .attr("form")
            .and_then(|id| self.forms_by_id.get(id).copied())
            .or(frame.form)
            .or(self.orphaning_form);
        match form.and_then(|i| self.facts.forms.get_mut(i)) {
            Some(form) => form.submits = true,
            None => self.submit_outside = true,
        }
    }

    fn close(&mut self, el: &Element) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let parent = self.top();
        if frame.link.is_some() && frame.link != parent.link {
            if let Some((Some(index), text)) = self.open_links.pop() {
                if let Some(link) = self.facts.links.get_mut(index) {
                    let own = squeeze(&nfc(&link.text));
                    link.text = if own.is_empty() {
                        squeeze(&nfc(&text))
                    } else {
                        own
                    };
                }
            }
        }
        if el.name() == "form" && frame.form != parent.form {
            let empty = frame
                .form
                .and_then(|i| self.facts.forms.get(i))
                .is_some_and(|f| f.inputs.is_empty());
            self.orphaning_form = if empty { frame.form } else { None };
        }
        if frame.inline {
            self.inline_edge = true;
        } else {
            self.visible.push(' ');
            self.layout_break();
        }
    }

    fn text(&mut self, t: &scraper::node::Text) {
        let frame = self.top();
        let raw: &str = t;
        match frame.mode {
            TextMode::Ignore => return,
            TextMode::Title => {
                self.title.push_str(raw);
                return;
            }
            TextMode::Script => {
                if frame.ld_json && self.ld_json.len() < MAX_LD_JSON_CHARS {
                    self.ld_json.push_str(raw);
                }
                if self.inline_script_bytes < MAX_INLINE_SCRIPT_BYTES {
                    self.inline_script_bytes += raw.len();
                    self.inline_script.push_str(raw);
                    self.inline_script.push('\n');
                }
                return;
            }
            TextMode::Normal => {}
        }
        let glued;
        let text: &str =
            if std::mem::take(&mut self.inline_edge) && splits_glued_words(&self.tail, raw) {
                glued = format!(" {raw}");
                &glued
            } else {
                raw
            };
        self.note_tail(text);
        if let Some(Some(index)) = frame.link.and_then(|l| self.open_links.get(l)).map(|o| o.0) {
            if let Some(link) = self.facts.links.get_mut(index) {
                if link.text.len() < 1024 {
                    link.text.push_str(text);
                }
            }
        }
        if let Some(label) = frame.label.and_then(|l| self.labels.get_mut(l)) {
            if label.text.len() < MAX_CAPTURE_CHARS {
                label.text.push_str(text);
            }
        }
        if let Some((_, captured)) = frame.capture.and_then(|c| self.captures.get_mut(c)) {
            if captured.len() < MAX_CAPTURE_CHARS {
                captured.push_str(text);
            }
        }
        match frame.hidden {
            Some(_) => self.push_hidden(text, frame.hidden_block),
            None => {
                if self.visible.len() < self.limits.max_text_chars {
                    self.visible.push_str(text);
                    if self.block.trim().is_empty() {
                        self.block_meta = (frame.heading, frame.item, frame.cell, frame.region);
                    }
                    self.block.push_str(text);
                    if frame.link.is_some() {
                        self.block_link_chars += text.trim().chars().count();
                    }
                    if !frame.in_control {
                        self.run.push_str(text);
                        if self.run.len() > 4 * MAX_CONTEXT_CHARS {
                            let cut = self.run.len() - 2 * MAX_CONTEXT_CHARS;
                            let cut = (cut..self.run.len())
                                .find(|i| self.run.is_char_boundary(*i))
                                .unwrap_or(0);
                            self.run.drain(..cut);
                        }
                    }
                } else {
                    self.hit(LimitHit::Text {
                        max: self.limits.max_text_chars,
                    });
                }
            }
        }
    }

    /// Remembers the letters and digits that end `text` (and continue the last tail
    /// when `text` is all letters and digits).
    fn note_tail(&mut self, text: &str) {
        let trailing: String = text
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || is_combining_mark_char(*c))
            .collect::<Vec<char>>()
            .into_iter()
            .rev()
            .collect();
        if trailing.len() == text.len() && !text.is_empty() {
            if self.tail.len() < 64 {
                self.tail.push_str(text);
            }
        } else {
            self.tail = trailing;
        }
    }

    fn push_hidden(&mut self, text: &str, block: Option<usize>) {
        let Some(block) = block.and_then(|b| self.facts.hidden_text.get_mut(b)) else {
            return;
        };
        if self.hidden_chars < self.limits.max_text_chars {
            self.hidden_chars += text.len();
            block.text.push_str(text);
        } else {
            self.hit(LimitHit::Text {
                max: self.limits.max_text_chars,
            });
        }
    }

    fn hidden_reason(&self, el: &Element) -> Option<HiddenReason> {
        if el.name() == "noscript" {
            return Some(HiddenReason::Noscript);
        }
        if el.attr("hidden").is_some() {
            return Some(HiddenReason::HiddenAttribute);
        }
        if let Some(reason) = el.attr("style").and_then(hidden_by_style) {
            return Some(reason);
        }
        if !self.hiding.is_empty() && self.hiding.hides(el.id(), el.classes().map(str::to_string)) {
            return Some(HiddenReason::DisplayNone);
        }
        None
    }

    fn meta(&mut self, el: &Element) {
        let content = el.attr("content").unwrap_or("");
        let generator = el
            .attr("name")
            .is_some_and(|n| n.eq_ignore_ascii_case("generator"));
        if generator && !content.trim().is_empty() && self.facts.generators.len() < 16 {
            self.facts.generators.push(squeeze(content));
        }
        let key = el
            .attr("property")
            .or(el.attr("name"))
            .or(el.attr("itemprop"))
            .unwrap_or("")
            .to_ascii_lowercase();
        let signs = &mut self.facts.article;
        match key.as_str() {
            "og:type" if content.trim().eq_ignore_ascii_case("article") => signs.markup = true,
            "article:published_time"
            | "datepublished"
            | "pubdate"
            | "publishdate"
            | "dc.date"
            | "dc.date.issued"
            | "date" => signs.dated = true,
            "author" | "article:author" | "dc.creator" if !content.trim().is_empty() => {
                signs.byline = true
            }
            _ => {}
        }
        if el
            .attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
            && self.facts.meta_refresh.is_none()
        {
            let lower = content.to_ascii_lowercase();
            if let Some(pos) = lower.find("url") {
                let target = content[pos + 3..]
                    .trim_start()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches(['"', '\'']);
                if !target.is_empty() {
                    self.facts.meta_refresh = Some(self.resolve(target));
                }
            }
        }
    }

    fn link_element(&mut self, el: &Element, frame: Frame) {
        let Some(href) = el.attr("href") else { return };
        let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
        let rels: Vec<&str> = rel.split_whitespace().collect();
        if rels.contains(&"stylesheet") {
            let r = self.resource(el, href, frame);
            self.push_item(|f| &mut f.stylesheets, r);
        } else if rels
            .iter()
            .any(|r| *r == "icon" || *r == "apple-touch-icon")
        {
            let r = self.resource(el, href, frame);
            self.push_item(|f| &mut f.media, r);
        } else if rels.contains(&"modulepreload")
            || (rels.contains(&"preload")
                && el
                    .attr("as")
                    .is_some_and(|a| a.eq_ignore_ascii_case("script")))
        {
            let r = self.resource(el, href, frame);
            self.push_item(|f| &mut f.scripts, r);
        }
    }

    fn media(&mut self, el: &Element, attr: &str, frame: Frame) {
        if let Some(src) = el.attr(attr).filter(|s| !s.trim().is_empty()) {
            let r = self.resource(el, src, frame);
            self.push_item(|f| &mut f.media, r);
        }
    }

    fn open_form(&mut self, el: &Element, frame: Frame) -> usize {
        let action = el.attr("action").unwrap_or("");
        let form = Form {
            action: self.resolve(action),
            method: el
                .attr("method")
                .map(|m| m.trim().to_ascii_lowercase())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "get".to_string()),
            hidden: frame.hidden.is_some(),
            detached: false,
            inputs: Vec::new(),
            submits: false,
        };
        self.orphaning_form = None;
        let index = self.facts.forms.len();
        if index < self.limits.max_items {
            self.facts.forms.push(form);
            if let Some(id) = el.id() {
                self.forms_by_id.entry(id.to_string()).or_insert(index);
            }
        } else {
            self.hit(LimitHit::Items {
                max: self.limits.max_items,
            });
        }
        index
    }

    fn input(&mut self, el: &Element, frame: Frame) {
        let attr = |name: &str| {
            el.attr(name)
                .map(|v| squeeze(&nfc(v)))
                .filter(|v| !v.is_empty())
        };
        let kind = match el.name() {
            "input" => el
                .attr("type")
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "text".to_string()),
            other => other.to_string(),
        };
        let input = Input {
            tag: el.name().to_string(),
            kind,
            name: attr("name"),
            id: attr("id"),
            label: None,
            placeholder: attr("placeholder"),
            autocomplete: attr("autocomplete").map(|a| a.to_ascii_lowercase()),
            aria_label: attr("aria-label"),
            title: attr("title"),
            context: None,
        };
        let mut input = input;
        if input.takes_entry() {
            let run = if self.run.trim().is_empty() {
                &self.last_run
            } else {
                &self.run
            };
            input.context = context_of(run);
            self.run.clear();
            self.last_run.clear();
        }
        let labelledby: Vec<String> = el
            .attr("aria-labelledby")
            .map(|ids| ids.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let form = el
            .attr("form")
            .and_then(|id| self.forms_by_id.get(id).copied())
            .or(frame.form)
            .or(self.orphaning_form)
            .filter(|i| *i < self.facts.forms.len())
            .unwrap_or_else(|| self.detached_form());
        let Some(target) = self.facts.forms.get_mut(form) else {
            return;
        };
        if target.inputs.len() >= self.limits.max_items {
            self.hit(LimitHit::Items {
                max: self.limits.max_items,
            });
            return;
        }
        target.inputs.push(input);
        let position = (form, target.inputs.len() - 1);
        if !labelledby.is_empty() {
            self.labelledby.push((position, labelledby));
        }
        if let Some(label) = frame.label.and_then(|l| self.labels.get_mut(l)) {
            if label.target_id.is_none() {
                label.wrapped.push(position);
            }
        }
    }

    /// The pseudo-form that collects controls outside any form.
    fn detached_form(&mut self) -> usize {
        if let Some(i) = self.detached_form {
            return i;
        }
        let index = self.facts.forms.len();
        self.facts.forms.push(Form {
            action: self.facts.url.clone(),
            method: "get".to_string(),
            hidden: false,
            detached: true,
            inputs: Vec::new(),
            submits: false,
        });
        self.detached_form = Some(index);
        index
    }

    fn resource(&self, el: &Element, raw: &str, frame: Frame) -> Resource {
        Resource {
            tag: el.name().to_string(),
            url: self.resolve(raw),
            integrity: el
                .attr("integrity")
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            hidden: frame.hidden.is_some(),
            noscript: frame.noscript,
        }
    }

    fn resolve(&self, raw: &str) -> String {
        let raw = raw.trim();
        match self.base.as_ref().and_then(|b| b.join(raw).ok()) {
            Some(url) => url.to_string(),
            None => raw.to_string(),
        }
    }

    /// Appends to a list unless it is full; the index of the new entry, if kept.
    fn push_item<T>(
        &mut self,
        list: impl Fn(&mut PageFacts) -> &mut Vec<T>,
        item: T,
    ) -> Option<usize> {
        let max = self.limits.max_items;
        let target = list(&mut self.facts);
        if target.len() >= max {
            self.hit(LimitHit::Items { max });
            return None;
        }
        target.push(item);
        Some(target.len() - 1)
    }

    fn hit(&mut self, limit: LimitHit) {
        if !self.facts.limits_hit.contains(&limit) {
            self.facts.limits_hit.push(limit);
        }
    }

    fn finish(mut self) -> PageFacts {
        self.layout_break();
        // `aria-labelledby`: the named elements' texts, in the order named.
        let captured: HashMap<&str, String> = self
            .captures
            .iter()
            .map(|(id, text)| (id.as_str(), squeeze(&nfc(text))))
            .collect();
        for ((form, input), ids) in &self.labelledby {
            let text = squeeze(
                &ids.iter()
                    .filter_map(|id| captured.get(id.as_str()))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            if let Some(i) = self
                .facts
                .forms
                .get_mut(*form)
                .and_then(|f| f.inputs.get_mut(*input))
            {
                if i.aria_label.is_none() && !text.is_empty() {
                    i.aria_label = Some(text);
                }
            }
        }
        if let Some(detached) = self.detached_form.and_then(|i| self.facts.forms.get_mut(i)) {
            detached.submits |= self.submit_outside;
        }
        if !self.ld_json.is_empty() {
            let ld = &self.ld_json;
            let signs = &mut self.facts.article;
            signs.markup |= [
                "NewsArticle",
                "\"Article\"",
                "BlogPosting",
                "ReportageNewsArticle",
            ]
            .iter()
            .any(|k| ld.contains(k));
            signs.dated |= ld.contains("datePublished");
            signs.byline |= ld.contains("\"author\"");
        }
        let headline = self.facts.blocks.iter().position(|b| b.heading == 1);
        if let Some(at) = headline {
            self.facts.article.headline = Some(self.facts.blocks[at].text.clone());
            // Many portals print the date and the author as plain text around the
            // headline ("Thứ hai, 10/11/2026 - 15:20", "Minh Anh - Phòng PC02") or at
            // the end of the article.
            let near =
                &self.facts.blocks[at.saturating_sub(2)..(at + 5).min(self.facts.blocks.len())];
            if !self.facts.article.dated {
                self.facts.article.dated = near.iter().any(|b| has_date(&b.text));
            }
            if !self.facts.article.byline {
                let tail_start = self.facts.blocks.len().saturating_sub(4);
                self.facts.article.byline = near
                    .iter()
                    .chain(&self.facts.blocks[tail_start..])
                    .filter(|b| b.heading == 0)
                    .any(|b| looks_like_byline(&b.text));
            }
        }
        // Labels by `for=`, then wrapping labels, for controls that have none yet.
        let mut by_id: HashMap<String, String> = HashMap::new();
        for label in &self.labels {
            let text = squeeze(&nfc(&label.text));
            if text.is_empty() {
                continue;
            }
            if let Some(id) = &label.target_id {
                by_id.entry(id.clone()).or_insert_with(|| text.clone());
            }
            for (form, input) in &label.wrapped {
                if let Some(i) = self
                    .facts
                    .forms
                    .get_mut(*form)
                    .and_then(|f| f.inputs.get_mut(*input))
                {
                    i.label.get_or_insert_with(|| text.clone());
                }
            }
        }
        for form in &mut self.facts.forms {
            for input in &mut form.inputs {
                if input.label.is_none() {
                    input.label = input.id.as_ref().and_then(|id| by_id.get(id)).cloned();
                }
            }
        }
        self.facts.embedded_urls = embedded_urls(&self.inline_script, self.limits.max_items);
        let title = squeeze(&nfc(&self.title));
        self.facts.title = (!title.is_empty()).then_some(title);
        self.facts.visible_text = squeeze(&nfc(&self.visible));
        for block in &mut self.facts.hidden_text {
            block.text = squeeze(&nfc(&block.text));
        }
        self.facts.hidden_text.retain(|b| !b.text.is_empty());
        self.facts
    }
}

/// Class and id names that mark a publication date or an author (compared after
/// splitting the attribute into lower-case words: `post-date` reads `post`, `date`).
const DATE_NAMES: &[&str] = &[
    "date",
    "time",
    "datetime",
    "pubdate",
    "published",
    "publish",
    "posted",
    "ngay",
    "ngaydang",
    "thoigian",
    "timeago",
];
const AUTHOR_NAMES: &[&str] = &[
    "author",
    "byline",
    "tacgia",
    "writer",
    "reporter",
    "nguoiviet",
    "butdanh",
    "signature",
];

/// Lower-case words of an element's class and id.
fn layout_names(el: &Element) -> Vec<String> {
    [el.attr("class"), el.attr("id")]
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The region a block element starts, if it starts one.
fn region_of(el: &Element) -> Option<Region> {
    let by_tag = match el.name() {
        "header" => Some(Region::Header),
        "footer" => Some(Region::Footer),
        "nav" => Some(Region::Nav),
        "aside" => Some(Region::Aside),
        "main" => Some(Region::Main),
        "article" => Some(Region::Article),
        _ => None,
    };
    if by_tag.is_some() {
        return by_tag;
    }
    let by_role = el
        .attr("role")
        .and_then(|r| match r.trim().to_ascii_lowercase().as_str() {
            "navigation" | "menu" | "menubar" => Some(Region::Nav),
            "contentinfo" => Some(Region::Footer),
            "banner" => Some(Region::Header),
            "complementary" => Some(Region::Aside),
            "main" => Some(Region::Main),
            "article" => Some(Region::Article),
            _ => None,
        });
    if by_role.is_some() {
        return by_role;
    }
    if el
        .attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
    {
        return Some(Region::Article);
    }
    if el.attr("class").is_none() && el.attr("id").is_none() {
        return None;
    }
    let names = layout_names(el);
    let has = |list: &[&str]| names.iter().any(|n| list.contains(&n.as_str()));
    if has(&["footer", "foot", "ft", "copyright", "bottom"]) {
        Some(Region::Footer)
    } else if has(&[
        "nav",
        "navbar",
        "menu",
        "mainmenu",
        "breadcrumb",
        "breadcrumbs",
    ]) {
        Some(Region::Nav)
    } else if has(&[
        "sidebar",
        "widget",
        "related",
        "lienquan",
        "tinlienquan",
        "tinkhac",
        "aside",
    ]) {
        Some(Region::Aside)
    } else if has(&[
        "article",
        "articlebody",
        "detail",
        "entry",
        "post",
        "story",
        "noidung",
        "chitiet",
        "baiviet",
        "newsdetail",
        "fck",
    ]) {
        Some(Region::Article)
    } else {
        None
    }
}

/// A calendar date written out: `10/11/2026`, `10-11-2026` or "ngày 10 tháng 11".
fn has_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits_at = |i: usize, n: std::ops::RangeInclusive<usize>| -> Option<usize> {
        let len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        n.contains(&len).then_some(i + len)
    };
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            continue;
        }
        let Some(a) = digits_at(i, 1..=2) else {
            continue;
        };
        let Some(sep) = bytes
            .get(a)
            .copied()
            .filter(|b| *b == b'/' || *b == b'-' || *b == b'.')
        else {
            continue;
        };
        let Some(b) = (a + 1 < bytes.len())
            .then(|| digits_at(a + 1, 1..=2))
            .flatten()
        else {
            continue;
        };
        if bytes.get(b) == Some(&sep) && b + 1 < bytes.len() && digits_at(b + 1, 4..=4).is_some() {
            return true;
        }
    }
    let lower = text.to_lowercase();
    lower.contains("ngày ") && lower.contains(" tháng ")
}

/// A short line naming who wrote or where it comes from: "Minh Anh - Phòng PC02",
/// "Theo Báo Nhân Dân", "Nguồn: TTXVN", "PV".
fn looks_like_byline(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() > 8 || text.trim_end().ends_with(['.', '?', '!', ':']) {
        return false;
    }
    let lower = text.to_lowercase();
    if [
        "theo ",
        "nguồn",
        "pv",
        "bài và ảnh",
        "tác giả",
        "phóng viên",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return true;
    }
    let names = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    words.len() >= 2
        && names >= 2
        && words.iter().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || !c.is_alphanumeric())
        })
}

/// Whether `el` sends a form when pressed.
fn is_submit(el: &Element) -> bool {
    match el.name() {
        "button" => el
            .attr("type")
            .is_none_or(|t| !t.trim().eq_ignore_ascii_case("reset")),
        "input" => el.attr("type").is_some_and(|t| {
            matches!(
                t.trim().to_ascii_lowercase().as_str(),
                "submit" | "image" | "button"
            )
        }),
        _ => el
            .attr("role")
            .is_some_and(|r| r.trim().eq_ignore_ascii_case("button")),
    }
}

/// The end of a run of text, as a control's context: at most [`MAX_CONTEXT_CHARS`]
/// characters, the ones nearest the control.
fn context_of(run: &str) -> Option<String> {
    let text = squeeze(&nfc(run));
    if text.is_empty() {
        return None;
    }
    let count = text.chars().count();
    Some(if count > MAX_CONTEXT_CHARS {
        text.chars().skip(count - MAX_CONTEXT_CHARS).collect()
    } else {
        text
    })
}

fn is_combining_mark_char(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// Whether inline markup glued two Vietnamese syllables: "Nổ Hũ</a><a>Bắn Cá" reads
/// "HũBắn", and "đổi<b>thưởng</b>" reads "đổithưởng". Both sides must hold a vowel (a
/// syllable cannot be cut inside its consonants: "nh<b>à</b>" stays "nhà") and one must
/// carry a Vietnamese diacritic (so "Word<b>Press</b>" stays one word).
fn splits_glued_words(tail: &str, text: &str) -> bool {
    let head: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || is_combining_mark_char(*c))
        .collect();
    if tail.is_empty() || head.is_empty() {
        return false;
    }
    let has_vowel = |s: &str| {
        s.nfd()
            .flat_map(char::to_lowercase)
            .any(|c| "aeiouy".contains(c))
    };
    let accented = |s: &str| super::text::has_diacritics(s);
    let letters = |s: &str| s.chars().all(|c| !c.is_numeric());
    letters(tail)
        && letters(&head)
        && has_vowel(tail)
        && has_vowel(&head)
        && (accented(tail) || accented(&head))
}

/// Absolute (or protocol-relative) http(s) URLs written in script text.
fn embedded_urls(script: &str, max: usize) -> Vec<String> {
    let mut urls = Vec::new();
    let mut at = 0;
    while let Some(pos) = script[at..].find("//") {
        let start = at + pos;
        let before = &script[..start];
        let (from, prefix) = if let Some(b) = before.strip_suffix("https:") {
            (b.len(), "")
        } else if let Some(b) = before.strip_suffix("http:") {
            (b.len(), "")
        } else if before.ends_with(['"', '\'', '(', '=']) {
            (start, "https:")
        } else {
            at = start + 2;
            continue;
        };
        let end = script[start + 2..]
            .find(|c: char| c.is_whitespace() || "\"'`()<>\\,;".contains(c))
            .map_or(script.len(), |p| start + 2 + p);
        at = end;
        if let Ok(url) = Url::parse(&format!("{prefix}{}", &script[from..end])) {
            if url.host_str().is_some_and(|h| h.contains('.')) {
                urls.push(url.to_string());
                if urls.len() >= max {
                    break;
                }
            }
        }
    }
    urls.sort();
    urls.dedup();
    urls
}

#[cfg(test)]
mod tests {
    use super::embedded_urls;

    #[test]
    fn urls_in_tracker_snippets_are_found() {
        let script = "!function(f,b,e,v,n,t,s){t.src=v}(window,document,'script',\
                      'https://connect.facebook.net/en_US/fbevents.js');\
                      var u = \"//www.google-analytics.com/analytics.js\"; // comment: not a url\
                      x = a // b;";
        assert_eq!(
            embedded_urls(script, 10),
            vec![
                "https://connect.facebook.net/en_US/fbevents.js".to_string(),
                "https://www.google-analytics.com/analytics.js".to_string(),
            ]
        );
    }
}
