//! Cookies whose role is known from their name (`checks/cookies.toml`): the frameworks'
//! session cookies, load-balancer affinity and bot-protection cookies, consent records,
//! analytics and preferences.
//!
//! The cookie checks need to know what a cookie is for before judging it: an affinity
//! cookie without HttpOnly leaks nothing, a session id without Secure leaks a login. A
//! name alone is weak evidence (`…session-affinity…` contains "sess"), so names that
//! are known for sure are data here, which staff extend without recompiling, and the
//! checks weigh the rest by the cookie's value and attributes.

use crate::rulefile::{RuleFileError, RuleText};
use serde::Deserialize;
use toml::Spanned;

pub const FILE: &str = "cookies.toml";

/// What a cookie is for, as the checks assume it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Identifies a login or session: a secret.
    Session,
    /// An anti-CSRF token (double-submit cookies must stay readable by scripts).
    Csrf,
    /// Load balancing, affinity, bot protection: no secret about the visitor.
    Infrastructure,
    /// The visitor's consent choices.
    Consent,
    /// Analytics and advertising identifiers.
    Analytics,
    /// Language, theme, interface settings.
    Preference,
    /// Nothing says what it is for.
    Unknown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Session => "session",
            Role::Csrf => "anti-CSRF",
            Role::Infrastructure => "infrastructure",
            Role::Consent => "consent",
            Role::Analytics => "analytics",
            Role::Preference => "preference",
            Role::Unknown => "unknown purpose",
        }
    }
}

/// One `[[cookie]]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieRule {
    pub id: String,
    pub role: Role,
    /// How the finding names it ("AWS load balancer affinity").
    pub label: String,
    names: Vec<String>,
    prefixes: Vec<String>,
    contains: Vec<String>,
}

impl CookieRule {
    fn matches(&self, lower: &str) -> bool {
        self.names.iter().any(|n| n == lower)
            || self.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
            || self.contains.iter().any(|c| lower.contains(c.as_str()))
    }
}

/// The rules of `cookies.toml`, in file order (the first match wins).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CookieRules {
    rules: Vec<CookieRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    cookie: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    role: Role,
    label: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    rationale: String,
    reference: String,
}

/// Substrings shorter than this would catch ordinary names.
const MIN_CONTAINS: usize = 4;

impl CookieRules {
    /// No rule at all (tests about other checks).
    pub const fn none() -> CookieRules {
        CookieRules { rules: Vec::new() }
    }

    pub fn builtin() -> Result<CookieRules, RuleFileError> {
        let source = crate::rulefile::RuleSource::builtin(FILE);
        CookieRules::parse(&source.as_text())
    }

