//! SPF (RFC 7208): the record's grammar, and its effective policy, that is what a
//! receiver concludes for mail from an address the owner never authorised. That is the
//! question a site owner needs answered: can anyone send mail in my name?
//!
//! Parsing is total (a record is either terms or a reason it is a permanent error), and
//! evaluation works over records already fetched (the collector follows `include:` and
//! `redirect=` with bounds, this module decides which names it needs).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// RFC 7208 §4.6.4: at most ten mechanisms and modifiers that cause DNS lookups.
pub const LOOKUP_LIMIT: usize = 10;
/// How deep `include:` and `redirect=` are followed (beyond the lookup limit they are a
/// permanent error anyway; this bounds a hostile loop).
pub const MAX_DEPTH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn symbol(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(String),
    A {
        domain: Option<String>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Mx {
        domain: Option<String>,
        cidr4: Option<u8>,
        cidr6: Option<u8>,
    },
    Ptr(Option<String>),
    Ip {
        network: IpAddr,
        prefix: u8,
    },
    Exists(String),
}

impl Mechanism {
    /// Whether evaluating it costs a DNS lookup (RFC 7208 §4.6.4).
    fn costs_lookup(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

/// A parsed `v=spf1` record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpfRecord {
    pub directives: Vec<Directive>,
    pub redirect: Option<String>,
    pub exp: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpfSyntaxError {
    #[error("the record does not start with `v=spf1`")]
    NotSpf,
    #[error("unknown mechanism `{0}`")]
    UnknownMechanism(String),
    #[error("`{0}` is not a valid term")]
    BadTerm(String),
    #[error("`{term}`: {reason}")]
    BadArgument { term: String, reason: String },
    #[error("the `{0}` modifier appears more than once")]
    DuplicateModifier(&'static str),
}

/// True for a TXT string that is an SPF record (`v=spf1` alone or followed by a space).
pub fn is_spf(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// Parses one record.
pub fn parse(text: &str) -> Result<SpfRecord, SpfSyntaxError> {
    let mut terms = text.split_ascii_whitespace();
    match terms.next() {
        Some(v) if v.eq_ignore_ascii_case("v=spf1") => {}
        _ => return Err(SpfSyntaxError::NotSpf),
    }
    let mut record = SpfRecord::default();
    for term in terms {
        parse_term(term, &mut record)?;
    }
    Ok(record)
}

fn parse_term(term: &str, record: &mut SpfRecord) -> Result<(), SpfSyntaxError> {
    let bad = |reason: &str| SpfSyntaxError::BadArgument {
        term: term.to_string(),
        reason: reason.to_string(),
    };
    // A modifier: name "=" value, the name starting with a letter.
    if let Some((name, value)) = term.split_once('=') {
        let name_ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if name_ok && !name.contains(':') && !name.contains('/') {
            match name.to_ascii_lowercase().as_str() {
                "redirect" => {
                    if record.redirect.is_some() {
                        return Err(SpfSyntaxError::DuplicateModifier("redirect"));
                    }
                    check_domain_spec(value).map_err(|r| bad(&r))?;
                    record.redirect = Some(value.to_string());
                }
                "exp" => {
                    if record.exp.is_some() {
                        return Err(SpfSyntaxError::DuplicateModifier("exp"));
                    }
                    check_domain_spec(value).map_err(|r| bad(&r))?;
                    record.exp = Some(value.to_string());
                }
                // Unknown modifiers are ignored (RFC 7208 §6), but must be well formed.
                _ => check_macro_string(value).map_err(|r| bad(&r))?,
            }
            return Ok(());
        }
    }
    let (qualifier, rest) = match term.chars().next() {
        Some('+') => (Qualifier::Pass, &term[1..]),
        Some('-') => (Qualifier::Fail, &term[1..]),
        Some('~') => (Qualifier::SoftFail, &term[1..]),
        Some('?') => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let (name, arg) = match rest.find([':', '/']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let colon_arg = |arg: Option<&str>| -> Result<Option<String>, SpfSyntaxError> {
        match arg {
            None => Ok(None),
            Some(a) => match a.strip_prefix(':') {
                Some(spec) => Ok(Some(spec.to_string())),
                None => Err(bad("expected `:`")),
            },
        }
    };
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" => {
            if arg.is_some() {
                return Err(bad("`all` takes no argument"));
            }
            Mechanism::All
        }
        "include" | "exists" => {
            let spec = colon_arg(arg)?.ok_or_else(|| bad("a domain is required"))?;
            check_domain_spec(&spec).map_err(|r| bad(&r))?;
            if name.eq_ignore_ascii_case("include") {
                Mechanism::Include(spec)
            } else {
                Mechanism::Exists(spec)
            }
        }
        "a" | "mx" => {
            let (domain, cidr4, cidr6) = domain_and_cidrs(arg).map_err(|r| bad(&r))?;
            if let Some(d) = &domain {
                check_domain_spec(d).map_err(|r| bad(&r))?;
            }
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => {
            let domain = colon_arg(arg)?;
            if let Some(d) = &domain {
                check_domain_spec(d).map_err(|r| bad(&r))?;
            }
            Mechanism::Ptr(domain)
        }
        "ip4" | "ip6" => {
            let value = colon_arg(arg)?.ok_or_else(|| bad("an address is required"))?;
            let (addr, prefix) = match value.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (value.as_str(), None),
            };
            let v4 = name.eq_ignore_ascii_case("ip4");
            let network: IpAddr = if v4 {
                addr.parse::<std::net::Ipv4Addr>()
                    .map(IpAddr::V4)
                    .map_err(|_| bad("not an IPv4 address"))?
            } else {
                addr.parse::<std::net::Ipv6Addr>()
                    .map(IpAddr::V6)
                    .map_err(|_| bad("not an IPv6 address"))?
            };
            let max = if v4 { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => parse_cidr(p, max).map_err(|r| bad(&r))?,
            };
            Mechanism::Ip { network, prefix }
        }
        _ => {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(SpfSyntaxError::BadTerm(term.to_string()));
            }
            return Err(SpfSyntaxError::UnknownMechanism(name.to_string()));
        }
    };
    record.directives.push(Directive {
        qualifier,
        mechanism,
    });
    Ok(())
}

fn parse_cidr(text: &str, max: u8) -> Result<u8, String> {
    // RFC 7208 §5.6: no leading zeros, within the address length.
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return Err(format!("`/{text}` is not a prefix length"));
    }
    match text.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("`/{text}` is not a prefix length up to {max}")),
    }
}

/// `[:domain][/cidr4][//cidr6]` of `a` and `mx`.
type DomainCidrs = (Option<String>, Option<u8>, Option<u8>);

fn domain_and_cidrs(arg: Option<&str>) -> Result<DomainCidrs, String> {
    let Some(arg) = arg else {
        return Ok((None, None, None));
    };
    let (domain, cidrs) = match arg.strip_prefix(':') {
        Some(rest) => match rest.find('/') {
            Some(i) => (Some(rest[..i].to_string()), &rest[i..]),
            None => (Some(rest.to_string()), ""),
        },
        None => (None, arg),
    };
    let (mut cidr4, mut cidr6) = (None, None);
    if let Some(six) = cidrs.strip_prefix("//") {
        cidr6 = Some(parse_cidr(six, 128)?);
    } else if let Some(rest) = cidrs.strip_prefix('/') {
        match rest.split_once("//") {
            Some((four, six)) => {
                cidr4 = Some(parse_cidr(four, 32)?);
                cidr6 = Some(parse_cidr(six, 128)?);
            }
            None => cidr4 = Some(parse_cidr(rest, 32)?),
        }
    } else if !cidrs.is_empty() {
        return Err("bad prefix length".into());
    }
    Ok((domain, cidr4, cidr6))
}

/// RFC 7208 §7.1 macro-string: literal characters and `%{letter digits r delimiters}`,
/// `%%`, `%_`, `%-`.
fn check_macro_string(text: &str) -> Result<(), String> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '%' => match chars.next() {
                Some('%' | '_' | '-') => {}
                Some('{') => {
                    let letter = chars.next().ok_or("unterminated macro")?;
                    if !"slodiphcrtvSLODIPHCRTV".contains(letter) {
                        return Err(format!("unknown macro letter `{letter}`"));
                    }
                    let mut body = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(x) => body.push(x),
                            None => return Err("unterminated macro".into()),
                        }
                    }
                    let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
                    let rest = &body[digits.len()..];
                    let rest = rest.strip_prefix(['r', 'R']).unwrap_or(rest);
                    if !rest.chars().all(|c| ".-+,/_=".contains(c)) {
                        return Err(format!("bad macro transformer `{body}`"));
                    }
                }
                _ => return Err("a `%` must start a macro".into()),
            },
            '\x21'..='\x7e' => {}
            other => return Err(format!("character {other:?} is not allowed")),
        }
    }
    Ok(())
}

