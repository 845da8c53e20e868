//! Advisory feeds in the formats their authorities publish, so an updated feed is
//! installed with `trustlabel checks update` instead of waiting for a release:
//!
//! - the retire.js repository (`jsrepository.json`): JavaScript libraries, the URL and
//!   file-name patterns that reveal their version, and their vulnerable ranges;
//! - OSV records (one record, an array of records, or `{"vulns": [...]}`): ecosystem
//!   advisories with introduced/fixed/last_affected events;
//! - the CISA Known Exploited Vulnerabilities catalog: which CVE ids are exploited in
//!   the wild.
//!
//! Every parser is total: any bytes give feed data or a [`FeedError`] naming the file
//! and the line (syntax) or the JSON path (schema). Sizes are bounded before parsing.

mod json;
pub mod kev;
pub mod osv;
pub mod retirejs;

use crate::finding::Severity;
use crate::rules::version::VersionRange;
use json::Node;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use time::{Date, OffsetDateTime};

/// A feed larger than this is refused unread (the real KEV catalog is about 1.5 MB,
/// the retire.js repository under 1 MB).
pub const MAX_FEED_BYTES: usize = 32 << 20;

/// Why a feed was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("{file}:{line}: {reason}")]
    Syntax {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: {path}: {reason}")]
    Schema {
        file: String,
        path: String,
        reason: String,
    },
    #[error("{file}: {reason}")]
    Whole { file: String, reason: String },
}

/// The published format a feed file is in; each has one installed file name, so an
/// update replaces the feed of its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    RetireJs,
    Osv,
    Kev,
}

impl FeedFormat {
    pub const ALL: [FeedFormat; 3] = [FeedFormat::RetireJs, FeedFormat::Osv, FeedFormat::Kev];

    /// The file name inside the feeds directory (`checks/feeds/`).
    pub fn file_name(self) -> &'static str {
        match self {
            FeedFormat::RetireJs => "jsrepository.json",
            FeedFormat::Osv => "osv.json",
            FeedFormat::Kev => "known_exploited_vulnerabilities.json",
        }
    }

    /// The compiled-in copy, so a checks directory without feeds judges as the release.
    pub fn builtin_text(self) -> &'static str {
        match self {
            FeedFormat::RetireJs => include_str!("../../../../checks/feeds/jsrepository.json"),
            FeedFormat::Osv => include_str!("../../../../checks/feeds/osv.json"),
            FeedFormat::Kev => {
                include_str!("../../../../checks/feeds/known_exploited_vulnerabilities.json")
            }
        }
    }
}

/// One vulnerable range of one package, from either advisory feed.
#[derive(Debug, Clone)]
pub struct FeedAdvisory {
    /// The advisory's own id (OSV id, first CVE, GHSA id...).
    pub id: String,
    /// Which package: a retire.js library name, or `Ecosystem:name` for OSV.
    pub package: String,
    pub range: VersionRange,
    /// The range as the feed states it, for the finding's detail.
    pub range_text: String,
    /// The first version without the flaw, when the feed names one.
    pub fixed: Option<String>,
    pub cves: Vec<String>,
    pub severity: Severity,
    pub summary: String,
    pub reference: String,
    /// Which feed said so (its file name).
    pub source: &'static str,
}

time::serde::format_description!(iso_day, Date, "[year]-[month]-[day]");

/// What each feed in force was, recorded with every verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStamp {
    /// The installed file name (`jsrepository.json`...).
    pub name: String,
    pub format: FeedFormat,
    /// The feed's own date (KEV `dateReleased`, the newest OSV `modified`), else the
    /// day it was installed; `None` for an undated built-in copy.
    #[serde(
        default,
        with = "iso_day::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<Date>,
    /// `feed` or `installed`: where the date came from.
    pub date_from: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Advisories (or catalog entries) it holds.
    pub entries: usize,
    /// True for the compiled-in copy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
}

/// Every feed in force, parsed.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    pub advisories: Vec<FeedAdvisory>,
    pub libraries: Vec<retirejs::Library>,
    /// CVE ids in the Known Exploited Vulnerabilities catalog.
    pub known_exploited: BTreeSet<String>,
    pub stamps: Vec<FeedStamp>,
}

