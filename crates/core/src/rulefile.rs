//! What every rule file of `checks/` shares: where its text comes from (a checks
//! directory, else the copy compiled into the binary), the one error type every loader
//! reports (`file:line: reason`), and positions for those errors.
//!
//! The loaders themselves (policy, finding texts, exposure rules, page rules) parse a
//! [`RuleText`]; [`crate::ruleset::RuleSet`] reads them all together.

use crate::catalog::CATALOG_FILE;
use crate::cookie_rules;
use crate::exposures::EXPOSURES_FILE;
use crate::policy::POLICY_FILE;
use crate::provinces::PROVINCES_FILE;
use crate::rules::{blocklist, firewall, privacy, software, spam, trackers};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;

/// Why a rule file was refused. The same for every file, so staff read one format and
/// `checks lint` reports every file alike.
#[derive(Debug, thiserror::Error)]
pub enum RuleFileError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    /// A fault at a place in the file. `line` is 1-based; 0 when the parser gave no
    /// position.
    #[error("{file}:{line}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        reason: String,
    },
    /// Parts of the file that are each valid but contradict each other (a grade table
    /// out of order, a milder cap for the critical case).
    #[error("{file}: {reason}")]
    Inconsistent { file: String, reason: String },
    /// An advisory feed of `feeds/` (its own `file:line` or `file: json path` form).
    #[error(transparent)]
    Feed(#[from] crate::feeds::FeedError),
}

/// Every rule file, by its name inside a checks directory, in the order their texts are
/// hashed into the rules hash.
pub const FILES: [&str; 11] = [
    POLICY_FILE,
    CATALOG_FILE,
    EXPOSURES_FILE,
    privacy::FILE,
    trackers::FILE,
    software::FILE,
    spam::FILE,
    blocklist::FILE,
    firewall::FILE,
    cookie_rules::FILE,
    PROVINCES_FILE,
];

/// The compiled-in text of a rule file.
pub fn builtin_text(file: &str) -> Option<&'static str> {
    Some(match file {
        POLICY_FILE => include_str!("../../../checks/policy.toml"),
        CATALOG_FILE => include_str!("../../../checks/findings.toml"),
        EXPOSURES_FILE => include_str!("../../../checks/exposures.toml"),
        privacy::FILE => include_str!("../../../checks/privacy.toml"),
        trackers::FILE => include_str!("../../../checks/trackers.toml"),
        software::FILE => include_str!("../../../checks/software.toml"),
        spam::FILE => include_str!("../../../checks/spam.toml"),
        blocklist::FILE => include_str!("../../../checks/blocklist.toml"),
        firewall::FILE => include_str!("../../../checks/firewall.toml"),
        cookie_rules::FILE => include_str!("../../../checks/cookies.toml"),
        PROVINCES_FILE => include_str!("../../../checks/provinces.toml"),
        _ => return None,
    })
}

/// A rule file's text and the name its errors carry (`DIR/file`, or `checks/file
/// (built-in)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

impl RuleSource {
    /// The compiled-in copy of `file`.
    pub fn builtin(file: &str) -> RuleSource {
        RuleSource {
            name: format!("checks/{file} (built-in)"),
            text: builtin_text(file).unwrap_or_default().to_string(),
        }
    }

    /// `DIR/file` when the directory has it (used whole), else the compiled-in copy.
    pub fn read(dir: Option<&Path>, file: &str) -> Result<RuleSource, RuleFileError> {
        let Some(dir) = dir else {
            return Ok(RuleSource::builtin(file));
        };
        let path = dir.join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(RuleSource {
                name: path.display().to_string(),
                text,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RuleSource::builtin(file)),
            Err(source) => Err(RuleFileError::Read {
                file: path.display().to_string(),
                source,
            }),
        }
    }

    pub fn as_text(&self) -> RuleText<'_> {
        RuleText {
            file: &self.name,
            text: &self.text,
        }
    }
}

/// A rule file's text with its name, for parsing and error positions.
#[derive(Debug, Clone, Copy)]
pub struct RuleText<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl RuleText<'_> {
    /// Deserialises the whole file; syntax and schema errors carry their line.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, RuleFileError> {
        toml::from_str(self.text).map_err(|e| RuleFileError::Invalid {
            file: self.file.to_string(),
            line: e.span().map_or(0, |s| line_of(self.text, s.start)),
            reason: e.message().trim().to_string(),
        })
    }

    /// A fault at a byte range of the file.
    pub fn invalid(&self, span: Range<usize>, reason: impl Into<String>) -> RuleFileError {
        self.invalid_at(Some(span.start), reason)
    }

    /// A fault at a byte offset, or with no position (`line` 0).
    pub fn invalid_at(&self, offset: Option<usize>, reason: impl Into<String>) -> RuleFileError {
        RuleFileError::Invalid {
            file: self.file.to_string(),
            line: offset.map_or(0, |o| line_of(self.text, o)),
            reason: reason.into(),
        }
    }

    /// A fault of the file as a whole.
    pub fn inconsistent(&self, reason: impl Into<String>) -> RuleFileError {
        RuleFileError::Inconsistent {
            file: self.file.to_string(),
            reason: reason.into(),
        }
    }
}

/// 1-based line of a byte offset (counted in bytes, so any offset is safe, even one
/// that falls inside a multi-byte character).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one_and_survive_odd_offsets() {
        let text = "a\nbộ\nc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        assert_eq!(line_of(text, 4), 2, "inside a multi-byte char");
        assert_eq!(line_of(text, 99), 3);
    }

    #[test]
    fn every_rule_file_has_a_builtin_copy() {
        for file in FILES {
            assert!(
                builtin_text(file).is_some_and(|t| !t.trim().is_empty()),
                "{file}"
            );
        }
    }

    #[test]
    fn a_file_missing_from_the_directory_falls_back_to_the_builtin_copy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(POLICY_FILE), "version = 'x'").unwrap();
        let own = RuleSource::read(Some(dir.path()), POLICY_FILE).unwrap();
        assert_eq!(own.text, "version = 'x'");
        assert!(own.name.ends_with(POLICY_FILE));
        let builtin = RuleSource::read(Some(dir.path()), CATALOG_FILE).unwrap();
        assert_eq!(builtin, RuleSource::builtin(CATALOG_FILE));
        assert!(builtin.name.contains("(built-in)"));
    }
}
