//! Output formatters: one module per format, all over the same [`SiteResult`]s.

mod csv_out;
mod json;
mod status;
mod table;

pub use json::site_json;
pub use status::render_status;

use crate::scan::SiteResult;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::policy::Decision;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub fn render(format: Format, results: &[SiteResult], catalog: &Catalog) -> String {
    match format {
        Format::Table => table::render(results, catalog),
        Format::Json => json::render(results, catalog),
        Format::Csv => csv_out::render(results, catalog),
    }
}

/// Short label text for a result: the stored label status when there is one, else what
/// this scan alone decides.
pub fn outcome_text(result: &SiteResult) -> String {
    match &result.label {
        Some(label) => match label.level {
            Some(level) if label.status.holds_label() => {
                format!("{} ({})", label.status, level.as_str())
            }
            _ => label.status.to_string(),
        },
        None => match result.verdict.decision {
            Decision::Pass => "passes (not stored)".into(),
            Decision::Fail => "fails (not stored)".into(),
            Decision::Unreachable => "unreachable (not stored)".into(),
            Decision::Blocked => "blocked the scanner (not stored)".into(),
        },
    }
}

/// The first sentence of a text, for one-line remediation in tables.
pub fn first_sentence(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(i, c)| matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' '))
        .map(|(i, _)| i + 1)
        .unwrap_or(text.len());
    text[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_stops_at_the_first_full_stop_followed_by_space() {
        assert_eq!(first_sentence("Bật HSTS. Sau đó kiểm tra."), "Bật HSTS.");
        assert_eq!(
            first_sentence("Use max-age=31536000 (1.0 year)"),
            "Use max-age=31536000 (1.0 year)"
        );
    }
}
