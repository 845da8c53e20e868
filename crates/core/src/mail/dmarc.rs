//! DMARC (RFC 7489): the policy record at `_dmarc.<domain>`. What matters to the label
//! is whether receivers are told to quarantine or reject mail that fails SPF and DKIM
//! alignment, for the domain and its subdomains, for all of it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    None,
    Quarantine,
    Reject,
}

impl Disposition {
    fn parse(text: &str) -> Option<Disposition> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Some(Disposition::None),
            "quarantine" => Some(Disposition::Quarantine),
            "reject" => Some(Disposition::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::None => "none",
            Disposition::Quarantine => "quarantine",
            Disposition::Reject => "reject",
        }
    }

    /// Quarantine or reject: receivers act on failing mail.
    pub fn enforces(self) -> bool {
        self != Disposition::None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    Relaxed,
    Strict,
}

/// A valid DMARC record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dmarc {
    pub policy: Disposition,
    /// `sp`; subdomains follow `p` when absent.
    pub subdomain_policy: Option<Disposition>,
    /// `pct`, 0–100 (default 100): the share of failing mail the policy applies to.
    pub percent: u8,
    pub dkim_alignment: Alignment,
    pub spf_alignment: Alignment,
    /// `rua`: where aggregate reports go.
    pub aggregate_reports: Vec<String>,
    /// `ruf`: where failure reports go.
    pub failure_reports: Vec<String>,
}

impl Dmarc {
    /// The policy for subdomains (`sp`, else `p`).
    pub fn effective_subdomain_policy(&self) -> Disposition {
        self.subdomain_policy.unwrap_or(self.policy)
    }

    /// Quarantine or reject for the domain and subdomains, for all failing mail.
    pub fn fully_enforced(&self) -> bool {
        self.policy.enforces()
            && self.effective_subdomain_policy().enforces()
            && self.percent == 100
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DmarcError {
    #[error("the record does not start with `v=DMARC1`")]
    NotDmarc,
    #[error("the `p` tag is missing (it must follow `v=DMARC1`)")]
    MissingPolicy,
    #[error("`{tag}={value}` is not valid")]
    BadValue { tag: String, value: String },
    #[error("the `{0}` tag appears more than once")]
    Duplicate(String),
}

/// True for a TXT string that claims to be a DMARC record.
pub fn is_dmarc(text: &str) -> bool {
    let mut first = text.split(';').next().unwrap_or("").splitn(2, '=');
    let (tag, value) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    tag.trim() == "v" && value.trim() == "DMARC1"
}

/// Parses one record (RFC 7489 §6.4): `v=DMARC1` first, then `p`, then any order.
pub fn parse(text: &str) -> Result<Dmarc, DmarcError> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (tag, value) = part.split_once('=').ok_or_else(|| DmarcError::BadValue {
            tag: part.to_string(),
            value: String::new(),
        })?;
        let tag = tag.trim().to_ascii_lowercase();
        if tags.iter().any(|(t, _)| *t == tag) {
            return Err(DmarcError::Duplicate(tag));
        }
        tags.push((tag, value.trim().to_string()));
    }
    match tags.first() {
        Some((t, v)) if t == "v" && v == "DMARC1" => {}
        _ => return Err(DmarcError::NotDmarc),
    }
    if tags.get(1).is_none_or(|(t, _)| t != "p") {
        return Err(DmarcError::MissingPolicy);
    }
    let bad = |tag: &str, value: &str| DmarcError::BadValue {
        tag: tag.to_string(),
        value: value.to_string(),
    };
    let mut record = Dmarc {
        policy: Disposition::None,
        subdomain_policy: None,
        percent: 100,
        dkim_alignment: Alignment::Relaxed,
        spf_alignment: Alignment::Relaxed,
        aggregate_reports: vec![],
        failure_reports: vec![],
    };
    for (tag, value) in &tags[1..] {
        match tag.as_str() {
            "p" => record.policy = Disposition::parse(value).ok_or_else(|| bad(tag, value))?,
            "sp" => {
                record.subdomain_policy =
                    Some(Disposition::parse(value).ok_or_else(|| bad(tag, value))?)
            }
            "pct" => {
                record.percent = value
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| bad(tag, value))?
            }
            "adkim" | "aspf" => {
                let alignment = match value.to_ascii_lowercase().as_str() {
                    "r" => Alignment::Relaxed,
                    "s" => Alignment::Strict,
                    _ => return Err(bad(tag, value)),
                };
                if tag == "adkim" {
                    record.dkim_alignment = alignment;
                } else {
                    record.spf_alignment = alignment;
                }
            }
            "rua" | "ruf" => {
                let uris: Vec<String> = value
                    .split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect();
                // RFC 7489 §6.2: URIs with a scheme; mailto: is what receivers send to.
                if uris.is_empty() || uris.iter().any(|u| !u.contains(':')) {
                    return Err(bad(tag, value));
                }
                if tag == "rua" {
                    record.aggregate_reports = uris;
                } else {
                    record.failure_reports = uris;
                }
            }
            // fo, rf, ri and tags of future versions do not change the policy.
            _ => {}
        }
    }
    Ok(record)
}

/// The record to publish for a domain: reject, with aggregate reports to `rua`.
pub fn recommended(domain: &str) -> String {
    format!("_dmarc.{domain}. IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_with_defaults_and_every_tag() {
        let d = parse("v=DMARC1; p=reject; rua=mailto:a@x.vn,mailto:b@y.vn").unwrap();
        assert_eq!(d.policy, Disposition::Reject);
        assert_eq!(d.percent, 100);
        assert_eq!(d.aggregate_reports.len(), 2);
        assert!(d.fully_enforced());
        let d = parse("v=DMARC1;p=quarantine;sp=none;pct=50;adkim=s;aspf=s;fo=1").unwrap();
        assert_eq!(d.effective_subdomain_policy(), Disposition::None);
        assert_eq!(d.percent, 50);
        assert_eq!(d.dkim_alignment, Alignment::Strict);
        assert!(!d.fully_enforced());
        assert!(!parse("v=DMARC1; p=none").unwrap().fully_enforced());
    }

    #[test]
    fn malformed_records_name_their_fault() {
        assert_eq!(parse("p=reject; v=DMARC1"), Err(DmarcError::NotDmarc));
        assert_eq!(
            parse("v=DMARC1; rua=mailto:a@b.vn"),
            Err(DmarcError::MissingPolicy)
        );
        assert_eq!(
            parse("v=DMARC1; sp=none; p=reject"),
            Err(DmarcError::MissingPolicy)
        );
        assert!(matches!(
            parse("v=DMARC1; p=block"),
            Err(DmarcError::BadValue { .. })
        ));
        assert!(matches!(
            parse("v=DMARC1; p=reject; pct=101"),
            Err(DmarcError::BadValue { .. })
        ));
        assert!(matches!(
            parse("v=DMARC1; p=reject; rua=dmarc@x.vn"),
            Err(DmarcError::BadValue { .. })
        ));
        assert!(matches!(
            parse("v=DMARC1; p=reject; p=none"),
            Err(DmarcError::Duplicate(_))
        ));
        assert!(is_dmarc("v=DMARC1; p=none") && !is_dmarc("v=spf1 -all"));
    }
}
