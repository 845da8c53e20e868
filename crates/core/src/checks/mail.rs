//! `mail.*`: who may send mail in the domain's name (SPF, DMARC) and how mail reaches it
//! (MX, STARTTLS with a valid certificate, DANE, MTA-STS, TLS-RPT). A domain that sends
//! and receives no mail (null MX) needs only SPF `-all` and DMARC `p=reject`.

use crate::dns::tlsa::{TlsaMatch, parse_tlsa_text, tlsa_match};
use crate::evidence::Evidence;
use crate::evidence::mail::{MailEvidence, MxServer, PolicyFetch, SmtpOutcome, SmtpStage};
use crate::finding::{Finding, FindingId, RecordAdvice, Severity};
use crate::mail::dmarc::{self, Disposition};
use crate::mail::spf::{self, Policy, Qualifier};
use crate::mail::{mta_sts, tlsrpt};

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let Some(mail) = &evidence.mail else {
        return;
    };
    let receives = !mail.mx.records.is_empty() && !mail.mx.is_null();
    spf_findings(mail, receives, out);
    dmarc_findings(mail, out);
    mx_findings(mail, out);
    if receives {
        for server in &mail.servers {
            server_findings(mail, server, out);
        }
        mta_sts_findings(mail, out);
        tlsrpt_findings(mail, out);
    }
}

fn push(out: &mut Vec<Finding>, id: FindingId, severity: Severity, advice: RecordAdvice) {
    out.push(Finding::new(id, severity, advice.to_detail()));
}

fn txt(name: &str, text: &str) -> String {
    format!("{name}. IN TXT \"{}\"", text.replace('"', "\\\""))
}

/// The SPF record to publish: only the domain's MX when it receives mail (the usual
/// outbound path of a small organisation; a mail provider's `include:` goes before
/// `-all`), nothing at all when it does not.
fn spf_to_publish(domain: &str, receives: bool) -> String {
    if receives {
        txt(domain, "v=spf1 mx -all")
    } else {
        txt(domain, "v=spf1 -all")
    }
}

fn spf_findings(mail: &MailEvidence, receives: bool, out: &mut Vec<Finding>) {
    let domain = &mail.domain;
    let evaluation = spf::evaluate(domain, &mail.spf.fetched);
    let seen: Vec<String> = match mail.spf.fetched.get(domain) {
        Some(spf::Fetched::Records { records }) => records.iter().map(|r| txt(domain, r)).collect(),
        _ => vec![],
    };
    let publish = spf_to_publish(domain, receives);
    let advice = |summary: String| {
        RecordAdvice::new(summary)
            .seen(seen.clone())
            .publish([publish.clone()])
    };
    match &evaluation.policy {
        Policy::None => push(
            out,
            FindingId::MailSpfMissing,
            Severity::Medium,
            advice(format!(
                "{domain} has no SPF record: receivers cannot tell its mail servers from anyone else"
            )),
        ),
        Policy::PermError { reason } if evaluation.lookups > spf::LOOKUP_LIMIT => push(
            out,
            FindingId::MailSpfLookupLimit,
            Severity::Medium,
            advice(format!(
                "the SPF record of {domain} is a permanent error: {reason}"
            )),
        ),
        Policy::PermError { reason } => push(
            out,
            FindingId::MailSpfInvalid,
            Severity::Medium,
            advice(format!(
                "the SPF record of {domain} is a permanent error: {reason}"
            )),
        ),
        Policy::TempError { reason } if mail.spf.truncated => push(
            out,
            FindingId::MailSpfLookupLimit,
            Severity::Medium,
            advice(format!(
                "the SPF record of {domain} includes more records than receivers follow ({reason})"
            )),
        ),
        Policy::TempError { .. } => {}
        Policy::Qualified {
            qualifier: Qualifier::Pass,
            decided_by,
        } => push(
            out,
            FindingId::MailSpfAllowAll,
            Severity::High,
            advice(format!(
                "the SPF record of {domain} lets any server send mail as {domain} ({decided_by})"
            )),
        ),
        Policy::Qualified {
            qualifier: Qualifier::Neutral,
            decided_by,
        } => push(
            out,
            FindingId::MailSpfWeak,
            Severity::Low,
            advice(format!(
                "the SPF record of {domain} says nothing about servers it does not list ({decided_by}): end it with `-all`"
            )),
        ),
        Policy::Qualified { .. } => {}
    }
}