/// A domain-spec: a macro-string that, macros aside, ends in a plausible domain.
fn check_domain_spec(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("empty domain".into());
    }
    check_macro_string(text)?;
    if !text.contains('%') {
        let trimmed = text.trim_end_matches('.');
        let labels: Vec<&str> = trimmed.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
            return Err(format!("`{text}` is not a domain name"));
        }
    }
    Ok(())
}

/// Whether a domain-spec names a fixed domain (after `%{d}`, the current domain), and
/// which: macros that depend on the sender make the name unknowable in advance.
pub fn expand_static(spec: &str, current: &str) -> Option<String> {
    let replaced = spec.replace("%{d}", current).replace("%{D}", current);
    (!replaced.contains('%')).then(|| replaced.trim_end_matches('.').to_ascii_lowercase())
}

/// What fetching one domain's SPF record gave (the collector fills these).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Fetched {
    /// Every TXT record that starts with `v=spf1`, each with its strings joined.
    Records { records: Vec<String> },
    /// The name exists but has no SPF record, or does not exist.
    None,
    /// The lookup failed (timeout, SERVFAIL).
    Failed { reason: String },
}

/// The effective policy for mail from an address the record never named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Policy {
    /// `-all`, `~all`, `?all` or `+all` (or the neutral default when nothing matched),
    /// possibly reached through `include:` or `redirect=`.
    Qualified {
        qualifier: Qualifier,
        /// The term that decided, e.g. `-all` or `include:x` (whose record passes all).
        decided_by: String,
    },
    /// No SPF record.
    None,
    /// A permanent error: receivers treat the record as broken.
    PermError { reason: String },
    /// A lookup failed: receivers would try again later.
    TempError { reason: String },
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Qualified {
                qualifier,
                decided_by,
            } => write!(f, "{qualifier:?} (decided by `{decided_by}`)"),
            Policy::None => f.write_str("no SPF record"),
            Policy::PermError { reason } => write!(f, "permanent error: {reason}"),
            Policy::TempError { reason } => write!(f, "temporary error: {reason}"),
        }
    }
}

