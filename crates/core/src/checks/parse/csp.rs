//! Content-Security-Policy (CSP Level 3 §2.2, §2.3.1), parsed as browsers parse it.
//!
//! Browsers never reject a whole policy: they skip a directive that is not ASCII or not
//! well named, keep only the first of a repeated directive, and treat unknown source
//! expressions as matching nothing. Following that exactly matters for judging: a
//! directive a browser skipped leaves the resource type unrestricted.

use std::fmt;

/// One policy: the directives a browser keeps, in order, plus what it threw away.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    pub directives: Vec<Directive>,
    /// Lower-cased names of directives that appeared again after their first occurrence
    /// (browsers ignore the repeats, which usually means the site's intent is lost).
    pub duplicates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased.
    pub name: String,
    pub sources: Vec<Source>,
}

/// A source expression (CSP3 §2.3.1), classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Keyword(Keyword),
    /// The base64 value, case preserved.
    Nonce(String),
    Hash {
        algorithm: HashAlgorithm,
        digest: String,
    },
    /// A scheme-only source such as `https:`; the scheme is lower-cased, without `:`.
    Scheme(String),
    /// `[scheme://]host[:port][/path]`; scheme and host lower-cased. The host may be
    /// `*` or start with `*.`.
    Host {
        scheme: Option<String>,
        host: String,
        port: Option<String>,
        path: Option<String>,
    },
    /// The bare `*`.
    Wildcard,
    /// Anything else: browsers let it match nothing. Kept verbatim.
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    SelfOrigin,
    None,
    UnsafeInline,
    UnsafeEval,
    StrictDynamic,
    UnsafeHashes,
    WasmUnsafeEval,
    ReportSample,
    UnsafeAllowRedirects,
    InlineSpeculationRules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Keyword {
    const ALL: [Keyword; 10] = [
        Keyword::SelfOrigin,
        Keyword::None,
        Keyword::UnsafeInline,
        Keyword::UnsafeEval,
        Keyword::StrictDynamic,
        Keyword::UnsafeHashes,
        Keyword::WasmUnsafeEval,
        Keyword::ReportSample,
        Keyword::UnsafeAllowRedirects,
        Keyword::InlineSpeculationRules,
    ];

    /// The keyword as written in a policy, quotes included.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::SelfOrigin => "'self'",
            Keyword::None => "'none'",
            Keyword::UnsafeInline => "'unsafe-inline'",
            Keyword::UnsafeEval => "'unsafe-eval'",
            Keyword::StrictDynamic => "'strict-dynamic'",
            Keyword::UnsafeHashes => "'unsafe-hashes'",
            Keyword::WasmUnsafeEval => "'wasm-unsafe-eval'",
            Keyword::ReportSample => "'report-sample'",
            Keyword::UnsafeAllowRedirects => "'unsafe-allow-redirects'",
            Keyword::InlineSpeculationRules => "'inline-speculation-rules'",
        }
    }
}

impl HashAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Keyword(k) => f.write_str(k.as_str()),
            Source::Nonce(v) => write!(f, "'nonce-{v}'"),
            Source::Hash { algorithm, digest } => write!(f, "'{}-{digest}'", algorithm.as_str()),
            Source::Scheme(s) => write!(f, "{s}:"),
            Source::Host {
                scheme,
                host,
                port,
                path,
            } => {
                if let Some(s) = scheme {
                    write!(f, "{s}://")?;
                }
                f.write_str(host)?;
                if let Some(p) = port {
                    write!(f, ":{p}")?;
                }
                f.write_str(path.as_deref().unwrap_or(""))
            }
            Source::Wildcard => f.write_str("*"),
            Source::Other(raw) => f.write_str(raw),
        }
    }
}

impl Source {
    /// Parses one source expression; never fails (unknown input is [`Source::Other`]).
    pub fn parse(token: &str) -> Source {
        if token == "*" {
            return Source::Wildcard;
        }
        if let Some(inner) = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return quoted(inner).unwrap_or_else(|| Source::Other(token.to_string()));
        }
        if let Some(scheme) = token.strip_suffix(':')
            && is_scheme(scheme)
        {
            return Source::Scheme(scheme.to_ascii_lowercase());
        }
        host_source(token).unwrap_or_else(|| Source::Other(token.to_string()))
    }

    /// The scheme this source names explicitly, lower-cased.
    pub fn scheme(&self) -> Option<&str> {
        match self {
            Source::Scheme(s) => Some(s),
            Source::Host { scheme, .. } => scheme.as_deref(),
            _ => None,
        }
    }
}

