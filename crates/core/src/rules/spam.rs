//! `checks/spam.toml`: gambling and betting vocabulary in families with weights (terms,
//! and word shapes for brand names: `go88`, `98win`, `kubet`), the wording of news and
//! warnings that discuss gambling without promoting it, and gambling link targets. How
//! the weights combine is `checks::compromise::spam`'s business (and documented in
//! `checks/README.md`).
//!
//! Every family carries examples checked when the file is loaded: texts it must find
//! (`must_fire`), words it must not take for its own (`must_not_match`), and news
//! sentences (`must_not_fire`) that, as the body of a news article, must stay below the
//! threshold — the must-not-fire twin of each family.

use super::terms::{TermSet, Tokens};
use super::{RuleFileError, RuleInfo, RuleText, check_meta, compile_domains, host_is_under};

use crate::page::text::identifier;
use regex::RegexSet;
use serde::Deserialize;
use toml::Spanned;

pub const FILE: &str = "spam.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    scoring: Scoring,
    terms: Vec<RawTerms>,
    #[serde(default)]
    links: Vec<RawLinks>,
}

/// How evidence adds up to a finding.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Score at which a page is judged to carry spam.
    pub threshold: u32,
    /// Multiplier for terms and links a visitor cannot see.
    pub hidden_factor: u32,
    /// Occurrences of one term counted per region (repetition is cheap for spammers).
    pub max_count: u32,
    /// Distinct `counter` terms that mark visible text as news or a warning about
    /// gambling, in which `generic` and `brand` terms are not counted.
    pub counter_min: u32,
    /// Score of each distinct outbound gambling host linked.
    pub link_weight: u32,
    /// Multiplier for text in the page's footer, where injected link blocks sit.
    #[serde(default = "two")]
    pub footer_factor: u32,
    /// Multiplier for the text of links to other sites, counted on top of the region
    /// the links stand in (injected link farms are made of them).
    #[serde(default = "one")]
    pub outbound_factor: u32,
    /// Text reads as news or a warning only while it has no more than this many
    /// distinct advertising phrases per distinct counter term.
    #[serde(default = "two")]
    pub news_promo_ratio: u32,
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

raw_rule!(RawTerms {
    kind: TermKind,
    #[serde(default)]
    weight: u32,
    terms: Vec<String>,
    /// Regular expressions a whole word (lower-case letters and digits, accents removed)
    /// must match: the shapes of brand names (`^[0-9]{1,3}[a-z]?(bet|win)$`).
    #[serde(default)]
    word_patterns: Vec<String>,
    /// Terms of two words or more also match with other tone marks ("nỗ hủ").
    #[serde(default)]
    tone_slips: bool,
    /// Most points the family adds in one region (before the region's factor): words
    /// any lottery or news page uses must not convict a page on their own.
    #[serde(default)]
    cap: Option<u32>,
    must_fire: Vec<Spanned<String>>,
    #[serde(default)]
    must_not_match: Vec<Spanned<String>>,
    #[serde(default)]
    must_not_fire: Vec<Spanned<String>>,
});

raw_rule!(RawLinks {
    #[serde(default)]
    domains: Vec<String>,
    /// Host labels starting with one of these (letters and digits only) are gambling
    /// sites: `fb88` covers `fb88vn.bet`, `nhacai` covers `nhacai-uytin.example`.
    #[serde(default)]
    host_prefixes: Vec<String>,
    /// Regular expressions matched against each host label and each `-`-separated
    /// part of one (`kuwin-ok` has `kuwin`): brand shapes with anything after them.
    #[serde(default)]
    host_patterns: Vec<String>,
    /// Top-level domains used only for gambling (`bet`, `casino`).
    #[serde(default)]
    tlds: Vec<String>,
    must_fire: Vec<Spanned<String>>,
    #[serde(default)]
    must_not_fire: Vec<Spanned<String>>,
});

/// What a group of terms says about a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// Gambling words any article about gambling uses ("cá cược", "casino").
    Generic,
    /// Calls to action only an advertisement uses ("nhà cái uy tín", "link vào").
    Promo,
    /// Names of gambling operators.
    Brand,
    /// Wording of news and warnings ("công an", "triệt phá", "cảnh báo").
    Counter,
}

