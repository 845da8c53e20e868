//! `checks/software.toml`: how to recognise software and its version (generator tags,
//! headers, page titles, script and stylesheet URLs) and which versions are end-of-life
//! or carry known vulnerabilities; joined with the advisory feeds of `checks/feeds/`
//! (retire.js, OSV, the CISA KEV catalog) by package name and CVE id.
//!
//! Every sighting says which kind of evidence gave the version and how far that
//! evidence can be trusted: a generator tag or a header names the product itself
//! (high); a version in an asset's file path or a build number is the asset's or the
//! portal's (medium); a `?ver=` query string is often the CMS's version, not the
//! plugin's (low).

use super::version::{Version, VersionRange};
use super::{RuleFileError, RuleInfo, RuleText, check_meta};
use crate::feeds::{FeedAdvisory, Feeds, is_cve_id};
use crate::finding::Severity;
use crate::page::PageFacts;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    titles: Vec<Spanned<String>>,
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    #[serde(default)]
    packages: Vec<String>,
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
    #[serde(default)]
    fixed: Option<String>,
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

/// Which part of the answer gave the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionEvidence {
    Header,
    MetaGenerator,
    PageTitle,
    FilePath,
    AssetQuery,
    BuildNumber,
}

impl VersionEvidence {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionEvidence::Header => "header",
            VersionEvidence::MetaGenerator => "meta generator",
            VersionEvidence::PageTitle => "page title",
            VersionEvidence::FilePath => "file path",
            VersionEvidence::AssetQuery => "asset query string",
            VersionEvidence::BuildNumber => "build number",
        }
    }

    pub fn confidence(self) -> Confidence {
        match self {
            VersionEvidence::Header | VersionEvidence::MetaGenerator => Confidence::High,
            VersionEvidence::PageTitle
            | VersionEvidence::FilePath
            | VersionEvidence::BuildNumber => Confidence::Medium,
            VersionEvidence::AssetQuery => Confidence::Low,
        }
    }
}

/// How far a detected version can be trusted; ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Advisory {
    pub info: RuleInfo,
    /// The range as written, for the finding's detail.
    pub affected_text: String,
    affected: VersionRange,
    pub cves: Vec<String>,
    /// The first version without the flaw, when the advisory names one.
    pub fixed: Option<String>,
    /// One of its CVE ids is in the Known Exploited Vulnerabilities catalog in force.
    pub known_exploited: bool,
    /// The file it came from (`software.toml`, `osv.json`...).
    pub source: String,
}

impl Advisory {
    fn from_feed(feed: &FeedAdvisory, known_exploited: bool) -> Advisory {
        Advisory {
            info: RuleInfo {
                id: feed.id.clone(),
                severity: feed.severity,
                rationale: feed.summary.clone(),
                reference: feed.reference.clone(),
            },
            affected_text: feed.range_text.clone(),
            affected: feed.range.clone(),
            cves: feed.cves.clone(),
            fixed: feed.fixed.clone(),
            known_exploited,
            source: feed.source.to_string(),
        }
    }

    /// What the label policy calls fixable and serious: high or critical with a fixed
    /// version to upgrade to.
    pub fn serious_with_fix(&self) -> bool {
        self.info.severity >= Severity::High && self.fixed.is_some()
    }
}

/// Where a URL pattern looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlPart {
    Whole,
    FileName,
}

#[derive(Debug, Clone)]
pub struct Software {
    pub info: RuleInfo,
    pub name: String,
    pub kind: SoftwareKind,
    generator: Vec<Regex>,
    headers: Vec<(String, Regex)>,
    titles: Vec<Regex>,
    urls: Vec<(UrlPart, Regex)>,
    /// Package keys (`Ecosystem:name`) feed advisories are filed under; `{component}`
    /// stands for the captured component (a WordPress plugin's slug). `trustlabel:ID`
    /// (and `trustlabel:ID/{component}`) always apply.
    packages: Vec<String>,
    pub advisories: Vec<Advisory>,
}

/// One piece of software seen on a page.
#[derive(Debug, Clone)]
pub struct Detection<'r> {
    pub software: &'r Software,
    /// The part of a family (a plugin or theme slug), when the pattern names one.
    pub component: Option<String>,
    pub version: Option<Version>,
    /// Where it was seen ("generator: WordPress 5.2.1", a script URL...).
    pub seen_in: String,
    pub evidence: VersionEvidence,
    advisories: Vec<&'r Advisory>,
}

