//! Finding texts: the title and remediation advice a site owner reads for each finding,
//! in Vietnamese and English.
//!
//! The texts are data that staff edit without recompiling (`checks/findings.toml`,
//! compiled in as the default; a checks directory can replace it). A catalog is validated
//! in full when it is loaded, so that looking a text up afterwards cannot fail: a report
//! never shows a blank title because an id was mistyped or forgotten in the file.

use crate::finding::FindingId;
use crate::rulefile::{RuleFileError, RuleSource, RuleText};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// Name of the catalog file inside a checks directory.
pub const CATALOG_FILE: &str = "findings.toml";

/// What the owner reads for one finding id. Serializable so the JSON API and reports can
/// carry it next to the finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingText {
    pub title_vi: String,
    pub title_en: String,
    pub remediation_vi: String,
    pub remediation_en: String,
    /// One authoritative http(s) URL for further reading.
    pub reference: String,
}

/// A complete set of finding texts: one per [`FindingId`], checked at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Indexed by the id's position in [`FindingId::ALL`] (its discriminant), which is
    /// why every id must be present before a `Catalog` can exist.
    texts: Vec<FindingText>,
}

/// What is wrong in a catalog file: the reason of its [`RuleFileError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Bad TOML syntax, or a table that does not fit the schema (missing or unknown field).
    #[error("{0}")]
    Malformed(String),
    #[error("unknown finding id `{0}`")]
    UnknownId(String),
    #[error("`{id}` has an empty `{field}`")]
    EmptyText { id: String, field: &'static str },
    /// A combining diacritic: the text was saved decomposed (NFD), which renders the same
    /// but breaks search and comparison with the NFC text everywhere else.
    #[error(
        "`{id}`.{field} is not NFC: it contains the combining mark U+{code:04X} (save the file with precomposed Vietnamese letters)"
    )]
    Decomposed {
        id: String,
        field: &'static str,
        code: u32,
    },
    #[error("`{id}`.reference `{url}` is not an absolute http(s) URL")]
    BadReference { id: String, url: String },
    /// Every id needs a text. The line is that of the entry the first missing id follows
    /// in catalog order (`after`), which is where it should be added.
    #[error("no entry for {} (the first belongs {})", list(.missing), place(.after))]
    MissingIds {
        missing: Vec<&'static str>,
        after: Option<&'static str>,
    },
}

fn place(after: &Option<&str>) -> String {
    match after {
        Some(id) => format!("after `{id}`"),
        None => "before every other entry".to_string(),
    }
}

fn list(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file as written, with positions kept for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    finding: BTreeMap<Spanned<String>, Spanned<RawText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    title_vi: Spanned<String>,
    title_en: Spanned<String>,
    remediation_vi: Spanned<String>,
    remediation_en: Spanned<String>,
    reference: Spanned<String>,
}

impl RawText {
    fn fields(&self) -> [(&'static str, &Spanned<String>); 5] {
        [
            ("title_vi", &self.title_vi),
            ("title_en", &self.title_en),
            ("remediation_vi", &self.remediation_vi),
            ("remediation_en", &self.remediation_en),
            ("reference", &self.reference),
        ]
    }

    fn into_text(self) -> FindingText {
        FindingText {
            title_vi: self.title_vi.into_inner(),
            title_en: self.title_en.into_inner(),
            remediation_vi: self.remediation_vi.into_inner(),
            remediation_en: self.remediation_en.into_inner(),
            reference: self.reference.into_inner(),
        }
    }
}

impl Catalog {
    /// The catalog compiled into the binary. Returns a `Result` rather than panicking so
    /// that a bad edit to the built-in file surfaces as an error (and fails the tests).
    pub fn builtin() -> Result<Catalog, RuleFileError> {
        let source = RuleSource::builtin(CATALOG_FILE);
        Catalog::from_toml(&source.name, &source.text)
    }

