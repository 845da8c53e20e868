//! The policy file (`checks/policy.toml`) and the scoring it drives.

use super::{Decision, Grade, LabelRules, Verdict};
use crate::evidence::LegacyTls;
use crate::finding::{Category, Finding, FindingId, Severity};
use crate::rulefile::{RuleFileError, RuleSource, line_of};
use crate::tlsprobe::SuiteTable;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, Duration, OffsetDateTime};

pub const POLICY_FILE: &str = "policy.toml";

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: String,
    /// (grade, minimum score), best first.
    pub grades: Vec<(Grade, i32)>,
    pub modifiers: HashMap<FindingId, i32>,
    pub caps: HashMap<FindingId, Grade>,
    /// Caps that apply only when the finding is reported with critical severity (NULL or
    /// anonymous suites make `tls.cipher.weak` critical: F instead of its usual cap).
    pub caps_when_critical: HashMap<FindingId, Grade>,
    pub minimum_grade: Grade,
    /// Grace, unreachable and validity periods of the label state machine.
    pub label_rules: LabelRules,
    pub blocking: BTreeSet<FindingId>,
    /// When a blocking rule was added. A rule newer than `new_blocking_grace_days` is
    /// reported in the verdict but does not refuse the label yet, so owners get time to
    /// fix what a new requirement finds (as internet.nl does).
    pub blocking_since: HashMap<FindingId, Date>,
    pub new_blocking_grace_days: i64,
    pub blocking_when_critical: BTreeSet<FindingId>,
    pub unreachable: BTreeSet<FindingId>,
    /// Findings that keep a passing site at the basic level (`[levels.advanced]`): the
    /// advanced level needs DNSSEC, an enforced DMARC policy and STARTTLS with a valid
    /// certificate on every MX, besides the staff attestation.
    pub advanced_requires_absent: BTreeSet<FindingId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: String,
    grades: BTreeMap<String, i32>,
    modifiers: BTreeMap<String, i32>,
    #[serde(default)]
    caps: BTreeMap<String, String>,
    #[serde(default)]
    caps_when_critical: BTreeMap<String, String>,
    label: LabelSection,
    /// The checks' thresholds: read by [`crate::checks::CheckSettings::from_policy_file`],
    /// accepted here so the file stays one document.
    #[serde(default, rename = "checks")]
    _checks: toml::Table,
    #[serde(default)]
    levels: LevelsSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LevelsSection {
    #[serde(default)]
    advanced: AdvancedSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AdvancedSection {
    #[serde(default)]
    requires_absent: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelSection {
    minimum_grade: String,
    grace_days: i64,
    #[serde(default = "default_unreachable_after")]
    unreachable_after: u32,
    #[serde(default = "default_validity_days")]
    validity_days: i64,
    blocking: Vec<String>,
    /// `"finding.id" = "YYYY-MM-DD"`: the day a blocking rule took effect.
    #[serde(default)]
    blocking_since: BTreeMap<String, String>,
    #[serde(default = "default_new_blocking_grace_days")]
    new_blocking_grace_days: i64,
    #[serde(default)]
    blocking_when_critical: Vec<String>,
    unreachable: Vec<String>,
}

fn default_unreachable_after() -> u32 {
    LabelRules::default().unreachable_after
}

fn default_validity_days() -> i64 {
    LabelRules::default().validity_days
}

fn default_new_blocking_grace_days() -> i64 {
    30
}

impl Policy {
    pub fn builtin() -> Result<Policy, RuleFileError> {
        let source = RuleSource::builtin(POLICY_FILE);
        Policy::from_toml(&source.name, &source.text)
    }

    pub fn from_toml(file: &str, text: &str) -> Result<Policy, RuleFileError> {
        let raw: PolicyFile = toml::from_str(text).map_err(|e| RuleFileError::Invalid {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
            reason: e.message().to_string(),
        })?;
        let at = |needle: &str| find_line(text, needle);
        let id = |s: &str| -> Result<FindingId, RuleFileError> {
            s.parse().map_err(
                |e: crate::finding::UnknownFindingId| RuleFileError::Invalid {
                    file: file.to_string(),
                    line: at(s),
                    reason: e.to_string(),
                },
            )
        };
        let grade = |s: &str| -> Result<Grade, RuleFileError> {
            s.parse()
                .map_err(|e: super::UnknownGrade| RuleFileError::Invalid {
                    file: file.to_string(),
                    line: at(s),
                    reason: e.to_string(),
                })
        };
        let mut grades = Vec::new();
        for (name, min) in &raw.grades {
            grades.push((grade(name)?, *min));
        }
        grades.sort_by_key(|(g, _)| *g);
        for pair in grades.windows(2) {
            if pair[0].1 <= pair[1].1 {
                return Err(RuleFileError::Inconsistent {
                    file: file.to_string(),
                    reason: format!(
                        "grade {} needs a higher minimum score than {}",
                        pair[0].0, pair[1].0
                    ),
                });
            }
        }
        let mut modifiers = HashMap::new();
        for (name, value) in &raw.modifiers {
            modifiers.insert(id(name)?, *value);
        }
        let mut caps = HashMap::new();
        for (name, cap) in &raw.caps {
            caps.insert(id(name)?, grade(cap)?);
        }
        let mut caps_when_critical = HashMap::new();
        for (name, cap) in &raw.caps_when_critical {
            let (id, cap) = (id(name)?, grade(cap)?);
            if let Some(plain) = caps.get(&id).filter(|plain| cap < **plain) {
                return Err(RuleFileError::Inconsistent {
                    file: file.to_string(),
                    reason: format!(
                        "caps_when_critical caps {id} at {cap}, milder than its [caps] entry {plain}"
                    ),
                });
            }
            caps_when_critical.insert(id, cap);
        }
        let set = |names: &[String]| -> Result<BTreeSet<FindingId>, RuleFileError> {
            names.iter().map(|n| id(n)).collect()
        };
        for (name, days) in [
            ("grace_days", raw.label.grace_days),
            ("new_blocking_grace_days", raw.label.new_blocking_grace_days),
        ] {
            if days < 0 {
                return Err(RuleFileError::Inconsistent {
                    file: file.to_string(),
                    reason: format!("label.{name} cannot be negative"),
                });
            }
        }
        if raw.label.validity_days < 1 || raw.label.unreachable_after < 1 {
            return Err(RuleFileError::Inconsistent {
                file: file.to_string(),
                reason: "label.validity_days and label.unreachable_after must be at least 1".into(),
            });
        }
        let blocking = set(&raw.label.blocking)?;
        let day_format = time::macros::format_description!("[year]-[month]-[day]");
        let mut blocking_since = HashMap::new();
        for (name, day) in &raw.label.blocking_since {
            let finding = id(name)?;
            if !blocking.contains(&finding) {
                return Err(RuleFileError::Inconsistent {
                    file: file.to_string(),
                    reason: format!(
                        "label.blocking_since names {finding}, which is not in label.blocking"
                    ),
                });
            }
            let date = Date::parse(day, &day_format).map_err(|_| RuleFileError::Invalid {
                file: file.to_string(),
                line: at(day),
                reason: format!("`{day}` is not a date like 2026-12-01"),
            })?;
            blocking_since.insert(finding, date);
        }
        Ok(Policy {
            version: raw.version,
            grades,
            modifiers,
            caps,
            caps_when_critical,
            minimum_grade: grade(&raw.label.minimum_grade)?,
            label_rules: LabelRules {
                grace_days: raw.label.grace_days,
                unreachable_after: raw.label.unreachable_after,
                validity_days: raw.label.validity_days,
            },
            blocking,
            blocking_since,
            new_blocking_grace_days: raw.label.new_blocking_grace_days,
            blocking_when_critical: set(&raw.label.blocking_when_critical)?,
            unreachable: set(&raw.label.unreachable)?,
            advanced_requires_absent: set(&raw.levels.advanced.requires_absent)?,
        })
    }

    fn grade_for(&self, score: i32) -> Grade {
        self.grades
            .iter()
            .find(|(_, min)| score >= *min)
            .map(|(g, _)| *g)
            .unwrap_or(Grade::F)
    }

    /// Scores, grade and decision for findings alone, with every blocking rule in force
    /// (whatever its start date) and no TLS rating.
    pub fn evaluate(&self, findings: &[Finding]) -> Verdict {
        self.evaluate_at(findings, None, None)
    }

    /// Scores, grade and decision for one scan at `now`, with the SSL Labs-style rating of
    /// what the legacy TLS probe saw capping the grade like a finding's cap does. `None`
    /// for `now` puts every blocking rule in force.
    pub fn evaluate_at(
        &self,
        findings: &[Finding],
        legacy: Option<&LegacyTls>,
        now: Option<OffsetDateTime>,
    ) -> Verdict {
        let ids: BTreeSet<FindingId> = findings.iter().map(|f| f.id).collect();
        let modifier = |id: &FindingId| self.modifiers.get(id).copied().unwrap_or(0);
        let score = (100 + ids.iter().map(modifier).sum::<i32>()).clamp(0, 100);
        let mut category_scores: BTreeMap<Category, i32> =
            Category::ALL.iter().map(|c| (*c, 100)).collect();
        for id in &ids {
            if let Some(s) = category_scores.get_mut(&id.category()) {
                *s = (*s + modifier(id)).max(0);
            }
        }
        let mut grade = self.grade_for(score);
        let mut caps = Vec::new();
        for id in &ids {
            if let Some(cap) = self.caps.get(id) {
                caps.push((*id, *cap));
                // `Ord` ranks worse grades higher, so `max` applies the cap.
                grade = grade.max(*cap);
            }
        }
        for f in findings.iter().filter(|f| f.severity == Severity::Critical) {
            if let Some(cap) = self.caps_when_critical.get(&f.id) {
                if !caps.contains(&(f.id, *cap)) {
                    caps.push((f.id, *cap));
                }
                grade = grade.max(*cap);
            }
        }
        let tls_rating = legacy.and_then(|l| super::tls_rating::rate(l, &SuiteTable::builtin()));
        let mut reasons = Vec::new();
        // SSL Labs' numeric rating tops out at A; its A+ rewards HSTS and a clean
        // configuration, which the Observatory-style score above already judges. So a
        // rating of A never caps, only B and worse do.
        if let Some(rating) = tls_rating.filter(|r| r.grade > grade && r.grade > Grade::A) {
            grade = rating.grade;
            reasons.push(format!(
                "TLS rating {} (protocol {}, key exchange {}, cipher strength {}) caps the grade at {}",
                rating.score, rating.protocol, rating.key_exchange, rating.cipher_strength, rating.grade
            ));
        }
        let mut blocking: Vec<FindingId> = ids
            .iter()
            .filter(|id| self.blocking.contains(id))
            .copied()
            .collect();
        for f in findings {
            if f.severity == Severity::Critical
                && self.blocking_when_critical.contains(&f.id)
                && !blocking.contains(&f.id)
            {
                blocking.push(f.id);
            }
        }
        blocking.sort();
        if let Some(now) = now {
            let grace = Duration::days(self.new_blocking_grace_days);
            blocking.retain(|id| match self.blocking_since.get(id) {
                Some(since) if now.date() < *since + grace => {
                    reasons.push(format!(
                        "{id} will block the label from {} (a new requirement, in its grace period)",
                        *since + grace
                    ));
                    false
                }
                _ => true,
            });
        }
        let unreachable: Vec<&FindingId> = ids
            .iter()
            .filter(|id| self.unreachable.contains(id))
            .collect();
        let decision = if !unreachable.is_empty() {
            reasons.push(format!(
                "the site could not be assessed ({})",
                join_ids(unreachable.into_iter())
            ));
            Decision::Unreachable
        } else {
            if !blocking.is_empty() {
                reasons.push(format!("blocking findings: {}", join_ids(blocking.iter())));
            }
            if !grade.at_least(self.minimum_grade) {
                reasons.push(format!(
                    "grade {grade} is below the required {}",
                    self.minimum_grade
                ));
            }
            if blocking.is_empty() && grade.at_least(self.minimum_grade) {
                reasons.push(format!(
                    "all label requirements pass with grade {grade} (score {score})"
                ));
                Decision::Pass
            } else {
                Decision::Fail
            }
        };
        let advanced_blockers: Vec<FindingId> = ids
            .iter()
            .filter(|id| self.advanced_requires_absent.contains(id))
            .copied()
            .collect();
        if decision == Decision::Pass && !advanced_blockers.is_empty() {
            reasons.push(format!(
                "the advanced level also needs the absence of {}",
                join_ids(advanced_blockers.iter())
            ));
        }
        Verdict {
            policy_version: self.version.clone(),
            advanced_blockers,
            score,
            grade,
            category_scores,
            decision,
            blocking,
            caps,
            reasons,
            tls_rating,
        }
    }
}

fn join_ids<'a>(ids: impl Iterator<Item = &'a FindingId>) -> String {
    ids.map(|i| i.as_str()).collect::<Vec<_>>().join(", ")
}

/// Line of the first occurrence of `needle` (quoted, as keys and values appear).
fn find_line(text: &str, needle: &str) -> usize {
    text.find(&format!("\"{needle}\""))
        .or_else(|| text.find(needle))
        .map(|o| line_of(text, o))
        .unwrap_or(0)
}
