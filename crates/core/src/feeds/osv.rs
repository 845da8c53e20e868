//! OSV records (<https://ossf.github.io/osv-schema/>): `id`, `aliases`,
//! `affected[].package{ecosystem,name}`, `affected[].ranges[].events` (introduced,
//! fixed, last_affected, limit), `affected[].versions`, and the severity word of
//! `database_specific.severity` (as GitHub's advisory database writes it).
//!
//! `GIT` ranges name commits, not versions, and are skipped. A record without a
//! severity word counts as medium: computing a score from a CVSS vector is left to the
//! authority that writes the feed.

use super::json::Node;
use super::{FeedAdvisory, FeedError, date_prefix, is_cve_id, severity_word, version};
use crate::finding::Severity;
use crate::rules::version::{Version, VersionRange};
use time::Date;

const SOURCE: &str = "osv.json";

/// Every record's advisories and the newest `modified` date.
pub(super) fn parse(root: Node<'_>) -> Result<(Vec<FeedAdvisory>, Option<Date>), FeedError> {
    let records = if root.value.is_array() {
        root.each(record)?
    } else if root.value.get("vulns").is_some() {
        root.field("vulns", |list| list.each(record))?
    } else {
        vec![record(root)?]
    };
    let newest = records.iter().filter_map(|(_, d)| *d).max();
    Ok((records.into_iter().flat_map(|(a, _)| a).collect(), newest))
}

fn record(node: Node<'_>) -> Result<(Vec<FeedAdvisory>, Option<Date>), FeedError> {
    let id = node.field("id", |n| n.string())?;
    let modified = node.opt_field("modified", |n| date_prefix(&n))?;
    let aliases = node
        .opt_field("aliases", |n| n.strings())?
        .unwrap_or_default();
    let cves: Vec<String> = std::iter::once(&id)
        .chain(&aliases)
        .filter(|a| is_cve_id(a))
        .cloned()
        .collect();
    let severity = node
        .opt_field("database_specific", |d| {
            d.opt_field("severity", |s| severity_word(&s))
        })?
        .flatten()
        .unwrap_or(Severity::Medium);
    let summary = node
        .opt_field("summary", |n| n.string())?
        .or(node.opt_field("details", |n| n.string())?)
        .unwrap_or_default();
    let reference = node
        .opt_field("references", |refs| {
            refs.each(|r| r.field("url", |u| u.string()))
        })?
        .and_then(|urls| urls.into_iter().next())
        .unwrap_or_else(|| format!("https://osv.dev/vulnerability/{id}"));
    let base = FeedAdvisory {
        id,
        package: String::new(),
        range: VersionRange::between(None, None, None),
        range_text: String::new(),
        fixed: None,
        cves,
        severity,
        summary: crate::page::text::excerpt(&summary, 300),
        reference,
        source: SOURCE,
    };
    let affected = node.opt_field("affected", |list| list.each(|entry| affected(entry, &base)))?;
    Ok((affected.into_iter().flatten().flatten().collect(), modified))
}

fn affected(entry: Node<'_>, base: &FeedAdvisory) -> Result<Vec<FeedAdvisory>, FeedError> {
    let package = entry.field("package", |p| {
        let ecosystem = p.field("ecosystem", |n| n.string())?;
        let name = p.field("name", |n| n.string())?;
        Ok(format!("{ecosystem}:{name}"))
    })?;
    let with = |range: VersionRange, range_text: String, fixed: Option<String>| FeedAdvisory {
        package: package.clone(),
        range,
        range_text,
        fixed,
        ..base.clone()
    };
    let mut out = Vec::new();
    let ranges = entry.opt_field("ranges", |list| list.each(range))?;
    for (range, text, fixed) in ranges.into_iter().flatten().flatten() {
        out.push(with(range, text, fixed));
    }
    let versions = entry.opt_field("versions", |list| {
        list.each(|v| version(&v).map(|parsed| (parsed, v.string())))
    })?;
    for (parsed, text) in versions.into_iter().flatten() {
        out.push(with(
            VersionRange::exactly(parsed),
            format!("={}", text?),
            None,
        ));
    }
    Ok(out)
}

type Span = (VersionRange, String, Option<String>);

/// One `ranges[]` entry: each `introduced` opens a span that the next `fixed`,
/// `last_affected` or `limit` closes; a span left open affects every later version.
fn range(node: Node<'_>) -> Result<Vec<Span>, FeedError> {
    let kind = node.field("type", |n| n.string())?;
    if kind == "GIT" {
        return Ok(Vec::new());
    }
    if kind != "ECOSYSTEM" && kind != "SEMVER" {
        return Err(node.error(format!(
            "`{kind}` is not a range type (ECOSYSTEM, SEMVER, GIT)"
        )));
    }
    let events = node.field("events", |list| {
        list.each(|event| {
            event.members(|key, value| {
                let text = value.string()?;
                let parsed = if key == "introduced" && text == "0" {
                    None
                } else {
                    Some(version(&value)?)
                };
                match key {
                    "introduced" | "fixed" | "last_affected" | "limit" => {
                        Ok((key.to_string(), text, parsed))
                    }
                    _ => Err(value.error(format!("`{key}` is not an event"))),
                }
            })
        })
    })?;
    let mut spans = Vec::new();
    let mut open: Option<(Option<Version>, String)> = None;
    for (key, text, parsed) in events.into_iter().flatten() {
        match key.as_str() {
            "introduced" => open = Some((parsed, text)),
            _ => {
                let Some((from, from_text)) = open.take() else {
                    continue;
                };
                let lower = from.as_ref().map(|_| format!(">={from_text}, "));
                let lower = lower.unwrap_or_default();
                spans.push(match key.as_str() {
                    "last_affected" => (
                        VersionRange::between(from, None, parsed),
                        format!("{lower}<={text}"),
                        None,
                    ),
                    "fixed" => (
                        VersionRange::between(from, parsed, None),
                        format!("{lower}<{text}"),
                        Some(text),
                    ),
                    _ => (
                        VersionRange::between(from, parsed, None),
                        format!("{lower}<{text}"),
                        None,
                    ),
                });
            }
        }
    }
    if let Some((from, from_text)) = open {
        let text = if from.is_some() {
            format!(">={from_text}")
        } else {
            "every version".to_string()
        };
        spans.push((VersionRange::between(from, None, None), text, None));
    }
    Ok(spans)
}
