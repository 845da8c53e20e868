//! Human-readable tables for the terminal.

use super::{first_sentence, outcome_text};
use crate::scan::SiteResult;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use trustlabel_core::catalog::Catalog;

pub fn render(results: &[SiteResult], catalog: &Catalog) -> String {
    let mut out = String::new();
    for result in results {
        out.push_str(&format!(
            "{} — grade {} ({}/100) — {}\n",
            trustlabel_core::target::display_host(&result.host),
            result.verdict.grade,
            result.verdict.score,
            outcome_text(result)
        ));
        for reason in &result.verdict.reasons {
            out.push_str(&format!("  {reason}\n"));
        }
        if result.findings.is_empty() {
            out.push_str("  no findings\n\n");
            continue;
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(160)
            .set_header(vec![
                "severity",
                "finding",
                "observed",
                "remediation (vi / en)",
            ]);
        let mut findings: Vec<_> = result.findings.iter().collect();
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        for f in findings {
            let text = catalog.text(f.id);
            table.add_row(vec![
                f.severity.to_string(),
                f.id.to_string(),
                f.detail.clone(),
                format!(
                    "{}\n{}",
                    first_sentence(&text.remediation_vi),
                    first_sentence(&text.remediation_en)
                ),
            ]);
        }
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    if results.len() > 1 {
        out.push_str(&summary(results));
    }
    out
}

fn summary(results: &[SiteResult]) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["site", "grade", "score", "label", "findings"]);
    let mut sorted: Vec<&SiteResult> = results.iter().collect();
    sorted.sort_by(|a, b| a.host.cmp(&b.host));
    for r in sorted {
        table.add_row(vec![
            trustlabel_core::target::display_host(&r.host),
            r.verdict.grade.to_string(),
            r.verdict.score.to_string(),
            outcome_text(r),
            r.findings.len().to_string(),
        ]);
    }
    format!("{table}\n")
}
