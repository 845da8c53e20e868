//! CSV output: one row per finding (a site without findings gets one row), for
//! spreadsheets.

use super::outcome_text;
use crate::scan::SiteResult;
use trustlabel_core::catalog::Catalog;

pub fn render(results: &[SiteResult], catalog: &Catalog) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record([
        "host",
        "grade",
        "score",
        "label",
        "finding",
        "severity",
        "category",
        "detail",
        "remediation_vi",
        "remediation_en",
    ]);
    for r in results {
        let base = [
            r.host.clone(),
            r.verdict.grade.to_string(),
            r.verdict.score.to_string(),
            outcome_text(r),
        ];
        if r.findings.is_empty() {
            let mut row: Vec<String> = base.to_vec();
            row.extend(std::iter::repeat_n(String::new(), 6));
            let _ = writer.write_record(&row);
        }
        for f in &r.findings {
            let text = catalog.text(f.id);
            let mut row: Vec<String> = base.to_vec();
            row.extend([
                f.id.to_string(),
                f.severity.to_string(),
                f.category().to_string(),
                f.detail.clone(),
                text.remediation_vi.clone(),
                text.remediation_en.clone(),
            ]);
            let _ = writer.write_record(&row);
        }
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}
