//! The label state machine: how one verdict, or the passing of time, moves a site's label.
//!
//! Pure: the previous state, the verdict (or nothing) and `now` in; the next state and the
//! transition (if the status changed) out. The store records both in one transaction, and
//! applies these functions again to the label it finds there when the label changed
//! after the caller read it.

use super::{Decision, LabelLevel, LabelState, LabelStatus, Transition, Verdict};
use time::{Duration, OffsetDateTime};

/// The lifecycle's knobs, from `[label]` in `checks/policy.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRules {
    /// A labelled site that starts failing keeps its label this long (`at_risk`).
    pub grace_days: i64,
    /// Consecutive scans that cannot reach an assessed site before its status becomes
    /// `unreachable`; one outage does not undo an assessment.
    pub unreachable_after: u32,
    /// A label lapses when no scan has passed for this long.
    pub validity_days: i64,
}

impl Default for LabelRules {
    fn default() -> Self {
        LabelRules {
            grace_days: 14,
            unreachable_after: 3,
            validity_days: 30,
        }
    }
}

impl LabelRules {
    /// Until when a label holds without a new passing scan: the end of its validity, or
    /// of the grace period once at risk, whichever comes first (`None` when none is held).
    pub fn valid_until(
        &self,
        status: LabelStatus,
        last_pass_at: Option<OffsetDateTime>,
        at_risk_since: Option<OffsetDateTime>,
    ) -> Option<OffsetDateTime> {
        if !status.holds_label() {
            return None;
        }
        let lapse = last_pass_at.map(|at| at + Duration::days(self.validity_days));
        let grace_end = at_risk_since
            .filter(|_| status == LabelStatus::AtRisk)
            .map(|at| at + Duration::days(self.grace_days));
        match (lapse, grace_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Applies one scan's verdict to the stored label.
pub fn next_label(
    previous: &LabelState,
    verdict: &Verdict,
    now: OffsetDateTime,
    rules: &LabelRules,
) -> (LabelState, Option<Transition>) {
    let mut next = previous.clone();
    next.grade = Some(verdict.grade);
    let why = verdict.reasons.join("; ");
    let (status, reason) = match verdict.decision {
        Decision::Pass => {
            next.last_pass_at = Some(now);
            next.at_risk_since = None;
            next.unreachable_scans = 0;
            // Advanced comes only from a staff attestation, which survives passing scans
            // as long as the advanced requirements hold (DNSSEC, DMARC, STARTTLS); a scan
            // that misses one lowers the label to basic until staff attest again.
            next.level = Some(match previous.level {
                Some(LabelLevel::Advanced)
                    if previous.status.holds_label() && verdict.advanced_blockers.is_empty() =>
                {
                    LabelLevel::Advanced
                }
                _ => LabelLevel::Basic,
            });
            let reason = match previous.status {
                LabelStatus::AtRisk => format!("requirements pass again: {why}"),
                LabelStatus::Revoked => format!("label granted again: {why}"),
                _ => format!("label granted: {why}"),
            };
            (LabelStatus::Labelled, reason)
        }
        Decision::Fail => {
            next.unreachable_scans = 0;
            failing(
                previous,
                &mut next,
                now,
                rules,
                LabelStatus::NotLabelled,
                why,
            )
        }
        Decision::Unreachable | Decision::Blocked => {
            // A blocked scan counts like an unreachable one: one challenge does not undo
            // an assessment, several in a row end it, and the status says which it was.
            let (status, what) = if verdict.decision == Decision::Blocked {
                (LabelStatus::Blocked, "were stopped by the site")
            } else {
                (LabelStatus::Unreachable, "could not reach the site")
            };
            next.unreachable_scans = previous.unreachable_scans.saturating_add(1);
            let assessed = previous.status != LabelStatus::NotAssessed;
            let unassessed_already = matches!(
                previous.status,
                LabelStatus::Unreachable | LabelStatus::Blocked
            );
            if assessed && !unassessed_already && next.unreachable_scans < rules.unreachable_after {
                // Not yet: the assessment stands, apart from a lapse or the end of grace.
                match lapse(previous, now, rules) {
                    Some(lapsed) => lapsed,
                    None => keep_or_revoke(previous, &mut next, now, rules, &why),
                }
            } else {
                next.level = None;
                next.at_risk_since = None;
                let reason = if assessed {
                    format!(
                        "{} consecutive scans {what} ({why})",
                        next.unreachable_scans
                    )
                } else {
                    why
                };
                (status, reason)
            }
        }
    };
    finish(previous, next, status, reason, now)
}

/// The label lapses when no scan passed within the validity period; run by the
/// scheduler for sites that are not scanned in time, and by every failing scan.
pub fn expire_label(
    previous: &LabelState,
    now: OffsetDateTime,
    rules: &LabelRules,
) -> Option<(LabelState, Transition)> {
    let (status, reason) = lapse(previous, now, rules)?;
    let mut next = previous.clone();
    next.level = None;
    next.at_risk_since = None;
    let (next, transition) = finish(previous, next, status, reason, now);
    transition.map(|t| (next, t))
}

/// A staff decision that sets the status (and, for a status holding a label, the level;
/// `basic` when not given) whatever the scans said. Grade and the unreachable count stay
/// as the scans left them; the grace clock starts now unless the site was already at
/// risk. A label granted by decision is valid for one validity period from the decision
/// (then it lapses unless a scan passes), and the label records that it was decided, so
/// the public page says so. Pure, so the store can apply it to the label it reads inside
/// the transaction that writes the decision.
pub fn staff_override(
    previous: &LabelState,
    status: LabelStatus,
    level: Option<LabelLevel>,
    now: OffsetDateTime,
    reason: String,
) -> (LabelState, Option<Transition>) {
    let mut next = previous.clone();
    next.level = status
        .holds_label()
        .then(|| level.unwrap_or(LabelLevel::Basic));
    next.at_risk_since = match status {
        LabelStatus::AtRisk => previous.at_risk_since.or(Some(now)),
        _ => None,
    };
    if status == LabelStatus::Labelled && !previous.status.holds_label() {
        next.last_pass_at = Some(now);
    }
    let (mut next, transition) = finish(previous, next, status, reason, now);
    next.decided_at = Some(now);
    (next, transition)
}

fn lapse(
    previous: &LabelState,
    now: OffsetDateTime,
    rules: &LabelRules,
) -> Option<(LabelStatus, String)> {
    if !previous.status.holds_label() {
        return None;
    }
    let last = previous.last_pass_at?;
    (now - last >= Duration::days(rules.validity_days)).then(|| {
        (
            LabelStatus::Revoked,
            format!(
                "label expired: no passing assessment within {} days (last pass {})",
                rules.validity_days,
                last.date()
            ),
        )
    })
}

/// A reachable site that fails, or a labelled one that keeps failing.
fn failing(
    previous: &LabelState,
    next: &mut LabelState,
    now: OffsetDateTime,
    rules: &LabelRules,
    otherwise: LabelStatus,
    why: String,
) -> (LabelStatus, String) {
    if let Some(lapsed) = lapse(previous, now, rules) {
        next.level = None;
        next.at_risk_since = None;
        return lapsed;
    }
    match previous.status {
        LabelStatus::Labelled => {
            next.at_risk_since = Some(now);
            let until = now + Duration::days(rules.grace_days);
            (
                LabelStatus::AtRisk,
                format!(
                    "failing since this scan ({why}); label kept until {}",
                    until.date()
                ),
            )
        }
        LabelStatus::AtRisk => keep_or_revoke(previous, next, now, rules, &why),
        LabelStatus::Revoked => (LabelStatus::Revoked, why),
        LabelStatus::NotAssessed
        | LabelStatus::NotLabelled
        | LabelStatus::Unreachable
        | LabelStatus::Blocked => {
            next.level = None;
            (otherwise, why)
        }
    }
}

/// An at-risk site is revoked once its grace period is over; other statuses stay.
fn keep_or_revoke(
    previous: &LabelState,
    next: &mut LabelState,
    now: OffsetDateTime,
    rules: &LabelRules,
    why: &str,
) -> (LabelStatus, String) {
    if previous.status != LabelStatus::AtRisk {
        return (previous.status, why.to_string());
    }
    let since = previous.at_risk_since.unwrap_or(now);
    if now - since >= Duration::days(rules.grace_days) {
        next.level = None;
        next.at_risk_since = None;
        (
            LabelStatus::Revoked,
            format!(
                "still failing after the {}-day grace period ({why})",
                rules.grace_days
            ),
        )
    } else {
        (LabelStatus::AtRisk, why.to_string())
    }
}

fn finish(
    previous: &LabelState,
    mut next: LabelState,
    status: LabelStatus,
    reason: String,
    now: OffsetDateTime,
) -> (LabelState, Option<Transition>) {
    if status == previous.status {
        return (next, None);
    }
    next.status = status;
    next.status_since = Some(now);
    next.decided_at = None;
    let transition = Transition {
        from: previous.status,
        to: status,
        reason,
        at: now,
    };
    (next, Some(transition))
}
