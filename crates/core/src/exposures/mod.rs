//! The exposure rules (`checks/exposures.toml`): which paths to probe on every site and
//! what an answer must contain to prove that a file or page is exposed.
//!
//! One rule set serves both sides: the collector asks it which paths to request, the
//! `exposure` check asks it whether a recorded answer proves anything. The file is data
//! staff edit without recompiling (compiled in as the default, replaced by `--checks DIR`)
//! and is validated in full when loaded, so a typo is refused with file and line instead
//! of silently probing nothing or accusing everyone.

mod proof;

pub use proof::{LineCount, Proof, ProofError};

use crate::finding::{Category, FindingId, Severity};
use crate::rulefile::{RuleFileError, RuleSource, RuleText};
use serde::Deserialize;
use std::collections::HashSet;
use toml::Spanned;
use url::Url;

/// Name of the rule file inside a checks directory.
pub const EXPOSURES_FILE: &str = "exposures.toml";

/// A validated rule set, in file order (which is also the order paths are probed in, so
/// the most telling paths should come first when the request budget is small).
#[derive(Debug, Clone)]
pub struct ExposureRules {
    version: String,
    rules: Vec<ExposureRule>,
}

#[derive(Debug, Clone)]
pub struct ExposureRule {
    pub id: String,
    /// Always an `exposure.*` id (checked at load).
    pub finding: FindingId,
    pub severity: Severity,
    /// Each starts with `/` and stays on the probed site.
    pub paths: Vec<String>,
    pub rationale: String,
    pub reference: String,
    pub proof: Proof,
    /// Keep the matched text out of the finding (the file holds secrets).
    pub redact: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Spanned<String>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    finding: Spanned<String>,
    severity: Spanned<Severity>,
    paths: Spanned<Vec<Spanned<String>>>,
    rationale: Spanned<String>,
    reference: Spanned<String>,
    proof: Spanned<RawProof>,
    #[serde(default)]
    redact: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProof {
    #[serde(default)]
    all: Vec<Spanned<String>>,
    #[serde(default)]
    any: Vec<Spanned<String>>,
    #[serde(default)]
    none: Vec<Spanned<String>>,
    min_lines: Option<Spanned<RawLines>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLines {
    pattern: Spanned<String>,
    count: usize,
}

/// A fault at a byte offset of the file being loaded.
type Fault = (usize, String);

impl ExposureRules {
    /// The rules compiled into the binary. A `Result` so a bad edit to the built-in file
    /// fails the tests instead of panicking in production.
    pub fn builtin() -> Result<ExposureRules, RuleFileError> {
        let source = RuleSource::builtin(EXPOSURES_FILE);
        ExposureRules::from_toml(&source.name, &source.text)
    }

    /// Parses and validates a rule file; `file_name` only labels error messages.
    pub fn from_toml(file_name: &str, text: &str) -> Result<ExposureRules, RuleFileError> {
        let file = RuleText {
            file: file_name,
            text,
        };
        let invalid = |offset: Option<usize>, reason: String| file.invalid_at(offset, reason);
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| invalid(e.span().map(|s| s.start), e.message().trim().to_string()))?;
        if raw.version.get_ref().trim().is_empty() {
            return Err(invalid(
                Some(raw.version.span().start),
                "`version` is empty".into(),
            ));
        }
        let mut ids = HashSet::new();
        let mut rules = Vec::with_capacity(raw.rule.len());
        for rule in raw.rule {
            if !ids.insert(rule.id.get_ref().clone()) {
                return Err(invalid(
                    Some(rule.id.span().start),
                    format!("rule id `{}` is used twice", rule.id.get_ref()),
                ));
            }
            let rule = validate(rule).map_err(|(offset, reason)| invalid(Some(offset), reason))?;
            rules.push(rule);
        }
        Ok(ExposureRules {
            version: raw.version.into_inner(),
            rules,
        })
    }

    pub fn rules(&self) -> &[ExposureRule] {
        &self.rules
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every distinct path, in rule-file order: what the collector requests.
    pub fn paths(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.rules
            .iter()
            .flat_map(|r| r.paths.iter().map(String::as_str))
            .filter(|p| seen.insert(*p))
            .collect()
    }
}

fn validate(rule: RawRule) -> Result<ExposureRule, Fault> {
    let at = |s: &std::ops::Range<usize>| s.start;
    let id = rule.id.get_ref();
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !id_ok {
        return Err((
            at(&rule.id.span()),
            format!("rule id `{id}` must be lower-case letters, digits, `.`, `_` or `-`"),
        ));
    }
    let finding: FindingId = rule
        .finding
        .get_ref()
        .parse()
        .map_err(|e: crate::finding::UnknownFindingId| (at(&rule.finding.span()), e.to_string()))?;
    if finding.category() != Category::Exposure {
        return Err((
            at(&rule.finding.span()),
            format!("`{finding}` is not an exposure.* finding"),
        ));
    }
    if rule.paths.get_ref().is_empty() {
        return Err((at(&rule.paths.span()), "`paths` is empty".into()));
    }
    for path in rule.paths.get_ref() {
        check_path(path.get_ref()).map_err(|reason| (at(&path.span()), reason))?;
    }
    for (field, value) in [
        ("rationale", &rule.rationale),
        ("reference", &rule.reference),
    ] {
        if value.get_ref().trim().is_empty() {
            return Err((at(&value.span()), format!("`{field}` is empty")));
        }
    }
    let reference_ok = Url::parse(rule.reference.get_ref())
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !reference_ok {
        return Err((
            at(&rule.reference.span()),
            format!(
                "reference `{}` is not an absolute http(s) URL",
                rule.reference.get_ref()
            ),
        ));
    }
    let proof_at = at(&rule.proof.span());
    let raw = rule.proof.into_inner();
    let list = |patterns: &[Spanned<String>]| {
        patterns
            .iter()
            .map(|p| proof::compile(p.get_ref()).map_err(|e| (at(&p.span()), e.to_string())))
            .collect::<Result<Vec<_>, Fault>>()
    };
    let lines = match &raw.min_lines {
        None => None,
        Some(l) => {
            let inner = l.get_ref();
            if inner.count == 0 {
                return Err((at(&l.span()), ProofError::ZeroCount.to_string()));
            }
            Some(LineCount {
                pattern: proof::compile(inner.pattern.get_ref())
                    .map_err(|e| (at(&inner.pattern.span()), e.to_string()))?,
                count: inner.count,
            })
        }
    };
    let proof = Proof::new(list(&raw.all)?, list(&raw.any)?, list(&raw.none)?, lines)
        .map_err(|e| (proof_at, e.to_string()))?;
    Ok(ExposureRule {
        id: rule.id.into_inner(),
        finding,
        severity: rule.severity.into_inner(),
        paths: rule
            .paths
            .into_inner()
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
        rationale: rule.rationale.into_inner(),
        reference: rule.reference.into_inner(),
        proof,
        redact: rule.redact,
    })
}

/// A probe path must stay on the probed site: it starts with one `/` (`//host` would be
/// another site), carries no fragment, space or control character, and joins onto a base
/// URL without changing its host.
fn check_path(path: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("path `{path}` {why}"));
    if !path.starts_with('/') {
        return bad("must start with `/`");
    }
    if path.starts_with("//") || path.contains('\\') {
        return bad("would leave the site (`//` or `\\`)");
    }
    if path.contains('#') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain `#`, spaces or control characters");
    }
    let base = Url::parse("https://probe.invalid/").map_err(|e| e.to_string())?;
    match base.join(path) {
        Ok(url) if url.host_str() == Some("probe.invalid") => Ok(()),
        _ => bad("does not form a URL on the probed site"),
    }
}

#[cfg(test)]
mod tests;
