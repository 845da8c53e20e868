//! `trustlabel status HOST`: the current label, the latest findings and the history.

use super::{Format, first_sentence};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::policy::LabelState;
use trustlabel_store::{StoredScan, StoredTarget, StoredTransition};

fn ts(t: &time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub fn render_status(
    format: Format,
    target: &StoredTarget,
    label: &LabelState,
    history: &[StoredTransition],
    latest: Option<&StoredScan>,
    catalog: &Catalog,
) -> String {
    match format {
        Format::Json | Format::Csv => {
            let value = json!({
                "host": target.target.host,
                "display_host": trustlabel_core::target::display_host(&target.target.host),
                "organisation": target.target.organisation,
                "category": target.target.category,
                "province": target.target.province,
                "label": label,
                "latest_scan": latest.map(|s| json!({
                    "id": s.id,
                    "grade": s.verdict.grade,
                    "score": s.verdict.score,
                    "decision": s.verdict.decision,
                    "policy_version": s.verdict.policy_version,
                    "scanned_at": ts(&s.evidence.started_at),
                    "findings": s.findings,
                })),
                "history": history.iter().map(|h| json!({
                    "at": ts(&h.transition.at),
                    "from": h.transition.from,
                    "to": h.transition.to,
                    "reason": h.transition.reason,
                    "scan_id": h.scan_id,
                })).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&value).unwrap_or_default()
        }
        Format::Table => {
            let mut out = String::new();
            let t = &target.target;
            out.push_str(&format!(
                "{} ({})\n",
                trustlabel_core::target::display_host(&t.host),
                if t.organisation.is_empty() {
                    "no organisation"
                } else {
                    &t.organisation
                }
            ));
            let level = label
                .level
                .map(|l| format!(" ({})", l.as_str()))
                .unwrap_or_default();
            out.push_str(&format!("status: {}{level}", label.status));
            if let Some(since) = &label.status_since {
                out.push_str(&format!(" since {}", ts(since)));
            }
            out.push('\n');
            match latest {
                None => out.push_str("never scanned\n"),
                Some(scan) => {
                    out.push_str(&format!(
                        "last scan #{} at {}: grade {} ({}/100), policy {}\n",
                        scan.id,
                        ts(&scan.evidence.started_at),
                        scan.verdict.grade,
                        scan.verdict.score,
                        scan.verdict.policy_version
                    ));
                    for f in &scan.findings {
                        out.push_str(&format!(
                            "  [{}] {} — {}\n      {}\n",
                            f.severity,
                            f.id,
                            f.detail,
                            first_sentence(&catalog.text(f.id).remediation_vi)
                        ));
                    }
                }
            }
            out.push_str("history:\n");
            if history.is_empty() {
                out.push_str("  (no status changes yet)\n");
            }
            for h in history {
                out.push_str(&format!(
                    "  {} {} → {} (scan #{}): {}\n",
                    ts(&h.transition.at),
                    h.transition.from,
                    h.transition.to,
                    h.scan_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    h.transition.reason
                ));
            }
            out
        }
    }
}
