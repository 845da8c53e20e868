//! `checks/software.toml`: how to recognise software and its version (generator tags,
//! headers, script and stylesheet URLs) and which versions are end-of-life or carry
//! known vulnerabilities (advisories with CVE ids).

use super::version::{Version, VersionRange};
use super::{RuleFileError, RuleInfo, RuleText, check_meta};
use crate::page::PageFacts;
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

pub const FILE: &str = "software.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    software: Vec<RawSoftware>,
}

raw_rule!(RawSoftware {
    name: String,
    kind: SoftwareKind,
    #[serde(default)]
    generator: Vec<Spanned<String>>,
    #[serde(default)]
    headers: Vec<RawHeader>,
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    #[serde(default)]
    advisory: Vec<RawAdvisory>,
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    pattern: Spanned<String>,
}

raw_rule!(RawAdvisory {
    affected: Spanned<String>,
    #[serde(default)]
    cves: Vec<String>,
});

/// What the software is; JavaScript libraries are `software.vulnerable_js`, the rest
/// `software.outdated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftwareKind {
    Js,
    Cms,
    Server,
    Language,
}

#[derive(Debug, Clone)]
pub struct Advisory {
    pub info: RuleInfo,
    /// The range as written, for the finding's detail.
    pub affected_text: String,
    affected: VersionRange,
    pub cves: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Software {
    pub info: RuleInfo,
    pub name: String,
    pub kind: SoftwareKind,
    generator: Vec<Regex>,
    headers: Vec<(String, Regex)>,
    urls: Vec<Regex>,
    pub advisories: Vec<Advisory>,
}

/// One piece of software seen on a page.
#[derive(Debug, Clone)]
pub struct Detection<'r> {
    pub software: &'r Software,
    pub version: Option<Version>,
    /// Where it was seen ("generator: WordPress 5.2.1", a script URL...).
    pub seen_in: String,
}

impl Detection<'_> {
    /// The advisories whose range holds the detected version.
    pub fn advisories(&self) -> Vec<&Advisory> {
        match &self.version {
            Some(v) => self
                .software
                .advisories
                .iter()
                .filter(|a| a.affected.contains(v))
                .collect(),
            None => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SoftwareRules {
    pub software: Vec<Software>,
}

impl SoftwareRules {
    pub fn parse(source: &RuleText<'_>) -> Result<SoftwareRules, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let infos = check_meta(source, raw.software.iter().map(RawSoftware::meta))?;
        let mut software = Vec::new();
        for (s, info) in raw.software.iter().zip(infos) {
            let advisory_infos = check_meta(source, s.advisory.iter().map(RawAdvisory::meta))?;
            let mut advisories = Vec::new();
            for (a, info) in s.advisory.iter().zip(advisory_infos) {
                let affected = VersionRange::parse(a.affected.get_ref()).map_err(|e| {
                    source.invalid(a.affected.span(), format!("`{}`.affected: {e}", info.id))
                })?;
                if let Some(bad) = a.cves.iter().find(|c| !is_cve_id(c)) {
                    return Err(source.invalid(
                        a.id.span(),
                        format!("`{}`: `{bad}` is not a CVE id (CVE-YYYY-NNNN)", info.id),
                    ));
                }
                advisories.push(Advisory {
                    affected_text: a.affected.get_ref().clone(),
                    affected,
                    cves: a.cves.clone(),
                    info,
                });
            }
            let generator = s
                .generator
                .iter()
                .map(|p| compile(source, p))
                .collect::<Result<_, _>>()?;
            let urls = s
                .urls
                .iter()
                .map(|p| compile(source, p))
                .collect::<Result<_, _>>()?;
            let headers = s
                .headers
                .iter()
                .map(|h| Ok((h.name.to_ascii_lowercase(), compile(source, &h.pattern)?)))
                .collect::<Result<_, RuleFileError>>()?;
            software.push(Software {
                name: s.name.clone(),
                kind: s.kind,
                generator,
                headers,
                urls,
                advisories,
                info,
            });
        }
        Ok(SoftwareRules { software })
    }

    /// Every software the page shows, with its version when a pattern captured one.
    /// One detection per software: the first one with a version, else the first seen.
    pub fn detect(&self, facts: &PageFacts) -> Vec<Detection<'_>> {
        let mut out = Vec::new();
        for sw in &self.software {
            let mut seen: Vec<(Option<Version>, String)> = Vec::new();
            for g in &facts.generators {
                seen.extend(
                    sw.generator
                        .iter()
                        .filter_map(|re| capture(re, g, format!("generator: {g}"))),
                );
            }
            for (name, value) in &facts.software_headers {
                seen.extend(
                    sw.headers
                        .iter()
                        .filter(|(h, _)| h == name)
                        .filter_map(|(_, re)| capture(re, value, format!("{name}: {value}"))),
                );
            }
            let urls = facts
                .scripts
                .iter()
                .chain(&facts.stylesheets)
                .map(|r| &r.url);
            for url in urls {
                seen.extend(
                    sw.urls
                        .iter()
                        .filter_map(|re| capture(re, url, url.clone())),
                );
            }
            let best = seen
                .iter()
                .position(|(v, _)| v.is_some())
                .or((!seen.is_empty()).then_some(0));
            if let Some(i) = best {
                let (version, seen_in) = seen.swap_remove(i);
                out.push(Detection {
                    software: sw,
                    version,
                    seen_in: crate::page::text::excerpt(&seen_in, 200),
                });
            }
        }
        out
    }
}

/// `Some` when the pattern matches, with the `version` group parsed if present.
fn capture(re: &Regex, text: &str, seen_in: String) -> Option<(Option<Version>, String)> {
    let caps = re.captures(text)?;
    let version = caps
        .name("version")
        .and_then(|m| Version::parse(m.as_str()));
    Some((version, seen_in))
}

fn compile(source: &RuleText<'_>, pattern: &Spanned<String>) -> Result<Regex, RuleFileError> {
    regex::RegexBuilder::new(pattern.get_ref())
        .size_limit(1 << 20)
        .build()
        .map_err(|e| source.invalid(pattern.span(), format!("bad pattern: {e}")))
}

fn is_cve_id(id: &str) -> bool {
    let mut parts = id.split('-');
    parts.next() == Some("CVE")
        && parts
            .next()
            .is_some_and(|y| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|n| n.len() >= 4 && n.chars().all(|c| c.is_ascii_digit()))
        && parts.next().is_none()
}
