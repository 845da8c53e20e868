//! `header.csp.missing`, `header.csp.unsafe` and the strength `header.csp.strict`.
//!
//! The page is judged by every policy a browser enforces on it (CSP3 §4.1, HTML
//! §4.2.5.3): each `Content-Security-Policy` header (a comma list is several policies)
//! and each `<meta http-equiv="Content-Security-Policy">` that is a child of `<head>`.
//! A meta policy loses `frame-ancestors`, `report-uri` and `sandbox`, and only protects
//! what comes after it: one placed after a `<script>` is not counted, since that script
//! ran unrestricted. `Content-Security-Policy-Report-Only` enforces nothing.
//!
//! Every policy is enforced independently, so a load happens only if *each* policy
//! allows it. A capability problem (inline script, scripts from anywhere, http
//! images...) is therefore reported only when every policy allows it — a policy that
//! does not restrict that kind of load at all allows it — and each policy that allows it
//! is named with what it says, so the owner sees which policy (header or meta) let what
//! through. Validity problems (a repeated or unknown directive) are reported wherever
//! they occur. A policy in which browsers know no directive at all protects nothing:
//! it is `header.csp.missing` (kind `invalid`), whether it is empty, unparseable or
//! misspelt.
//!
//! The questions follow the HTTP Observatory's CSP test (scripts, plugins, insecure
//! schemes, styles for the bonus) with the specifications' fallbacks (`script-src-elem`
//! → `script-src` → `default-src`); `base-uri` is judged where it matters (scripts
//! trusted by nonce or hash, which a `<base>` injection redirects) and an explicitly
//! open `form-action` is reported. `unsafe-inline` in styles alone is not a problem, as
//! in the Observatory, but it withholds the `header.csp.strict` bonus.
//!
//! Details are one line per problem, each followed by indented lines `origin: what
//! that policy says` (`header`, `meta`, numbered when there are several): the owner
//! page shows them as a list.

use super::excerpt;
use crate::checks::parse::csp::{self, Directive, Keyword, Policy, Source};
use crate::evidence::HttpResponse;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::PageFacts;

const HEADER: &str = "content-security-policy";

/// Where an enforced policy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The n-th policy of the response's headers (1-based), of `of`.
    Header { n: usize, of: usize },
    /// The n-th counted `<meta>` policy (1-based), of `of`.
    Meta { n: usize, of: usize },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, n, of) = match *self {
            Origin::Header { n, of } => ("header", n, of),
            Origin::Meta { n, of } => ("meta", n, of),
        };
        if of > 1 {
            write!(f, "{word} #{n}")
        } else {
            f.write_str(word)
        }
    }
}

/// One policy a browser enforces on the page.
#[derive(Debug, Clone)]
pub(super) struct Enforced {
    pub origin: Origin,
    pub policy: Policy,
}

impl Enforced {
    pub fn is_header(&self) -> bool {
        matches!(self.origin, Origin::Header { .. })
    }
}

/// The policies of a page: those enforced, and why any `<meta>` policy was not counted.
#[derive(Debug, Clone, Default)]
pub(super) struct Policies {
    pub enforced: Vec<Enforced>,
    pub ignored_meta: Vec<String>,
}

impl Policies {
    /// The header policies alone: `frame-ancestors` only works there.
    pub fn header_policies(&self) -> Vec<Policy> {
        self.enforced
            .iter()
            .filter(|e| e.is_header())
            .map(|e| e.policy.clone())
            .collect()
    }
}

/// Every policy the browser enforces on `response` and, when it is HTML, its page.
pub(super) fn enforced_policies(response: &HttpResponse, page: Option<&PageFacts>) -> Policies {
    let headers: Vec<Policy> = response
        .header_values(HEADER)
        .flat_map(csp::parse_header)
        .collect();
    let mut ignored_meta = Vec::new();
    let mut metas = Vec::new();
    for meta in page.map(|p| p.meta_policies.csp.as_slice()).unwrap_or(&[]) {
        let shown = excerpt(&meta.content);
        if !meta.in_head {
            ignored_meta.push(format!(
                "<meta> policy outside <head>, which browsers ignore ({shown})"
            ));
        } else if meta.after_script {
            ignored_meta.push(format!(
                "<meta> policy after a <script>, which ran before it applied ({shown})"
            ));
        } else if !meta.content.is_empty() {
            metas.push(Policy::from_meta(&meta.content));
        }
    }
    let (h, m) = (headers.len(), metas.len());
    let enforced = headers
        .into_iter()
        .enumerate()
        .map(|(i, policy)| Enforced {
            origin: Origin::Header { n: i + 1, of: h },
            policy,
        })
        .chain(metas.into_iter().enumerate().map(|(i, policy)| Enforced {
            origin: Origin::Meta { n: i + 1, of: m },
            policy,
        }))
        .collect();
    Policies {
        enforced,
        ignored_meta,
    }
}