#[derive(Debug, Clone)]
pub struct TermGroup {
    pub info: RuleInfo,
    pub kind: TermKind,
    pub weight: u32,
    pub cap: Option<u32>,
    pub terms: TermSet,
    /// Word shapes (see `word_patterns`), when the family has any.
    pub shapes: Option<RegexSet>,
}

impl TermGroup {
    /// Words of `text` that have one of the family's shapes (lower-case ASCII), in
    /// order, repeats kept.
    pub fn shaped_words(&self, text: &str) -> Vec<String> {
        let Some(shapes) = &self.shapes else {
            return Vec::new();
        };
        brand_candidates(text)
            .filter(|w| shapes.is_match(w))
            .collect()
    }

    /// Whether the family finds anything in `text`.
    pub fn finds(&self, text: &str) -> bool {
        self.terms.any(&Tokens::new(text)) || !self.shaped_words(text).is_empty()
    }
}

/// Words that could be brand names: runs of letters and digits (accents removed,
/// lower-cased) of 3 to 16 characters that hold a digit or end like a brand does.
pub fn brand_candidates(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| (3..=16).contains(&w.len()) && w.is_ascii())
        .map(str::to_ascii_lowercase)
        .filter(|w| {
            w.bytes().any(|b| b.is_ascii_digit())
                || ["bet", "win", "vip", "club", "vin", "casino"]
                    .iter()
                    .any(|s| w.ends_with(s))
        })
}

#[derive(Debug, Clone)]
pub struct LinkRule {
    pub info: RuleInfo,
    domains: Vec<String>,
    host_prefixes: Vec<String>,
    host_patterns: Option<RegexSet>,
    tlds: Vec<String>,
}

/// Compiles a family's regular expressions, refusing bad ones at the rule's line.
fn compile_shapes(
    source: &RuleText<'_>,
    at: &Spanned<String>,
    patterns: &[String],
) -> Result<Option<RegexSet>, RuleFileError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    RegexSet::new(patterns)
        .map(Some)
        .map_err(|e| source.invalid(at.span(), format!("`{}`: bad pattern: {e}", at.get_ref())))
}

#[derive(Debug, Clone)]
pub struct SpamRules {
    pub scoring: Scoring,
    pub groups: Vec<TermGroup>,
    pub links: Vec<LinkRule>,
}

impl SpamRules {
    pub fn parse(source: &RuleText<'_>) -> Result<SpamRules, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let metas = raw
            .terms
            .iter()
            .map(RawTerms::meta)
            .chain(raw.links.iter().map(RawLinks::meta));
        let mut infos = check_meta(source, metas)?.into_iter();
        if raw.scoring.threshold == 0 || raw.scoring.max_count == 0 {
            return Err(
                source.invalid(0..0, "[scoring] threshold and max_count must be at least 1")
            );
        }
        let mut groups = Vec::new();
        for (t, info) in raw.terms.iter().zip(infos.by_ref()) {
            if t.kind != TermKind::Counter && t.weight == 0 {
                return Err(
                    source.invalid(t.id.span(), format!("`{}` needs a weight above 0", info.id))
                );
            }
            if t.terms.is_empty() && t.word_patterns.is_empty() {
                return Err(source.invalid(t.id.span(), format!("`{}` lists no terms", info.id)));
            }
            let terms = if t.tone_slips {
                TermSet::with_tone_slips(t.terms.iter().map(String::as_str))
            } else {
                TermSet::new(t.terms.iter().map(String::as_str))
            }
            .map_err(|e| source.invalid(t.id.span(), format!("`{}`: {e}", info.id)))?;
            groups.push(TermGroup {
                kind: t.kind,
                weight: t.weight,
                cap: t.cap,
                terms,
                shapes: compile_shapes(source, &t.id, &t.word_patterns)?,
                info,
            });
        }
        let mut links = Vec::new();
        for (l, info) in raw.links.iter().zip(infos) {
            let prefixes: Vec<String> = l.host_prefixes.iter().map(|p| identifier(p)).collect();
            if prefixes.iter().any(|p| p.len() < 3) {
                return Err(source.invalid(
                    l.id.span(),
                    format!("`{}`: host prefixes need 3 letters or more", info.id),
                ));
            }
            links.push(LinkRule {
                domains: compile_domains(source, &l.id, &l.domains)?,
                host_prefixes: prefixes,
                host_patterns: compile_shapes(source, &l.id, &l.host_patterns)?,
                tlds: l
                    .tlds
                    .iter()
                    .map(|t| t.trim_start_matches('.').to_ascii_lowercase())
                    .collect(),
                info,
            });
        }
        let rules = SpamRules {
            scoring: raw.scoring.clone(),
            groups,
            links,
        };
        rules.check_examples(source, &raw)?;
        Ok(rules)
    }

