//! The page-analysis rule files in `checks/`: privacy vocabulary, trackers, software
//! fingerprints, spam vocabulary and the blocklist.
//!
//! They are data that staff edit without recompiling (schema in `checks/README.md`).
//! The defaults are compiled in; a checks directory (`--checks DIR`) replaces a file by
//! holding one of the same name ([`crate::ruleset::RuleSet`] reads them all). Every file is validated in full when loaded — unknown
//! fields, bad patterns, bad version ranges, duplicate ids, missing rationale or
//! reference — and refused with `file:line: reason`, so a check never runs on a rule it
//! misread. Terms and patterns are compiled once at load.

/// What every rule states, as written in a file (borrowed from the raw rule).
pub struct MetaRef<'a> {
    pub id: &'a Spanned<String>,
    pub severity: Severity,
    pub rationale: &'a Spanned<String>,
    pub reference: &'a Spanned<String>,
}

/// Declares the raw (as written) form of a rule: the common fields every rule has —
/// `id`, `severity`, `rationale`, `reference` — followed by its own. (`serde(flatten)`
/// would lose the line numbers and the unknown-field check.)
macro_rules! raw_rule {
    ($name:ident { $($(#[$fattr:meta])* $field:ident : $ty:ty,)* }) => {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            id: toml::Spanned<String>,
            severity: crate::finding::Severity,
            rationale: toml::Spanned<String>,
            reference: toml::Spanned<String>,
            $($(#[$fattr])* $field: $ty,)*
        }

        impl $name {
            fn meta(&self) -> $crate::rules::MetaRef<'_> {
                $crate::rules::MetaRef {
                    id: &self.id,
                    severity: self.severity,
                    rationale: &self.rationale,
                    reference: &self.reference,
                }
            }
        }
    };
}

pub mod blocklist;
pub mod firewall;
pub mod privacy;
pub mod software;
pub mod spam;
pub mod statements;
pub mod terms;
pub mod trackers;
pub mod version;

use crate::finding::Severity;
use crate::rulefile::RuleSource;
pub use crate::rulefile::{RuleFileError, RuleText};
use serde::Serialize;
use std::collections::HashSet;
use toml::Spanned;

pub use blocklist::Blocklist;
pub use firewall::FirewallRules;
pub use privacy::PrivacyRules;
pub use software::SoftwareRules;
pub use spam::SpamRules;
pub use trackers::TrackerRules;

/// Every page-analysis rule set in force, compiled.
#[derive(Debug, Clone)]
pub struct PageRules {
    pub privacy: PrivacyRules,
    pub trackers: TrackerRules,
    pub software: SoftwareRules,
    pub spam: SpamRules,
    pub blocklist: Blocklist,
    pub firewall: FirewallRules,
}

/// The page rule files, by name inside a checks directory.
pub const FILES: [&str; 6] = [
    privacy::FILE,
    trackers::FILE,
    software::FILE,
    spam::FILE,
    blocklist::FILE,
    firewall::FILE,
];

impl PageRules {
    /// The rules compiled into the binary. A `Result` so that a bad edit of a built-in
    /// file fails the tests instead of panicking in production.
    pub fn builtin() -> Result<PageRules, RuleFileError> {
        let mut rules = PageRules::parse(FILES.map(RuleSource::builtin).each_ref())?;
        rules.software = rules.software.with_feeds(&crate::feeds::Feeds::load(None)?);
        Ok(rules)
    }

    /// Parses the page rule files, given in [`FILES`] order.
    pub fn parse(sources: [&RuleSource; 6]) -> Result<PageRules, RuleFileError> {
        let [privacy, trackers, software, spam, blocklist, firewall] = sources;
        Ok(PageRules {
            privacy: PrivacyRules::parse(&privacy.as_text())?,
            trackers: TrackerRules::parse(&trackers.as_text())?,
            software: SoftwareRules::parse(&software.as_text())?,
            spam: SpamRules::parse(&spam.as_text())?,
            blocklist: Blocklist::parse(&blocklist.as_text())?,
            firewall: FirewallRules::parse(&firewall.as_text())?,
        })
    }

    /// A rule set with no rules at all, for tests of checks that do not use them.
    #[cfg(test)]
    pub(crate) const fn none() -> PageRules {
        PageRules {
            privacy: PrivacyRules {
                fields: Vec::new(),
                elements: Vec::new(),
                laws: Vec::new(),
                notice_links: Vec::new(),
            },
            trackers: TrackerRules {
                trackers: Vec::new(),
            },
            software: SoftwareRules {
                software: Vec::new(),
                by_package: std::collections::BTreeMap::new(),
            },
            spam: SpamRules {
                scoring: spam::Scoring {
                    threshold: u32::MAX,
                    hidden_factor: 1,
                    max_count: 1,
                    counter_min: 1,
                    link_weight: 0,
                    footer_factor: 1,
                    outbound_factor: 0,
                    news_promo_ratio: 1,
                },
                groups: Vec::new(),
                links: Vec::new(),
            },
            blocklist: Blocklist { lists: Vec::new() },
            firewall: FirewallRules {
                signatures: Vec::new(),
            },
        }
    }
}

/// What every rule states, validated: shown next to a finding so a reviewer can see
/// which rule fired and why it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub severity: Severity,
    pub rationale: String,
    pub reference: String,
}

/// Validates the common fields of each rule in a file: id syntax and uniqueness, a
/// rationale, an absolute http(s) reference.
pub(crate) fn check_meta<'m>(
    source: &RuleText<'_>,
    metas: impl IntoIterator<Item = MetaRef<'m>>,
) -> Result<Vec<RuleInfo>, RuleFileError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for meta in metas {
        let id = meta.id.get_ref();
        let valid_id = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !valid_id {
            return Err(source.invalid(
                meta.id.span(),
                format!("id `{id}` must be lower-case letters, digits, `-`, `_` or `.`"),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(source.invalid(meta.id.span(), format!("duplicate id `{id}`")));
        }
        if meta.rationale.get_ref().trim().is_empty() {
            return Err(source.invalid(
                meta.rationale.span(),
                format!("`{id}` has an empty rationale"),
            ));
        }
        let reference = meta.reference.get_ref();
        let absolute = url::Url::parse(reference)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !absolute {
            return Err(source.invalid(
                meta.reference.span(),
                format!("`{id}`.reference `{reference}` is not an absolute http(s) URL"),
            ));
        }
        out.push(RuleInfo {
            id: id.clone(),
            severity: meta.severity,
            rationale: meta.rationale.get_ref().trim().to_string(),
            reference: reference.clone(),
        });
    }
    Ok(out)
}

/// Builds a term set from a rule's terms, refusing empty lists and wordless terms at
/// the rule's position.
pub(crate) fn compile_terms(
    source: &RuleText<'_>,
    at: &Spanned<String>,
    terms: &[String],
    allow_empty: bool,
) -> Result<terms::TermSet, RuleFileError> {
    if terms.is_empty() && !allow_empty {
        return Err(source.invalid(at.span(), format!("`{}` lists no terms", at.get_ref())));
    }
    terms::TermSet::new(terms.iter().map(String::as_str))
        .map_err(|e| source.invalid(at.span(), format!("`{}`: {e}", at.get_ref())))
}

/// Lower-cased domain names, refusing anything that is not a plain host name.
pub(crate) fn compile_domains(
    source: &RuleText<'_>,
    at: &Spanned<String>,
    domains: &[String],
) -> Result<Vec<String>, RuleFileError> {
    domains
        .iter()
        .map(|d| {
            let d = d
                .trim()
                .trim_start_matches("*.")
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let plain = !d.is_empty()
                && d.contains('.')
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if plain {
                Ok(d)
            } else {
                Err(source.invalid(
                    at.span(),
                    format!(
                        "`{}`: `{d}` is not a domain name (ASCII/punycode, with a dot)",
                        at.get_ref()
                    ),
                ))
            }
        })
        .collect()
}

/// Whether `host` is `domain` or one of its subdomains.
pub fn host_is_under(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.').as_bytes();
    let domain = domain.as_bytes();
    host.eq_ignore_ascii_case(domain)
        || (host.len() > domain.len()
            && host[host.len() - domain.len() - 1] == b'.'
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain))
}

/// Host of an absolute URL, lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

#[cfg(test)]
mod tests;
