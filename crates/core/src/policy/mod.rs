//! Policy: findings → scores, grade and label decision; and the label state machine.
//!
//! Pure functions over data: the policy itself is a versioned TOML file in `checks/`
//! (compiled in, overridable), and every stored verdict records the version it used.

use crate::finding::{Category, Finding, FindingId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;

/// Letter grade, best first; `Ord` puts `APlus` lowest so "worse" compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    #[serde(rename = "A+")]
    APlus,
    A,
    #[serde(rename = "A-")]
    AMinus,
    #[serde(rename = "B+")]
    BPlus,
    B,
    #[serde(rename = "B-")]
    BMinus,
    #[serde(rename = "C+")]
    CPlus,
    C,
    #[serde(rename = "C-")]
    CMinus,
    #[serde(rename = "D+")]
    DPlus,
    D,
    #[serde(rename = "D-")]
    DMinus,
    F,
}

impl Grade {
    pub const ALL: [Grade; 13] = [
        Grade::APlus,
        Grade::A,
        Grade::AMinus,
        Grade::BPlus,
        Grade::B,
        Grade::BMinus,
        Grade::CPlus,
        Grade::C,
        Grade::CMinus,
        Grade::DPlus,
        Grade::D,
        Grade::DMinus,
        Grade::F,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::APlus => "A+",
            Grade::A => "A",
            Grade::AMinus => "A-",
            Grade::BPlus => "B+",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::CPlus => "C+",
            Grade::C => "C",
            Grade::CMinus => "C-",
            Grade::DPlus => "D+",
            Grade::D => "D",
            Grade::DMinus => "D-",
            Grade::F => "F",
        }
    }

    /// True when `self` is at least as good as `other`.
    pub fn at_least(self, other: Grade) -> bool {
        self <= other
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown grade `{0}` (expected A+, A, A-, B+, ... F)")]
pub struct UnknownGrade(pub String);

impl FromStr for Grade {
    type Err = UnknownGrade;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGrade(s.to_string()))
    }
}

/// Public label status of a site (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelStatus {
    NotAssessed,
    Labelled,
    AtRisk,
    Revoked,
    NotLabelled,
    Unreachable,
    /// The site answers, but not our scanner: a firewall challenge, a CAPTCHA or a
    /// refusal where visitors get the site. Not the same as down, and not a failure.
    Blocked,
}

impl LabelStatus {
    pub const ALL: [LabelStatus; 7] = [
        LabelStatus::NotAssessed,
        LabelStatus::Labelled,
        LabelStatus::AtRisk,
        LabelStatus::Revoked,
        LabelStatus::NotLabelled,
        LabelStatus::Unreachable,
        LabelStatus::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelStatus::NotAssessed => "not_assessed",
            LabelStatus::Labelled => "labelled",
            LabelStatus::AtRisk => "at_risk",
            LabelStatus::Revoked => "revoked",
            LabelStatus::NotLabelled => "not_labelled",
            LabelStatus::Unreachable => "unreachable",
            LabelStatus::Blocked => "blocked",
        }
    }

    /// Whether the site may display the label in this status.
    pub fn holds_label(self) -> bool {
        matches!(self, LabelStatus::Labelled | LabelStatus::AtRisk)
    }
}

impl fmt::Display for LabelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for LabelStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelStatus::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Label level: `basic` from automated checks, `advanced` with a staff attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelLevel {
    Basic,
    Advanced,
}

impl LabelLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelLevel::Basic => "basic",
            LabelLevel::Advanced => "advanced",
        }
    }
}

impl FromStr for LabelLevel {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "basic" => Ok(LabelLevel::Basic),
            "advanced" => Ok(LabelLevel::Advanced),
            other => Err(UnknownStatus(other.to_string())),
        }
    }
}

/// What one scan says about the label, before history is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every label requirement holds.
    Pass,
    /// Reachable, but at least one requirement fails.
    Fail,
    /// The site could not be assessed at all.
    Unreachable,
    /// The site answered with a firewall challenge or a refusal instead of its pages:
    /// it could not be assessed either, and the evidence says who stopped the scanner.
    Blocked,
}

impl Decision {
    /// Whether the scan assessed the site at all (neither unreachable nor blocked).
    pub fn assessed(self) -> bool {
        matches!(self, Decision::Pass | Decision::Fail)
    }
}

