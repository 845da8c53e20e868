//! The policy file (`checks/policy.toml`) and the scoring it drives.

use super::{Decision, Grade, LabelRules, Priced, Verdict};
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
    /// The price (zero or negative) of each problem id.
    pub modifiers: HashMap<FindingId, Price>,
    /// The extra credit (positive) of each strength id ([`FindingId::is_strength`]).
    pub bonuses: HashMap<FindingId, Price>,
    /// Bonuses count only when the score before them is at least this (the
    /// Observatory's rule: extra credit cannot lift a weak site, only a good one).
    pub bonus_min_score: i32,
    /// Where the policy deliberately judges differently from the MDN HTTP Observatory,
    /// in both languages (published on the criteria page).
    pub differences: Vec<Difference>,
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
    /// Findings that mean the site stopped the scanner (`Decision::Blocked`).
    pub blocked: BTreeSet<FindingId>,
}

/// What one finding costs (or earns): one number, or a table by kind or severity.
///
/// In the file a price is either `-20` or `{ default = -20, script_unsafe_eval = -10,
/// low = -5 }`, whose keys are `default` (required), kinds of the finding
/// ([`FindingId::kinds`]) and severities. A finding with kinds is priced by each kind
/// (its own entry, else its severity's, else `default`) and the worst kind counts (the
/// best for a bonus), as the Observatory grades each test by its worst result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub default: i32,
    pub by_kind: BTreeMap<String, i32>,
    pub by_severity: BTreeMap<Severity, i32>,
}

impl Price {
    pub fn flat(points: i32) -> Price {
        Price {
            default: points,
            by_kind: BTreeMap::new(),
            by_severity: BTreeMap::new(),
        }
    }

    /// The points of one finding and what set them; for a bonus the best kind counts.
    pub fn of(&self, finding: &Finding, bonus: bool) -> (i32, String) {
        let by_severity = || match self.by_severity.get(&finding.severity) {
            Some(p) => (*p, format!("severity {}", finding.severity)),
            None => (self.default, self.default_basis()),
        };
        let each = finding
            .kinds
            .iter()
            .map(|kind| match self.by_kind.get(kind) {
                Some(p) => (*p, format!("kind {kind}")),
                None => by_severity(),
            });
        let chosen = if bonus {
            each.max_by_key(|(p, _)| *p)
        } else {
            each.min_by_key(|(p, _)| *p)
        };
        chosen.unwrap_or_else(by_severity)
    }

    fn default_basis(&self) -> String {
        if self.by_kind.is_empty() && self.by_severity.is_empty() {
            "flat".into()
        } else {
            "default".into()
        }
    }
}

/// One place where the policy deliberately differs from the MDN HTTP Observatory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    /// What is judged ("HSTS max-age").
    pub topic_vi: String,
    pub topic_en: String,
    /// How trustlabel judges it and why, against how the Observatory does.
    pub vi: String,
    pub en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: String,
    #[serde(default = "default_bonus_min_score")]
    bonus_min_score: i32,
    grades: BTreeMap<String, i32>,
    modifiers: BTreeMap<String, toml::Value>,
    #[serde(default)]
    bonuses: BTreeMap<String, toml::Value>,
    #[serde(default, rename = "difference")]
    differences: Vec<Difference>,
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
    #[serde(default)]
    blocked: Vec<String>,
}

