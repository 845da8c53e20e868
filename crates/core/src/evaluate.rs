//! How well the page judgement does on a set of labelled pages: precision and recall of
//! each notice element, what each form is found to ask for, and the spam scores of news
//! pages against injected ones.
//!
//! The labels are a TOML file (`tests/fixtures/pages/expected.toml`: what a person
//! reading each page says it states, asks for or carries). Pure: the caller hands in the
//! file's text and a function that returns a page's bytes, so the same evaluation runs in
//! the `page_eval` example (which prints it) and in a unit test (which fails on any
//! mismatch). Nothing here is used by a scan.

use crate::checks::compromise::spam;
use crate::evidence::{Body, Header, HttpResponse};
use crate::page::{PageFacts, PageLimits, analyse_page};
use crate::rules::PageRules;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use time::Date;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[serde(default)]
    notice: Vec<NoticeCase>,
    #[serde(default)]
    form: Vec<FormCase>,
    #[serde(default)]
    spam: Vec<SpamCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeCase {
    file: String,
    stated: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormCase {
    file: String,
    fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpamCase {
    file: String,
    kind: SpamKind,
}

/// What a page is, for the spam judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpamKind {
    /// Carries gambling spam (injected or a doorway page): must fire.
    Injected,
    /// Reports on gambling or warns about it: must not fire.
    News,
    /// Has nothing to do with gambling: must not fire.
    Clean,
}

/// Counts of one notice element over the labelled notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElementScore {
    pub element: String,
    pub true_positive: usize,
    pub false_positive: usize,
    pub false_negative: usize,
    pub true_negative: usize,
}

impl ElementScore {
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The evaluation of every labelled page.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub elements: Vec<ElementScore>,
    /// Per form page: (file, expected fields, found fields).
    pub forms: Vec<(String, BTreeSet<String>, BTreeSet<String>)>,
    /// Per page: (file, kind, score, read as a news article).
    pub spam: Vec<(String, SpamKind, u32, bool)>,
    pub threshold: u32,
    /// Every disagreement with the labels, one line each.
    pub mismatches: Vec<String>,
    /// Every element credited: (file, element, the unit that states it).
    pub credits: Vec<(String, String, String)>,
}

