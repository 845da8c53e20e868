//! JSON output: a stable, documented shape for scripts.

use super::outcome_text;
use crate::scan::SiteResult;
use serde_json::{Value, json};
use trustlabel_core::catalog::Catalog;

pub fn render(results: &[SiteResult], catalog: &Catalog) -> String {
    let sites: Vec<Value> = results.iter().map(|r| site_json(r, catalog)).collect();
    serde_json::to_string_pretty(&json!({ "sites": sites })).unwrap_or_default()
}

pub fn site_json(r: &SiteResult, catalog: &Catalog) -> Value {
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let text = catalog.text(f.id);
            json!({
                "id": f.id,
                "severity": f.severity,
                "category": f.category(),
                "detail": f.detail,
                "title_vi": text.title_vi,
                "title_en": text.title_en,
                "remediation_vi": text.remediation_vi,
                "remediation_en": text.remediation_en,
                "reference": text.reference,
            })
        })
        .collect();
    json!({
        "host": r.host,
        "display_host": trustlabel_core::target::display_host(&r.host),
        "scan_id": r.scan_id,
        "grade": r.verdict.grade,
        "score": r.verdict.score,
        "decision": r.verdict.decision,
        "label": r.label.as_ref().map(|l| l.status),
        "level": r.label.as_ref().and_then(|l| l.level),
        "outcome": outcome_text(r),
        "policy_version": r.verdict.policy_version,
        "category_scores": r.verdict.category_scores,
        "blocking": r.verdict.blocking,
        "reasons": r.verdict.reasons,
        "feeds": r.verdict.feeds,
        "stale_feeds": r.verdict.stale_feeds,
        "transition": r.transition,
        "findings": findings,
        "scanned_at": r.evidence.started_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    })
}