fn dmarc_findings(mail: &MailEvidence, out: &mut Vec<Finding>) {
    let lookup = &mail.dmarc;
    if lookup.failure.is_some() {
        return;
    }
    let name = &lookup.name;
    let seen: Vec<String> = lookup.records.iter().map(|r| txt(name, r)).collect();
    let publish = dmarc::recommended(&mail.domain);
    let advice = |summary: String| {
        RecordAdvice::new(summary)
            .seen(seen.clone())
            .publish([publish.clone()])
    };
    let record = match lookup.records.as_slice() {
        [] => {
            return push(
                out,
                FindingId::MailDmarcMissing,
                Severity::Medium,
                advice(format!(
                    "no DMARC record at {name}: receivers are not asked to refuse mail forged in the name of {}",
                    mail.domain
                )),
            );
        }
        [one] => one,
        many => {
            return push(
                out,
                FindingId::MailDmarcInvalid,
                Severity::Medium,
                advice(format!(
                    "{name} has {} DMARC records; receivers ignore them all (RFC 7489 §6.6.3)",
                    many.len()
                )),
            );
        }
    };
    match dmarc::parse(record) {
        Err(e) => push(
            out,
            FindingId::MailDmarcInvalid,
            Severity::Medium,
            advice(format!("the DMARC record at {name} is invalid: {e}")),
        ),
        Ok(d) if !d.fully_enforced() => {
            let mut weak = Vec::new();
            if d.policy == Disposition::None {
                weak.push("p=none only monitors".to_string());
            }
            if let Some(Disposition::None) = d.subdomain_policy {
                if d.policy.enforces() {
                    weak.push("sp=none leaves subdomains unprotected".to_string());
                }
            }
            if d.percent < 100 {
                weak.push(format!(
                    "pct={} applies the policy to part of the mail only",
                    d.percent
                ));
            }
            push(
                out,
                FindingId::MailDmarcNotEnforcing,
                Severity::Low,
                advice(format!(
                    "the DMARC policy of {} is not enforced: {}",
                    mail.domain,
                    weak.join("; ")
                )),
            );
        }
        Ok(_) => {}
    }
}

fn mx_findings(mail: &MailEvidence, out: &mut Vec<Finding>) {
    let domain = &mail.domain;
    if mail.mx.failure.is_some() || !mail.mx.records.is_empty() {
        return;
    }
    push(
        out,
        FindingId::MailMxMissing,
        Severity::Info,
        RecordAdvice::new(format!(
            "{domain} has no MX record: mail to it goes to its web server's address; a domain that receives no mail says so with a null MX (RFC 7505)"
        ))
        .publish([
            format!("{domain}. IN MX 0 .   (receives no mail)"),
            format!("{domain}. IN MX 10 <your mail server>.   (receives mail)"),
        ]),
    );
}

fn mx_line(mail: &MailEvidence, server: &MxServer) -> String {
    format!(
        "{}. IN MX {} {}.",
        mail.domain, server.preference, server.host
    )
}

