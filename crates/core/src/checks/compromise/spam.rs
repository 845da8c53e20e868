//! Gambling spam in a page, scored from the vocabulary of `checks/spam.toml`.
//!
//! Precision matters as much as recall: a ministry's news article about a police raid on
//! a betting ring uses the same words as the spam. So words alone weigh little; what
//! weighs is what spam does and news does not — advertising calls to action, operator
//! names outside a news context, outbound links to gambling hosts, and above all hiding
//! it from visitors. The scoring (documented in `checks/README.md`):
//! - visible text (with the title): each term adds its weight per occurrence, at most
//!   `max_count` occurrences per term; when the text reads as news or a warning
//!   (`counter_min` distinct counter terms), generic words and operator names are not
//!   counted, only advertising phrases;
//! - hidden text: the same, times `hidden_factor`, with no news exception (nobody hides
//!   a warning);
//! - each distinct outbound gambling host linked: `link_weight`, times `hidden_factor`
//!   when the link is hidden.

use crate::domain::same_site;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::PageFacts;
use crate::page::text::excerpt;
use crate::rules::spam::{SpamRules, TermKind};
use crate::rules::terms::Tokens;
use crate::rules::url_host;
use std::collections::BTreeMap;

/// What the spam scoring found in one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpamAssessment {
    pub score: u32,
    /// Part of the score that came from content hidden from visitors.
    pub hidden_score: u32,
    /// The visible text reads as news or a warning about gambling.
    pub news_context: bool,
    /// Terms that counted: (region, term, occurrences counted), region being "visible"
    /// or "hidden (display:none)" and the like.
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

/// Scores one page (see the module docs).
pub fn assess(page: &PageFacts, rules: &SpamRules) -> SpamAssessment {
    let mut result = SpamAssessment::default();
    let mut visible = page.title.clone().unwrap_or_default();
    visible.push(' ');
    visible.push_str(&page.visible_text);
    let visible = Tokens::new(&visible);
    let counters: usize = rules
        .groups
        .iter()
        .filter(|g| g.kind == TermKind::Counter)
        .map(|g| g.terms.found(&visible).len())
        .sum();
    result.news_context = counters >= rules.scoring.counter_min as usize;
    let counted = |kind: TermKind, news: bool| match kind {
        TermKind::Counter => false,
        TermKind::Promo => true,
        TermKind::Generic | TermKind::Brand => !news,
    };
    let visible_score = score_region(&visible, rules, 1, "visible", &mut result.terms, |k| {
        counted(k, result.news_context)
    });
    let mut hidden_score = 0;
    let mut by_reason: BTreeMap<&str, String> = BTreeMap::new();
    for block in &page.hidden_text {
        let text = by_reason.entry(block.reason.as_str()).or_default();
        text.push(' ');
        text.push_str(&block.text);
    }
    for (reason, text) in by_reason {
        let region = format!("hidden ({reason})");
        hidden_score += score_region(
            &Tokens::new(&text),
            rules,
            rules.scoring.hidden_factor,
            &region,
            &mut result.terms,
            |k| counted(k, false),
        );
    }
    let site = url_host(&page.url).unwrap_or_default();
    let mut hosts: BTreeMap<String, bool> = BTreeMap::new();
    for link in &page.links {
        let Some(host) = url_host(&link.url) else {
            continue;
        };
        if same_site(&host, &site) || rules.gambling_host(&host).is_none() {
            continue;
        }
        let visible_somewhere = hosts.entry(host).or_insert(link.hidden);
        *visible_somewhere &= link.hidden;
    }
    for (host, hidden) in hosts {
        if hidden {
            hidden_score += rules.scoring.link_weight * rules.scoring.hidden_factor;
            result.links.push(format!("{host} (hidden)"));
        } else {
            result.score += rules.scoring.link_weight;
            result.links.push(host);
        }
    }
    result.hidden_score = hidden_score;
    result.score += visible_score + hidden_score;
    result
}

/// Score of one region; appends `"term" ×n (region)` for each term that counted.
fn score_region(
    tokens: &Tokens,
    rules: &SpamRules,
    factor: u32,
    region: &str,
    terms: &mut Vec<(String, String, u32)>,
    counts: impl Fn(TermKind) -> bool,
) -> u32 {
    let mut score = 0;
    for group in rules.groups.iter().filter(|g| counts(g.kind)) {
        let mut per_term: BTreeMap<usize, u32> = BTreeMap::new();
        for m in group.terms.find(tokens) {
            *per_term.entry(m.term).or_default() += 1;
        }
        for (term, n) in per_term {
            let n = n.min(rules.scoring.max_count);
            score += group.weight * n * factor;
            terms.push((region.to_string(), group.terms.display(term).to_string(), n));
        }
    }
    score
}

/// `compromise.spam_injection` for a page, critical when the spam is hidden.
pub fn check(page: &PageFacts, rules: &SpamRules) -> Option<Finding> {
    let assessment = assess(page, rules);
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
        assert!(f.detail.contains("\"nhà cái uy tín\""), "{}", f.detail);
        assert!(f.detail.contains("w88-link.example"), "{}", f.detail);
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
}
