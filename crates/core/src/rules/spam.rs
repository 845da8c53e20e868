//! `checks/spam.toml`: gambling and betting vocabulary with weights, the wording of news
//! and warnings that discuss gambling without promoting it, and gambling link targets.
//! How the weights combine is `checks::compromise::spam`'s business (and documented in
//! `checks/README.md`).

use super::terms::TermSet;
use super::{
    RuleFileError, RuleInfo, RuleText, check_meta, compile_domains, compile_terms, host_is_under,
};
use crate::page::text::identifier;
use serde::Deserialize;

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
}

raw_rule!(RawTerms {
    kind: TermKind,
    #[serde(default)]
    weight: u32,
    terms: Vec<String>,
});

raw_rule!(RawLinks {
    #[serde(default)]
    domains: Vec<String>,
    /// Host labels starting with one of these (letters and digits only) are gambling
    /// sites: `fb88` covers `fb88vn.bet`, `nhacai` covers `nhacai-uytin.example`.
    #[serde(default)]
    host_prefixes: Vec<String>,
    /// Top-level domains used only for gambling (`bet`, `casino`).
    #[serde(default)]
    tlds: Vec<String>,
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
    pub terms: TermSet,
}

#[derive(Debug, Clone)]
pub struct LinkRule {
    pub info: RuleInfo,
    domains: Vec<String>,
    host_prefixes: Vec<String>,
    tlds: Vec<String>,
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
            groups.push(TermGroup {
                kind: t.kind,
                weight: t.weight,
                terms: compile_terms(source, &t.id, &t.terms, false)?,
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
                tlds: l
                    .tlds
                    .iter()
                    .map(|t| t.trim_start_matches('.').to_ascii_lowercase())
                    .collect(),
                info,
            });
        }
        Ok(SpamRules {
            scoring: raw.scoring,
            groups,
            links,
        })
    }

    /// The link rule a host falls under, when it is a gambling site.
    pub fn gambling_host(&self, host: &str) -> Option<&LinkRule> {
        let labels: Vec<&str> = host.split('.').collect();
        let tld = labels.last().copied().unwrap_or("");
        self.links.iter().find(|rule| {
            rule.domains.iter().any(|d| host_is_under(host, d))
                || rule.tlds.iter().any(|t| t.eq_ignore_ascii_case(tld))
                || labels[..labels.len().saturating_sub(1)]
                    .iter()
                    .any(|label| {
                        let label = identifier(label);
                        rule.host_prefixes
                            .iter()
                            .any(|p| label.starts_with(p.as_str()))
                    })
        })
    }
}
