//! The rule set in force: every rule file of `checks/` (policy, finding texts, exposure
//! rules, page rules) loaded, validated and hashed together, in one place.
//!
//! The CLI, the worker, the web server and the benchmarks all load rules through
//! [`RuleSet::load`], so they judge with the same rules and store the same hash for the
//! same texts. A checks directory replaces a built-in file by holding one of the same
//! name; the files it lacks stay built in.

use crate::catalog::Catalog;
use crate::checks::{CheckContext, CheckSettings};
use crate::cookie_rules::CookieRules;
use crate::exposures::ExposureRules;
use crate::feeds::Feeds;
use crate::policy::{Policy, Verdict};
use crate::provinces::Provinces;
use crate::rulefile::{FILES, RuleFileError, RuleSource};
use crate::rules::PageRules;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct RuleSet {
    pub policy: Policy,
    /// The checks' thresholds, from the `[checks]` table of the policy file.
    pub check_settings: CheckSettings,
    pub catalog: Catalog,
    /// Shared with the collector, which probes the paths these rules name.
    pub exposures: Arc<ExposureRules>,
    /// Shared with the collector, which follows the privacy-notice link they recognise.
    pub page: Arc<PageRules>,
    /// Cookies whose role is known by name (`cookies.toml`).
    pub cookies: Arc<CookieRules>,
    /// The provincial units in force, which target lists are filed under.
    pub provinces: Provinces,
    /// The advisory feeds in force (`feeds/` of the checks directory over the built-in
    /// copies), already joined into the software rules; kept for their stamps.
    pub feeds: Arc<Feeds>,
    /// Every file's text and name, in [`FILES`] order.
    sources: Vec<RuleSource>,
    hash: String,
}

/// One rule file's fate in `checks lint`.
#[derive(Debug)]
pub struct LintEntry {
    /// File name inside the checks directory.
    pub file: &'static str,
    /// False when the directory has no such file (the built-in one is in force).
    pub present: bool,
    /// `None` when the file is valid; else the `file:line: reason` message.
    pub error: Option<String>,
}

impl RuleSet {
    /// The rules compiled into the binary. A `Result` so that a bad edit of a built-in
    /// file fails the tests instead of panicking in production.
    pub fn builtin() -> Result<RuleSet, RuleFileError> {
        RuleSet::load(None)
    }

    /// The files of `dir` (when given) over the built-in ones; the first invalid file
    /// refuses the whole set.
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, RuleFileError> {
        let mut sources = FILES.map(RuleSource::builtin);
        if dir.is_some() {
            for (source, file) in sources.iter_mut().zip(FILES) {
                *source = RuleSource::read(dir, file)?;
            }
        }
        RuleSet::parse(sources, Feeds::load(dir)?)
    }

    fn parse(sources: [RuleSource; 11], feeds: Feeds) -> Result<RuleSet, RuleFileError> {
        let [
            policy,
            catalog,
            exposures,
            privacy,
            trackers,
            software,
            spam,
            blocklist,
            firewall,
            cookies,
            provinces,
        ] = sources.each_ref();
        let mut page = PageRules::parse([privacy, trackers, software, spam, blocklist, firewall])?;
        page.software = page.software.with_feeds(&feeds);
        Ok(RuleSet {
            policy: Policy::from_toml(&policy.name, &policy.text)?,
            check_settings: CheckSettings::from_policy_file(&policy.as_text())?,
            catalog: Catalog::from_toml(&catalog.name, &catalog.text)?,
            exposures: Arc::new(ExposureRules::from_toml(&exposures.name, &exposures.text)?),
            page: Arc::new(page),
            cookies: Arc::new(CookieRules::parse(&cookies.as_text())?),
            provinces: Provinces::from_toml(&provinces.name, &provinces.text)?,
            hash: hash(&sources, &feeds),
            sources: sources.to_vec(),
            feeds: Arc::new(feeds),
        })
    }

    /// SHA-256 over every text in force (each prefixed with its length, in [`FILES`]
    /// order), stored with each scan so a verdict can be traced to the exact rules that
    /// produced it.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The name and text of each file in force, in [`FILES`] order.
    pub fn sources(&self) -> &[RuleSource] {
        &self.sources
    }

    /// Records the feeds in force in a verdict, naming those older than the policy's
    /// `feed_max_age_days` at `now`.
    pub fn stamp_feeds(&self, verdict: &mut Verdict, now: OffsetDateTime) {
        verdict.feeds = self.feeds.stamps.clone();
        let max_age = self.check_settings.feed_max_age_days;
        verdict.stale_feeds = self
            .feeds
            .stale(now.date(), max_age)
            .into_iter()
            .map(|s| {
                let date = s.date.map(|d| d.to_string()).unwrap_or_default();
                format!("{} dated {date} is older than {max_age} days", s.name)
            })
            .collect();
    }