/// A feed file's text as read, with where it came from.
#[derive(Debug, Clone)]
pub struct FeedText<'a> {
    /// The name errors carry (a path, or `checks/feeds/x.json (built-in)`).
    pub file: &'a str,
    pub bytes: &'a [u8],
    /// The day it was installed (the file's modification day), for undated formats.
    pub installed: Option<Date>,
    pub builtin: bool,
}

/// One parsed feed of any format.
#[derive(Debug, Clone)]
pub enum Parsed {
    RetireJs(retirejs::Repository),
    Osv(Vec<FeedAdvisory>, Option<Date>),
    Kev(kev::Catalog),
}

impl Parsed {
    pub fn format(&self) -> FeedFormat {
        match self {
            Parsed::RetireJs(_) => FeedFormat::RetireJs,
            Parsed::Osv(..) => FeedFormat::Osv,
            Parsed::Kev(_) => FeedFormat::Kev,
        }
    }

    fn entries(&self) -> usize {
        match self {
            Parsed::RetireJs(r) => r.advisories.len(),
            Parsed::Osv(a, _) => a.len(),
            Parsed::Kev(c) => c.cves.len(),
        }
    }

    fn own_date(&self) -> Option<Date> {
        match self {
            Parsed::RetireJs(_) => None,
            Parsed::Osv(_, date) => *date,
            Parsed::Kev(c) => Some(c.date_released),
        }
    }
}

/// Parses a feed of any of the three formats, recognised by its shape.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, FeedError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(FeedError::Whole {
            file: file.to_string(),
            reason: format!(
                "{} bytes is more than the {MAX_FEED_BYTES} a feed may have",
                bytes.len()
            ),
        });
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let reason = e.to_string();
        let reason = reason.split(" at line ").next().unwrap_or_default();
        FeedError::Syntax {
            file: file.to_string(),
            line: e.line(),
            reason: reason.to_string(),
        }
    })?;
    let root = Node::root(file, &value);
    let object = value.as_object();
    let has = |key: &str| object.is_some_and(|o| o.contains_key(key));
    if has("catalogVersion") {
        kev::parse(root).map(Parsed::Kev)
    } else if value.is_array() || has("vulns") || (has("id") && has("modified")) {
        osv::parse(root).map(|(a, date)| Parsed::Osv(a, date))
    } else if object.is_some() {
        retirejs::parse(root).map(Parsed::RetireJs)
    } else {
        Err(root
            .error("not a feed: expected a retire.js repository, OSV records or the KEV catalog"))
    }
}

/// Parses the feed of `format` (a file of another format is refused: installed under
/// the wrong name it would silently replace the wrong feed).
pub fn parse_as(format: FeedFormat, text: &FeedText<'_>) -> Result<Parsed, FeedError> {
    let parsed = parse(text.file, text.bytes)?;
    if parsed.format() != format {
        return Err(FeedError::Whole {
            file: text.file.to_string(),
            reason: format!(
                "is a {:?} feed, but {} must hold a {format:?} feed",
                parsed.format(),
                format.file_name()
            ),
        });
    }
    Ok(parsed)
}

/// The feeds directory inside a checks directory: installed feeds live beside the rule
/// files, so one `--checks DIR` carries the whole judgement.
pub const FEEDS_DIR: &str = "feeds";

impl Feeds {
    /// The feeds of `checks_dir/feeds/` (when given) over the built-in copies, one per
    /// format; the first invalid feed refuses them all, as a bad rule file does.
    pub fn load(checks_dir: Option<&Path>) -> Result<Feeds, FeedError> {
        let mut texts = Vec::new();
        for format in FeedFormat::ALL {
            let path = checks_dir.map(|d| d.join(FEEDS_DIR).join(format.file_name()));
            let installed = match &path {
                Some(path) => read_installed(path)?,
                None => None,
            };
            texts.push(match installed {
                Some(Installed { bytes, day }) => (
                    path.map(|p| p.display().to_string()).unwrap_or_default(),
                    bytes,
                    day,
                    false,
                ),
                None => (
                    format!("checks/{FEEDS_DIR}/{} (built-in)", format.file_name()),
                    format.builtin_text().as_bytes().to_vec(),
                    None,
                    true,
                ),
            });
        }
        let mut parsed = Vec::new();
        for (format, (file, bytes, installed, builtin)) in FeedFormat::ALL.into_iter().zip(&texts) {
            let text = FeedText {
                file,
                bytes,
                installed: *installed,
                builtin: *builtin,
            };
            let feed = parse_as(format, &text)?;
            parsed.push((text, feed));
        }
        Ok(Feeds::from_parsed(parsed))
    }