/// Evaluates the pages `expected_toml` labels, judging notices under the law in force on
/// `day`. `page` returns a fixture's bytes by file name.
pub fn evaluate(
    expected_toml: &str,
    rules: &PageRules,
    day: Date,
    page: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<Report, String> {
    let expected: Expected = toml::from_str(expected_toml).map_err(|e| e.to_string())?;
    let mut report = Report {
        threshold: rules.spam.scoring.threshold,
        ..Report::default()
    };
    let analysed = |file: &str| -> Result<PageFacts, String> {
        let bytes = page(file).ok_or_else(|| format!("no fixture {file}"))?;
        Ok(analyse(file, bytes))
    };
    let law = rules
        .privacy
        .law_at(day)
        .ok_or("the privacy rules name no law")?;
    let mut judged: Vec<usize> = law.elements.clone();
    judged.extend(&law.sensitive_elements);
    report.elements = judged
        .iter()
        .filter_map(|i| rules.privacy.elements.get(*i))
        .map(|e| ElementScore {
            element: e.info.id.clone(),
            ..ElementScore::default()
        })
        .collect();
    for case in &expected.notice {
        let reading = rules.privacy.read_notice(&analysed(&case.file)?);
        for (score, index) in report.elements.iter_mut().zip(&judged) {
            let credited = reading.stated.get(*index).is_some_and(Option::is_some);
            if let Some(Some(unit)) = reading.stated.get(*index) {
                report
                    .credits
                    .push((case.file.clone(), score.element.clone(), unit.clone()));
            }
            let truth = case.stated.contains(&score.element);
            match (truth, credited) {
                (true, true) => score.true_positive += 1,
                (false, false) => score.true_negative += 1,
                (false, true) => {
                    score.false_positive += 1;
                    report.mismatches.push(format!(
                        "{}: {} credited by “{}”",
                        case.file,
                        score.element,
                        reading.stated[*index].as_deref().unwrap_or("")
                    ));
                }
                (true, false) => {
                    score.false_negative += 1;
                    report
                        .mismatches
                        .push(format!("{}: {} not found", case.file, score.element));
                }
            }
        }
    }
    for case in &expected.form {
        let facts = analysed(&case.file)?;
        let found: BTreeSet<String> = facts
            .forms
            .iter()
            .filter(|f| !f.detached || f.submits)
            .flat_map(|f| f.inputs.iter())
            .flat_map(|i| rules.privacy.classify(i))
            .map(|r| r.info.id.clone())
            .collect();
        let wanted: BTreeSet<String> = case.fields.iter().cloned().collect();
        if found != wanted {
            report.mismatches.push(format!(
                "{}: forms ask for {:?}, expected {:?}",
                case.file, found, wanted
            ));
        }
        report.forms.push((case.file.clone(), wanted, found));
    }
    for case in &expected.spam {
        let assessment = spam::assess(&analysed(&case.file)?, &rules.spam);
        let fires = assessment.is_spam(&rules.spam);
        if fires != (case.kind == SpamKind::Injected) {
            report.mismatches.push(format!(
                "{} ({:?}): {}",
                case.file,
                case.kind,
                assessment.describe(&rules.spam)
            ));
        }
        report.spam.push((
            case.file.clone(),
            case.kind,
            assessment.score,
            assessment.news_article,
        ));
    }
    Ok(report)
}

/// A fixture served as UTF-8-sniffed HTML from a URL named after its file.
fn analyse(file: &str, bytes: Vec<u8>) -> PageFacts {
    let response = HttpResponse {
        status: 200,
        version: "HTTP/1.1".to_string(),
        headers: vec![Header {
            name: "content-type".to_string(),
            value: "text/html".to_string(),
            invalid_utf8: false,
        }],
        body: Body {
            bytes,
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 0,
    };
    let url = format!("https://fixture.example.vn/{file}");
    analyse_page(&url, &response, &PageLimits::default())
}

impl Report {
    /// The sentence that proves each element of each notice.
    pub fn render_credits(&self) -> String {
        let mut out = String::new();
        for (file, element, unit) in &self.credits {
            let _ = writeln!(out, "{file} {element}: {unit}");
        }
        out
    }

    /// The tables, as printed by the `page_eval` example.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Notice elements (precision = credited and stated / credited; recall = credited and stated / stated)"
        );
        let _ = writeln!(
            out,
            "{:<20} {:>3} {:>3} {:>3} {:>3} {:>10} {:>7}",
            "element", "TP", "FP", "FN", "TN", "precision", "recall"
        );
        for e in &self.elements {
            let _ = writeln!(
                out,
                "{:<20} {:>3} {:>3} {:>3} {:>3} {:>9.0}% {:>6.0}%",
                e.element,
                e.true_positive,
                e.false_positive,
                e.false_negative,
                e.true_negative,
                e.precision() * 100.0,
                e.recall() * 100.0
            );
        }
        let _ = writeln!(out, "\nForms (fields found / expected)");
        for (file, wanted, found) in &self.forms {
            let mark = if wanted == found { "ok " } else { "BAD" };
            let list: Vec<&str> = found.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{mark} {file:<32} {}", list.join(", "));
        }
        let _ = writeln!(out, "\nSpam scores (threshold {})", self.threshold);
        let mut rows = self.spam.clone();
        rows.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)));
        for (file, kind, score, news) in &rows {
            let article = if *news { " (article read as news)" } else { "" };
            let _ = writeln!(
                out,
                "{:<9} {score:>4}  {file}{article}",
                format!("{kind:?}")
            );
        }
        for kind in [SpamKind::Injected, SpamKind::News, SpamKind::Clean] {
            let scores: Vec<u32> = rows.iter().filter(|r| r.1 == kind).map(|r| r.2).collect();
            if let (Some(min), Some(max)) = (scores.iter().min(), scores.iter().max()) {
                let _ = writeln!(out, "{kind:?}: {} pages, scores {min}–{max}", scores.len());
            }
        }
        if self.mismatches.is_empty() {
            let _ = writeln!(out, "\nNo disagreement with the labels.");
        } else {
            let _ = writeln!(out, "\nDisagreements:");
            for m in &self.mismatches {
                let _ = writeln!(out, "- {m}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every labelled fixture is judged as labelled: a rule change that loses an element,
    /// a form field or a spam verdict fails here, and the message is the table.
    #[test]
    fn the_labelled_fixtures_are_judged_as_labelled() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pages");
        let expected = std::fs::read_to_string(dir.join("expected.toml")).expect("expected.toml");
        let rules = PageRules::builtin().expect("built-in rules");
        let day = time::macros::date!(2026 - 12 - 01);
        let report = evaluate(&expected, &rules, day, |f| std::fs::read(dir.join(f)).ok())
            .expect("evaluation runs");
        assert!(report.mismatches.is_empty(), "{}", report.render());
        let news_max = report
            .spam
            .iter()
            .filter(|r| r.1 != SpamKind::Injected)
            .map(|r| r.2)
            .max();
        assert!(news_max < Some(report.threshold));
    }
}