    /// The examples of every family and link rule (see the module docs).
    fn check_examples(&self, source: &RuleText<'_>, raw: &RawFile) -> Result<(), RuleFileError> {
        for (group, t) in self.groups.iter().zip(&raw.terms) {
            let id = &group.info.id;
            if t.must_fire.is_empty() {
                return Err(source.invalid(
                    t.id.span(),
                    format!("`{id}` needs must_fire examples of text it finds"),
                ));
            }
            if group.kind != TermKind::Counter && t.must_not_fire.is_empty() {
                return Err(source.invalid(
                    t.id.span(),
                    format!("`{id}` needs must_not_fire news sentences that use its words"),
                ));
            }
            for example in &t.must_fire {
                if !group.finds(example.get_ref()) {
                    return Err(source.invalid(
                        example.span(),
                        format!(
                            "`{id}`: must_fire example finds nothing: {}",
                            example.get_ref()
                        ),
                    ));
                }
            }
            for example in &t.must_not_match {
                if group.finds(example.get_ref()) {
                    return Err(source.invalid(
                        example.span(),
                        format!(
                            "`{id}`: must_not_match example is found: {}",
                            example.get_ref()
                        ),
                    ));
                }
            }
            for example in &t.must_not_fire {
                let score =
                    crate::checks::compromise::spam::news_twin_score(example.get_ref(), self);
                if score >= self.scoring.threshold {
                    return Err(source.invalid(
                        example.span(),
                        format!(
                            "`{id}`: must_not_fire news sentence scores {score} (threshold {}): {}",
                            self.scoring.threshold,
                            example.get_ref()
                        ),
                    ));
                }
            }
        }
        for (rule, l) in self.links.iter().zip(&raw.links) {
            let id = &rule.info.id;
            if l.must_fire.is_empty() {
                return Err(
                    source.invalid(l.id.span(), format!("`{id}` needs must_fire example hosts"))
                );
            }
            for host in &l.must_fire {
                if !rule.covers(host.get_ref()) {
                    return Err(source.invalid(
                        host.span(),
                        format!("`{id}`: must_fire host is not covered: {}", host.get_ref()),
                    ));
                }
            }
            for host in &l.must_not_fire {
                if rule.covers(host.get_ref()) {
                    return Err(source.invalid(
                        host.span(),
                        format!("`{id}`: must_not_fire host is covered: {}", host.get_ref()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The link rule a host falls under, when it is a gambling site.
    pub fn gambling_host(&self, host: &str) -> Option<&LinkRule> {
        self.links.iter().find(|rule| rule.covers(host))
    }
}

impl LinkRule {
    /// Whether `host` is one of this rule's gambling sites.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = host.split('.').collect();
        let tld = labels.last().copied().unwrap_or("");
        let names = &labels[..labels.len().saturating_sub(1)];
        self.domains.iter().any(|d| host_is_under(&host, d))
            || self.tlds.iter().any(|t| t.eq_ignore_ascii_case(tld))
            || names.iter().any(|label| {
                let whole = identifier(label);
                self.host_prefixes
                    .iter()
                    .any(|p| whole.starts_with(p.as_str()))
                    || self.host_patterns.as_ref().is_some_and(|set| {
                        set.is_match(&whole) || label.split('-').any(|part| set.is_match(part))
                    })
            })
    }
}
