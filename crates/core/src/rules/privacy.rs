//! `checks/privacy.toml`: what personal-data fields look like (and which of them are
//! sensitive), how a privacy-notice link is worded, the elements a notice must state and
//! the statements that state them, and which law's list of elements applies when.
//!
//! Notice elements are judged by statements ([`super::statements`]): each element lists
//! the word patterns of sentences that state it and refusals for look-alikes, with
//! example sentences that must and must not be credited to it. The examples are checked
//! when the file is loaded (so by `trustlabel checks lint` too): a rule edit that stops
//! crediting its own example, or starts crediting a look-alike, refuses the file.
//!
//! The element list is versioned by law: each `[[law]]` applies from its
//! `effective_from` day until the next one, and a verdict names the law it applied.

use super::statements::{Pattern, Unit, term_words, unit_tokens, units};
use super::terms::{TermSet, Tokens};
use super::{RuleFileError, RuleInfo, RuleText, check_meta, compile_terms};
use crate::domain::same_site;
use crate::page::text::identifier;
use crate::page::{Input, Link, PageFacts, Region, TextBlock};
use serde::Deserialize;
use time::Date;
use toml::Spanned;

pub const FILE: &str = "privacy.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    law: Vec<RawLaw>,
    field: Vec<RawField>,
    notice_link: Vec<RawNoticeLink>,
    notice_element: Vec<RawElement>,
}

/// A law (or decree) that says what a processing notice must state, from a day on.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLaw {
    id: Spanned<String>,
    title_vi: String,
    title_en: String,
    effective_from: Spanned<String>,
    reference: Spanned<String>,
    elements: Spanned<Vec<String>>,
    #[serde(default)]
    sensitive_elements: Vec<String>,
}

raw_rule!(RawField {
    label_vi: String,
    label_en: String,
    #[serde(default = "personal")]
    kind: FieldKind,
    /// One of the law's special categories (health, biometrics, religion...): reported
    /// as `privacy.collects_sensitive_data`, with the stricter notice requirements.
    #[serde(default)]
    sensitive: bool,
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
    /// What the owner should add when the element is missing.
    add_vi: String,
    add_en: String,
    statement: Vec<RawPattern>,
    #[serde(default)]
    refusal: Vec<RawPattern>,
    /// Sentences that must be credited to this element.
    must_fire: Vec<Spanned<String>>,
    /// Look-alike sentences that must not be.
    #[serde(default)]
    must_not_fire: Vec<Spanned<String>>,
});

/// Groups of terms that must stand within `window` words of one another.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    groups: Spanned<Vec<Vec<String>>>,
    /// Match the sentence alone, not the heading or introduction it is read under.
    #[serde(default)]
    in_sentence: bool,
    /// Match only a list read under its heading or introduction, or a table cell read
    /// under its label cell (a heading alone names a section; it states nothing about
    /// the paragraph under it).
    #[serde(default)]
    in_list: bool,
    /// Distinct terms needed from each group (1 each when absent).
    #[serde(default)]
    counts: Vec<usize>,
    #[serde(default = "default_window")]
    window: usize,
    #[serde(default)]
    ordered: bool,
    /// Phrases whose words the groups may not use ("để lại" holds no purpose "để").
    #[serde(default)]
    except: Vec<String>,
}

fn default_window() -> usize {
    12
}

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
    pub sensitive: bool,
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
    pub add_vi: String,
    pub add_en: String,
    statements: Vec<Statement>,
    refusals: Vec<Pattern>,
}

/// A statement pattern and where it may match.
#[derive(Debug, Clone)]
struct Statement {
    pattern: Pattern,
    in_sentence: bool,
    in_list: bool,
}

/// A unit's words: with its heading or introduction, and the sentence alone.
pub struct UnitTokens {
    pub whole: Tokens,
    pub body: Tokens,
    pub listed: bool,
}

