//! The label state machine: how one verdict moves a site's label over time.
//!
//! Pure: the previous state, the verdict and `now` in; the next state and the transition
//! (if the status changed) out. The store records both in one transaction.

use super::{Decision, LabelLevel, LabelState, LabelStatus, Transition, Verdict};
use time::{Duration, OffsetDateTime};

/// Applies one scan's verdict to the stored label.
pub fn next_label(
    previous: &LabelState,
    verdict: &Verdict,
    now: OffsetDateTime,
    grace_days: i64,
) -> (LabelState, Option<Transition>) {
    let mut next = previous.clone();
    next.grade = Some(verdict.grade);
    let why = verdict.reasons.join("; ");
    let (status, reason) = match verdict.decision {
        Decision::Pass => {
            next.last_pass_at = Some(now);
            next.at_risk_since = None;
            // Advanced comes only from a staff attestation, which survives passing scans.
            next.level = Some(match previous.level {
                Some(LabelLevel::Advanced) if previous.status.holds_label() => LabelLevel::Advanced,
                _ => LabelLevel::Basic,
            });
            let reason = match previous.status {
                LabelStatus::AtRisk => format!("requirements pass again: {why}"),
                LabelStatus::Revoked => format!("label granted again: {why}"),
                _ => format!("label granted: {why}"),
            };
            (LabelStatus::Labelled, reason)
        }
        Decision::Fail | Decision::Unreachable => {
            let failing = if verdict.decision == Decision::Unreachable {
                LabelStatus::Unreachable
            } else {
                LabelStatus::NotLabelled
            };
            match previous.status {
                LabelStatus::Labelled => {
                    next.at_risk_since = Some(now);
                    let until = now + Duration::days(grace_days);
                    (
                        LabelStatus::AtRisk,
                        format!(
                            "failing since this scan ({why}); label kept until {}",
                            until.date()
                        ),
                    )
                }
                LabelStatus::AtRisk => {
                    let since = previous.at_risk_since.unwrap_or(now);
                    if now - since >= Duration::days(grace_days) {
                        next.level = None;
                        (
                            LabelStatus::Revoked,
                            format!(
                                "still failing after the {grace_days}-day grace period ({why})"
                            ),
                        )
                    } else {
                        (LabelStatus::AtRisk, why)
                    }
                }
                LabelStatus::Revoked => (LabelStatus::Revoked, why),
                LabelStatus::NotAssessed | LabelStatus::NotLabelled | LabelStatus::Unreachable => {
                    next.level = None;
                    (failing, why)
                }
            }
        }
    };
    if status == previous.status {
        return (next, None);
    }
    next.status = status;
    next.status_since = Some(now);
    let transition = Transition {
        from: previous.status,
        to: status,
        reason,
        at: now,
    };
    (next, Some(transition))
}
