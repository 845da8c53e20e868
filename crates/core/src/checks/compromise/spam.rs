//! Gambling spam in a page, scored from the vocabulary of `checks/spam.toml`.
//!
//! Precision matters as much as recall: a news article about a police raid, or one that
//! quotes the advertisements it reports on, uses the same words as the spam. So words
//! alone weigh little; what weighs is where they stand and what spam does that news does
//! not — advertising calls to action, operator names outside a news context, outbound
//! links to gambling hosts, injected footers and link farms, and above all hiding it
//! from visitors. The page is read by region (documented in `checks/README.md`):
//! - the body of a news article — a page with a headline, a date and an author or
//!   article markup, whose text reports (counter wording such as "phóng viên", "công
//!   an", "cảnh báo" outnumbers the advertising phrases) and which links to no gambling
//!   host — counts nothing: it may quote brand names and slogans;
//! - other visible text (with the title): each term adds its weight per occurrence, at
//!   most `max_count` per term; when the visible text as a whole reads as news or a
//!   warning, generic words and operator names are not counted, only advertising;
//! - the footer: the same, times `footer_factor`, with no news exception;
//! - the text of visible links to other sites: once more, times `outbound_factor`;
//! - hidden text: times `hidden_factor`, with no news exception (nobody hides a
//!   warning);
//! - each distinct outbound gambling host linked: `link_weight`, times `hidden_factor`
//!   when the link is hidden.

use crate::domain::same_site;
use crate::evidence::{Body, Header, HttpResponse};
use crate::finding::{Finding, FindingId, Severity};
use crate::page::text::{excerpt, identifier};
use crate::page::{PageFacts, PageLimits, Region, analyse_page};
use crate::rules::spam::{SpamRules, TermGroup, TermKind};
use crate::rules::terms::{TermMatch, Tokens};
use crate::rules::url_host;
use std::collections::{BTreeMap, BTreeSet};

/// What the spam scoring found in one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpamAssessment {
    pub score: u32,
    /// Part of the score that came from content hidden from visitors.
    pub hidden_score: u32,
    /// The visible text reads as news or a warning about gambling.
    pub news_context: bool,
    /// The page is a news article whose body reports on gambling: its body counted
    /// nothing.
    pub news_article: bool,
    /// Terms that counted: (region, term, occurrences counted), region being "visible",
    /// "footer", "outbound links", "article" or "hidden (display:none)" and the like.
    pub terms: Vec<(String, String, u32)>,
    /// Outbound gambling hosts linked, with "(hidden)" when the link is hidden.
    pub links: Vec<String>,
}

impl SpamAssessment {
    pub fn is_spam(&self, rules: &SpamRules) -> bool {
        self.score >= rules.scoring.threshold
    }

    /// Hidden content alone makes at least half the threshold: the page hides spam.
    pub fn is_hidden(&self, rules: &SpamRules) -> bool {
        self.hidden_score * 2 >= rules.scoring.threshold
    }

    /// A bounded, human-readable account of the score.
    pub fn describe(&self, rules: &SpamRules) -> String {
        let mut parts = vec![format!(
            "score {} (threshold {})",
            self.score, rules.scoring.threshold
        )];
        if self.news_article {
            parts.push("article body read as news".to_string());
        }
        if !self.links.is_empty() {
            parts.push(format!("links to gambling hosts: {}", listed(&self.links)));
        }
        let mut regions: Vec<&str> = self.terms.iter().map(|(r, _, _)| r.as_str()).collect();
        regions.dedup();
        for region in regions {
            let terms: Vec<String> = self
                .terms
                .iter()
                .filter(|(r, _, _)| r == region)
                .map(|(_, term, n)| format!("\"{term}\" ×{n}"))
                .collect();
            parts.push(format!("{region}: {}", listed(&terms)));
        }
        excerpt(&parts.join("; "), 800)
    }
}