impl UnitTokens {
    pub fn of(unit: &Unit) -> UnitTokens {
        let body = unit_tokens(&unit.body);
        let whole = if unit.prefix.is_empty() {
            body.clone()
        } else {
            unit_tokens(&unit.text())
        };
        UnitTokens {
            whole,
            body,
            listed: unit.listed,
        }
    }
}

impl ElementRule {
    /// Whether a unit of text states this element: a statement pattern matches and no
    /// refusal (look-alike) does.
    pub fn stated_by(&self, unit: &UnitTokens) -> bool {
        self.statements.iter().any(|s| {
            (unit.listed || !s.in_list)
                && s.pattern.matches(if s.in_sentence {
                    &unit.body
                } else {
                    &unit.whole
                })
        }) && !self.refusals.iter().any(|p| p.matches(&unit.whole))
    }
}

/// The law in force from a day on, and the notice elements it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Law {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub effective_from: Date,
    pub reference: String,
    /// Indices into [`PrivacyRules::elements`].
    pub elements: Vec<usize>,
    /// Further elements required of a notice when sensitive data is collected.
    pub sensitive_elements: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct PrivacyRules {
    pub fields: Vec<FieldRule>,
    pub elements: Vec<ElementRule>,
    /// Oldest first.
    pub laws: Vec<Law>,
    pub(crate) notice_links: Vec<(RuleInfo, TermSet, Vec<String>)>,
}

/// What a notice page states: for each element of [`PrivacyRules::elements`], the
/// first unit of text that states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeReading {
    pub stated: Vec<Option<String>>,
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
        sensitive: f.sensitive,
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
    /// Matched by the control's type or autocomplete token.
    fn by_kind(&self, input: &Input) -> bool {
        self.types.contains(&input.kind)
            || input.autocomplete.as_ref().is_some_and(|a| {
                a.split_whitespace()
                    .any(|token| self.autocomplete.iter().any(|r| r == token))
            })
    }

    /// Matched by the control's name or id.
    fn by_name(&self, names: &[String]) -> bool {
        names.iter().any(|n| {
            self.exact_identifiers.contains(n)
                || self.identifiers.iter().any(|i| n.contains(i.as_str()))
        })
    }

    /// Matched by the words a person reads next to the control.
    fn by_text(&self, texts: &[Tokens]) -> bool {
        texts
            .iter()
            .any(|t| self.terms.any(t) && !self.unless.any(t))
    }
}

/// Builds one statement or refusal pattern.
fn compile_pattern(
    source: &RuleText<'_>,
    id: &str,
    raw: &RawPattern,
) -> Result<Pattern, RuleFileError> {
    let groups = raw.groups.get_ref();
    let at = raw.groups.span();
    if groups.is_empty() || groups.iter().any(Vec::is_empty) {
        return Err(source.invalid(at, format!("`{id}`: a pattern needs groups of terms")));
    }
    if !raw.counts.is_empty() && raw.counts.len() != groups.len() {
        return Err(source.invalid(at, format!("`{id}`: counts must give one number per group")));
    }
    if raw.window == 0 || raw.counts.contains(&0) {
        return Err(source.invalid(at, format!("`{id}`: window and counts must be at least 1")));
    }
    let mut compiled = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        let words: Vec<String> = group.iter().map(|t| term_words(t)).collect();
        let set = TermSet::new(words.iter().map(String::as_str))
            .map_err(|e| source.invalid(at.clone(), format!("`{id}`: {e}")))?;
        compiled.push((set, raw.counts.get(i).copied().unwrap_or(1)));
    }
    let except = TermSet::new(raw.except.iter().map(String::as_str))
        .map_err(|e| source.invalid(at.clone(), format!("`{id}`: {e}")))?;
    Ok(Pattern::new(compiled, raw.window, raw.ordered).except(except))
}