impl Detection<'_> {
    /// "WordPress", "WordPress plugin contact-form-7".
    pub fn name(&self) -> String {
        match &self.component {
            Some(c) => format!("{} {c}", self.software.name),
            None => self.software.name.clone(),
        }
    }

    pub fn confidence(&self) -> Confidence {
        self.evidence.confidence()
    }

    /// The advisories whose range holds the detected version.
    pub fn advisories(&self) -> Vec<&Advisory> {
        match &self.version {
            Some(v) => self
                .advisories
                .iter()
                .copied()
                .filter(|a| a.affected.contains(v))
                .collect(),
            None => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SoftwareRules {
    pub software: Vec<Software>,
    /// Feed advisories by lower-case package key.
    pub(crate) by_package: BTreeMap<String, Vec<Advisory>>,
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
                    fixed: a.fixed.clone(),
                    known_exploited: false,
                    source: FILE.to_string(),
                    info,
                });
            }
            let compile_all = |patterns: &[Spanned<String>]| {
                patterns
                    .iter()
                    .map(|p| compile(source, p))
                    .collect::<Result<Vec<_>, _>>()
            };
            let headers = s
                .headers
                .iter()
                .map(|h| Ok((h.name.to_ascii_lowercase(), compile(source, &h.pattern)?)))
                .collect::<Result<_, RuleFileError>>()?;
            software.push(Software {
                name: s.name.clone(),
                kind: s.kind,
                generator: compile_all(&s.generator)?,
                headers,
                titles: compile_all(&s.titles)?,
                urls: compile_all(&s.urls)?
                    .into_iter()
                    .map(|re| (UrlPart::Whole, re))
                    .collect(),
                packages: s.packages.clone(),
                advisories,
                info,
            });
        }
        Ok(SoftwareRules {
            software,
            by_package: BTreeMap::new(),
        })
    }

    /// Joins the feeds in force: retire.js libraries become (or extend) JavaScript
    /// fingerprints, feed advisories are filed by package, and every advisory naming a
    /// CVE of the KEV catalog is marked known-exploited.
    pub fn with_feeds(mut self, feeds: &Feeds) -> SoftwareRules {
        let kev = |cves: &[String]| cves.iter().any(|c| feeds.known_exploited.contains(c));
        for library in &feeds.libraries {
            let patterns = library
                .uri
                .iter()
                .map(|re| (UrlPart::Whole, re.clone()))
                .chain(
                    library
                        .filename
                        .iter()
                        .map(|re| (UrlPart::FileName, re.clone())),
                );
            match self.software.iter_mut().find(|s| s.info.id == library.name) {
                Some(known) => known.urls.extend(patterns),
                None => self.software.push(Software {
                    info: RuleInfo {
                        id: library.name.clone(),
                        severity: Severity::Info,
                        rationale: "JavaScript library of the retire.js repository.".to_string(),
                        reference: "https://github.com/RetireJS/retire.js".to_string(),
                    },
                    name: library.name.clone(),
                    kind: SoftwareKind::Js,
                    generator: Vec::new(),
                    headers: Vec::new(),
                    titles: Vec::new(),
                    urls: patterns.collect(),
                    packages: Vec::new(),
                    advisories: Vec::new(),
                }),
            }
        }
        for software in &mut self.software {
            for advisory in &mut software.advisories {
                advisory.known_exploited = kev(&advisory.cves);
            }
        }
        for feed in &feeds.advisories {
            self.by_package
                .entry(feed.package.to_ascii_lowercase())
                .or_default()
                .push(Advisory::from_feed(feed, kev(&feed.cves)));
        }
        self
    }

    /// Every software the page shows, with its version when a pattern captured one.
    /// One detection per software (and component): the most trusted sighting with a
    /// version, else the first seen.
    pub fn detect(&self, facts: &PageFacts) -> Vec<Detection<'_>> {
        let mut out = Vec::new();
        for sw in &self.software {
            let mut seen: Vec<Sighting> = Vec::new();
            for g in &facts.generators {
                seen.extend(sw.generator.iter().filter_map(|re| {
                    capture(
                        re,
                        g,
                        format!("generator: {g}"),
                        VersionEvidence::MetaGenerator,
                    )
                }));
            }
            for (name, value) in &facts.software_headers {
                seen.extend(
                    sw.headers
                        .iter()
                        .filter(|(h, _)| h == name)
                        .filter_map(|(_, re)| {
                            capture(
                                re,
                                value,
                                format!("{name}: {value}"),
                                VersionEvidence::Header,
                            )
                        }),
                );
            }
            if let Some(title) = &facts.title {
                seen.extend(sw.titles.iter().filter_map(|re| {
                    capture(
                        re,
                        title,
                        format!("title: {title}"),
                        VersionEvidence::PageTitle,
                    )
                }));
            }
            let urls = facts
                .scripts
                .iter()
                .chain(&facts.stylesheets)
                .map(|r| &r.url);
            for url in urls {
                seen.extend(sw.urls.iter().filter_map(|(part, re)| {
                    let text = match part {
                        UrlPart::Whole => url.as_str(),
                        UrlPart::FileName => file_name(url),
                    };
                    capture_url(re, text, url)
                }));
            }
            let mut components: Vec<Option<String>> = Vec::new();
            for s in &seen {
                if !components.contains(&s.component) {
                    components.push(s.component.clone());
                }
            }
            for component in components {
                let of_component = seen.iter().filter(|s| s.component == component);
                let best = of_component
                    .clone()
                    .filter(|s| s.version.is_some())
                    .rev()
                    .max_by_key(|s| s.evidence.confidence())
                    .or(of_component.clone().next());
                if let Some(best) = best {
                    out.push(Detection {
                        software: sw,
                        advisories: self.advisories_of(sw, component.as_deref()),
                        component,
                        version: best.version.clone(),
                        seen_in: crate::page::text::excerpt(&best.seen_in, 200),
                        evidence: best.evidence,
                    });
                }
            }
        }
        out
    }

    /// The software's own advisories and the feed advisories filed under its packages.
    fn advisories_of<'r>(&'r self, sw: &'r Software, component: Option<&str>) -> Vec<&'r Advisory> {
        let own_key = match component {
            Some(c) => format!("trustlabel:{}/{c}", sw.info.id),
            None => format!("trustlabel:{}", sw.info.id),
        };
        let keys = sw
            .packages
            .iter()
            .filter(|p| component.is_some() == p.contains("{component}"))
            .map(|p| p.replace("{component}", component.unwrap_or_default()))
            .chain([own_key, sw.info.id.clone()]);
        let mut advisories: Vec<&Advisory> = sw.advisories.iter().collect();
        for key in keys {
            if let Some(found) = self.by_package.get(&key.to_ascii_lowercase()) {
                advisories.extend(found);
            }
        }
        advisories
    }
}