/// The whole evaluation, for the evidence and the findings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    pub policy: Policy,
    /// DNS lookups the record set costs, counted over every record reachable through
    /// `include:` and `redirect=` (what RFC 7208's limit of ten applies to).
    pub lookups: usize,
    /// The top-level record text, when there was exactly one.
    pub record: Option<String>,
    /// Notes that do not change the policy (an `ip4:` range of a /8, `ptr`...).
    pub warnings: Vec<String>,
}

/// Evaluates `domain`'s SPF over `fetched` (keyed by lower-case domain). A domain the
/// map lacks is a temporary error: the collector stopped before fetching it.
pub fn evaluate(domain: &str, fetched: &BTreeMap<String, Fetched>) -> Evaluation {
    let mut state = EvalState {
        fetched,
        lookups: 0,
        warnings: Vec::new(),
        counted: std::collections::BTreeSet::new(),
    };
    let domain = domain.to_ascii_lowercase();
    let record = match fetched.get(&domain) {
        Some(Fetched::Records { records }) if records.len() == 1 => Some(records[0].clone()),
        _ => None,
    };
    let top = state.check_host(&domain, 0);
    let policy = match top {
        Ok(Some(policy)) => policy,
        Ok(None) => Policy::None,
        Err(policy) => policy,
    };
    let policy = if state.lookups > LOOKUP_LIMIT && !matches!(policy, Policy::None) {
        Policy::PermError {
            reason: format!(
                "{} DNS lookups, more than the limit of {LOOKUP_LIMIT} (RFC 7208 §4.6.4)",
                state.lookups
            ),
        }
    } else {
        policy
    };
    Evaluation {
        policy,
        lookups: state.lookups,
        record,
        warnings: state.warnings,
    }
}

