//! `checks/privacy.toml`: what personal-data fields look like, how a privacy-notice link
//! is worded, and the elements a notice must state (Decree 13/2023/NĐ-CP art. 13 and the
//! Law on Personal Data Protection 91/2025/QH15).

use super::terms::{TermSet, Tokens};
use super::{RuleFileError, RuleInfo, RuleText, check_meta, compile_terms};
use crate::domain::same_site;
use crate::page::text::identifier;
use crate::page::{Input, Link, PageFacts};
use serde::Deserialize;

pub const FILE: &str = "privacy.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    field: Vec<RawField>,
    notice_link: Vec<RawNoticeLink>,
    notice_element: Vec<RawElement>,
}

raw_rule!(RawField {
    label_vi: String,
    label_en: String,
    #[serde(default = "personal")]
    kind: FieldKind,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    autocomplete: Vec<String>,
    /// Substrings of the control's name/id reduced to letters and digits.
    #[serde(default)]
    identifiers: Vec<String>,
    /// Whole names/ids (reduced the same way), for short ambiguous ones like `sdt`.
    #[serde(default)]
    exact_identifiers: Vec<String>,
    /// Words of the label, placeholder or aria-label.
    #[serde(default)]
    terms: Vec<String>,
    /// Label wording that rules this field out even when a term matched
    /// ("địa chỉ email" is not a postal address).
    #[serde(default)]
    unless: Vec<String>,
});

fn personal() -> FieldKind {
    FieldKind::Personal
}

raw_rule!(RawNoticeLink {
    terms: Vec<String>,
    #[serde(default)]
    url_identifiers: Vec<String>,
});

raw_rule!(RawElement {
    label_vi: String,
    label_en: String,
    terms: Vec<String>,
});

/// What a matching control collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Personal,
    /// Needs transport security but is not by itself personal data needing a notice.
    Credential,
    /// A search or look-up box: what is typed is a query, not data about the visitor,
    /// even when it names personal data ("Tìm theo họ tên cán bộ").
    Lookup,
}

#[derive(Debug, Clone)]
pub struct FieldRule {
    pub info: RuleInfo,
    pub label_vi: String,
    pub label_en: String,
    pub kind: FieldKind,
    types: Vec<String>,
    autocomplete: Vec<String>,
    identifiers: Vec<String>,
    exact_identifiers: Vec<String>,
    terms: TermSet,
    unless: TermSet,
}

#[derive(Debug, Clone)]
pub struct ElementRule {
    pub info: RuleInfo,
    pub label_vi: String,
    pub label_en: String,
    terms: TermSet,
}

#[derive(Debug, Clone)]
pub struct PrivacyRules {
    pub fields: Vec<FieldRule>,
    pub elements: Vec<ElementRule>,
    pub(crate) notice_links: Vec<(RuleInfo, TermSet, Vec<String>)>,
}

fn compile_field(
    source: &RuleText<'_>,
    f: &RawField,
    info: RuleInfo,
) -> Result<FieldRule, RuleFileError> {
    let ids = |list: &[String]| list.iter().map(|s| identifier(s)).collect::<Vec<_>>();
    let identifiers = ids(&f.identifiers);
    if let Some(short) = identifiers.iter().find(|i| i.len() < 4) {
        return Err(source.invalid(
            f.id.span(),
            format!(
                "`{}`: identifier `{short}` is too short to match inside names; \
                 list it in exact_identifiers",
                info.id
            ),
        ));
    }
    let matches_nothing = f.types.is_empty()
        && f.autocomplete.is_empty()
        && identifiers.is_empty()
        && f.exact_identifiers.is_empty()
        && f.terms.is_empty();
    if matches_nothing {
        return Err(source.invalid(f.id.span(), format!("`{}` has nothing to match", info.id)));
    }
    Ok(FieldRule {
        label_vi: f.label_vi.clone(),
        label_en: f.label_en.clone(),
        kind: f.kind,
        types: f.types.iter().map(|t| t.to_ascii_lowercase()).collect(),
        autocomplete: f
            .autocomplete
            .iter()
            .map(|t| t.to_ascii_lowercase())
            .collect(),
        identifiers,
        exact_identifiers: ids(&f.exact_identifiers),
        terms: compile_terms(source, &f.id, &f.terms, true)?,
        unless: compile_terms(source, &f.id, &f.unless, true)?,
        info,
    })
}

