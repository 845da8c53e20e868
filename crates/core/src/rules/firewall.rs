//! `checks/firewall.toml`: what a web application firewall, a bot wall or a CAPTCHA
//! interstitial looks like when it answers instead of the site. A home page that matches
//! is `site.blocked`, a status of its own, not `site.unreachable`: the site is up and
//! stopped the scanner, and the finding names the product so the owner knows where to
//! allow it.

use super::{RuleFileError, RuleInfo, RuleText, check_meta};
use crate::evidence::HttpResponse;
use serde::Deserialize;

pub const FILE: &str = "firewall.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    signature: Vec<RawSignature>,
}

raw_rule!(RawSignature {
    vendor: toml::Spanned<String>,
    /// HTTP statuses the signature applies to; empty for any.
    #[serde(default)]
    statuses: Vec<u16>,
    /// `name: substring` — a response header whose value contains the substring (an
    /// empty substring: the header is present).
    #[serde(default)]
    headers: Vec<toml::Spanned<String>>,
    /// Substrings of the body (case-insensitive).
    #[serde(default)]
    body: Vec<String>,
});

/// One firewall's answer, compiled.
#[derive(Debug, Clone)]
pub struct FirewallSignature {
    pub info: RuleInfo,
    pub vendor: String,
    pub statuses: Vec<u16>,
    /// (lower-case header name, lower-case substring of its value).
    pub headers: Vec<(String, String)>,
    /// Lower-case substrings of the body.
    pub body: Vec<String>,
}

/// What matched, for the finding's evidence.
#[derive(Debug, Clone)]
pub struct FirewallMatch<'a> {
    pub signature: &'a FirewallSignature,
    /// `header cf-mitigated: challenge` or `body "…"`.
    pub matched: String,
}

#[derive(Debug, Clone, Default)]
pub struct FirewallRules {
    pub signatures: Vec<FirewallSignature>,
}

impl FirewallRules {
    pub fn parse(source: &RuleText<'_>) -> Result<FirewallRules, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let infos = check_meta(source, raw.signature.iter().map(RawSignature::meta))?;
        let mut signatures = Vec::new();
        for (s, info) in raw.signature.iter().zip(infos) {
            if s.vendor.get_ref().trim().is_empty() {
                return Err(
                    source.invalid(s.vendor.span(), format!("`{}` names no vendor", info.id))
                );
            }
            if s.headers.is_empty() && s.body.is_empty() {
                return Err(source.invalid(
                    s.id.span(),
                    format!(
                        "`{}` needs `headers` or `body` to recognise the answer by",
                        info.id
                    ),
                ));
            }
            if let Some(bad) = s.statuses.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(source.invalid(
                    s.id.span(),
                    format!("`{}`: {bad} is no HTTP status", info.id),
                ));
            }
            let mut headers = Vec::new();
            for h in &s.headers {
                let Some((name, value)) = h.get_ref().split_once(':') else {
                    return Err(source.invalid(
                        h.span(),
                        format!("header `{}` is not `name: substring`", h.get_ref()),
                    ));
                };
                let name = name.trim().to_ascii_lowercase();
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
                {
                    return Err(source.invalid(h.span(), format!("`{name}` is not a header name")));
                }
                headers.push((name, value.trim().to_lowercase()));
            }
            if let Some(empty) = s.body.iter().find(|b| b.trim().chars().count() < 4) {
                return Err(source.invalid(
                    s.id.span(),
                    format!(
                        "`{}`: body substring `{empty}` is too short to recognise a page by",
                        info.id
                    ),
                ));
            }
            signatures.push(FirewallSignature {
                info,
                vendor: s.vendor.get_ref().trim().to_string(),
                statuses: s.statuses.clone(),
                headers,
                body: s.body.iter().map(|b| b.to_lowercase()).collect(),
            });
        }
        Ok(FirewallRules { signatures })
    }

    /// The first signature that recognises this answer.
    pub fn recognise<'a>(&'a self, response: &HttpResponse) -> Option<FirewallMatch<'a>> {
        let status = response.status;
        let body = String::from_utf8_lossy(&response.body.bytes).to_lowercase();
        self.signatures.iter().find_map(|s| {
            if !s.statuses.is_empty() && !s.statuses.contains(&status) {
                return None;
            }
            let header = s.headers.iter().find_map(|(name, needle)| {
                response
                    .header_values(name)
                    .find(|v| v.to_lowercase().contains(needle))
                    .map(|v| format!("header {name}: {}", v.chars().take(80).collect::<String>()))
            });
            let matched = header.or_else(|| {
                s.body
                    .iter()
                    .find(|needle| body.contains(needle.as_str()))
                    .map(|needle| format!("body \"{needle}\""))
            })?;
            Some(FirewallMatch {
                signature: s,
                matched,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<FirewallRules, RuleFileError> {
        FirewallRules::parse(&RuleText {
            file: "firewall.toml",
            text,
        })
    }

    const ONE: &str = r#"
[[signature]]
id = "edge-challenge"
vendor = "Edge"
severity = "high"
rationale = "A challenge page."
reference = "https://example.org/waf"
statuses = [403, 503]
headers = ["x-edge-mitigated: challenge"]
body = ["verify you are human"]
"#;

    fn answer(status: u16, header: Option<(&str, &str)>, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            version: "HTTP/1.1".into(),
            headers: header
                .map(|(name, value)| crate::evidence::Header {
                    name: name.into(),
                    value: value.into(),
                    invalid_utf8: false,
                })
                .into_iter()
                .collect(),
            body: crate::evidence::Body {
                bytes: body.as_bytes().to_vec(),
                truncated: false,
                timed_out: false,
                content_encoding: None,
                decode_error: None,
            },
            elapsed_ms: 1,
        }
    }

    #[test]
    fn a_signature_needs_its_status_and_a_header_or_body_mark() {
        let r = rules(ONE).unwrap();
        let marked = Some(("x-edge-mitigated", "Challenge"));
        let m = r.recognise(&answer(403, marked, "")).expect("header");
        assert_eq!(m.signature.vendor, "Edge");
        assert_eq!(m.matched, "header x-edge-mitigated: Challenge");
        assert!(
            r.recognise(&answer(503, None, "<p>Please VERIFY you are human</p>"))
                .is_some()
        );
        assert!(r.recognise(&answer(200, marked, "")).is_none(), "status");
        let other = Some(("x-edge-mitigated", "none"));
        assert!(r.recognise(&answer(403, other, "Forbidden")).is_none());
    }

    #[test]
    fn bad_signatures_are_refused_with_their_line() {
        let no_mark = ONE.replace(
            "headers = [\"x-edge-mitigated: challenge\"]\nbody = [\"verify you are human\"]\n",
            "",
        );
        let e = rules(&no_mark).unwrap_err().to_string();
        assert!(e.contains("needs `headers` or `body`"), "{e}");
        let bad_header = ONE.replace("x-edge-mitigated: challenge", "no colon");
        assert!(
            rules(&bad_header).unwrap_err().to_string().contains(":9:"),
            "line of the header"
        );
        let bad_status = ONE.replace("[403, 503]", "[403, 999]");
        assert!(rules(&bad_status).unwrap_err().to_string().contains("999"));
        let short = ONE.replace("verify you are human", "ok");
        assert!(rules(&short).unwrap_err().to_string().contains("too short"));
    }
}
