//! MTA-STS (RFC 8461): the `_mta-sts` TXT record that announces a policy, and the policy
//! file served over HTTPS at `https://mta-sts.<domain>/.well-known/mta-sts.txt`, which
//! tells sending servers to insist on TLS with a valid certificate for the listed MX.

use serde::{Deserialize, Serialize};

/// Longest `max_age` a policy may ask for (about a year, RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;
/// Largest policy file read (RFC 8461 §3.3 suggests senders bound it; 64 KiB is plenty).
pub const POLICY_CAP: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    #[error("the record does not start with `v=STSv1`")]
    NotSts,
    #[error("the `id` field is missing or not 1 to 32 letters and digits")]
    BadId,
    #[error("line {line}: {reason}")]
    Policy { line: usize, reason: String },
    #[error("the policy lacks `{0}`")]
    Missing(&'static str),
}

/// True for a TXT string that claims to be an MTA-STS record.
pub fn is_sts_record(text: &str) -> bool {
    text.split(';')
        .next()
        .is_some_and(|f| f.trim() == "v=STSv1")
}

/// Parses the `_mta-sts` TXT record; returns its `id`.
pub fn parse_record(text: &str) -> Result<String, StsError> {
    let mut fields = text.split(';').map(str::trim).filter(|f| !f.is_empty());
    if fields.next() != Some("v=STSv1") {
        return Err(StsError::NotSts);
    }
    for field in fields {
        if let Some(id) = field.strip_prefix("id=") {
            let ok = (1..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric());
            return if ok {
                Ok(id.to_string())
            } else {
                Err(StsError::BadId)
            };
        }
    }
    Err(StsError::BadId)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsPolicy {
    pub mode: Mode,
    /// MX patterns: a name, or `*.` and a name for one label.
    pub mx: Vec<String>,
    pub max_age: u64,
}

impl StsPolicy {
    /// Whether an MX host is covered by one of the policy's patterns (RFC 8461 §4.1).
    pub fn covers(&self, mx_host: &str) -> bool {
        let host = mx_host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(base) => host
                    .split_once('.')
                    .is_some_and(|(first, rest)| !first.is_empty() && rest == base),
                None => host == pattern,
            }
        })
    }
}

/// Parses a policy file (RFC 8461 §3.2): `key: value` lines, CRLF or LF.
pub fn parse_policy(text: &str) -> Result<StsPolicy, StsError> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: String| StsError::Policy {
            line: index + 1,
            reason,
        };
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| err(format!("`{line}` is not `key: value`")))?;
        let value = value.trim();
        match key.trim() {
            "version" => {
                if value != "STSv1" {
                    return Err(err(format!("version `{value}` is not STSv1")));
                }
                version = Some(());
            }
            "mode" => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    other => {
                        return Err(err(format!(
                            "mode `{other}` is not enforce, testing or none"
                        )));
                    }
                })
            }
            "max_age" => {
                max_age = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|v| *v <= MAX_AGE_LIMIT)
                        .ok_or_else(|| {
                            err(format!(
                                "max_age `{value}` is not 0 to {MAX_AGE_LIMIT} seconds"
                            ))
                        })?,
                )
            }
            "mx" => {
                let ok = !value.is_empty()
                    && value.trim_start_matches("*.").split('.').all(|l| {
                        !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !ok {
                    return Err(err(format!("`{value}` is not an MX pattern")));
                }
                mx.push(value.to_string());
            }
            // Unknown keys are ignored for extensions (RFC 8461 §3.2).
            _ => {}
        }
    }
    version.ok_or(StsError::Missing("version: STSv1"))?;
    let mode = mode.ok_or(StsError::Missing("mode"))?;
    let max_age = max_age.ok_or(StsError::Missing("max_age"))?;
    if mode != Mode::None && mx.is_empty() {
        return Err(StsError::Missing("mx"));
    }
    Ok(StsPolicy { mode, mx, max_age })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_policies_parse() {
        assert_eq!(
            parse_record("v=STSv1; id=20260101T000000;").unwrap(),
            "20260101T000000"
        );
        assert_eq!(parse_record("v=STSv1;id=abc"), Ok("abc".into()));
        assert_eq!(parse_record("v=STSv2; id=1"), Err(StsError::NotSts));
        assert_eq!(parse_record("v=STSv1; id=a-b"), Err(StsError::BadId));
        let policy = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.vn\r\nmx: *.mx.example.vn\r\nmax_age: 604800\r\n",
        )
        .unwrap();
        assert_eq!(policy.mode, Mode::Enforce);
        assert!(policy.covers("mail.example.vn."));
        assert!(policy.covers("a.mx.example.vn"));
        assert!(!policy.covers("a.b.mx.example.vn"));
        assert!(!policy.covers("mx.example.vn"));
    }

    #[test]
    fn bad_policies_name_the_line() {
        let err = parse_policy("version: STSv1\nmode: strict\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: mode `strict` is not enforce, testing or none"
        );
        assert_eq!(
            parse_policy("version: STSv1\nmode: enforce\nmax_age: 10\n"),
            Err(StsError::Missing("mx"))
        );
        assert!(parse_policy("mode: enforce\nmx: a.vn\nmax_age: 1\n").is_err());
        assert!(
            parse_policy("version: STSv1\nmode: testing\nmx: a.vn\nmax_age: 99999999999\n")
                .is_err()
        );
        assert!(parse_policy("<html>not found</html>").is_err());
    }
}
