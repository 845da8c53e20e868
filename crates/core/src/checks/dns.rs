//! `dns.*`: DNSSEC of the site's name, CAA against the certificate actually served, the
//! site over IPv6, and name servers over IPv6. Every finding names the record seen and
//! the record to publish ([`RecordAdvice`]).

use crate::dns::caa::{Permission, ca_identities, permission};
use crate::evidence::dns::{DnsEvidence, DnssecStatus, Ipv6Outcome, NsProbe, PageSummary};
use crate::evidence::{Evidence, TlsProbe};
use crate::finding::{Finding, FindingId, RecordAdvice, Severity};

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let Some(dns) = &evidence.dns else {
        return;
    };
    dnssec(dns, out);
    caa(evidence, dns, out);
    ipv6(evidence, dns, out);
    name_servers(dns, out);
}

fn push(out: &mut Vec<Finding>, id: FindingId, severity: Severity, advice: RecordAdvice) {
    out.push(Finding::new(id, severity, advice.to_detail()));
}

/// A DS record as the parent (registrar) publishes it, with placeholders for the key.
fn ds_template(zone: &str) -> String {
    format!("{zone}. IN DS <key tag> 13 2 <SHA-256 digest of the zone's key-signing key>")
}

fn dnssec(dns: &DnsEvidence, out: &mut Vec<Finding>) {
    let name = &dns.dnssec.name;
    let last_steps = |n: usize| -> Vec<String> {
        let trail = &dns.dnssec.trail;
        trail[trail.len().saturating_sub(n)..].to_vec()
    };
    match &dns.dnssec.status {
        DnssecStatus::Secure { .. } => {}
        DnssecStatus::Insecure { at, why } => push(
            out,
            FindingId::DnsDnssecUnsigned,
            Severity::Low,
            RecordAdvice::new(format!("{name} is not signed with DNSSEC from {at} down: {why}"))
                .seen([format!("{at}. IN DS (none at the parent)")])
                .publish([ds_template(at)]),
        ),
        DnssecStatus::Bogus { at, why } => push(
            out,
            FindingId::DnsDnssecBogus,
            Severity::High,
            RecordAdvice::new(format!(
                "DNSSEC validation of {name} fails at {at}: {why}; validating resolvers refuse to answer for it"
            ))
            .seen(last_steps(3))
            .publish([
                format!("{at}. IN RRSIG (fresh signatures over every record set, made by the keys the DS names)"),
                ds_template(at),
            ]),
        ),
        DnssecStatus::Indeterminate { why } => push(
            out,
            FindingId::DnsDnssecUnverified,
            Severity::Info,
            RecordAdvice::new(format!("the DNSSEC status of {name} could not be established: {why}"))
                .seen(last_steps(2)),
        ),
    }
}

/// The served leaf certificate: its URLs (which identify the CA) and whether the name
/// it covers the site by is a wildcard.
fn served_leaf(evidence: &Evidence) -> Option<(Vec<String>, bool)> {
    let chain = match evidence.tls.as_ref()? {
        TlsProbe::Established(session) => &session.chain,
        _ => return None,
    };
    let leaf = chain.first()?;
    let urls: Vec<String> = leaf
        .aia_ocsp
        .iter()
        .chain(&leaf.aia_ca_issuers)
        .chain(&leaf.crl_distribution_points)
        .cloned()
        .collect();
    let host = evidence.host.to_ascii_lowercase();
    let exact = leaf.san_dns.iter().any(|n| n.eq_ignore_ascii_case(&host));
    let wildcard = !exact && leaf.san_dns.iter().any(|n| n.starts_with("*."));
    Some((urls, wildcard))
}

fn caa(evidence: &Evidence, dns: &DnsEvidence, out: &mut Vec<Finding>) {
    let caa = &dns.caa;
    if caa.failure.is_some() {
        return;
    }
    let identities = served_leaf(evidence)
        .map(|(urls, wildcard)| (ca_identities(&urls), wildcard))
        .filter(|(ids, _)| !ids.is_empty());
    let suggested = identities
        .as_ref()
        .and_then(|(ids, _)| ids.first().cloned())
        .unwrap_or_else(|| "<your CA's CAA domain>".to_string());
    let domain = &dns.domain;
    let publish = vec![
        format!("{domain}. IN CAA 0 issue \"{suggested}\""),
        format!("{domain}. IN CAA 0 iodef \"mailto:security@{domain}\""),
    ];
    if caa.records.is_empty() {
        let asked = caa.asked.join(", ");
        push(
            out,
            FindingId::DnsCaaMissing,
            Severity::Info,
            RecordAdvice::new(format!(
                "no CAA record at {asked}: any certificate authority may issue certificates for {}",
                evidence.host
            ))
            .publish(publish),
        );
        return;
    }
    let Some((identities, wildcard)) = identities else {
        return;
    };
    let at = caa.found_at.as_deref().unwrap_or(domain);
    let seen: Vec<String> = caa
        .records
        .iter()
        .map(|r| format!("{at}. IN CAA {}", r.to_text()))
        .collect();
    let why = match permission(&caa.records, &identities, wildcard) {
        Permission::Unrestricted | Permission::Allowed { .. } => return,
        Permission::Refused { listed } if listed.is_empty() => {
            "the CAA records forbid every certificate authority".to_string()
        }
        Permission::Refused { listed } => format!(
            "the CAA records allow only {}, not the authority that issued the served certificate ({})",
            listed.join(", "),
            identities.join(", ")
        ),
        Permission::UnknownCritical { tag } => format!(
            "a critical CAA property `{tag}` that certificate authorities do not know forbids all issuance"
        ),
    };
    push(
        out,
        FindingId::DnsCaaDisallowsIssuer,
        Severity::Medium,
        RecordAdvice::new(format!("{why}; renewing the certificate will be refused"))
            .seen(seen)
            .publish(vec![format!(
                "{at}. IN CAA 0 {} \"{suggested}\"",
                if wildcard { "issuewild" } else { "issue" }
            )]),
    );
}

