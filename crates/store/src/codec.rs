//! Text forms of stored values, shared by every backend.
//!
//! Kept apart from the SQL so that a second backend writes byte-identical values: the
//! same evidence JSON, the same enum strings and the same timestamp form, which keeps
//! exports and migrations between backends lossless.

use super::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use trustlabel_core::finding::Severity;
use trustlabel_core::policy::Decision;

/// Always nine fraction digits and `Z`: plain RFC 3339 drops trailing zeros, which
/// makes `…:00Z` sort after `…:00.5Z` as text. Fixed width keeps text order equal to
/// time order (so `ORDER BY` on the column is correct) and keeps full precision, so a
/// stored label reads back equal to what was written.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");

pub(crate) fn timestamp(at: OffsetDateTime) -> Result<String, StoreError> {
    at.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .map_err(|e| StoreError::Encode(format!("timestamp {at}: {e}")))
}

pub(crate) fn optional_timestamp(at: Option<OffsetDateTime>) -> Result<Option<String>, StoreError> {
    at.map(timestamp).transpose()
}

/// Accepts any RFC 3339 text, not only our own form, so rows written by hand or by an
/// older version still load.
pub(crate) fn parse_timestamp(column: &str, text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("{column}: `{text}` is not RFC 3339: {e}")))
}

pub(crate) fn parse_optional_timestamp(
    column: &str,
    text: Option<String>,
) -> Result<Option<OffsetDateTime>, StoreError> {
    text.map(|t| parse_timestamp(column, &t)).transpose()
}

/// Parses a stored enum string through the type's own `FromStr`, naming the column when
/// the value is unknown (e.g. a row written by a newer version).
pub(crate) fn parse_enum<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn parse_optional_enum<T>(
    column: &str,
    text: Option<String>,
) -> Result<Option<T>, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    text.map(|t| parse_enum(column, &t)).transpose()
}

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// `Severity` has `as_str` but no `FromStr`; this is its inverse.
pub(crate) fn parse_severity(column: &str, text: &str) -> Result<Severity, StoreError> {
    SEVERITIES
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("{column}: unknown severity `{text}`")))
}

/// `Decision` has no `as_str`; these are the same strings its serde form uses, so the
/// column agrees with the stored verdict JSON.
pub(crate) fn decision_str(decision: Decision) -> &'static str {
    match decision {
        Decision::Pass => "pass",
        Decision::Fail => "fail",
        Decision::Unreachable => "unreachable",
        Decision::Blocked => "blocked",
    }
}

pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode(format!("{what}: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const DECISIONS: [Decision; 4] = [
        Decision::Pass,
        Decision::Fail,
        Decision::Unreachable,
        Decision::Blocked,
    ];

    #[test]
    fn timestamps_sort_as_text_in_time_order_and_read_back_exactly() {
        let whole = datetime!(2025-01-01 00:00:00 UTC);
        let half = datetime!(2025-01-01 00:00:00.5 UTC);
        let later_elsewhere = datetime!(2025-01-01 07:00:01.000000001 +07:00);
        let texts: Vec<String> = [whole, half, later_elsewhere]
            .into_iter()
            .map(|t| timestamp(t).unwrap())
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted, texts, "text order must be time order");
        assert_eq!(texts[2], "2025-01-01T00:00:01.000000001Z");
        for (text, original) in texts.iter().zip([whole, half, later_elsewhere]) {
            assert_eq!(parse_timestamp("t", text).unwrap(), original);
        }
    }

    #[test]
    fn enum_columns_use_the_serde_strings_of_the_verdict_json() {
        for decision in DECISIONS {
            let json = serde_json::to_string(&decision).unwrap();
            assert_eq!(json, format!("\"{}\"", decision_str(decision)));
        }
        for severity in SEVERITIES {
            let json = serde_json::to_string(&severity).unwrap();
            assert_eq!(json, format!("\"{}\"", severity.as_str()));
            assert_eq!(parse_severity("s", severity.as_str()).unwrap(), severity);
        }
    }

    #[test]
    fn unknown_stored_strings_are_corrupt_and_name_the_column() {
        let err = parse_severity("findings.severity", "severe").unwrap_err();
        assert!(matches!(&err, StoreError::Corrupt(m) if m.contains("findings.severity")));
        let err = parse_timestamp("labels.status_since", "yesterday").unwrap_err();
        assert!(matches!(&err, StoreError::Corrupt(m) if m.contains("labels.status_since")));
    }
}