impl FieldRule {
    fn matches(&self, input: &Input, names: &[String], texts: &[Tokens]) -> bool {
        let by_type = self.types.contains(&input.kind);
        let by_autocomplete = input.autocomplete.as_ref().is_some_and(|a| {
            a.split_whitespace()
                .any(|token| self.autocomplete.iter().any(|r| r == token))
        });
        let by_name = names.iter().any(|n| {
            self.exact_identifiers.contains(n)
                || self.identifiers.iter().any(|i| n.contains(i.as_str()))
        });
        let by_text = texts
            .iter()
            .any(|t| self.terms.any(t) && !self.unless.any(t));
        by_type || by_autocomplete || by_name || by_text
    }
}

impl PrivacyRules {
    pub fn parse(source: &RuleText<'_>) -> Result<PrivacyRules, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let metas = raw
            .field
            .iter()
            .map(RawField::meta)
            .chain(raw.notice_link.iter().map(RawNoticeLink::meta))
            .chain(raw.notice_element.iter().map(RawElement::meta));
        let mut infos = check_meta(source, metas)?.into_iter();
        let mut fields = Vec::new();
        for (f, info) in raw.field.iter().zip(infos.by_ref()) {
            fields.push(compile_field(source, f, info)?);
        }
        let mut notice_links = Vec::new();
        for (l, info) in raw.notice_link.iter().zip(infos.by_ref()) {
            let terms = compile_terms(source, &l.id, &l.terms, false)?;
            let urls = l.url_identifiers.iter().map(|s| identifier(s)).collect();
            notice_links.push((info, terms, urls));
        }
        let mut elements = Vec::new();
        for (e, info) in raw.notice_element.iter().zip(infos) {
            elements.push(ElementRule {
                label_vi: e.label_vi.clone(),
                label_en: e.label_en.clone(),
                terms: compile_terms(source, &e.id, &e.terms, false)?,
                info,
            });
        }
        if elements.is_empty() || notice_links.is_empty() {
            return Err(source.invalid(
                0..0,
                "at least one [[notice_link]] and one [[notice_element]] are required",
            ));
        }
        Ok(PrivacyRules {
            fields,
            elements,
            notice_links,
        })
    }

    /// The field rules an input matches (none for buttons and hidden fields).
    pub fn classify<'r>(&'r self, input: &Input) -> Vec<&'r FieldRule> {
        if !input.takes_entry() {
            return Vec::new();
        }
        let names: Vec<String> = [&input.name, &input.id]
            .into_iter()
            .flatten()
            .map(|n| identifier(n))
            .filter(|n| !n.is_empty())
            .collect();
        let texts: Vec<Tokens> = [&input.label, &input.placeholder, &input.aria_label]
            .into_iter()
            .flatten()
            .map(|t| Tokens::new(t))
            .collect();
        let matched: Vec<&FieldRule> = self
            .fields
            .iter()
            .filter(|rule| rule.matches(input, &names, &texts))
            .collect();
        if matched.iter().any(|f| f.kind == FieldKind::Lookup) {
            return Vec::new();
        }
        matched
    }

    /// Whether a link reads as a privacy notice, by its text or its URL path.
    pub fn is_notice_link(&self, link: &Link) -> bool {
        let text = Tokens::new(&link.text);
        let path = url::Url::parse(&link.url)
            .map(|u| identifier(u.path()))
            .unwrap_or_default();
        self.notice_links.iter().any(|(_, terms, urls)| {
            terms.any(&text) || (!path.is_empty() && urls.iter().any(|u| path.contains(u.as_str())))
        })
    }

    /// The privacy-notice page to fetch for `page`: its first notice link to another
    /// page of the same site (a fragment of the page itself needs no fetch; a notice on
    /// another site is not fetched, for politeness and address safety). Links a visitor
    /// can see come first.
    pub fn notice_link_to_fetch<'p>(&self, page: &'p PageFacts) -> Option<&'p Link> {
        let site = super::url_host(&page.url)?;
        let own = page.url.split('#').next().unwrap_or("");
        let candidates = page.links.iter().filter(|l| {
            l.url.split('#').next() != Some(own)
                && (l.url.starts_with("https://") || l.url.starts_with("http://"))
                && super::url_host(&l.url).is_some_and(|h| same_site(&h, &site))
                && self.is_notice_link(l)
        });
        let (visible, hidden): (Vec<&Link>, Vec<&Link>) = candidates.partition(|l| !l.hidden);
        visible.into_iter().chain(hidden).next()
    }

    /// The notice elements whose wording occurs in `tokens`.
    pub fn elements_present(&self, tokens: &Tokens) -> Vec<&ElementRule> {
        self.elements
            .iter()
            .filter(|e| e.terms.any(tokens))
            .collect()
    }
}