    /// Parses and validates a catalog; `file_name` only labels error messages.
    pub fn from_toml(file_name: &str, text: &str) -> Result<Catalog, RuleFileError> {
        Catalog::checked(text).map_err(|(offset, problem)| {
            RuleText {
                file: file_name,
                text,
            }
            .invalid_at(offset, problem.to_string())
        })
    }

    /// The catalog, or the first fault with the byte offset it sits at.
    fn checked(text: &str) -> Result<Catalog, (Option<usize>, Problem)> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            (
                e.span().map(|s| s.start),
                Problem::Malformed(e.message().trim().to_string()),
            )
        })?;

        // Report problems in file order, so the first message points at the first fault.
        let mut entries: Vec<_> = raw.finding.into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);

        let mut found: BTreeMap<FindingId, Spanned<RawText>> = BTreeMap::new();
        for (key, entry) in entries {
            let id: FindingId = key.get_ref().parse().map_err(|_| {
                (
                    Some(key.span().start),
                    Problem::UnknownId(key.get_ref().clone()),
                )
            })?;
            check_fields(id, entry.get_ref())
                .map_err(|(offset, problem)| (Some(offset), problem))?;
            found.insert(id, entry);
        }

        let missing: Vec<FindingId> = FindingId::ALL
            .iter()
            .copied()
            .filter(|id| !found.contains_key(id))
            .collect();
        if let Some(first) = missing.first() {
            let after = FindingId::ALL
                .iter()
                .take_while(|id| *id != first)
                .filter(|id| found.contains_key(id))
                .last()
                .copied();
            let offset = after
                .and_then(|id| found.get(&id))
                .or_else(|| found.values().min_by_key(|e| e.span().start))
                .map(|e| e.span().start);
            return Err((
                offset,
                Problem::MissingIds {
                    missing: missing.iter().map(|id| id.as_str()).collect(),
                    after: after.map(FindingId::as_str),
                },
            ));
        }

        let mut texts = Vec::with_capacity(FindingId::ALL.len());
        for id in FindingId::ALL {
            if let Some(entry) = found.remove(id) {
                texts.push(entry.into_inner().into_text());
            }
        }
        Ok(Catalog { texts })
    }

    /// The texts for `id`; every id has one, the loader made sure of it.
    pub fn text(&self, id: FindingId) -> &FindingText {
        &self.texts[slot(id)]
    }

    /// Every id with its texts, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (FindingId, &FindingText)> {
        FindingId::ALL.iter().copied().zip(self.texts.iter())
    }
}

/// Position of `id` in [`FindingId::ALL`]: the catalog macro declares both in the same
/// order, so the discriminant is the index (a test holds it to that).
fn slot(id: FindingId) -> usize {
    id as usize
}

/// First fault in one entry, with the byte offset it sits at.
fn check_fields(id: FindingId, entry: &RawText) -> Result<(), (usize, Problem)> {
    for (field, value) in entry.fields() {
        let at = value.span().start;
        let s = value.get_ref();
        if s.trim().is_empty() {
            return Err((
                at,
                Problem::EmptyText {
                    id: id.as_str().to_string(),
                    field,
                },
            ));
        }
        if let Some(c) = s.chars().find(|c| is_combining_diacritic(*c)) {
            return Err((
                at,
                Problem::Decomposed {
                    id: id.as_str().to_string(),
                    field,
                    code: u32::from(c),
                },
            ));
        }
    }
    let reference = entry.reference.get_ref();
    let ok = url::Url::parse(reference)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .unwrap_or(false);
    if !ok {
        return Err((
            entry.reference.span().start,
            Problem::BadReference {
                id: id.as_str().to_string(),
                url: reference.clone(),
            },
        ));
    }
    Ok(())
}