    /// Folds the parsed feeds, one per format, into what the checks use.
    pub fn from_parsed(parsed: Vec<(FeedText<'_>, Parsed)>) -> Feeds {
        let mut feeds = Feeds::default();
        for (text, feed) in parsed {
            let (date, date_from) = match feed.own_date() {
                Some(d) => (Some(d), "feed"),
                None => (text.installed, "installed"),
            };
            feeds.stamps.push(FeedStamp {
                name: feed.format().file_name().to_string(),
                format: feed.format(),
                date,
                date_from: date_from.to_string(),
                sha256: hex::encode(Sha256::digest(text.bytes)),
                entries: feed.entries(),
                builtin: text.builtin,
            });
            match feed {
                Parsed::RetireJs(repo) => {
                    feeds.advisories.extend(repo.advisories);
                    feeds.libraries.extend(repo.libraries);
                }
                Parsed::Osv(advisories, _) => feeds.advisories.extend(advisories),
                Parsed::Kev(catalog) => feeds.known_exploited.extend(catalog.cves),
            }
        }
        feeds
    }

    /// The feeds whose date is more than `max_age_days` before `today`.
    pub fn stale(&self, today: Date, max_age_days: i64) -> Vec<&FeedStamp> {
        self.stamps
            .iter()
            .filter(|s| {
                s.date
                    .is_some_and(|d| (today - d).whole_days() > max_age_days)
            })
            .collect()
    }
}

/// An installed feed file as read.
struct Installed {
    bytes: Vec<u8>,
    /// Its modification day: when `checks update` renamed it into place.
    day: Option<Date>,
}

/// The installed feed at `path`; `None` when there is none.
fn read_installed(path: &Path) -> Result<Option<Installed>, FeedError> {
    let unreadable = |e: std::io::Error| FeedError::Whole {
        file: path.display().to_string(),
        reason: format!("cannot read: {e}"),
    };
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e)),
    };
    if metadata.len() > MAX_FEED_BYTES as u64 {
        return Err(FeedError::Whole {
            file: path.display().to_string(),
            reason: format!(
                "{} bytes is more than the {MAX_FEED_BYTES} a feed may have",
                metadata.len()
            ),
        });
    }
    let day = metadata
        .modified()
        .ok()
        .map(|t| OffsetDateTime::from(t).date());
    let bytes = std::fs::read(path).map_err(unreadable)?;
    Ok(Some(Installed { bytes, day }))
}

/// The leading `YYYY-MM-DD` of an RFC 3339 date or date-time.
pub(crate) fn date_prefix(node: &Node<'_>) -> Result<Date, FeedError> {
    let text = node.string()?;
    let day = text.get(..10).unwrap_or_default();
    let mut parts = day.split('-').map(str::parse::<u32>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(node.error(format!("`{text}` is not a date (YYYY-MM-DD)")));
    };
    u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .and_then(|month| {
            Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
        })
        .ok_or_else(|| node.error(format!("`{text}` is not a calendar date")))
}

/// A CVE id: `CVE-YYYY-NNNN…`.
pub fn is_cve_id(id: &str) -> bool {
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

/// A string member that must be a CVE id.
pub(crate) fn cve_id(node: &Node<'_>) -> Result<String, FeedError> {
    let id = node.string()?;
    if is_cve_id(&id) {
        Ok(id)
    } else {
        Err(node.error(format!("`{id}` is not a CVE id (CVE-YYYY-NNNN)")))
    }
}

/// A string member that must start with a dotted version.
pub(crate) fn version(node: &Node<'_>) -> Result<crate::rules::version::Version, FeedError> {
    let text = node.string()?;
    crate::rules::version::Version::parse(&text)
        .ok_or_else(|| node.error(format!("`{text}` is not a version")))
}

/// A severity word as the feeds write it (`MODERATE` is GitHub's medium).
pub(crate) fn severity_word(node: &Node<'_>) -> Result<Severity, FeedError> {
    let word = node.string()?;
    Ok(match word.to_ascii_lowercase().as_str() {
        "none" | "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" | "moderate" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => {
            return Err(node.error(format!(
                "`{word}` is not a severity (low, medium, high, critical)"
            )));
        }
    })
}

#[cfg(test)]
mod tests;