/// The first entries of a list, and how many more.
fn listed(items: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// One region's text, read once for every family.
struct Scan {
    /// Per family: its term matches, and the words of its brand shapes.
    matches: Vec<Vec<TermMatch>>,
    shaped: Vec<Vec<String>>,
}

impl Scan {
    fn new(text: &str, rules: &SpamRules) -> Scan {
        let tokens = Tokens::new(text);
        Scan {
            matches: rules.groups.iter().map(|g| g.terms.find(&tokens)).collect(),
            shaped: rules.groups.iter().map(|g| g.shaped_words(text)).collect(),
        }
    }

    /// Distinct terms of families of `kind` found here, as (family, term).
    fn distinct(&self, rules: &SpamRules, kind: TermKind) -> BTreeSet<(usize, usize)> {
        rules
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.kind == kind)
            .flat_map(|(i, _)| self.matches[i].iter().map(move |m| (i, m.term)))
            .collect()
    }
}

/// Whether text with these counter and advertising terms reads as news or a warning:
/// enough distinct counter terms, and no more advertising than the ratio allows.
fn reports(counters: usize, promos: usize, rules: &SpamRules) -> bool {
    let s = &rules.scoring;
    counters >= s.counter_min as usize && promos <= counters * s.news_promo_ratio as usize
}

/// Scores one page (see the module docs).
pub fn assess(page: &PageFacts, rules: &SpamRules) -> SpamAssessment {
    let mut result = SpamAssessment::default();
    let mut article = String::new();
    let mut footer = String::new();
    let mut other = String::new();
    for block in &page.blocks {
        let target = match block.region {
            Region::Article => &mut article,
            Region::Footer => &mut footer,
            _ => &mut other,
        };
        target.push(' ');
        target.push_str(&block.text);
    }
    let site = url_host(&page.url).unwrap_or_default();
    let mut outbound = String::new();
    // Gambling hosts linked, and whether every link to each is hidden.
    let mut hosts: BTreeMap<String, bool> = BTreeMap::new();
    for link in &page.links {
        let Some(host) = url_host(&link.url) else {
            continue;
        };
        if same_site(&host, &site) {
            continue;
        }
        if !link.hidden {
            outbound.push(' ');
            outbound.push_str(&link.text);
        }
        if rules.gambling_host(&host).is_some() {
            let all_hidden = hosts.entry(host).or_insert(link.hidden);
            *all_hidden &= link.hidden;
        }
    }
    let article_scan = Scan::new(&article, rules);
    let signs = &page.article;
    let links_gambling = hosts.values().any(|hidden| !hidden);
    result.news_article = signs.headline.is_some()
        && signs.dated
        && (signs.byline || signs.markup)
        && !article.trim().is_empty()
        && !links_gambling
        && reports(
            article_scan.distinct(rules, TermKind::Counter).len(),
            article_scan.distinct(rules, TermKind::Promo).len(),
            rules,
        );
    // A news article's title is its headline: part of what it reports.
    if !result.news_article {
        if let Some(title) = &page.title {
            other.push(' ');
            other.push_str(title);
        }
    }
    let scans = [
        Scan::new(&other, rules),
        article_scan,
        Scan::new(&footer, rules),
    ];
    let distinct = |kind: TermKind| -> usize {
        scans
            .iter()
            .flat_map(|scan| scan.distinct(rules, kind))
            .collect::<BTreeSet<_>>()
            .len()
    };
    result.news_context = reports(
        distinct(TermKind::Counter),
        distinct(TermKind::Promo),
        rules,
    );
    let news = result.news_context;
    let counted = move |kind: TermKind, exempt: bool| match kind {
        TermKind::Counter => false,
        TermKind::Promo => true,
        TermKind::Generic | TermKind::Brand => !exempt,
    };
    // Text that reads as news quotes the advertising it reports on: the slogans it puts
    // in quotation marks are not its own.
    let [visible_scan, article_scan, footer_scan] = scans;
    let (visible_scan, article_scan) = if news {
        (
            Scan::new(&unquoted(&other), rules),
            Scan::new(&unquoted(&article), rules),
        )
    } else {
        (visible_scan, article_scan)
    };
    let mut score = 0;
    score += score_scan(&visible_scan, rules, 1, "visible", &mut result.terms, |k| {
        counted(k, news)
    });
    if !result.news_article {
        score += score_scan(&article_scan, rules, 1, "article", &mut result.terms, |k| {
            counted(k, news)
        });
    }
    score += score_scan(
        &footer_scan,
        rules,
        rules.scoring.footer_factor,
        "footer",
        &mut result.terms,
        |k| counted(k, false),
    );
    if !outbound.trim().is_empty() {
        score += score_scan(
            &Scan::new(&outbound, rules),
            rules,
            rules.scoring.outbound_factor,
            "outbound links",
            &mut result.terms,
            |k| counted(k, false),
        );
    }
    let mut hidden_score = 0;
    let mut by_reason: BTreeMap<&str, String> = BTreeMap::new();
    for block in &page.hidden_text {
        let text = by_reason.entry(block.reason.as_str()).or_default();
        text.push(' ');
        text.push_str(&block.text);
    }
    for (reason, text) in by_reason {
        let region = format!("hidden ({reason})");
        let scan = Scan::new(&text, rules);
        // Collapsed tabs and menus hide news headlines too; what reads as news there
        // counts only its advertising, like visible news does.
        let hidden_news = reports(
            scan.distinct(rules, TermKind::Counter).len(),
            scan.distinct(rules, TermKind::Promo).len(),
            rules,
        );
        hidden_score += score_scan(
            &scan,
            rules,
            rules.scoring.hidden_factor,
            &region,
            &mut result.terms,
            |k| counted(k, hidden_news),
        );
    }
    for (host, hidden) in hosts {
        if hidden {
            hidden_score += rules.scoring.link_weight * rules.scoring.hidden_factor;
            result.links.push(format!("{host} (hidden)"));
        } else {
            score += rules.scoring.link_weight;
            result.links.push(host);
        }
    }
    result.hidden_score = hidden_score;
    result.score = score + hidden_score;
    result
}