fn server_findings(mail: &MailEvidence, server: &MxServer, out: &mut Vec<Finding>) {
    let host = &server.host;
    let seen_mx = mx_line(mail, server);
    let advice = |summary: String, also: Vec<String>| {
        let mut seen = vec![seen_mx.clone()];
        seen.extend(also);
        RecordAdvice::new(summary).seen(seen)
    };
    match &server.smtp {
        SmtpOutcome::NotProbed { reason } => push(
            out,
            FindingId::MailMxUnreachable,
            Severity::Medium,
            advice(
                format!("mail server {host} was not reached: {reason}"),
                vec![],
            ),
        ),
        SmtpOutcome::ConnectFailed { address, message } => push(
            out,
            FindingId::MailMxUnreachable,
            Severity::Medium,
            advice(
                format!(
                    "mail server {host} ({address}) does not accept connections on port 25: {message}"
                ),
                vec![],
            ),
        ),
        SmtpOutcome::Broken {
            address,
            stage,
            message,
            timed_out,
            last_reply,
        } => {
            let when = match stage {
                SmtpStage::Greeting => "before its greeting",
                SmtpStage::Ehlo => "at EHLO",
                SmtpStage::Starttls => "at STARTTLS",
            };
            let how = if *timed_out {
                "stopped answering"
            } else {
                "broke off"
            };
            push(
                out,
                FindingId::MailStarttlsFailed,
                Severity::Medium,
                advice(
                    format!("mail server {host} ({address}) {how} {when}: {message}"),
                    last_reply
                        .iter()
                        .map(|r| format!("server said: {r}"))
                        .collect(),
                ),
            );
        }
        SmtpOutcome::NoStarttls { address, ehlo } => push(
            out,
            FindingId::MailStarttlsMissing,
            Severity::Medium,
            advice(
                format!(
                    "mail server {host} ({address}) does not offer STARTTLS: mail to {} travels unencrypted",
                    mail.domain
                ),
                vec![format!("EHLO answer: {}", ehlo.join(" | "))],
            ),
        ),
        SmtpOutcome::TlsFailed {
            address,
            message,
            version_refused: true,
            ..
        } => push(
            out,
            FindingId::MailStarttlsTlsOutdated,
            Severity::Medium,
            advice(
                format!("mail server {host} ({address}) refuses TLS 1.2 and TLS 1.3: {message}"),
                vec![],
            ),
        ),
        SmtpOutcome::TlsFailed {
            address,
            message,
            timed_out,
            ..
        } => push(
            out,
            FindingId::MailStarttlsFailed,
            Severity::Medium,
            advice(
                format!(
                    "mail server {host} ({address}) offers STARTTLS but the TLS handshake {}: {message}",
                    if *timed_out {
                        "never finished"
                    } else {
                        "failed"
                    }
                ),
                vec![],
            ),
        ),
        // RFC 7672 §3.1.1: a DANE-EE record that matches the server's key authenticates
        // it whatever its names and dates say, and DANE-aware senders check nothing else.
        SmtpOutcome::Tls {
            verification: Some(_),
            ..
        } if dane_ee_authenticates(server) => {}
        SmtpOutcome::Tls {
            address,
            verification: Some(error),
            chain,
            ..
        } => {
            let subject = chain.first().map(|c| c.subject.clone()).unwrap_or_default();
            push(
                out,
                FindingId::MailStarttlsCertInvalid,
                Severity::Medium,
                advice(
                    format!(
                        "mail server {host} ({address}) presents a certificate that does not verify for {host}: {error:?}"
                    ),
                    vec![format!("certificate: {subject}")],
                ),
            );
        }
        SmtpOutcome::Tls { .. } => {}
    }
    dane(server, out);
}

/// The certificates the server presented, DER, leaf first.
fn chain_der(server: &MxServer) -> Vec<Vec<u8>> {
    server
        .smtp
        .chain()
        .iter()
        .filter_map(|c| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(&c.der_base64)
                .ok()
        })
        .collect()
}

/// Whether a DNSSEC-validated DANE-EE (usage 3) record matches the server's own
/// certificate.
fn dane_ee_authenticates(server: &MxServer) -> bool {
    let Some(tlsa) = server.tlsa.as_ref().filter(|t| t.secure) else {
        return false;
    };
    let chain = chain_der(server);
    tlsa.records
        .iter()
        .filter_map(|r| parse_tlsa_text(r))
        .filter(|t| t.usage == 3)
        .any(|t| tlsa_match(&t, &chain) == TlsaMatch::Matches { index: 0 })
}

fn dane(server: &MxServer, out: &mut Vec<Finding>) {
    let Some(tlsa) = &server.tlsa else {
        return;
    };
    if tlsa.failure.is_some() {
        return;
    }
    let chain = chain_der(server);
    let recommended = chain
        .first()
        .and_then(|der| crate::dns::tlsa::recommended_3_1_1(der))
        .map(|r| format!("{}. IN TLSA {r}", tlsa.name))
        .unwrap_or_else(|| {
            format!(
                "{}. IN TLSA 3 1 1 <SHA-256 of the server's public key>",
                tlsa.name
            )
        });
    let seen: Vec<String> = tlsa
        .records
        .iter()
        .map(|r| format!("{}. IN TLSA {r}", tlsa.name))
        .collect();
    if tlsa.records.is_empty() {
        return push(
            out,
            FindingId::MailDaneMissing,
            Severity::Info,
            RecordAdvice::new(format!(
                "the zone of {} is signed but publishes no TLSA record: sending servers cannot authenticate it with DANE",
                server.host
            ))
            .publish([recommended]),
        );
    }
    if !tlsa.secure || chain.is_empty() {
        return;
    }
    let parsed: Vec<_> = tlsa
        .records
        .iter()
        .filter_map(|r| parse_tlsa_text(r))
        .collect();
    let any_match = parsed
        .iter()
        .any(|t| matches!(tlsa_match(t, &chain), TlsaMatch::Matches { .. }));
    if !any_match {
        let unusable: Vec<String> = parsed
            .iter()
            .filter_map(|t| match tlsa_match(t, &chain) {
                TlsaMatch::Unusable(why) => Some(why),
                _ => None,
            })
            .collect();
        let why = if unusable.len() == parsed.len() && !unusable.is_empty() {
            format!(
                "no TLSA record is usable for SMTP ({})",
                unusable.join("; ")
            )
        } else {
            "no TLSA record matches the certificate the server presents".to_string()
        };
        push(
            out,
            FindingId::MailDaneMismatch,
            Severity::High,
            RecordAdvice::new(format!(
                "{why}: DANE-aware senders will refuse to deliver mail to {}",
                server.host
            ))
            .seen(seen)
            .publish([recommended]),
        );
    }
}