/// Combining Diacritical Marks block. Every Vietnamese letter has a precomposed form, so
/// one of these in catalog text means the text was stored decomposed.
fn is_combining_diacritic(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY_LINES: usize = 7;

    /// A well-formed entry whose texts name their id, so a lookup can be traced back.
    fn entry(id: &str) -> String {
        format!(
            "[finding.\"{id}\"]\ntitle_vi = \"Tiêu đề {id}\"\ntitle_en = \"Title {id}\"\n\
             remediation_vi = \"Khắc phục {id}\"\nremediation_en = \"Fix {id}\"\n\
             reference = \"https://example.org/{id}\"\n\n"
        )
    }

    fn file_of(ids: &[&str]) -> String {
        ids.iter().map(|id| entry(id)).collect()
    }

    fn all_ids() -> Vec<&'static str> {
        FindingId::ALL.iter().map(|id| id.as_str()).collect()
    }

    /// 1-based line of the `[finding."…"]` header of the k-th generated entry.
    fn header_line(k: usize) -> usize {
        k * ENTRY_LINES + 1
    }

    /// Loads `text` as `test.toml`, expecting a refusal; returns (message, line, problem).
    fn refused(text: &str) -> (String, usize, Problem) {
        let Err((offset, problem)) = Catalog::checked(text) else {
            panic!("expected a refusal");
        };
        let message = Catalog::from_toml("test.toml", text)
            .expect_err("the same refusal")
            .to_string();
        let line = offset.map_or(0, |o| crate::rulefile::line_of(text, o));
        assert_eq!(message, format!("test.toml:{line}: {problem}"));
        (message, line, problem)
    }

    #[test]
    fn builtin_loads_and_covers_every_id() {
        let catalog = Catalog::builtin().expect("the built-in catalog must load");
        assert_eq!(catalog.iter().count(), FindingId::ALL.len());
        for id in FindingId::ALL {
            let t = catalog.text(*id);
            assert_ne!(t.title_vi, t.title_en, "{id}: title not translated");
            assert_ne!(
                t.remediation_vi, t.remediation_en,
                "{id}: remediation not translated"
            );
            assert!(t.reference.starts_with("https://"), "{id}: {}", t.reference);
        }
    }

    #[test]
    fn builtin_titles_tell_findings_apart() {
        let catalog = Catalog::builtin().expect("built-in");
        let mut vi = std::collections::HashSet::new();
        let mut en = std::collections::HashSet::new();
        for (id, t) in catalog.iter() {
            assert!(vi.insert(t.title_vi.as_str()), "{id}: duplicate title_vi");
            assert!(en.insert(t.title_en.as_str()), "{id}: duplicate title_en");
        }
    }

    #[test]
    fn builtin_file_is_nfc_vietnamese() {
        // Independent of the loader: scan the raw file for combining diacritics.
        let decomposed: Vec<(usize, char)> = crate::rulefile::builtin_text(CATALOG_FILE)
            .unwrap_or_default()
            .lines()
            .enumerate()
            .flat_map(|(n, l)| l.chars().map(move |c| (n + 1, c)))
            .filter(|(_, c)| ('\u{0300}'..='\u{036F}').contains(c))
            .collect();
        assert!(decomposed.is_empty(), "combining marks at {decomposed:?}");
        // And it really is Vietnamese with tone marks, written precomposed.
        for letter in ['ế', 'ư', 'ộ', 'đ', 'ả'] {
            assert!(
                crate::rulefile::builtin_text(CATALOG_FILE)
                    .unwrap_or_default()
                    .contains(letter),
                "no `{letter}` in the file"
            );
        }
    }

    #[test]
    fn each_id_gets_its_own_entry() {
        let catalog = Catalog::from_toml("test.toml", &file_of(&all_ids())).expect("loads");
        for id in FindingId::ALL {
            assert_eq!(catalog.text(*id).title_en, format!("Title {id}"));
        }
    }

    #[test]
    fn a_missing_id_is_refused_where_it_belongs() {
        let mut ids = all_ids();
        let later = ids.remove(9);
        let gone = ids.remove(5);
        let (message, line, problem) = refused(&file_of(&ids));
        assert_eq!(line, header_line(4), "line of the entry it follows");
        assert_eq!(
            problem,
            Problem::MissingIds {
                missing: vec![gone, later],
                after: Some(ids[4])
            }
        );
        assert!(message.starts_with(&format!("test.toml:{}: ", header_line(4))));
        assert!(
            message.contains(gone) && message.contains(later),
            "{message}"
        );
    }

    #[test]
    fn a_missing_first_id_points_at_the_first_entry() {
        let ids = all_ids();
        let (_, line, problem) = refused(&file_of(&ids[1..]));
        assert_eq!(line, 1);
        assert_eq!(
            problem,
            Problem::MissingIds {
                missing: vec![ids[0]],
                after: None
            }
        );
    }

    #[test]
    fn an_unknown_id_is_refused_with_its_line() {
        let mut ids = all_ids();
        let n = ids.len();
        ids.push("header.hsts.mising");
        let (message, line, problem) = refused(&file_of(&ids));
        assert_eq!(line, header_line(n));
        assert_eq!(problem, Problem::UnknownId("header.hsts.mising".into()));
        assert!(message.starts_with(&format!("test.toml:{}: ", header_line(n))));
    }

    #[test]
    fn a_syntax_error_is_refused_with_its_line() {
        let ids = all_ids();
        let text = file_of(&ids).replacen(
            &format!("title_en = \"Title {}\"", ids[3]),
            &format!("title_en = \"Title {}", ids[3]),
            1,
        );
        let (message, line, problem) = refused(&text);
        assert_eq!(line, header_line(3) + 2, "{message}");
        assert!(matches!(problem, Problem::Malformed(_)));
        assert!(message.starts_with(&format!("test.toml:{}: ", header_line(3) + 2)));
    }

    #[test]
    fn a_misspelt_field_is_refused_with_its_line() {
        let ids = all_ids();
        let text = file_of(&ids).replacen(
            &format!("title_vi = \"Tiêu đề {}\"", ids[2]),
            &format!("titel_vi = \"Tiêu đề {}\"", ids[2]),
            1,
        );
        let (message, line, problem) = refused(&text);
        assert!(matches!(problem, Problem::Malformed(_)));
        assert!(message.contains("titel_vi"), "{message}");
        assert_eq!(line, header_line(2) + 1, "{message}");
    }

    #[test]
    fn empty_text_is_refused() {
        let ids = all_ids();
        let text = file_of(&ids).replacen(
            &format!("remediation_en = \"Fix {}\"", ids[2]),
            "remediation_en = \"  \"",
            1,
        );
        let (message, line, problem) = refused(&text);
        assert_eq!(line, header_line(2) + 4, "{message}");
        assert_eq!(
            problem,
            Problem::EmptyText {
                id: ids[2].to_string(),
                field: "remediation_en"
            }
        );
    }

    #[test]
    fn decomposed_vietnamese_is_refused() {
        let ids = all_ids();
        // "Thiếu" typed with combining circumflex and acute instead of the letter ế.
        let text = file_of(&ids).replacen(
            &format!("title_vi = \"Tiêu đề {}\"", ids[7]),
            "title_vi = \"Thie\u{0302}\u{0301}u HSTS\"",
            1,
        );
        let (message, line, problem) = refused(&text);
        assert_eq!(line, header_line(7) + 1, "{message}");
        assert_eq!(
            problem,
            Problem::Decomposed {
                id: ids[7].to_string(),
                field: "title_vi",
                code: 0x0302
            }
        );
        assert!(message.contains("U+0302"), "{message}");
    }

    #[test]
    fn a_reference_must_be_an_absolute_web_url() {
        let ids = all_ids();
        for bad in [
            "developer.mozilla.org/en-US/",
            "ftp://example.org/x",
            "see RFC 6797",
        ] {
            let text = file_of(&ids).replacen(
                &format!("reference = \"https://example.org/{}\"", ids[0]),
                &format!("reference = \"{bad}\""),
                1,
            );
            let (message, line, problem) = refused(&text);
            assert_eq!(line, header_line(0) + 5, "{message}");
            assert!(
                matches!(problem, Problem::BadReference { ref url, .. } if url == bad),
                "{message}"
            );
        }
    }
}