impl Directive {
    pub fn has_keyword(&self, keyword: Keyword) -> bool {
        self.sources.contains(&Source::Keyword(keyword))
    }

    /// A nonce or hash source: with one present, browsers ignore 'unsafe-inline'.
    pub fn has_nonce_or_hash(&self) -> bool {
        self.sources
            .iter()
            .any(|s| matches!(s, Source::Nonce(_) | Source::Hash { .. }))
    }
}

/// Directive names browsers implement (CSP Level 3, Trusted Types, and those still
/// honoured though deprecated). Any other name is skipped by browsers with a console
/// warning, so a policy made only of such names enforces nothing.
pub const KNOWN_DIRECTIVES: [&str; 29] = [
    "base-uri",
    "block-all-mixed-content",
    "child-src",
    "connect-src",
    "default-src",
    "fenced-frame-src",
    "font-src",
    "form-action",
    "frame-ancestors",
    "frame-src",
    "img-src",
    "manifest-src",
    "media-src",
    "object-src",
    "prefetch-src",
    "report-to",
    "report-uri",
    "require-trusted-types-for",
    "sandbox",
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "style-src",
    "style-src-attr",
    "style-src-elem",
    "trusted-types",
    "upgrade-insecure-requests",
    "webrtc",
    "worker-src",
];

/// Directives HTML removes from a policy delivered in `<meta>` (HTML §4.2.5.3).
pub const META_IGNORED_DIRECTIVES: [&str; 3] = ["frame-ancestors", "report-uri", "sandbox"];

impl Directive {
    /// Whether browsers implement this directive (see [`KNOWN_DIRECTIVES`]).
    pub fn is_known(&self) -> bool {
        KNOWN_DIRECTIVES.contains(&self.name.as_str())
    }
}

impl Policy {
    /// The policy a `<meta http-equiv>` element delivers: one serialized policy (commas
    /// are not separators there), without the directives HTML drops from meta policies.
    pub fn from_meta(content: &str) -> Policy {
        let mut policy = parse_policy(content);
        policy
            .directives
            .retain(|d| !META_IGNORED_DIRECTIVES.contains(&d.name.as_str()));
        policy
            .duplicates
            .retain(|d| !META_IGNORED_DIRECTIVES.contains(&d.as_str()));
        policy
    }

    /// Whether any directive is one browsers implement.
    pub fn has_known_directive(&self) -> bool {
        self.directives.iter().any(Directive::is_known)
    }

    pub fn get(&self, name: &str) -> Option<&Directive> {
        self.directives
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// The directive that governs `name` after CSP3's fallback chain (e.g. `worker-src`
    /// → `child-src` → `script-src` → `default-src`). `None` means unrestricted.
    pub fn effective(&self, name: &str) -> Option<&Directive> {
        let name = name.to_ascii_lowercase();
        let chain: &[&str] = match name.as_str() {
            "script-src-elem" | "script-src-attr" => &["script-src", "default-src"],
            "style-src-elem" | "style-src-attr" => &["style-src", "default-src"],
            "worker-src" => &["child-src", "script-src", "default-src"],
            "frame-src" => &["child-src", "default-src"],
            "child-src" | "connect-src" | "font-src" | "img-src" | "manifest-src" | "media-src"
            | "object-src" | "script-src" | "style-src" => &["default-src"],
            _ => &[],
        };
        self.get(&name)
            .or_else(|| chain.iter().find_map(|n| self.get(n)))
    }
}

/// Parses one serialized policy (one element of the header's comma-separated list).
pub fn parse_policy(serialized: &str) -> Policy {
    let mut policy = Policy::default();
    for token in serialized.split(';') {
        let token = token.trim_matches(is_ascii_whitespace);
        if token.is_empty() || !token.is_ascii() {
            continue;
        }
        let mut parts = token.split(is_ascii_whitespace).filter(|p| !p.is_empty());
        let Some(name) = parts.next() else {
            continue;
        };
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            continue;
        }
        let name = name.to_ascii_lowercase();
        if policy.get(&name).is_some() {
            if !policy.duplicates.contains(&name) {
                policy.duplicates.push(name);
            }
            continue;
        }
        policy.directives.push(Directive {
            name,
            sources: parts.map(Source::parse).collect(),
        });
    }
    policy
}