/// `text` without what it quotes: spans between quotation marks (“…”, «…», "…",
/// '…') of at most 120 characters.
fn unquoted(text: &str) -> String {
    const PAIRS: [(char, char); 5] = [('“', '”'), ('«', '»'), ('"', '"'), ('‘', '’'), ('\'', '\'')];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while let Some((at, open)) = rest
        .char_indices()
        .find(|(_, c)| PAIRS.iter().any(|(o, _)| o == c))
    {
        let close = PAIRS
            .iter()
            .find(|(o, _)| *o == open)
            .map_or(open, |(_, c)| *c);
        let after = &rest[at + open.len_utf8()..];
        if let Some(end) = after.find(close) {
            if after[..end].chars().count() <= 120 {
                out.push_str(&rest[..at]);
                out.push(' ');
                rest = &after[end + close.len_utf8()..];
                continue 'outer;
            }
        }
        out.push_str(&rest[..at + open.len_utf8()]);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Score of one region; appends `"term" ×n (region)` for each term or brand word that
/// counted. A brand word found both as a listed term and by its shape counts once.
fn score_scan(
    scan: &Scan,
    rules: &SpamRules,
    factor: u32,
    region: &str,
    terms: &mut Vec<(String, String, u32)>,
    counts: impl Fn(TermKind) -> bool,
) -> u32 {
    let mut score = 0;
    for (i, group) in rules.groups.iter().enumerate() {
        if !counts(group.kind) {
            continue;
        }
        let mut points = 0;
        for (word, n) in occurrences(group, &scan.matches[i], &scan.shaped[i]) {
            let n = n.min(rules.scoring.max_count);
            points += group.weight * n;
            terms.push((region.to_string(), word, n));
        }
        score += group.cap.map_or(points, |cap| points.min(cap)) * factor;
    }
    score
}

/// Each distinct term or shaped word of a family with its number of occurrences.
fn occurrences(group: &TermGroup, matches: &[TermMatch], shaped: &[String]) -> Vec<(String, u32)> {
    let mut per_term: BTreeMap<usize, u32> = BTreeMap::new();
    for m in matches {
        *per_term.entry(m.term).or_default() += 1;
    }
    let mut out: Vec<(String, u32)> = per_term
        .into_iter()
        .map(|(term, n)| (group.terms.display(term).to_string(), n))
        .collect();
    let listed: BTreeSet<String> = out.iter().map(|(t, _)| identifier(t)).collect();
    let mut per_word: BTreeMap<&str, u32> = BTreeMap::new();
    for word in shaped.iter().filter(|w| !listed.contains(*w)) {
        *per_word.entry(word).or_default() += 1;
    }
    out.extend(per_word.into_iter().map(|(w, n)| (w.to_string(), n)));
    out
}

/// `compromise.spam_injection` for a page, critical when the spam is hidden.
pub fn check(page: &PageFacts, rules: &SpamRules) -> Option<Finding> {
    finding(&assess(page, rules), rules)
}

/// The finding an assessment amounts to, if any.
pub fn finding(assessment: &SpamAssessment, rules: &SpamRules) -> Option<Finding> {
    if !assessment.is_spam(rules) {
        return None;
    }
    let (severity, how) = if assessment.is_hidden(rules) {
        (Severity::Critical, "hidden from visitors")
    } else {
        (Severity::High, "visible")
    };
    Some(Finding::new(
        FindingId::CompromiseSpamInjection,
        severity,
        format!("gambling spam, {how}: {}", assessment.describe(rules)),
    ))
}

/// The score of `text` as the body of a news article (headline from its first
/// sentence, a date and an author): the must-not-fire twin of a spam family.
pub fn news_twin_score(text: &str, rules: &SpamRules) -> u32 {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let headline: String = text
        .split(['.', '!', '?'])
        .next()
        .unwrap_or(text)
        .chars()
        .take(150)
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{h}</title>\
         <meta property=\"og:type\" content=\"article\">\
         <meta property=\"article:published_time\" content=\"2026-01-05T08:00:00+07:00\">\
         </head><body><article><h1>{h}</h1><p class=\"author\">Phóng viên</p><p>{t}</p>\
         </article></body></html>",
        h = escape(&headline),
        t = escape(text)
    );
    let response = HttpResponse {
        status: 200,
        version: "HTTP/1.1".to_string(),
        headers: vec![Header {
            name: "content-type".to_string(),
            value: "text/html; charset=utf-8".to_string(),
            invalid_utf8: false,
        }],
        body: Body {
            bytes: html.into_bytes(),
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 0,
    };
    let page = analyse_page(
        "https://news.example.vn/bai-viet",
        &response,
        &PageLimits::default(),
    );
    assess(&page, rules).score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::pages::*;
    use crate::checks::test_support::{html_page, page_rules};
    use crate::page::{PageLimits, analyse_page};

    fn page(body: &[u8]) -> PageFacts {
        analyse_page(
            "https://truong.example.edu.vn/",
            &html_page(body, &[]),
            &PageLimits::default(),
        )
    }

    #[test]
    fn hidden_gambling_links_are_critical_spam() {
        let rules = page_rules();
        let f = check(&page(SPAM_HIDDEN), &rules.spam).expect("spam");
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.detail.contains("hidden from visitors"), "{}", f.detail);
        assert!(
            f.detail
                .contains("hidden (off-screen position): \"tài xỉu\" ×1"),
            "{}",
            f.detail
        );
        assert!(f.detail.contains("fb88vn.bet (hidden)"), "{}", f.detail);
    }

    #[test]
    fn visible_unaccented_spam_is_found() {
        let rules = page_rules();
        let f = check(&page(SPAM_VISIBLE), &rules.spam).expect("spam");
        assert_eq!(f.severity, Severity::High);
        assert!(f.detail.contains("w88-link.example"), "{}", f.detail);
        let assessment = assess(&page(SPAM_VISIBLE), &rules.spam);
        assert!(
            assessment
                .terms
                .iter()
                .any(|(region, term, _)| region == "visible" && term == "nhà cái uy tín"),
            "{:?}",
            assessment.terms
        );
    }

    #[test]
    fn a_news_article_warning_about_gambling_is_not_spam() {
        let rules = page_rules();
        let assessment = assess(&page(NEWS_GAMBLING), &rules.spam);
        assert!(assessment.news_context);
        assert!(
            !assessment.is_spam(&rules.spam),
            "{}",
            assessment.describe(&rules.spam)
        );
        assert_eq!(check(&page(GOV_HOME), &rules.spam), None);
    }

    #[test]
    fn a_stray_mention_or_one_gambling_link_is_below_the_threshold() {
        let rules = page_rules();
        let one_link = page(b"<p>Trang tin</p><a href='https://fb88.com/'>doi tac</a>");
        assert_eq!(check(&one_link, &rules.spam), None);
        let two_links = page(
            b"<p>Trang tin</p><a href='https://fb88.com/'>a</a><a href='https://kubet.example/'>b</a>",
        );
        assert!(check(&two_links, &rules.spam).is_some());
        let menu = page(
            "<nav style='display:none'><a href='/tin'>Phòng chống cờ bạc</a></nav>".as_bytes(),
        );
        assert_eq!(check(&menu, &rules.spam), None);
    }

    #[test]
    fn brand_families_are_found_by_their_shape_and_glued_words_survive() {
        let rules = page_rules();
        let doorway = page(
            "<title>98win</title><p>kuwin<b>88</b> tải go<i>88</i>, hi88vip, \
             789club, <b>đổi thưởng</b>10</p>"
                .as_bytes(),
        );
        let a = assess(&doorway, &rules.spam);
        let found: Vec<&str> = a.terms.iter().map(|(_, t, _)| t.as_str()).collect();
        for brand in ["98win", "go88", "hi88vip", "789club", "đổi thưởng"] {
            assert!(found.contains(&brand), "{brand} not in {found:?}");
        }
        assert!(a.is_spam(&rules.spam), "{}", a.describe(&rules.spam));
        for word in ["alphabet", "năm 1988", "darwin"] {
            let p = page(format!("<p>{word}</p>").as_bytes());
            assert_eq!(assess(&p, &rules.spam).score, 0, "{word}");
        }
    }

    #[test]
    fn a_news_article_may_quote_what_spam_says_but_not_link_to_it() {
        let rules = page_rules();
        let article = |extra: &str| {
            page(
                format!(
                    "<meta property='article:published_time' content='2026-01-01'>\
                     <article><h1>Quảng cáo cờ bạc tràn lan</h1><p class='author'>Thu Hà</p>\
                     <p>Theo ghi nhận của phóng viên, các trang như go88, sunwin quảng cáo \
                     'nhà cái uy tín', 'link vào không bị chặn', 'nạp rút siêu tốc'; \
                     nhiều người dùng phản ánh bị lừa đảo.</p>{extra}</article>"
                )
                .as_bytes(),
            )
        };
        let news = assess(&article(""), &rules.spam);
        assert!(news.news_article, "{}", news.describe(&rules.spam));
        assert_eq!(news.score, 0, "{}", news.describe(&rules.spam));
        let affiliate = assess(
            &article(
                "<a href='https://go88-vip.example/'>vào go88</a> \
                 <a href='https://sunwin-vn.example/'>sunwin</a>",
            ),
            &rules.spam,
        );
        assert!(!affiliate.news_article);
        assert!(
            affiliate.is_spam(&rules.spam),
            "{}",
            affiliate.describe(&rules.spam)
        );
    }

    #[test]
    fn a_footer_link_farm_counts_double_with_no_news_excuse() {
        let rules = page_rules();
        let page = page(
            "<p>Công an tỉnh cảnh báo, khuyến cáo người dân.</p>\
             <footer><a href='https://a.example/'>game bài đổi thưởng</a> \
             <a href='https://b.example/'>soi kèo</a></footer>"
                .as_bytes(),
        );
        let a = assess(&page, &rules.spam);
        assert!(
            a.terms
                .iter()
                .any(|(r, t, _)| r == "footer" && t == "soi kèo")
        );
        assert!(a.is_spam(&rules.spam), "{}", a.describe(&rules.spam));
    }
}