pub(super) fn check(response: &HttpResponse, policies: &Policies, out: &mut Vec<Finding>) {
    let effective: Vec<&Enforced> = policies
        .enforced
        .iter()
        .filter(|e| e.policy.has_known_directive())
        .collect();
    if effective.is_empty() {
        out.push(missing(response, policies));
        return;
    }
    let judged = judge(&effective);
    if judged.is_empty() {
        out.extend(strict(&effective));
        return;
    }
    let severity = judged
        .iter()
        .map(|p| p.kind.severity())
        .max()
        .unwrap_or(Severity::Low);
    let lines: Vec<String> = judged.iter().map(Reported::render).collect();
    out.push(
        Finding::new(FindingId::HeaderCspUnsafe, severity, lines.join("\n"))
            .with_kinds(judged.iter().map(|p| p.kind.as_str())),
    );
}

fn missing(response: &HttpResponse, policies: &Policies) -> Finding {
    let mut lines = Vec::new();
    let kind;
    if let Some(first) = policies.enforced.first() {
        kind = "invalid";
        lines.push(format!(
            "no policy has a directive browsers know, so nothing is enforced ({}: {})",
            first.origin,
            excerpt(&shown_policy(&first.policy))
        ));
    } else if let Some(value) = response.header_values(HEADER).next() {
        kind = "invalid";
        lines.push(format!(
            "Content-Security-Policy has no valid directive ({})",
            excerpt(value)
        ));
    } else if !policies.ignored_meta.is_empty() {
        kind = "meta_ignored";
        lines.push("no Content-Security-Policy header, and no <meta> policy counts".into());
    } else if response
        .header_values(&format!("{HEADER}-report-only"))
        .next()
        .is_some()
    {
        kind = "report_only";
        lines.push("only Content-Security-Policy-Report-Only, which enforces nothing".into());
    } else {
        kind = "absent";
        lines.push("no Content-Security-Policy header or <meta> policy".into());
    }
    lines.extend(
        policies
            .ignored_meta
            .iter()
            .map(|m| format!("  ignored: {m}")),
    );
    Finding::new(
        FindingId::HeaderCspMissing,
        Severity::Medium,
        lines.join("\n"),
    )
    .with_kinds([kind])
}

/// The strength: no problem at all, and styles not open either (as the Observatory's
/// "implemented with no unsafe"); `default-src 'none'` with restricted form targets is
/// its higher kind.
fn strict(policies: &[&Enforced]) -> Option<Finding> {
    if allowed_by_all(policies, Kind::StyleUnsafe, "style-src-elem") {
        // Styles allow inline code or any source: a pass, but no bonus.
        return None;
    }
    let default_none = policies.iter().any(|e| {
        e.policy
            .get("default-src")
            .is_some_and(|d| d.sources == [Source::Keyword(Keyword::None)])
    });
    let forms_restricted = !allowed_by_all(policies, Kind::FormActionBroad, "form-action");
    let (kind, why) = if default_none && forms_restricted {
        (
            "default_none",
            "default-src 'none', form-action restricted, no unsafe source",
        )
    } else {
        (
            "no_unsafe",
            "no unsafe source for scripts, plugins or styles",
        )
    };
    let origins: Vec<String> = policies
        .iter()
        .map(|e| format!("  {}: {}", e.origin, excerpt(&shown_policy(&e.policy))))
        .collect();
    Some(
        Finding::new(
            FindingId::HeaderCspStrict,
            Severity::Info,
            format!("{why}\n{}", origins.join("\n")),
        )
        .with_kinds([kind]),
    )
}

/// What a problem lets an attacker do (or which rule a policy breaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ScriptUnrestricted,
    ScriptUnsafeInline,
    ScriptBroadSource,
    ScriptInsecureScheme,
    ScriptUnsafeEval,
    ObjectUnrestricted,
    InsecureActive,
    InsecurePassive,
    StyleUnsafeEval,
    BaseUriUnrestricted,
    FormActionBroad,
    StrictDynamicWithoutNonce,
    DuplicateDirective,
    UnknownDirective,
    /// Inline or broadly sourced styles: never reported, only withholds the bonus.
    StyleUnsafe,
}

