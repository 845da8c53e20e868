//! The retire.js repository format (`jsrepository.json`): per library, its
//! `vulnerabilities` (`atOrAbove`/`below`, `severity`, `identifiers.CVE`, `info`) and the
//! `extractors` that reveal its version. The `uri` and `filename` extractors become URL
//! patterns (`§§version§§` is where the version stands); `func`, `filecontent` and
//! `hashes` need the script's body or a browser and are not used. A pattern the regex
//! engine cannot compile (retire.js writes JavaScript regexes) is counted and skipped,
//! so one exotic pattern does not refuse the authority's whole update.

use super::json::Node;
use super::{FeedAdvisory, FeedError, cve_id, severity_word, version};
use crate::rules::version::VersionRange;
use regex::Regex;

const SOURCE: &str = "jsrepository.json";
const VERSION_PLACEHOLDER: &str = "§§version§§";
/// retire.js's own expansion of the placeholder.
const VERSION_PATTERN: &str = r"(?P<version>[0-9][0-9.a-z_\-]+)";

/// How a library shows its version in a URL.
#[derive(Debug, Clone)]
pub struct Library {
    pub name: String,
    /// Matched against the whole URL.
    pub uri: Vec<Regex>,
    /// Matched against the URL's last path segment.
    pub filename: Vec<Regex>,
    /// Patterns the regex engine refused.
    pub skipped_patterns: usize,
}

#[derive(Debug, Clone)]
pub struct Repository {
    pub libraries: Vec<Library>,
    pub advisories: Vec<FeedAdvisory>,
}

pub(super) fn parse(root: Node<'_>) -> Result<Repository, FeedError> {
    let mut repo = Repository {
        libraries: Vec::new(),
        advisories: Vec::new(),
    };
    root.members(|name, entry| {
        let advisories = entry
            .opt_field("vulnerabilities", |list| {
                list.each(|v| vulnerability(name, v))
            })?
            .unwrap_or_default();
        repo.advisories
            .extend(advisories.into_iter().enumerate().map(|(i, mut a)| {
                if a.id.is_empty() {
                    a.id = format!("{name}-{}", i + 1);
                }
                a
            }));
        if let Some(library) = entry.opt_field("extractors", |e| extractors(name, e))? {
            repo.libraries.push(library);
        }
        Ok(())
    })?;
    Ok(repo)
}

fn vulnerability(library: &str, node: Node<'_>) -> Result<FeedAdvisory, FeedError> {
    let from_text = node.opt_field("atOrAbove", |n| n.string())?;
    let below_text = node.opt_field("below", |n| n.string())?;
    let from = node.opt_field("atOrAbove", |n| version(&n))?;
    let below = node.opt_field("below", |n| version(&n))?;
    if from.is_none() && below.is_none() {
        return Err(node.error("needs `below` or `atOrAbove`"));
    }
    let severity = node.field("severity", |n| severity_word(&n))?;
    let (cves, summary, named) = node
        .opt_field("identifiers", |ids| {
            let cves = ids.opt_field("CVE", |list| list.each(|n| cve_id(&n)))?;
            let summary = ids.opt_field("summary", |n| n.string())?;
            let named =
                ids.opt_field("githubID", |n| n.string())?
                    .or(ids.opt_field("retid", |n| {
                        n.value
                            .as_u64()
                            .map(|r| format!("retid-{r}"))
                            .ok_or_else(|| n.error("must be a number"))
                    })?);
            Ok((cves.unwrap_or_default(), summary, named))
        })?
        .unwrap_or_default();
    let reference = node
        .opt_field("info", |n| n.strings())?
        .and_then(|urls| urls.into_iter().next())
        .unwrap_or_else(|| "https://github.com/RetireJS/retire.js".to_string());
    let range_text = match (&from_text, &below_text) {
        (Some(f), Some(b)) => format!(">={f}, <{b}"),
        (Some(f), None) => format!(">={f}"),
        (None, Some(b)) => format!("<{b}"),
        (None, None) => String::new(),
    };
    Ok(FeedAdvisory {
        id: cves.first().cloned().or(named).unwrap_or_default(),
        package: library.to_string(),
        range: VersionRange::between(from, below, None),
        range_text,
        fixed: below_text,
        cves,
        severity,
        summary: crate::page::text::excerpt(summary.as_deref().unwrap_or_default(), 300),
        reference,
        source: SOURCE,
    })
}

fn extractors(name: &str, node: Node<'_>) -> Result<Library, FeedError> {
    let mut skipped = 0;
    let mut compile = |patterns: Option<Vec<String>>| -> Vec<Regex> {
        patterns
            .unwrap_or_default()
            .iter()
            .filter_map(|p| {
                let pattern = p.replace(VERSION_PLACEHOLDER, VERSION_PATTERN);
                let compiled = regex::RegexBuilder::new(&pattern)
                    .size_limit(1 << 20)
                    .build()
                    .ok();
                skipped += usize::from(compiled.is_none());
                compiled
            })
            .collect()
    };
    let uri = compile(node.opt_field("uri", |n| n.strings())?);
    let filename = compile(node.opt_field("filename", |n| n.strings())?);
    Ok(Library {
        name: name.to_string(),
        uri,
        filename,
        skipped_patterns: skipped,
    })
}