    /// What the checks need besides the evidence.
    pub fn check_context(&self, now: OffsetDateTime) -> CheckContext<'_> {
        CheckContext {
            now,
            settings: &self.check_settings,
            page_rules: &self.page,
            cookie_rules: &self.cookies,
            exposures: Arc::clone(&self.exposures),
        }
    }

    /// `trustlabel checks lint DIR`: every rule file of `dir` checked on its own, so
    /// staff can fix a whole set in one round instead of one error at a time. Files the
    /// directory lacks are reported as absent (the built-in file applies), not as errors.
    pub fn lint(dir: &Path) -> Vec<LintEntry> {
        FILES
            .iter()
            .enumerate()
            .map(|(index, &file)| {
                let error = RuleSource::read(Some(dir), file)
                    .and_then(|own| {
                        // The file in its place among the built-in others.
                        let mut sources = FILES.map(RuleSource::builtin);
                        sources[index] = own;
                        RuleSet::parse(sources, Feeds::load(None)?)
                    })
                    .err()
                    .map(|e| e.to_string());
                LintEntry {
                    file,
                    present: dir.join(file).is_file(),
                    error,
                }
            })
            .collect()
    }
}

fn hash(sources: &[RuleSource], feeds: &Feeds) -> String {
    let mut hasher = Sha256::new();
    for source in sources {
        hasher.update((source.text.len() as u64).to_be_bytes());
        hasher.update(source.text.as_bytes());
    }
    // The feeds' own hashes (fixed length each), so a feed update changes the rules hash
    // stored with each scan as a rule edit does.
    for stamp in &feeds.stamps {
        hasher.update(stamp.sha256.as_bytes());
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{blocklist, spam, trackers};

    #[test]
    fn the_builtin_set_loads_with_every_file_in_a_fixed_order() {
        let rules = RuleSet::builtin().unwrap();
        let names: Vec<_> = rules.sources().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), FILES.len());
        assert!(names[0].contains("policy.toml"), "{names:?}");
        assert_eq!(rules.hash().len(), 64);
        assert_eq!(rules.hash(), RuleSet::builtin().unwrap().hash());
    }

    #[test]
    fn a_directory_file_replaces_only_its_builtin_twin_and_changes_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(blocklist::FILE),
            "[[list]]\nid = \"x\"\nseverity = \"high\"\nrationale = \"r\"\n\
             reference = \"https://a.example/\"\ndomains = [\"bad.example\"]\n",
        )
        .unwrap();
        let rules = RuleSet::load(Some(dir.path())).unwrap();
        assert!(rules.page.blocklist.listing("www.bad.example").is_some());
        assert!(
            rules
                .page
                .blocklist
                .listing("malware-drop.example")
                .is_none()
        );
        assert!(
            rules
                .page
                .trackers
                .tracker_for("www.google-analytics.com")
                .is_some(),
            "the other page files stay built in"
        );
        assert_ne!(rules.hash(), RuleSet::builtin().unwrap().hash());
        let same_text = tempfile::tempdir().unwrap();
        std::fs::write(
            same_text.path().join(trackers::FILE),
            crate::rulefile::builtin_text(trackers::FILE).unwrap(),
        )
        .unwrap();
        assert_eq!(
            RuleSet::load(Some(same_text.path())).unwrap().hash(),
            RuleSet::builtin().unwrap().hash(),
            "the hash is of the texts, not of where they came from"
        );
    }

    #[test]
    fn a_bad_file_refuses_the_set_with_its_name_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(spam::FILE), "[scoring]\nthreshold = 0\n").unwrap();
        let err = RuleSet::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("spam.toml:"), "{err}");
    }

    #[test]
    fn lint_reports_every_file_of_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(spam::FILE), "[scoring]\nthreshold = 0\n").unwrap();
        std::fs::write(dir.path().join("policy.toml"), "version = \n").unwrap();
        std::fs::write(
            dir.path().join(trackers::FILE),
            crate::rulefile::builtin_text(trackers::FILE).unwrap(),
        )
        .unwrap();
        let report = RuleSet::lint(dir.path());
        assert_eq!(report.len(), FILES.len());
        let entry = |f: &str| report.iter().find(|e| e.file == f).unwrap();
        let spam_error = entry(spam::FILE).error.as_deref().unwrap_or("");
        assert!(entry(spam::FILE).present && spam_error.contains("spam.toml:"));
        let policy_error = entry("policy.toml").error.as_deref().unwrap_or("");
        assert!(policy_error.contains("policy.toml:1"), "{policy_error}");
        assert!(entry(trackers::FILE).present && entry(trackers::FILE).error.is_none());
        assert!(!entry("privacy.toml").present && entry("privacy.toml").error.is_none());
        assert!(entry("findings.toml").error.is_none());
    }
}
