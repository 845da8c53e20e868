//! Prints how the page judgement does on the labelled fixtures: precision and recall per
//! notice element, the fields found per form page, and the spam score of every news,
//! clean and injected page (`trustlabel_core::evaluate`).
//!
//! cargo run -p trustlabel-core --example page_eval [-- --date 2026-12-01] [--dir DIR] [--verbose]
//!
//! DIR (default `tests/fixtures/pages`) holds the pages and `expected.toml`; notices are
//! judged under the law in force on the date. Exits 1 when any page disagrees with its
//! label. `--verbose` first lists the sentence credited for each element of each notice.

use std::path::PathBuf;
use std::process::ExitCode;
use trustlabel_core::evaluate::evaluate;
use trustlabel_core::rules::PageRules;

fn main() -> ExitCode {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pages");
    let mut day = time::macros::date!(2026 - 12 - 01);
    let mut verbose = false;
    let mut args = std::env::args().skip(1).peekable();
    while let Some(arg) = args.next() {
        if arg == "--verbose" {
            verbose = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--dir", Some(d)) => dir = PathBuf::from(d),
            ("--date", Some(d)) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                match time::Date::parse(&d, &format) {
                    Ok(parsed) => day = parsed,
                    Err(_) => {
                        eprintln!("--date wants YYYY-MM-DD, got {d}");
                        return ExitCode::from(2);
                    }
                }
            }
            _ => {
                eprintln!("usage: page_eval [--date YYYY-MM-DD] [--dir DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let expected = match std::fs::read_to_string(dir.join("expected.toml")) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{}: {e}", dir.join("expected.toml").display());
            return ExitCode::from(2);
        }
    };
    let rules = match PageRules::builtin() {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match evaluate(&expected, &rules, day, |file| {
        std::fs::read(dir.join(file)).ok()
    }) {
        Ok(report) => {
            if verbose {
                println!("{}", report.render_credits());
            }
            print!("{}", report.render());
            if report.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
