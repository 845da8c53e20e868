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

use crate::collect::http::same_site;
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
    /// Terms that counted, by region ("visible", "hidden (display:none)"), with counts.
    pub terms: Vec<String>,
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
        if !self.terms.is_empty() {
            parts.push(format!("terms: {}", self.terms.join(", ")));
        }
        if !self.links.is_empty() {
            parts.push(format!(
                "links to gambling hosts: {}",
                self.links.join(", ")
            ));
        }
        excerpt(&parts.join("; "), 600)
    }
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
    terms: &mut Vec<String>,
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
            terms.push(format!("\"{}\" ×{n} ({region})", group.terms.display(term)));
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