fn default_bonus_min_score() -> i32 {
    90
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
        let bonuses_at = text.find("[bonuses]").unwrap_or(0);
        let price = |name: &str,
                     value: &toml::Value,
                     bonus: bool|
         -> Result<(FindingId, Price), RuleFileError> {
            // The line of the entry in its own table (an id may be in both tables).
            let at = |needle: &str| {
                if bonus {
                    line_of(text, bonuses_at) + find_line(&text[bonuses_at..], needle) - 1
                } else {
                    at(needle)
                }
            };
            let finding: FindingId =
                name.parse()
                    .map_err(
                        |e: crate::finding::UnknownFindingId| RuleFileError::Invalid {
                            file: file.to_string(),
                            line: at(name),
                            reason: e.to_string(),
                        },
                    )?;
            let invalid = |line: usize, reason: String| RuleFileError::Invalid {
                file: file.to_string(),
                line,
                reason,
            };
            let table = if bonus { "bonuses" } else { "modifiers" };
            if finding.is_strength() != bonus {
                let (is, belongs) = if bonus {
                    ("is a problem", "[modifiers]")
                } else {
                    ("is a strength", "[bonuses]")
                };
                return Err(invalid(
                    at(name),
                    format!("{finding} {is}: price it in {belongs}"),
                ));
            }
            let sign_ok = |p: i32| if bonus { p > 0 } else { p <= 0 };
            let sign = if bonus { "above 0" } else { "0 or below" };
            let points = |key: &str, v: &toml::Value| -> Result<i32, RuleFileError> {
                v.as_integer()
                    .and_then(|p| i32::try_from(p).ok())
                    .filter(|p| sign_ok(*p))
                    .ok_or_else(|| {
                        invalid(
                            at(name),
                            format!(
                                "[{table}] {finding}{key}: the points must be a whole number {sign}"
                            ),
                        )
                    })
            };
            let price = match value {
                toml::Value::Table(entries) => {
                    let mut price = Price::flat(0);
                    let mut default = None;
                    for (key, v) in entries {
                        let p = points(&format!(".{key}"), v)?;
                        if key == "default" {
                            default = Some(p);
                        } else if finding.kinds().contains(&key.as_str()) {
                            price.by_kind.insert(key.clone(), p);
                        } else if let Some(sev) =
                            SEVERITIES.iter().find(|s| s.as_str() == key.as_str())
                        {
                            price.by_severity.insert(*sev, p);
                        } else {
                            let kinds = if finding.kinds().is_empty() {
                                "it has no kinds".to_string()
                            } else {
                                format!("its kinds are {}", finding.kinds().join(", "))
                            };
                            return Err(invalid(
                                at(name),
                                format!(
                                    "[{table}] {finding}: `{key}` is neither a kind of it nor a severity ({kinds})"
                                ),
                            ));
                        }
                    }
                    price.default = default.ok_or_else(|| {
                        invalid(
                            at(name),
                            format!("[{table}] {finding}: a table of prices needs `default`"),
                        )
                    })?;
                    price
                }
                other => Price::flat(points("", other)?),
            };
            Ok((finding, price))
        };
        let mut modifiers = HashMap::new();
        for (name, value) in &raw.modifiers {
            let (finding, p) = price(name, value, false)?;
            modifiers.insert(finding, p);
        }
        let mut bonuses = HashMap::new();
        for (name, value) in &raw.bonuses {
            let (finding, p) = price(name, value, true)?;
            bonuses.insert(finding, p);
        }
        for d in &raw.differences {
            if [&d.topic_vi, &d.topic_en, &d.vi, &d.en]
                .iter()
                .any(|t| t.trim().is_empty())
            {
                return Err(RuleFileError::Invalid {
                    file: file.to_string(),
                    line: at(&d.topic_en),
                    reason: "a [[difference]] needs topic_vi, topic_en, vi and en".into(),
                });
            }
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
        let blocking_when_critical = set(&raw.label.blocking_when_critical)?;
        let day_format = time::macros::format_description!("[year]-[month]-[day]");
        let mut blocking_since = HashMap::new();
        for (name, day) in &raw.label.blocking_since {
            let finding = id(name)?;
            if !blocking.contains(&finding) && !blocking_when_critical.contains(&finding) {
                return Err(RuleFileError::Inconsistent {
                    file: file.to_string(),
                    reason: format!(
                        "label.blocking_since names {finding}, which is not in label.blocking \
                         nor label.blocking_when_critical"
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
            bonuses,
            bonus_min_score: raw.bonus_min_score,
            differences: raw.differences,
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
            blocking_when_critical,
            unreachable: set(&raw.label.unreachable)?,
            advanced_requires_absent: set(&raw.levels.advanced.requires_absent)?,
            blocked: set(&raw.label.blocked)?,
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
        let priced = self.price(findings);
        let points = |bonus: bool| -> i32 {
            priced
                .iter()
                .filter(|p| p.bonus == bonus)
                .map(|p| p.points)
                .sum()
        };
        let before_bonuses = (100 + points(false)).max(0);
        let bonuses = points(true);
        let mut reasons = Vec::new();
        let score = if bonuses > 0 && before_bonuses >= self.bonus_min_score {
            reasons.push(format!(
                "bonuses +{bonuses} added to the score of {before_bonuses} (at least {} before bonuses)",
                self.bonus_min_score
            ));
            before_bonuses + bonuses
        } else {
            if bonuses > 0 {
                reasons.push(format!(
                    "bonuses +{bonuses} not added: the score before bonuses, {before_bonuses}, is below {}",
                    self.bonus_min_score
                ));
            }
            before_bonuses
        };
        let mut category_scores: BTreeMap<Category, i32> =
            Category::ALL.iter().map(|c| (*c, 100)).collect();
        for p in priced.iter().filter(|p| !p.bonus) {
            if let Some(s) = category_scores.get_mut(&p.id.category()) {
                *s = (*s + p.points).max(0);
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
        } else if let Some(id) = ids.iter().find(|id| self.blocked.contains(id)) {
            reasons.push(format!(
                "the site stopped the scanner ({id}): it could not be assessed"
            ));
            Decision::Blocked
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
            priced,
            feeds: Vec::new(),
            stale_feeds: Vec::new(),
        }
    }

    /// What each finding id present costs or earns, and why: an id counts once, at the
    /// worst price of its findings (the best, for a bonus). Ids the policy does not
    /// price are listed at 0 so the verdict shows every id it weighed.
    fn price(&self, findings: &[Finding]) -> Vec<Priced> {
        let mut by_id: BTreeMap<FindingId, Priced> = BTreeMap::new();
        for f in findings {
            let bonus = f.id.is_strength();
            let table = if bonus {
                &self.bonuses
            } else {
                &self.modifiers
            };
            let (points, basis) = match table.get(&f.id) {
                Some(price) => price.of(f, bonus),
                None => (0, "not priced".to_string()),
            };
            let candidate = Priced {
                id: f.id,
                points,
                basis,
                bonus,
            };
            match by_id.get_mut(&f.id) {
                Some(kept) => {
                    let better = if bonus {
                        candidate.points > kept.points
                    } else {
                        candidate.points < kept.points
                    };
                    if better {
                        *kept = candidate;
                    }
                }
                None => {
                    by_id.insert(f.id, candidate);
                }
            }
        }
        by_id.into_values().collect()
    }
}

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

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