/// Parses one Content-Security-Policy header value: a comma-separated list of policies,
/// each enforced independently. Policies left without any directive are dropped, as
/// browsers drop them.
pub fn parse_header(value: &str) -> Vec<Policy> {
    value
        .split(',')
        .map(parse_policy)
        .filter(|p| !p.directives.is_empty())
        .collect()
}

fn is_ascii_whitespace(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// The inside of a quoted source: a keyword, nonce or hash.
fn quoted(inner: &str) -> Option<Source> {
    let lower = inner.to_ascii_lowercase();
    if let Some(k) = Keyword::ALL
        .into_iter()
        .find(|k| k.as_str().trim_matches('\'') == lower)
    {
        return Some(Source::Keyword(k));
    }
    let (kind, value) = inner.split_once('-')?;
    if !is_base64_value(value) {
        return None;
    }
    let algorithm = match kind.to_ascii_lowercase().as_str() {
        "nonce" => return Some(Source::Nonce(value.to_string())),
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        _ => return None,
    };
    Some(Source::Hash {
        algorithm,
        digest: value.to_string(),
    })
}

/// base64-value = 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) *2"="
fn is_base64_value(v: &str) -> bool {
    let body = v.trim_end_matches('=');
    v.len() - body.len() <= 2
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(&b))
}

/// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// host-source = [ scheme-part "://" ] host-part [ ":" port-part ] [ path-part ]
fn host_source(token: &str) -> Option<Source> {
    let (scheme, rest) = match token.split_once("://") {
        Some((s, rest)) if is_scheme(s) => (Some(s.to_ascii_lowercase()), rest),
        Some(_) => return None,
        None => (None, token),
    };
    let host_end = rest.find([':', '/']).unwrap_or(rest.len());
    let (host, rest) = rest.split_at(host_end);
    if !is_host(host) {
        return None;
    }
    let (port, path) = match rest.strip_prefix(':') {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let (port, path) = after.split_at(end);
            let valid =
                port == "*" || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
            if !valid {
                return None;
            }
            (Some(port.to_string()), path)
        }
        None => (None, rest),
    };
    Some(Source::Host {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        path: (!path.is_empty()).then(|| path.to_string()),
    })
}