/// Two answers are the same site when their status agrees and their bodies are equal,
/// or (pages that embed a token or the time) share a title and differ in size by at
/// most a fifth.
pub fn same_page(a: &PageSummary, b: &PageSummary) -> bool {
    if a.status != b.status || a.location != b.location {
        return false;
    }
    if a.body_sha256 == b.body_sha256 {
        return true;
    }
    let (small, large) = (a.body_len.min(b.body_len), a.body_len.max(b.body_len));
    a.title == b.title && small * 5 >= large * 4
}

fn ipv6(evidence: &Evidence, dns: &DnsEvidence, out: &mut Vec<Finding>) {
    let v6 = &dns.ipv6;
    let host = &evidence.host;
    if v6.lookup_failure.is_some() {
        return;
    }
    let seen: Vec<String> = v6
        .addresses
        .iter()
        .map(|a| format!("{host}. IN AAAA {a}"))
        .collect();
    if v6.addresses.is_empty() {
        push(
            out,
            FindingId::DnsIpv6Missing,
            Severity::Info,
            RecordAdvice::new(format!("{host} has no IPv6 address (AAAA record)")).publish([
                format!("{host}. IN AAAA <the web server's public IPv6 address>"),
            ]),
        );
        return;
    }
    let Some(probe) = &v6.probe else {
        return;
    };
    let unreachable = |why: String, out: &mut Vec<Finding>| {
        push(
            out,
            FindingId::DnsIpv6Unreachable,
            Severity::Medium,
            RecordAdvice::new(why).seen(seen.clone()).publish([format!(
                "{host}. IN AAAA <an IPv6 address where the site answers>"
            )]),
        )
    };
    match &probe.outcome {
        Ipv6Outcome::Refused => unreachable(
            format!(
                "the AAAA record of {host} points to {}, which is not a public address",
                probe.address
            ),
            out,
        ),
        Ipv6Outcome::Failed { message } => unreachable(
            format!("the site does not answer over IPv6 at {}: {message}", probe.address),
            out,
        ),
        Ipv6Outcome::Answered { v6, v4: Some(v4) } if !same_page(v4, v6) => push(
            out,
            FindingId::DnsIpv6DifferentContent,
            Severity::Medium,
            RecordAdvice::new(format!(
                "over IPv6 ({}) the home page answers {} ({} bytes, title {:?}), over IPv4 {} ({} bytes, title {:?})",
                probe.address, v6.status, v6.body_len, v6.title, v4.status, v4.body_len, v4.title
            ))
            .seen(seen.clone())
            .publish([format!("{host}. IN AAAA <the address of the server that serves the site over IPv4>")]),
        ),
        Ipv6Outcome::Answered { .. } => {}
    }
}

fn name_servers(dns: &DnsEvidence, out: &mut Vec<Finding>) {
    let ns = &dns.name_servers;
    if ns.failure.is_some() || ns.servers.is_empty() {
        return;
    }
    if ns
        .servers
        .iter()
        .any(|s| s.ipv6_probe.as_ref().is_some_and(NsProbe::answered))
    {
        return;
    }
    let seen: Vec<String> = ns
        .servers
        .iter()
        .flat_map(|s| {
            let mut lines = vec![format!("{}. IN NS {}.", ns.zone, s.name)];
            lines.extend(s.ipv6.iter().map(|a| format!("{}. IN AAAA {a}", s.name)));
            if let Some(NsProbe::Failed { address, message }) = &s.ipv6_probe {
                lines.push(format!("({address} did not answer: {message})"));
            }
            lines
        })
        .collect();
    let first = &ns.servers[0].name;
    push(
        out,
        FindingId::DnsNsNoIpv6,
        Severity::Info,
        RecordAdvice::new(format!(
            "no name server of {} answers over IPv6: IPv6-only resolvers cannot look the domain up",
            ns.zone
        ))
        .seen(seen)
        .publish([format!(
            "{first}. IN AAAA <an IPv6 address where this name server answers>"
        )]),
    );
}