impl Kind {
    /// The kind as the policy file prices it (one of `FindingId::kinds`).
    fn as_str(self) -> &'static str {
        match self {
            Kind::ScriptUnrestricted => "script_unrestricted",
            Kind::ScriptUnsafeInline => "script_unsafe_inline",
            Kind::ScriptBroadSource => "script_broad_source",
            Kind::ScriptInsecureScheme => "script_insecure_scheme",
            Kind::ScriptUnsafeEval => "script_unsafe_eval",
            Kind::ObjectUnrestricted => "object_unrestricted",
            Kind::InsecureActive => "insecure_active",
            Kind::InsecurePassive => "insecure_passive",
            Kind::StyleUnsafeEval => "style_unsafe_eval",
            Kind::BaseUriUnrestricted => "base_uri_unrestricted",
            Kind::FormActionBroad => "form_action_broad",
            Kind::StrictDynamicWithoutNonce => "strict_dynamic_without_nonce",
            Kind::DuplicateDirective => "duplicate_directive",
            Kind::UnknownDirective => "unknown_directive",
            Kind::StyleUnsafe => "style_unsafe",
        }
    }

    /// Scripts an attacker can run rank high; plugins, eval, a `<base>` that redirects
    /// trusted scripts and active content over http medium; the rest low.
    fn severity(self) -> Severity {
        match self {
            Kind::ScriptUnrestricted
            | Kind::ScriptUnsafeInline
            | Kind::ScriptBroadSource
            | Kind::ScriptInsecureScheme => Severity::High,
            Kind::ScriptUnsafeEval
            | Kind::ObjectUnrestricted
            | Kind::InsecureActive
            | Kind::BaseUriUnrestricted => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// Validity problems belong to the policy that has them; capabilities combine.
    fn is_capability(self) -> bool {
        !matches!(
            self,
            Kind::StrictDynamicWithoutNonce | Kind::DuplicateDirective | Kind::UnknownDirective
        )
    }

    fn headline(self, target: &str) -> String {
        match self {
            Kind::ScriptUnrestricted => "scripts are not restricted".into(),
            Kind::ScriptUnsafeInline => "inline scripts may run ('unsafe-inline')".into(),
            Kind::ScriptBroadSource => "scripts may load from overly broad sources".into(),
            Kind::ScriptInsecureScheme => "scripts may load over plain http".into(),
            Kind::ScriptUnsafeEval => "scripts may compile strings ('unsafe-eval')".into(),
            Kind::ObjectUnrestricted => "plugins (object, embed) are not restricted".into(),
            Kind::InsecureActive => format!("active content may load over plain http ({target})"),
            Kind::InsecurePassive => format!("images or media may load over plain http ({target})"),
            Kind::StyleUnsafeEval => "styles allow 'unsafe-eval'".into(),
            Kind::BaseUriUnrestricted => {
                "base-uri is not restricted: an injected <base> can redirect the scripts \
                 trusted by nonce or hash"
                    .into()
            }
            Kind::FormActionBroad => "forms may post to any site (form-action)".into(),
            Kind::StrictDynamicWithoutNonce => {
                "'strict-dynamic' without a nonce or hash (no script can run)".into()
            }
            Kind::DuplicateDirective => {
                format!("{target} is repeated; browsers use only the first")
            }
            Kind::UnknownDirective => format!("{target} is not a directive browsers know"),
            Kind::StyleUnsafe => "styles allow inline code or broad sources".into(),
        }
    }
}

/// A problem as reported: what, and what each policy that allows it says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reported {
    kind: Kind,
    target: String,
    by: Vec<(Origin, String)>,
}

impl Reported {
    fn render(&self) -> String {
        let mut text = self.kind.headline(&self.target);
        for (origin, said) in &self.by {
            text.push_str(&format!("\n  {origin}: {said}"));
        }
        text
    }
}

/// Fetch directives judged for insecure schemes, and whether their content is passive
/// (images and media, as the Observatory separates them).
const INSECURE_TARGETS: [(&str, bool); 10] = [
    ("style-src-elem", false),
    ("font-src", false),
    ("connect-src", false),
    ("frame-src", false),
    ("worker-src", false),
    ("manifest-src", false),
    ("object-src", false),
    ("form-action", false),
    ("img-src", true),
    ("media-src", true),
];