/// Builds an element and checks its examples.
fn compile_element(
    source: &RuleText<'_>,
    e: &RawElement,
    info: RuleInfo,
) -> Result<ElementRule, RuleFileError> {
    let id = info.id.clone();
    if e.statement.is_empty() {
        return Err(source.invalid(e.id.span(), format!("`{id}` has no [[statement]]")));
    }
    if e.must_fire.is_empty() {
        return Err(source.invalid(
            e.id.span(),
            format!("`{id}` needs must_fire examples of sentences that state it"),
        ));
    }
    let mut statements = Vec::new();
    for p in &e.statement {
        statements.push(Statement {
            pattern: compile_pattern(source, &id, p)?,
            in_sentence: p.in_sentence,
            in_list: p.in_list,
        });
    }
    let mut refusals = Vec::new();
    for p in &e.refusal {
        refusals.push(compile_pattern(source, &id, p)?);
    }
    let rule = ElementRule {
        label_vi: e.label_vi.clone(),
        label_en: e.label_en.clone(),
        add_vi: e.add_vi.trim().to_string(),
        add_en: e.add_en.trim().to_string(),
        statements,
        refusals,
        info,
    };
    let example_tokens = |text: &str| {
        // An example is read as written: "Heading: items" as a listed unit.
        let (prefix, body) = match text.split_once(": ") {
            Some((head, rest)) => (format!("{head}: "), rest.to_string()),
            None => (String::new(), text.to_string()),
        };
        let unit = Unit {
            listed: !prefix.is_empty(),
            prefix,
            body,
        };
        UnitTokens::of(&unit)
    };
    for example in &e.must_fire {
        if !rule.stated_by(&example_tokens(example.get_ref())) {
            return Err(source.invalid(
                example.span(),
                format!(
                    "`{id}`: must_fire example is not credited: {}",
                    example.get_ref()
                ),
            ));
        }
    }
    for example in &e.must_not_fire {
        if rule.stated_by(&example_tokens(example.get_ref())) {
            return Err(source.invalid(
                example.span(),
                format!(
                    "`{id}`: must_not_fire example is credited: {}",
                    example.get_ref()
                ),
            ));
        }
    }
    Ok(rule)
}

