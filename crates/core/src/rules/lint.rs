//! `trustlabel checks lint DIR`: validates every rule file a checks directory holds,
//! reporting each file's fate instead of stopping at the first bad one, so staff can fix
//! a whole rule set in one round.

use super::{FILES, PageRules, RuleText, RulesError, read_rule_file};
use crate::catalog::{CATALOG_FILE, Catalog};
use crate::exposures::{EXPOSURES_FILE, ExposureRules};
use crate::policy::{POLICY_FILE, Policy};
use std::path::Path;

/// The outcome for one rule file.
#[derive(Debug)]
pub struct LintEntry {
    /// File name inside the checks directory.
    pub file: &'static str,
    /// False when the directory has no such file (the built-in one is in force).
    pub present: bool,
    /// `None` when the file is valid; else the `file:line: reason` message.
    pub error: Option<String>,
}

/// Every rule file the scanner reads, checked in `dir`. Files the directory lacks are
/// reported as absent (the built-in file applies), not as errors.
pub fn lint(dir: &Path) -> Vec<LintEntry> {
    let mut out = Vec::new();
    let present = |file: &str| dir.join(file).is_file();
    out.push(LintEntry {
        file: POLICY_FILE,
        present: present(POLICY_FILE),
        error: Policy::load_dir(dir).err().map(|e| e.to_string()),
    });
    out.push(LintEntry {
        file: CATALOG_FILE,
        present: present(CATALOG_FILE),
        error: Catalog::load_dir(dir).err().map(|e| e.to_string()),
    });
    out.push(LintEntry {
        file: EXPOSURES_FILE,
        present: present(EXPOSURES_FILE),
        error: ExposureRules::load_dir(dir).err().map(|e| e.to_string()),
    });
    for file in FILES {
        out.push(LintEntry {
            file,
            present: present(file),
            error: lint_page_file(dir, file).err().map(|e| e.to_string()),
        });
    }
    out
}

fn lint_page_file(dir: &Path, file: &str) -> Result<(), RulesError> {
    let (name, text) = read_rule_file(Some(dir), file)?;
    let source = RuleText {
        file: &name,
        text: &text,
    };
    match file {
        super::privacy::FILE => super::PrivacyRules::parse(&source).map(drop),
        super::trackers::FILE => super::TrackerRules::parse(&source).map(drop),
        super::software::FILE => super::SoftwareRules::parse(&source).map(drop),
        super::spam::FILE => super::SpamRules::parse(&source).map(drop),
        super::blocklist::FILE => super::Blocklist::parse(&source).map(drop),
        _ => PageRules::load_dir(dir).map(drop),
    }
}