/// The capabilities every policy allows, then the validity problems of each policy.
fn judge(policies: &[&Enforced]) -> Vec<Reported> {
    let mut questions: Vec<(Kind, &str)> = vec![
        (Kind::ScriptUnrestricted, "script-src-elem"),
        (Kind::ScriptUnsafeInline, "script-src-elem"),
        (Kind::ScriptUnsafeInline, "script-src-attr"),
        (Kind::ScriptBroadSource, "script-src-elem"),
        (Kind::ScriptInsecureScheme, "script-src-elem"),
        (Kind::ScriptUnsafeEval, "script-src"),
        (Kind::ObjectUnrestricted, "object-src"),
    ];
    for (target, passive) in INSECURE_TARGETS {
        let kind = if passive {
            Kind::InsecurePassive
        } else {
            Kind::InsecureActive
        };
        questions.push((kind, target));
    }
    questions.push((Kind::StyleUnsafeEval, "style-src"));
    questions.push((Kind::FormActionBroad, "form-action"));
    if policies
        .iter()
        .any(|e| trusts_nonces(&e.policy, "script-src-elem"))
    {
        questions.push((Kind::BaseUriUnrestricted, "base-uri"));
    }

    let mut reported: Vec<Reported> = Vec::new();
    for (kind, target) in questions {
        // Inline handlers are judged apart only when script-src-attr is set itself.
        if target == "script-src-attr"
            && !policies
                .iter()
                .any(|e| e.policy.get("script-src-attr").is_some())
        {
            continue;
        }
        // Someone must say it: a capability nobody restricts *or* names is reported
        // only for scripts and plugins (the Observatory's "not restricted" cases).
        let said: Vec<(Origin, String)> = policies
            .iter()
            .filter_map(|e| explicit(&e.policy, kind, target).map(|s| (e.origin, s)))
            .collect();
        if said.is_empty() || !allowed_by_all(policies, kind, target) {
            continue;
        }
        let by = policies
            .iter()
            .map(|e| {
                let text = explicit(&e.policy, kind, target)
                    .unwrap_or_else(|| format!("no {target} nor a directive it falls back to"));
                (e.origin, text)
            })
            .collect();
        // What the directive scripts also use says was said once already (workers fall
        // back to script-src).
        let said_for_scripts =
            |script_kind: Kind| reported.iter().any(|r| r.kind == script_kind && r.by == by);
        if (kind == Kind::StyleUnsafeEval && said_for_scripts(Kind::ScriptUnsafeEval))
            || (kind == Kind::InsecureActive && said_for_scripts(Kind::ScriptInsecureScheme))
        {
            continue;
        }
        // One line for the targets that the same directives open (a `default-src`
        // with an http source opens styles, fonts, frames... alike).
        if let Some(same) = reported
            .iter_mut()
            .find(|r| r.kind == kind && r.by == by && kind_merges(kind))
        {
            same.target.push_str(", ");
            same.target.push_str(target);
            continue;
        }
        reported.push(Reported {
            kind,
            target: target.to_string(),
            by,
        });
    }
    // An unrestricted script or plugin directive says it all for its kind.
    if reported.iter().any(|r| r.kind == Kind::ScriptUnrestricted) {
        reported.retain(|r| {
            !matches!(
                r.kind,
                Kind::ScriptUnsafeInline | Kind::ScriptBroadSource | Kind::ScriptInsecureScheme
            ) || r.target != "script-src-elem"
        });
    }

    for e in policies {
        let p = &e.policy;
        if let Some(d) = p.effective("script-src-elem")
            && d.has_keyword(Keyword::StrictDynamic)
            && !d.has_nonce_or_hash()
        {
            reported.push(validity(
                Kind::StrictDynamicWithoutNonce,
                &d.name,
                e,
                shown(d),
            ));
        }
        for name in &p.duplicates {
            reported.push(validity(Kind::DuplicateDirective, name, e, name.clone()));
        }
        for d in p.directives.iter().filter(|d| !d.is_known()) {
            reported.push(validity(Kind::UnknownDirective, &d.name, e, shown(d)));
        }
    }
    reported
}

fn kind_merges(kind: Kind) -> bool {
    matches!(kind, Kind::InsecureActive | Kind::InsecurePassive)
}

fn validity(kind: Kind, target: &str, e: &Enforced, said: String) -> Reported {
    debug_assert!(!kind.is_capability());
    Reported {
        kind,
        target: excerpt(target),
        by: vec![(e.origin, said)],
    }
}