/// Every domain whose SPF record the evaluation of `domain` needs, given what is known so
/// far: the collector fetches these until the list stops growing (or a bound is hit).
pub fn wanted(domain: &str, fetched: &BTreeMap<String, Fetched>) -> Vec<String> {
    let mut wanted = Vec::new();
    let mut stack = vec![(domain.to_ascii_lowercase(), 0usize)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((name, depth)) = stack.pop() {
        if !seen.insert(name.clone()) || depth > MAX_DEPTH {
            continue;
        }
        match fetched.get(&name) {
            None => wanted.push(name),
            Some(Fetched::Records { records }) if records.len() == 1 => {
                if let Ok(record) = parse(&records[0]) {
                    for next in targets(&record, &name) {
                        stack.push((next, depth + 1));
                    }
                }
            }
            Some(_) => {}
        }
    }
    wanted
}

/// The domains a record's `include:` and `redirect=` name (those that can be known).
fn targets(record: &SpfRecord, current: &str) -> Vec<String> {
    let mut out: Vec<String> = record
        .directives
        .iter()
        .filter_map(|d| match &d.mechanism {
            Mechanism::Include(spec) => expand_static(spec, current),
            _ => None,
        })
        .collect();
    let has_all = record
        .directives
        .iter()
        .any(|d| d.mechanism == Mechanism::All);
    if let (Some(spec), false) = (&record.redirect, has_all) {
        out.extend(expand_static(spec, current));
    }
    out
}

struct EvalState<'a> {
    fetched: &'a BTreeMap<String, Fetched>,
    lookups: usize,
    warnings: Vec<String>,
    /// Records whose lookups were counted (each record once, as tools count them).
    counted: std::collections::BTreeSet<String>,
}

impl EvalState<'_> {
    /// RFC 7208 check_host() for a sender address nobody authorised: `Ok(None)` when the
    /// domain has no record, `Err` for errors that end the evaluation.
    fn check_host(&mut self, domain: &str, depth: usize) -> Result<Option<Policy>, Policy> {
        if depth > MAX_DEPTH {
            return Err(Policy::PermError {
                reason: format!("include/redirect nested more than {MAX_DEPTH} deep"),
            });
        }
        let record_text = match self.fetched.get(domain) {
            None => {
                return Err(Policy::TempError {
                    reason: format!("the SPF record of {domain} was not fetched"),
                });
            }
            Some(Fetched::Failed { reason }) => {
                return Err(Policy::TempError {
                    reason: format!("{domain}: {reason}"),
                });
            }
            Some(Fetched::None) => return Ok(None),
            Some(Fetched::Records { records }) if records.len() > 1 => {
                return Err(Policy::PermError {
                    reason: format!(
                        "{domain} has {} SPF records; only one is allowed",
                        records.len()
                    ),
                });
            }
            Some(Fetched::Records { records }) => match records.first() {
                Some(text) => text.clone(),
                None => return Ok(None),
            },
        };
        let record = parse(&record_text).map_err(|e| Policy::PermError {
            reason: format!("{domain}: {e}"),
        })?;
        let has_all = record
            .directives
            .iter()
            .any(|d| d.mechanism == Mechanism::All);
        if self.counted.insert(domain.to_string()) {
            self.lookups += record
                .directives
                .iter()
                .filter(|d| d.mechanism.costs_lookup())
                .count();
            if record.redirect.is_some() && !has_all {
                self.lookups += 1;
            }
        }
        for directive in &record.directives {
            match &directive.mechanism {
                Mechanism::All => {
                    return Ok(Some(Policy::Qualified {
                        qualifier: directive.qualifier,
                        decided_by: term_text(directive, domain),
                    }));
                }
                Mechanism::Ip { network, prefix } => {
                    let broad = match network {
                        IpAddr::V4(_) => *prefix <= 8,
                        IpAddr::V6(_) => *prefix <= 16,
                    };
                    if *prefix == 0 {
                        return Ok(Some(Policy::Qualified {
                            qualifier: directive.qualifier,
                            decided_by: term_text(directive, domain),
                        }));
                    }
                    if broad && directive.qualifier == Qualifier::Pass {
                        self.warnings.push(format!(
                            "{domain}: `{}` authorises a very large address range",
                            term_text(directive, domain)
                        ));
                    }
                }
                Mechanism::Include(spec) => {
                    let Some(target) = expand_static(spec, domain) else {
                        self.warnings.push(format!(
                            "{domain}: `include:{spec}` depends on the sender and was not followed"
                        ));
                        continue;
                    };
                    match self.check_host(&target, depth + 1)? {
                        // RFC 7208 §5.2: an included domain without a record is an error.
                        None => {
                            return Err(Policy::PermError {
                                reason: format!(
                                    "{domain}: `include:{target}` names a domain without an SPF record"
                                ),
                            });
                        }
                        Some(Policy::Qualified {
                            qualifier: Qualifier::Pass,
                            ..
                        }) => {
                            return Ok(Some(Policy::Qualified {
                                qualifier: directive.qualifier,
                                decided_by: format!(
                                    "{} (whose record passes any sender)",
                                    term_text(directive, domain)
                                ),
                            }));
                        }
                        Some(err @ (Policy::PermError { .. } | Policy::TempError { .. })) => {
                            return Err(err);
                        }
                        Some(_) => {}
                    }
                }
                Mechanism::Ptr(_) => self.warnings.push(format!(
                    "{domain}: `ptr` is slow and unreliable and should not be used (RFC 7208 §5.5)"
                )),
                Mechanism::A { .. } | Mechanism::Mx { .. } | Mechanism::Exists(_) => {}
            }
        }
        if let (Some(spec), false) = (&record.redirect, has_all) {
            let Some(target) = expand_static(spec, domain) else {
                return Err(Policy::TempError {
                    reason: format!("{domain}: `redirect={spec}` depends on the sender"),
                });
            };
            return match self.check_host(&target, depth + 1)? {
                None => Err(Policy::PermError {
                    reason: format!(
                        "{domain}: `redirect={target}` names a domain without an SPF record"
                    ),
                }),
                Some(Policy::Qualified {
                    qualifier,
                    decided_by,
                }) => Ok(Some(Policy::Qualified {
                    qualifier,
                    decided_by: format!("redirect={target}: {decided_by}"),
                })),
                Some(other) => Err(other),
            };
        }
        Ok(Some(Policy::Qualified {
            qualifier: Qualifier::Neutral,
            decided_by: format!("{domain}: no `all` term (the default is neutral)"),
        }))
    }
}