    /// Parses and validates the file: every rule needs an id (unique), a label, a
    /// rationale, an absolute http(s) reference and at least one way to match.
    pub fn parse(file: &RuleText<'_>) -> Result<CookieRules, RuleFileError> {
        let raw: RawFile = file.parse()?;
        let mut rules: Vec<CookieRule> = Vec::new();
        for entry in raw.cookie {
            let at = entry.span().start;
            let r = entry.into_inner();
            let problem = if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
            {
                Some(format!(
                    "id `{}` must be lower-case letters, digits, -, _ or .",
                    r.id
                ))
            } else if rules.iter().any(|k| k.id == r.id) {
                Some(format!("duplicate id `{}`", r.id))
            } else if r.label.trim().is_empty() || r.rationale.trim().is_empty() {
                Some(format!("`{}` needs a label and a rationale", r.id))
            } else if !(r.reference.starts_with("https://") || r.reference.starts_with("http://")) {
                Some(format!(
                    "`{}`.reference must be an absolute http(s) URL",
                    r.id
                ))
            } else if r.names.is_empty() && r.prefixes.is_empty() && r.contains.is_empty() {
                Some(format!("`{}` has no names, prefixes or contains", r.id))
            } else if r
                .names
                .iter()
                .chain(&r.prefixes)
                .any(|n| n.trim().is_empty())
            {
                Some(format!("`{}` has an empty name or prefix", r.id))
            } else if let Some(short) = r.contains.iter().find(|c| c.len() < MIN_CONTAINS) {
                Some(format!(
                    "`{}`.contains `{short}` is shorter than {MIN_CONTAINS} characters and would catch ordinary names",
                    r.id
                ))
            } else if r.role == Role::Unknown {
                Some(format!("`{}` cannot have the role unknown", r.id))
            } else {
                None
            };
            if let Some(reason) = problem {
                return Err(file.invalid_at(Some(at), reason));
            }
            let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_lowercase()).collect();
            rules.push(CookieRule {
                id: r.id,
                role: r.role,
                label: r.label,
                names: lower(r.names),
                prefixes: lower(r.prefixes),
                contains: lower(r.contains),
            });
        }
        Ok(CookieRules { rules })
    }

    /// The first rule naming this cookie (names compare case-insensitively).
    pub fn known(&self, name: &str) -> Option<&CookieRule> {
        let lower = name.to_ascii_lowercase();
        self.rules.iter().find(|r| r.matches(&lower))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CookieRules, String> {
        CookieRules::parse(&RuleText {
            file: "cookies.toml",
            text,
        })
        .map_err(|e| e.to_string())
    }

    const RULE: &str = "[[cookie]]\nid = \"lb\"\nrole = \"infrastructure\"\nlabel = \"LB\"\n\
                        rationale = \"r\"\nreference = \"https://a.example/\"\n";

    #[test]
    fn the_builtin_file_knows_affinity_consent_and_framework_cookies() {
        let rules = CookieRules::builtin().unwrap();
        for (name, role) in [
            ("ARRAffinity", Role::Infrastructure),
            ("my-app-session-affinity", Role::Infrastructure),
            ("AWSALB", Role::Infrastructure),
            ("BIGipServer~pool~web", Role::Infrastructure),
            ("incap_ses_123_456", Role::Infrastructure),
            ("OptanonConsent", Role::Consent),
            ("_ga_ABC123", Role::Analytics),
            ("_hjSession_42", Role::Analytics),
            ("PHPSESSID", Role::Session),
            ("JSESSIONID", Role::Session),
            ("XSRF-TOKEN", Role::Csrf),
            ("pll_language", Role::Preference),
        ] {
            assert_eq!(rules.known(name).map(|r| r.role), Some(role), "{name}");
        }
        assert!(rules.known("theme-colour-x").is_none());
    }

    #[test]
    fn rules_match_by_name_prefix_or_substring_case_insensitively() {
        let rules = parse(&format!(
            "{RULE}names = [\"SERVERID\"]\nprefixes = [\"route_\"]\ncontains = [\"sticky\"]\n"
        ))
        .unwrap();
        for name in ["serverid", "ROUTE_abc", "x-Sticky-y"] {
            assert!(rules.known(name).is_some(), "{name}");
        }
        assert!(rules.known("serverid2").is_none());
    }

    #[test]
    fn bad_rules_are_refused_with_their_line() {
        for (extra, reason) in [
            ("", "no names, prefixes or contains"),
            ("contains = [\"ses\"]\n", "shorter than 4"),
            ("names = [\" \"]\n", "empty name"),
        ] {
            let err = parse(&format!("\n{RULE}{extra}")).unwrap_err();
            assert!(
                err.contains("cookies.toml:2") && err.contains(reason),
                "{err}"
            );
        }
        let err = parse(&format!("{RULE}names=[\"a\"]\n{RULE}names=[\"b\"]\n")).unwrap_err();
        assert!(err.contains("duplicate id"), "{err}");
        let err = parse(
            &RULE
                .replace("infrastructure", "cache")
                .replace("\n", "\nnames=[\"a\"]\n"),
        )
        .unwrap_err();
        assert!(err.contains("cookies.toml:"), "{err}");
    }
}