/// host-part = "*" / [ "*." ] 1*host-char *( "." 1*host-char ) [ "." ]
fn is_host(host: &str) -> bool {
    if host == "*" {
        return true;
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(d: Option<&Directive>) -> Vec<String> {
        d.map(|d| d.sources.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    #[test]
    fn directives_and_sources_are_classified() {
        let p = parse_policy(
            "default-src 'self'; script-src 'nonce-r4nd0m+/=' 'sha256-abc=' https: \
             *.cdn.example:443/js/ 'strict-dynamic'; object-src 'none'; img-src * data:",
        );
        let script = p.get("script-src").map(|d| d.sources.clone());
        assert_eq!(
            script,
            Some(vec![
                Source::Nonce("r4nd0m+/=".into()),
                Source::Hash {
                    algorithm: HashAlgorithm::Sha256,
                    digest: "abc=".into()
                },
                Source::Scheme("https".into()),
                Source::Host {
                    scheme: None,
                    host: "*.cdn.example".into(),
                    port: Some("443".into()),
                    path: Some("/js/".into())
                },
                Source::Keyword(Keyword::StrictDynamic),
            ])
        );
        assert_eq!(sources(p.get("img-src")), ["*", "data:"]);
        assert_eq!(
            p.get("img-src").map(|d| d.sources[0].clone()),
            Some(Source::Wildcard)
        );
    }

    #[test]
    fn names_keywords_schemes_and_hosts_are_case_insensitive() {
        let p = parse_policy("SCRIPT-SRC 'SELF' 'Unsafe-Inline' HTTPS://CDN.Example HTTP:");
        let d = p.get("script-src");
        assert!(d.is_some_and(|d| d.has_keyword(Keyword::SelfOrigin)));
        assert!(d.is_some_and(|d| d.has_keyword(Keyword::UnsafeInline)));
        assert_eq!(
            sources(d),
            ["'self'", "'unsafe-inline'", "https://cdn.example", "http:"]
        );
    }

    #[test]
    fn nonce_values_keep_their_case() {
        let p = parse_policy("script-src 'NONCE-AbC'");
        assert_eq!(sources(p.get("script-src")), ["'nonce-AbC'"]);
    }

    #[test]
    fn the_first_of_a_repeated_directive_wins_and_repeats_are_recorded() {
        let p = parse_policy("script-src 'self'; script-src *; Script-Src 'none'");
        assert_eq!(sources(p.get("script-src")), ["'self'"]);
        assert_eq!(p.duplicates, ["script-src"]);
    }

    #[test]
    fn non_ascii_or_badly_named_directives_are_skipped_whole() {
        let p = parse_policy("script-src 'self' é.example; object_src 'none'; img-src 'self'");
        assert!(p.get("script-src").is_none());
        assert!(p.get("object_src").is_none());
        assert!(p.get("img-src").is_some());
    }

    #[test]
    fn empty_values_mean_an_empty_source_list() {
        let p = parse_policy("  ;; upgrade-insecure-requests ; script-src ;");
        assert_eq!(p.directives.len(), 2);
        assert_eq!(p.get("script-src").map(|d| d.sources.len()), Some(0));
    }

    #[test]
    fn malformed_sources_become_other_not_errors() {
        for token in [
            "'nonce-'",
            "'sha1-abc'",
            "'sha256-a=b'",
            "'unsafe-everything'",
            "'self",
            "https://",
            "1http:",
            "host:port",
            "a..b",
            "ht tp://x",
            "/relative/path",
        ] {
            match Source::parse(token) {
                Source::Other(raw) => assert_eq!(raw, token),
                other => panic!("{token:?} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn host_sources_accept_wildcards_ports_and_paths() {
        for token in [
            "*.example.com",
            "https://*",
            "example.com:*",
            "http://a.b:8080/x;y",
            "a.b.",
        ] {
            assert!(
                matches!(Source::parse(token), Source::Host { .. }),
                "{token:?}"
            );
        }
    }

    #[test]
    fn a_header_is_a_comma_separated_list_and_empty_policies_are_dropped() {
        let policies = parse_header("default-src 'self', , script-src 'none',   ;  ");
        assert_eq!(policies.len(), 2);
        assert!(parse_header("").is_empty());
        assert!(parse_header("garbage_name value").is_empty());
    }

    #[test]
    fn a_meta_policy_is_one_policy_without_the_directives_html_drops() {
        // HTML §4.2.5.3: frame-ancestors, report-uri and sandbox are removed; the
        // content is one serialized policy, so a comma is part of a source expression.
        let p = Policy::from_meta(
            "default-src 'self', script-src 'none'; frame-ancestors 'none'; sandbox; \
             report-uri /r; frame-ancestors *",
        );
        let names: Vec<&str> = p.directives.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["default-src"]);
        assert_eq!(
            sources(p.get("default-src")),
            ["'self',", "script-src", "'none'"]
        );
        assert!(p.duplicates.is_empty());
    }

    #[test]
    fn known_directives_are_told_from_misspelt_ones() {
        assert!(parse_policy("img-src 'none'").has_known_directive());
        assert!(!parse_policy("scirpt-src 'self'; defualt-src 'none'").has_known_directive());
        assert!(!parse_policy("").has_known_directive());
    }

    #[test]
    fn effective_follows_the_fallback_chain() {
        let p = parse_policy("default-src 'none'; child-src 'self'; script-src https:");
        assert_eq!(
            p.effective("worker-src").map(|d| d.name.as_str()),
            Some("child-src")
        );
        assert_eq!(
            p.effective("script-src-elem").map(|d| d.name.as_str()),
            Some("script-src")
        );
        assert_eq!(
            p.effective("img-src").map(|d| d.name.as_str()),
            Some("default-src")
        );
        assert!(p.effective("frame-ancestors").is_none());
        assert!(p.effective("base-uri").is_none());
    }
}
