//! `checks/trackers.toml`: third-party analytics, advertising and social hosts whose
//! scripts or pixels follow a visitor across sites.

use super::terms::{TermSet, Tokens};
use super::{
    RuleFileError, RuleInfo, RuleText, check_meta, compile_domains, compile_terms, host_is_under,
};
use serde::Deserialize;

pub const FILE: &str = "trackers.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tracker: Vec<RawTracker>,
}

raw_rule!(RawTracker {
    name: String,
    category: String,
    hosts: Vec<String>,
    /// Wording by which a privacy notice discloses this tracker ("Google Analytics").
    #[serde(default)]
    disclosure_terms: Vec<String>,
});

#[derive(Debug, Clone)]
pub struct Tracker {
    pub info: RuleInfo,
    pub name: String,
    pub category: String,
    pub hosts: Vec<String>,
    disclosure: TermSet,
}

impl Tracker {
    /// Whether a notice's text names this tracker.
    pub fn disclosed_in(&self, notice: &Tokens) -> bool {
        self.disclosure.any(notice)
    }
}

#[derive(Debug, Clone)]
pub struct TrackerRules {
    pub trackers: Vec<Tracker>,
}

impl TrackerRules {
    pub fn parse(source: &RuleText<'_>) -> Result<TrackerRules, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let infos = check_meta(source, raw.tracker.iter().map(RawTracker::meta))?;
        let mut trackers = Vec::new();
        for (t, info) in raw.tracker.iter().zip(infos) {
            if t.hosts.is_empty() {
                return Err(source.invalid(t.id.span(), format!("`{}` lists no hosts", info.id)));
            }
            trackers.push(Tracker {
                name: t.name.clone(),
                category: t.category.clone(),
                hosts: compile_domains(source, &t.id, &t.hosts)?,
                disclosure: compile_terms(source, &t.id, &t.disclosure_terms, true)?,
                info,
            });
        }
        Ok(TrackerRules { trackers })
    }

    /// The tracker a host belongs to.
    pub fn tracker_for(&self, host: &str) -> Option<&Tracker> {
        self.trackers
            .iter()
            .find(|t| t.hosts.iter().any(|d| host_is_under(host, d)))
    }
}