/// The judgement of one scan: scores, grade, decision and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub policy_version: String,
    pub score: i32,
    pub grade: Grade,
    pub category_scores: BTreeMap<Category, i32>,
    pub decision: Decision,
    /// Findings that block the label on their own.
    pub blocking: Vec<FindingId>,
    /// Grade caps that applied, as (finding, cap).
    pub caps: Vec<(FindingId, Grade)>,
    /// Human-readable reasons for the decision (English; ids are in `blocking`).
    pub reasons: Vec<String>,
    /// SSL Labs-style TLS sub-scores, when the legacy probe saw a supported version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_rating: Option<TlsRating>,
    /// Findings present that the advanced level requires absent (`[levels.advanced]`);
    /// a labelled site keeps or gains `advanced` only when this is empty. Verdicts stored
    /// before the rule have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advanced_blockers: Vec<FindingId>,
    /// What each finding id cost or earned, and what in the policy set the price (a
    /// kind, a severity, the default): the score is explainable line by line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priced: Vec<Priced>,
    /// The advisory feeds the software checks used (name, date, hash), so a verdict
    /// can be traced to the catalogs in force; empty in verdicts from before feeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feeds: Vec<crate::feeds::FeedStamp>,
    /// Feeds older than the policy's `feed_max_age_days` on the day of the scan, with
    /// their date: the verdict may miss advisories published since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_feeds: Vec<String>,
}

/// One finding id's price in a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priced {
    pub id: FindingId,
    /// Points taken (negative) or, for a bonus, offered (positive).
    pub points: i32,
    /// What set them: `kind script_unsafe_inline`, `severity high`, `default`, `flat`,
    /// or `not priced`.
    pub basis: String,
    /// From `[bonuses]`: added only when the score before bonuses is high enough (the
    /// verdict's reasons say whether they were).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bonus: bool,
}

/// A site's current label as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelState {
    pub status: LabelStatus,
    pub level: Option<LabelLevel>,
    pub grade: Option<Grade>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub status_since: Option<OffsetDateTime>,
    /// First failing scan while labelled; the grace period runs from here.
    #[serde(with = "time::serde::rfc3339::option")]
    pub at_risk_since: Option<OffsetDateTime>,
    /// Last scan that passed every requirement, or the staff decision that granted the
    /// label: the label's validity period runs from here.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_pass_at: Option<OffsetDateTime>,
    /// Consecutive scans that could not reach the site (reset by any that did).
    #[serde(default)]
    pub unreachable_scans: u32,
    /// When a staff decision of the authority set the current status; `None` once a scan
    /// or a lapse changed it. Published: a label the authority granted by hand says so.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

impl LabelState {
    pub fn not_assessed() -> Self {
        LabelState {
            status: LabelStatus::NotAssessed,
            level: None,
            grade: None,
            status_since: None,
            at_risk_since: None,
            last_pass_at: None,
            unreachable_scans: 0,
            decided_at: None,
        }
    }

    /// When a change computed at `now` takes effect on this label: `now`, or this
    /// label's own last status change if that is later. A scan computes its change at the
    /// time it judged the site; when a staff decision or another worker changed the label
    /// after that and the scan's change is recomputed over it, dating it `now` would put
    /// it before the change it follows, and the history would list the two backwards.
    pub fn next_change_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.status_since.map_or(now, |since| since.max(now))
    }
}

/// One status change, recorded with the reason and the scan that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: LabelStatus,
    pub to: LabelStatus,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Whether a scan shows the site collecting personal data: `None` when the scan could
/// not tell (the site was not reached, so no page was read). The programme's goal counts
/// the sites that do.
pub fn personal_data_collected(findings: &[Finding], decision: Decision) -> Option<bool> {
    decision.assessed().then(|| {
        findings
            .iter()
            .any(|f| f.id == FindingId::PrivacyCollectsPersonalData)
    })
}

mod lifecycle;
mod rules;
mod tls_rating;

pub use lifecycle::{LabelRules, expire_label, next_label, staff_override};
pub use rules::{Difference, POLICY_FILE, Policy, Price};
pub use tls_rating::{TlsRating, rate as rate_tls};

#[cfg(test)]
mod pricing_tests;
#[cfg(test)]
mod tests;