/// Builds the laws, oldest first, checking their dates and element names.
fn compile_laws(
    source: &RuleText<'_>,
    raw: &[RawLaw],
    elements: &[ElementRule],
) -> Result<Vec<Law>, RuleFileError> {
    let day_format = time::macros::format_description!("[year]-[month]-[day]");
    let index = |names: &[String],
                 at: std::ops::Range<usize>,
                 law: &str|
     -> Result<Vec<usize>, RuleFileError> {
        names
            .iter()
            .map(|name| {
                elements
                    .iter()
                    .position(|e| e.info.id == *name)
                    .ok_or_else(|| {
                        source.invalid(
                            at.clone(),
                            format!("law `{law}` names `{name}`, which is no [[notice_element]]"),
                        )
                    })
            })
            .collect()
    };
    let mut laws: Vec<Law> = Vec::new();
    for l in raw {
        let id = l.id.get_ref().clone();
        let effective_from =
            Date::parse(l.effective_from.get_ref(), &day_format).map_err(|_| {
                source.invalid(
                    l.effective_from.span(),
                    format!(
                        "law `{id}`: `{}` is not a date like 2026-01-01",
                        l.effective_from.get_ref()
                    ),
                )
            })?;
        let absolute = url::Url::parse(l.reference.get_ref())
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !absolute {
            return Err(source.invalid(
                l.reference.span(),
                format!("law `{id}`: reference is not an absolute http(s) URL"),
            ));
        }
        if laws
            .iter()
            .any(|o| o.id == id || o.effective_from == effective_from)
        {
            return Err(source.invalid(
                l.id.span(),
                format!("law `{id}` repeats another law's id or effective_from"),
            ));
        }
        let required = index(l.elements.get_ref(), l.elements.span(), &id)?;
        if required.is_empty() {
            return Err(
                source.invalid(l.elements.span(), format!("law `{id}` requires no element"))
            );
        }
        laws.push(Law {
            elements: required,
            sensitive_elements: index(&l.sensitive_elements, l.id.span(), &id)?,
            title_vi: l.title_vi.trim().to_string(),
            title_en: l.title_en.trim().to_string(),
            effective_from,
            reference: l.reference.get_ref().clone(),
            id,
        });
    }
    if laws.is_empty() {
        return Err(source.invalid(0..0, "at least one [[law]] is required"));
    }
    laws.sort_by_key(|l| l.effective_from);
    Ok(laws)
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
            elements.push(compile_element(source, e, info)?);
        }
        if elements.is_empty() || notice_links.is_empty() {
            return Err(source.invalid(
                0..0,
                "at least one [[notice_link]] and one [[notice_element]] are required",
            ));
        }
        let laws = compile_laws(source, &raw.law, &elements)?;
        Ok(PrivacyRules {
            fields,
            elements,
            laws,
            notice_links,
        })
    }

    /// The law in force on `day`: the latest one whose `effective_from` has come (the
    /// oldest one before any has).
    pub fn law_at(&self, day: Date) -> Option<&Law> {
        self.laws
            .iter()
            .rev()
            .find(|l| l.effective_from <= day)
            .or_else(|| self.laws.first())
    }

    /// What `notice` states, element by element (see [`NoticeReading`]).
    pub fn read_notice(&self, notice: &PageFacts) -> NoticeReading {
        let mut stated: Vec<Option<String>> = vec![None; self.elements.len()];
        // The page's own content first, its header and footer (a hotline, an
        // address) after: the proof shown is the notice's sentence when it has one.
        // Sidebars (other news, widgets) are not part of the notice at all.
        let (chrome, content): (Vec<TextBlock>, Vec<TextBlock>) = notice
            .blocks
            .iter()
            .filter(|b| b.region != Region::Aside)
            .cloned()
            .partition(|b| matches!(b.region, Region::Header | Region::Footer));
        for unit in units(&content).into_iter().chain(units(&chrome)) {
            if stated.iter().all(Option::is_some) {
                break;
            }
            let tokens = UnitTokens::of(&unit);
            for (slot, element) in stated.iter_mut().zip(&self.elements) {
                if slot.is_none() && element.stated_by(&tokens) {
                    *slot = Some(unit.text());
                }
            }
        }
        NoticeReading { stated }
    }

    /// The field rules an input matches (none for buttons and hidden fields).
    ///
    /// A control is read as a person reads it: by its label (`<label>`, aria), else the
    /// text right before it (the previous table cell), and its placeholder and title;
    /// its type and autocomplete token count too. Its name and id, which a person never
    /// sees, count only when no visible text names any kind of data ("txtEmail" under
    /// the label "Họ tên" is a name field). A control any source calls a search box is
    /// never collecting.
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
        let labelled = input.label.is_some() || input.aria_label.is_some();
        let context = input.context.as_ref().filter(|_| !labelled);
        let texts: Vec<Tokens> = [
            &input.label,
            &input.aria_label,
            &input.placeholder,
            &input.title,
        ]
        .into_iter()
        .flatten()
        .chain(context)
        .map(|t| Tokens::new(t))
        .collect();
        let by_text: Vec<&FieldRule> = self.fields.iter().filter(|r| r.by_text(&texts)).collect();
        let by_name = |r: &&FieldRule| r.by_name(&names);
        if by_text.iter().any(|f| f.kind == FieldKind::Lookup)
            || self
                .fields
                .iter()
                .filter(by_name)
                .any(|f| f.kind == FieldKind::Lookup)
            || self
                .fields
                .iter()
                .any(|f| f.kind == FieldKind::Lookup && f.by_kind(input))
        {
            return Vec::new();
        }
        let named_by_text = !by_text.is_empty();
        self.fields
            .iter()
            .filter(|r| {
                by_text.iter().any(|t| std::ptr::eq(*t, *r))
                    || r.by_kind(input)
                    || (!named_by_text && r.by_name(&names))
            })
            .collect()
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
}