fn term_text(directive: &Directive, domain: &str) -> String {
    let q = match directive.qualifier {
        Qualifier::Pass => String::new(),
        other => other.symbol().to_string(),
    };
    let body = match &directive.mechanism {
        Mechanism::All => "all".to_string(),
        Mechanism::Include(spec) => format!("include:{spec}"),
        Mechanism::Ip { network, prefix } => match network {
            IpAddr::V4(a) => format!("ip4:{a}/{prefix}"),
            IpAddr::V6(a) => format!("ip6:{a}/{prefix}"),
        },
        other => format!("{other:?}"),
    };
    if domain.is_empty() {
        format!("{q}{body}")
    } else {
        format!("{q}{body} in {domain}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &[&str])]) -> BTreeMap<String, Fetched> {
        entries
            .iter()
            .map(|(d, records)| {
                let value = if records.is_empty() {
                    Fetched::None
                } else {
                    Fetched::Records {
                        records: records.iter().map(|r| r.to_string()).collect(),
                    }
                };
                (d.to_string(), value)
            })
            .collect()
    }

    fn qualifier(e: &Evaluation) -> Option<Qualifier> {
        match &e.policy {
            Policy::Qualified { qualifier, .. } => Some(*qualifier),
            _ => None,
        }
    }

    #[test]
    fn the_grammar_accepts_rfc_examples_and_refuses_errors() {
        for ok in [
            "v=spf1 -all",
            "v=spf1 +mx a:colo.example.com/28 -all",
            "v=spf1 a/24//64 mx:mail.example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all",
            "v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d} ?all",
            "v=spf1 redirect=_spf.example.com",
            "V=SPF1 PTR:example.com Include:X.example.com -ALL",
            "v=spf1 foo=bar%{d} -all",
            "v=spf1",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        for bad in [
            "v=spf2 -all",
            "v=spf1 -all foo",
            "v=spf1 ip4:300.1.1.1 -all",
            "v=spf1 ip4:192.0.2.0/33",
            "v=spf1 ip4:192.0.2.0/08",
            "v=spf1 include -all",
            "v=spf1 include:%{x}.example.com",
            "v=spf1 redirect=a.example redirect=b.example",
            "v=spf1 all:foo",
            "v=spf1 a:example",
        ] {
            assert!(parse(bad).is_err(), "{bad} must be refused");
        }
        assert!(is_spf("v=spf1 -all") && is_spf("v=spf1") && !is_spf("v=spf10 -all"));
    }

    #[test]
    fn the_effective_policy_follows_includes_and_redirects() {
        let fetched = map(&[
            ("example.vn", &["v=spf1 mx include:_spf.mail.example -all"]),
            ("_spf.mail.example", &["v=spf1 ip4:192.0.2.0/24 ~all"]),
        ]);
        let e = evaluate("example.vn", &fetched);
        assert_eq!(qualifier(&e), Some(Qualifier::Fail));
        assert_eq!(e.lookups, 2);
        let open = map(&[
            ("open.vn", &["v=spf1 include:lax.example -all"]),
            ("lax.example", &["v=spf1 +all"]),
        ]);
        let e = evaluate("open.vn", &open);
        assert_eq!(qualifier(&e), Some(Qualifier::Pass), "{e:?}");
        let redirected = map(&[
            ("r.vn", &["v=spf1 mx redirect=_spf.r.vn"]),
            ("_spf.r.vn", &["v=spf1 ~all"]),
        ]);
        assert_eq!(
            qualifier(&evaluate("r.vn", &redirected)),
            Some(Qualifier::SoftFail)
        );
        let bare = map(&[("n.vn", &["v=spf1 mx"])]);
        assert_eq!(
            qualifier(&evaluate("n.vn", &bare)),
            Some(Qualifier::Neutral)
        );
        let everyone = map(&[("w.vn", &["v=spf1 ip4:0.0.0.0/0 -all"])]);
        assert_eq!(
            qualifier(&evaluate("w.vn", &everyone)),
            Some(Qualifier::Pass)
        );
        assert_eq!(
            evaluate("none.vn", &map(&[("none.vn", &[])])).policy,
            Policy::None
        );
    }

    #[test]
    fn errors_are_permanent_or_temporary_as_rfc_7208_says() {
        let two = map(&[("d.vn", &["v=spf1 -all", "v=spf1 ~all"])]);
        assert!(matches!(
            evaluate("d.vn", &two).policy,
            Policy::PermError { .. }
        ));
        let missing_include = map(&[
            ("d.vn", &["v=spf1 include:gone.example -all"]),
            ("gone.example", &[]),
        ]);
        assert!(matches!(
            evaluate("d.vn", &missing_include).policy,
            Policy::PermError { .. }
        ));
        let unfetched = map(&[("d.vn", &["v=spf1 include:far.example -all"])]);
        assert!(matches!(
            evaluate("d.vn", &unfetched).policy,
            Policy::TempError { .. }
        ));
        assert_eq!(wanted("d.vn", &unfetched), vec!["far.example".to_string()]);
        // Eleven lookups through includes.
        let mut entries: Vec<(String, Vec<String>)> = vec![(
            "many.vn".into(),
            vec!["v=spf1 include:i1.example include:i2.example -all".into()],
        )];
        entries.push((
            "i1.example".into(),
            vec!["v=spf1 a mx a:x.example mx:x.example ptr -all".into()],
        ));
        entries.push((
            "i2.example".into(),
            vec!["v=spf1 a mx a:y.example mx:y.example exists:z.example -all".into()],
        ));
        let fetched: BTreeMap<String, Fetched> = entries
            .into_iter()
            .map(|(d, r)| (d, Fetched::Records { records: r }))
            .collect();
        let e = evaluate("many.vn", &fetched);
        assert_eq!(e.lookups, 12);
        assert!(
            matches!(&e.policy, Policy::PermError { reason } if reason.contains("12 DNS lookups"))
        );
        // A loop is bounded.
        let looped = map(&[
            ("a.vn", &["v=spf1 include:b.vn -all"]),
            ("b.vn", &["v=spf1 include:a.vn -all"]),
        ]);
        assert!(matches!(
            evaluate("a.vn", &looped).policy,
            Policy::PermError { .. }
        ));
    }
}