fn mta_sts_findings(mail: &MailEvidence, out: &mut Vec<Finding>) {
    let sts = &mail.mta_sts;
    if sts.txt.failure.is_some() {
        return;
    }
    let domain = &mail.domain;
    let name = &sts.txt.name;
    let seen: Vec<String> = sts.txt.records.iter().map(|r| txt(name, r)).collect();
    let mx_lines: Vec<String> = mail
        .servers
        .iter()
        .map(|s| format!("mx: {}", s.host))
        .collect();
    let publish = vec![
        txt(
            name,
            "v=STSv1; id=<a new value each time the policy changes>",
        ),
        format!(
            "https://mta-sts.{domain}/.well-known/mta-sts.txt: version: STSv1 / mode: enforce / {} / max_age: 604800",
            mx_lines.join(" / ")
        ),
    ];
    let invalid = |why: String, out: &mut Vec<Finding>| {
        push(
            out,
            FindingId::MailMtaStsInvalid,
            Severity::Low,
            RecordAdvice::new(format!(
                "the MTA-STS policy of {domain} cannot be used: {why}"
            ))
            .seen(seen.clone())
            .publish(publish.clone()),
        )
    };
    match sts.txt.records.as_slice() {
        [] => {
            return push(
                out,
                FindingId::MailMtaStsMissing,
                Severity::Info,
                RecordAdvice::new(format!(
                    "{domain} publishes no MTA-STS policy: senders fall back to unencrypted mail if STARTTLS is stripped"
                ))
                .publish(publish.clone()),
            );
        }
        [one] => {
            if let Err(e) = mta_sts::parse_record(one) {
                return invalid(format!("the TXT record: {e}"), out);
            }
        }
        many => return invalid(format!("{} TXT records at {name}", many.len()), out),
    }
    let policy = match &sts.policy {
        None => return invalid("the policy file was not fetched".into(), out),
        Some(PolicyFetch::Failed { url, message }) => {
            return invalid(format!("{url}: {message}"), out);
        }
        Some(PolicyFetch::Fetched { url, status, .. }) if *status != 200 => {
            return invalid(format!("{url} answered HTTP {status}"), out);
        }
        Some(PolicyFetch::Fetched { url, body, .. }) => match mta_sts::parse_policy(body) {
            Err(e) => return invalid(format!("{url}: {e}"), out),
            Ok(policy) => policy,
        },
    };
    let uncovered: Vec<&str> = mail
        .servers
        .iter()
        .map(|s| s.host.as_str())
        .filter(|h| policy.mode != mta_sts::Mode::None && !policy.covers(h))
        .collect();
    if !uncovered.is_empty() {
        invalid(
            format!(
                "its mx patterns ({}) do not cover {}",
                policy.mx.join(", "),
                uncovered.join(", ")
            ),
            out,
        );
    }
}

fn tlsrpt_findings(mail: &MailEvidence, out: &mut Vec<Finding>) {
    let lookup = &mail.tlsrpt;
    if lookup.failure.is_some() {
        return;
    }
    let domain = &mail.domain;
    let valid = lookup.records.len() == 1 && tlsrpt::parse(&lookup.records[0]).is_ok();
    if valid {
        return;
    }
    let why = match lookup.records.len() {
        0 => "no TLS-RPT record".to_string(),
        1 => format!(
            "the TLS-RPT record is invalid: {}",
            tlsrpt::parse(&lookup.records[0])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        ),
        n => format!("{n} TLS-RPT records (only one is allowed)"),
    };
    push(
        out,
        FindingId::MailTlsrptMissing,
        Severity::Info,
        RecordAdvice::new(format!(
            "{why} at {}: sending servers cannot report failed TLS deliveries to {domain}",
            lookup.name
        ))
        .seen(lookup.records.iter().map(|r| txt(&lookup.name, r)))
        .publish([txt(
            &lookup.name,
            &format!("v=TLSRPTv1; rua=mailto:tls-reports@{domain}"),
        )]),
    );
}