struct Sighting {
    component: Option<String>,
    version: Option<Version>,
    seen_in: String,
    evidence: VersionEvidence,
}

/// `Some` when the pattern matches, with the `version` group parsed if present (or the
/// `build` group, read as a build number), and the `component` group.
fn capture(re: &Regex, text: &str, seen_in: String, evidence: VersionEvidence) -> Option<Sighting> {
    let caps = re.captures(text)?;
    let (version, evidence) = match (caps.name("version"), caps.name("build")) {
        (Some(m), _) => (Version::parse(m.as_str()), evidence),
        (None, Some(b)) => (build_version(b.as_str()), VersionEvidence::BuildNumber),
        (None, None) => (None, evidence),
    };
    Some(Sighting {
        component: caps
            .name("component")
            .map(|m| m.as_str().to_ascii_lowercase()),
        version,
        seen_in,
        evidence,
    })
}

/// A URL sighting: a version after the `?` is the asset's query string, else its path.
fn capture_url(re: &Regex, text: &str, url: &str) -> Option<Sighting> {
    let query_starts = text.find('?');
    let in_query = re
        .captures(text)
        .and_then(|c| c.name("version").or(c.name("build")))
        .is_some_and(|m| query_starts.is_some_and(|q| m.start() > q));
    let evidence = if in_query {
        VersionEvidence::AssetQuery
    } else {
        VersionEvidence::FilePath
    };
    capture(re, text, url.to_string(), evidence)
}

/// A Liferay-style build number: "7004" is 7.0.4, "6210" is 6.2.10.
fn build_version(digits: &str) -> Option<Version> {
    let (major, rest) = digits.split_at_checked(1)?;
    let (minor, patch) = rest.split_at_checked(1)?;
    let patch: u64 = patch.parse().ok()?;
    Version::parse(&format!("{major}.{minor}.{patch}"))
}

/// The last path segment of a URL, without query or fragment.
fn file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or_default()
}

fn compile(source: &RuleText<'_>, pattern: &Spanned<String>) -> Result<Regex, RuleFileError> {
    regex::RegexBuilder::new(pattern.get_ref())
        .size_limit(1 << 20)
        .build()
        .map_err(|e| source.invalid(pattern.span(), format!("bad pattern: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_numbers_read_as_liferay_versions() {
        assert_eq!(build_version("7004"), Version::parse("7.0.4"));
        assert_eq!(build_version("6210"), Version::parse("6.2.10"));
        assert_eq!(build_version("7"), None);
        assert_eq!(
            file_name("https://a.test/js/jquery-1.8.3.min.js?v=2#x"),
            "jquery-1.8.3.min.js"
        );
    }
}
