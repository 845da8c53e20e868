//! Which host names a logged certificate names, and which of them the programme covers.
//!
//! A certificate names hosts in its DNS SANs and, in older practice, in its subject CN.
//! A wildcard covers unknown hosts under its base name, so the base name is what can be
//! assessed. Only names under the configured scope (`gov.vn`, listed e-commerce domains)
//! are kept: a log carries the whole web.

use x509_parser::certificate::{TbsCertificate, X509Certificate};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

/// The suffixes (and registrable domains) whose hosts are candidates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryScope {
    suffixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a domain suffix (e.g. gov.vn)")]
pub struct ScopeError(pub String);

impl DiscoveryScope {
    pub fn new<S: AsRef<str>>(suffixes: &[S]) -> Result<DiscoveryScope, ScopeError> {
        let suffixes = suffixes
            .iter()
            .map(|s| {
                let s = s.as_ref().trim().trim_start_matches('.');
                host_name(s).ok_or_else(|| ScopeError(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DiscoveryScope { suffixes })
    }

    pub fn suffixes(&self) -> &[String] {
        &self.suffixes
    }

    /// The suffix `host` falls under, if any (the host itself is never a bare suffix:
    /// `gov.vn` is the zone, not a site).
    pub fn suffix_of(&self, host: &str) -> Option<&str> {
        self.suffixes
            .iter()
            .find(|s| {
                host.len() > s.len()
                    && host.ends_with(s.as_str())
                    && host.as_bytes()[host.len() - s.len() - 1] == b'.'
            })
            .map(String::as_str)
    }

    pub fn covers(&self, host: &str) -> bool {
        self.suffix_of(host).is_some()
    }

    /// The names in `names` this scope covers, normalised, wildcards as their base name,
    /// each once, in first-seen order.
    pub fn select<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            let Some(host) = candidate_host(name) else {
                continue;
            };
            if self.covers(&host) && !out.contains(&host) {
                out.push(host);
            }
        }
        out
    }
}

/// `name` as a host to assess: lower case, no trailing dot, `*.` dropped; `None` for
/// anything that is not a DNS name (an IP address, an inner wildcard, stray bytes).
pub fn candidate_host(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.');
    let name = name.strip_prefix("*.").unwrap_or(name);
    host_name(name)
}

fn host_name(name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    });
    let all_digits = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (labels_ok && name.contains('.') && name.len() <= 253 && !all_digits).then_some(name)
}

fn names_of(tbs: &TbsCertificate<'_>) -> Vec<String> {
    let mut names: Vec<String> = tbs
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .map(str::to_string)
        .collect();
    if let Ok(Some(san)) = tbs.subject_alternative_name() {
        for general in &san.value.general_names {
            if let GeneralName::DNSName(dns) = general {
                names.push((*dns).to_string());
            }
        }
    }
    names
}

/// The subject CN and DNS SANs of a DER certificate, as written; empty when it does not
/// parse (a malformed logged certificate names nothing).
pub fn names_in_certificate(der: &[u8]) -> Vec<String> {
    X509Certificate::from_der(der)
        .map(|(_, cert)| names_of(&cert.tbs_certificate))
        .unwrap_or_default()
}

/// The same for a precertificate's TBSCertificate.
pub fn names_in_tbs(der: &[u8]) -> Vec<String> {
    TbsCertificate::from_der(der)
        .map(|(_, tbs)| names_of(&tbs))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keeps_hosts_under_its_suffixes_and_wildcards_become_their_base() {
        let scope = DiscoveryScope::new(&["gov.vn", ".shop.example"]).unwrap();
        let kept = scope.select([
            "*.hanoi.gov.vn",
            "HANOI.gov.vn.",
            "dichvucong.gov.vn",
            "gov.vn",
            "evilgov.vn",
            "a.shop.example",
            "10.0.0.1",
            "bad*.gov.vn",
            "example.com",
        ]);
        assert_eq!(
            kept,
            ["hanoi.gov.vn", "dichvucong.gov.vn", "a.shop.example"]
        );
    }

    #[test]
    fn a_bad_suffix_is_named() {
        assert_eq!(
            DiscoveryScope::new(&["gov vn"]),
            Err(ScopeError("gov vn".into()))
        );
    }

    #[test]
    fn garbage_certificates_name_nothing() {
        assert!(names_in_certificate(b"\x30\x03abc").is_empty());
        assert!(names_in_tbs(b"").is_empty());
    }
}