/// Whether every policy lets the capability through: by saying so, or by not
/// restricting that kind of load at all.
fn allowed_by_all(policies: &[&Enforced], kind: Kind, target: &str) -> bool {
    policies.iter().all(|e| {
        directive_for(&e.policy, target).is_none() || explicit(&e.policy, kind, target).is_some()
    })
}

/// The directive that governs `target` in `policy` (fallbacks included; `base-uri` and
/// `form-action` have none).
fn directive_for<'p>(policy: &'p Policy, target: &str) -> Option<&'p Directive> {
    match target {
        "base-uri" | "form-action" => policy.get(target),
        _ => policy.effective(target),
    }
}

/// What `policy` itself says that allows the capability, as `directive sources`; `None`
/// when it does not allow it (or says nothing about `target`).
fn explicit(policy: &Policy, kind: Kind, target: &str) -> Option<String> {
    let Some(d) = directive_for(policy, target) else {
        return match kind {
            Kind::ScriptUnrestricted | Kind::ObjectUnrestricted => {
                Some(format!("no {target} nor a directive it falls back to"))
            }
            Kind::BaseUriUnrestricted => Some("no base-uri".into()),
            _ => None,
        };
    };
    let strict_dynamic = d.has_keyword(Keyword::StrictDynamic);
    let inline_allowed = d.has_keyword(Keyword::UnsafeInline) && !d.has_nonce_or_hash();
    let allows = match kind {
        Kind::ScriptUnrestricted => false,
        // With 'strict-dynamic' (CSP3 §8.2) browsers ignore 'unsafe-inline', 'self'
        // and every host or scheme source: only nonces, hashes and what they load run.
        Kind::ScriptUnsafeInline => inline_allowed && !strict_dynamic,
        Kind::ScriptBroadSource => !strict_dynamic && d.sources.iter().any(is_broad),
        Kind::ScriptInsecureScheme => !strict_dynamic && d.sources.iter().any(is_insecure),
        Kind::ScriptUnsafeEval | Kind::StyleUnsafeEval => d.has_keyword(Keyword::UnsafeEval),
        Kind::ObjectUnrestricted | Kind::FormActionBroad | Kind::BaseUriUnrestricted => {
            d.sources.iter().any(is_broad)
        }
        // Workers are script-like: 'strict-dynamic' ignores scheme sources for them too.
        Kind::InsecureActive if target == "worker-src" && strict_dynamic => false,
        Kind::InsecureActive | Kind::InsecurePassive => d.sources.iter().any(is_insecure),
        Kind::StyleUnsafe => inline_allowed || d.sources.iter().any(is_broad),
        Kind::StrictDynamicWithoutNonce | Kind::DuplicateDirective | Kind::UnknownDirective => {
            false
        }
    };
    allows.then(|| shown(d))
}

/// Whether the scripts `target` governs are trusted by nonce or hash: a `<base>` then
/// decides where such a script with a relative URL comes from.
fn trusts_nonces(policy: &Policy, target: &str) -> bool {
    policy
        .effective(target)
        .is_some_and(Directive::has_nonce_or_hash)
}

/// A directive as a person reads it, bounded.
fn shown(d: &Directive) -> String {
    let sources: Vec<String> = d.sources.iter().map(ToString::to_string).collect();
    excerpt(format!("{} {}", d.name, sources.join(" ")).trim_end())
}

fn shown_policy(p: &Policy) -> String {
    let directives: Vec<String> = p.directives.iter().map(shown).collect();
    directives.join("; ")
}

/// Sources that admit content from (nearly) anyone: `*`, a bare scheme such as
/// `https:` or `data:` (data: is inline code under another name), or a host wildcard
/// with only a scheme (`https://*`). `blob:` and `filesystem:` are exempt: only code
/// already running on the page can mint such URLs.
fn is_broad(source: &Source) -> bool {
    match source {
        Source::Wildcard => true,
        Source::Scheme(s) => s != "blob" && s != "filesystem",
        Source::Host { host, .. } => host == "*",
        _ => false,
    }
}

/// Sources fetched without TLS on an https page. (`http:` also matches https URLs,
/// CSP3 §6.7.2.8, but it still admits the insecure ones.)
fn is_insecure(source: &Source) -> bool {
    matches!(source.scheme(), Some("http" | "ftp" | "ws"))
}

#[cfg(test)]
mod meta_tests;
#[cfg(test)]
mod tests;
