//! What an answer's body must contain before a probe counts as an exposure.
//!
//! A `200` alone proves nothing (many sites answer every path with their home page or a
//! login form), so each rule states positive evidence: patterns that all must match, of
//! which one must match, that must not match, or a number of lines of a given shape.

use regex::{Regex, RegexBuilder};

/// Compiled patterns are capped so a careless rule cannot blow up memory at load.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Proof {
    all: Vec<Regex>,
    any: Vec<Regex>,
    none: Vec<Regex>,
    lines: Option<LineCount>,
}

/// At least `count` lines of the body match `pattern` (e.g. `KEY=value` lines of a `.env`).
#[derive(Debug, Clone)]
pub struct LineCount {
    pub pattern: Regex,
    pub count: usize,
}

/// Why a proof could not be built; the loader adds file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("bad regular expression `{pattern}`: {reason}")]
    BadRegex { pattern: String, reason: String },
    #[error(
        "the proof has no positive condition (`all`, `any` or `min_lines`): it would accept any 200 answer"
    )]
    NothingToProve,
    #[error("`min_lines.count` must be at least 1")]
    ZeroCount,
}

pub fn compile(pattern: &str) -> Result<Regex, ProofError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ProofError::BadRegex {
            pattern: pattern.to_string(),
            reason: e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
}

impl Proof {
    pub fn new(
        all: Vec<Regex>,
        any: Vec<Regex>,
        none: Vec<Regex>,
        lines: Option<LineCount>,
    ) -> Result<Proof, ProofError> {
        if all.is_empty() && any.is_empty() && lines.is_none() {
            return Err(ProofError::NothingToProve);
        }
        if lines.as_ref().is_some_and(|l| l.count == 0) {
            return Err(ProofError::ZeroCount);
        }
        Ok(Proof {
            all,
            any,
            none,
            lines,
        })
    }

    pub fn holds(&self, body: &str) -> bool {
        self.all.iter().all(|r| r.is_match(body))
            && (self.any.is_empty() || self.any.iter().any(|r| r.is_match(body)))
            && !self.none.iter().any(|r| r.is_match(body))
            && self
                .lines
                .as_ref()
                .is_none_or(|l| matching_lines(body, &l.pattern) >= l.count)
    }

    /// A short account of what matched, for the finding's detail: the first matched text
    /// of a pattern, or the number of matching lines.
    pub fn shown_match(&self, body: &str) -> String {
        if let Some(l) = &self.lines {
            return format!("{} matching lines", matching_lines(body, &l.pattern));
        }
        let found = self
            .all
            .iter()
            .chain(&self.any)
            .find_map(|r| r.find(body))
            .map(|m| m.as_str())
            .unwrap_or_default();
        format!("`{}`", shorten(found, 100))
    }
}

fn matching_lines(body: &str, pattern: &Regex) -> usize {
    body.lines().filter(|line| pattern.is_match(line)).count()
}

/// One line, at most `max` characters, control characters replaced.
fn shorten(text: &str, max: usize) -> String {
    let line: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> Regex {
        compile(p).unwrap()
    }

    #[test]
    fn every_condition_must_hold() {
        let proof = Proof::new(
            vec![re("(?i)<title>phpinfo\\(\\)")],
            vec![re("PHP Version"), re("php_version")],
            vec![re("Not Found")],
            None,
        )
        .unwrap();
        assert!(proof.holds("<title>phpinfo()</title> PHP Version 8.1"));
        assert!(!proof.holds("<title>phpinfo()</title>"), "no `any` matched");
        assert!(!proof.holds("PHP Version 8.1"), "an `all` is missing");
        assert!(!proof.holds("<title>phpinfo()</title> PHP Version Not Found"));
    }

    #[test]
    fn line_counts_need_enough_lines() {
        let proof = Proof::new(
            vec![],
            vec![],
            vec![re("(?i)<html")],
            Some(LineCount {
                pattern: re("^[A-Z][A-Z0-9_]*="),
                count: 3,
            }),
        )
        .unwrap();
        assert!(proof.holds("APP_KEY=x\nDB_HOST=db\n# c\nDB_PASSWORD=s\n"));
        assert_eq!(proof.shown_match("A=1\nB=2\nC=3"), "3 matching lines");
        assert!(!proof.holds("APP_KEY=x\nDB_HOST=db\n"));
        assert!(!proof.holds("<html>\nA=1\nB=2\nC=3"));
    }

    #[test]
    fn a_proof_must_prove_something() {
        assert_eq!(
            Proof::new(vec![], vec![], vec![re("x")], None).unwrap_err(),
            ProofError::NothingToProve
        );
        let zero = LineCount {
            pattern: re("x"),
            count: 0,
        };
        assert_eq!(
            Proof::new(vec![], vec![], vec![], Some(zero)).unwrap_err(),
            ProofError::ZeroCount
        );
        assert!(matches!(compile("("), Err(ProofError::BadRegex { .. })));
    }

    #[test]
    fn shown_match_is_one_short_line() {
        let proof = Proof::new(vec![re("ref: \\S+")], vec![], vec![], None).unwrap();
        assert_eq!(
            proof.shown_match("ref: refs/heads/main\n"),
            "`ref: refs/heads/main`"
        );
        let long = format!("ref: {}", "a".repeat(200));
        assert!(proof.shown_match(&long).ends_with("…`"));
    }
}
