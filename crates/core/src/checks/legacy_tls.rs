//! `tls.proto.*` and `tls.cipher.*` from the legacy probe: what the server accepts when
//! offered old protocol versions and every IANA cipher suite.
//!
//! A finding needs a positive fact (the server answered with that version, chose that
//! suite). A probe that timed out or broke proves nothing, so it never turns into a "does
//! not support" finding; only a clear refusal does.

use crate::evidence::{Evidence, KeyExchangeParams, LegacyTls, TlsVersion, VersionProbe};
use crate::finding::{Finding, FindingId, Severity};
use crate::tlsprobe::{CipherSuite, SuiteTable, Weakness};
use std::collections::BTreeMap;

/// DHE groups below this many bits are weak (Logjam; RFC 9325 asks for 2048).
const MIN_DH_BITS: u32 = 2048;

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let Some(legacy) = &evidence.legacy else {
        return;
    };
    protocols(legacy, out);
    let table = SuiteTable::builtin();
    weak_suites(legacy, &table, out);
    forward_secrecy(legacy, &table, out);
    aead(legacy, &table, out);
}

/// Whether the legacy probe settled TLS 1.3 support either way, so the rustls-based
/// guess in `transport` stays silent and the two never disagree.
pub(super) fn decides_tls13(evidence: &Evidence) -> bool {
    evidence
        .legacy
        .as_ref()
        .is_some_and(|l| l.supports(TlsVersion::Tls13) || l.refuses(TlsVersion::Tls13))
}

fn supported(legacy: &LegacyTls) -> impl Iterator<Item = &VersionProbe> {
    legacy
        .versions
        .iter()
        .filter(|v| v.outcome == crate::evidence::VersionOutcome::Supported)
}

fn protocols(legacy: &LegacyTls, out: &mut Vec<Finding>) {
    let old = [
        (TlsVersion::Ssl3, FindingId::TlsProtoSslv3, Severity::High),
        (
            TlsVersion::Tls10,
            FindingId::TlsProtoTls10,
            Severity::Medium,
        ),
        (
            TlsVersion::Tls11,
            FindingId::TlsProtoTls11,
            Severity::Medium,
        ),
    ];
    for (version, id, severity) in old {
        if let Some(probe) = legacy.version(version).filter(|_| legacy.supports(version)) {
            let chosen = probe
                .suites
                .first()
                .map(|s| format!(" (it chose {})", s.name))
                .unwrap_or_default();
            out.push(Finding::new(
                id,
                severity,
                format!("the server completes a {version} ServerHello{chosen}"),
            ));
        }
    }
    let speaks_tls = supported(legacy).next().is_some();
    if speaks_tls && legacy.refuses(TlsVersion::Tls12) {
        let best = supported(legacy).map(|v| v.version).max();
        out.push(Finding::new(
            FindingId::TlsProtoNoTls12,
            Severity::High,
            format!(
                "a TLS 1.2 hello is refused ({}); the newest version the server speaks is {}",
                outcome_text(legacy, TlsVersion::Tls12),
                best.map(TlsVersion::as_str).unwrap_or("none"),
            ),
        ));
    }
    if speaks_tls && legacy.refuses(TlsVersion::Tls13) {
        out.push(Finding::new(
            FindingId::TlsProtoNoTls13,
            Severity::Info,
            format!(
                "a TLS 1.3 hello is refused ({})",
                outcome_text(legacy, TlsVersion::Tls13)
            ),
        ));
    }
}

fn outcome_text(legacy: &LegacyTls, version: TlsVersion) -> String {
    use crate::evidence::VersionOutcome as O;
    match legacy.version(version).map(|v| &v.outcome) {
        Some(O::OtherVersion { answered }) => format!("the server answered {answered}"),
        Some(O::Alert { description }) => format!("alert {description}"),
        Some(O::Closed) => "the connection was closed".into(),
        _ => "no answer".into(),
    }
}

/// One accepted suite, with every version that accepted it and the key-exchange
/// parameters seen.
struct Seen<'a> {
    suite: Option<&'a CipherSuite>,
    name: &'a str,
    versions: Vec<TlsVersion>,
    key_exchange: Vec<&'a KeyExchangeParams>,
}

fn accepted<'a>(legacy: &'a LegacyTls, table: &'a SuiteTable) -> BTreeMap<u16, Seen<'a>> {
    let mut map: BTreeMap<u16, Seen<'a>> = BTreeMap::new();
    for probe in supported(legacy) {
        for s in &probe.suites {
            let seen = map.entry(s.code).or_insert_with(|| Seen {
                suite: table.get(s.code),
                name: s.name.as_str(),
                versions: vec![],
                key_exchange: vec![],
            });
            seen.versions.push(probe.version);
            seen.key_exchange.extend(s.key_exchange.as_ref());
        }
    }
    map
}

fn versions_text(versions: &[TlsVersion]) -> String {
    versions
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn weak_suites(legacy: &LegacyTls, table: &SuiteTable, out: &mut Vec<Finding>) {
    let mut severity = Severity::Info;
    let mut named = Vec::new();
    for seen in accepted(legacy, table).values() {
        let mut reasons: Vec<String> = seen
            .suite
            .map(|s| s.weaknesses())
            .unwrap_or_default()
            .into_iter()
            .map(|w| {
                severity = severity.max(weakness_severity(w));
                w.as_str().to_string()
            })
            .collect();
        let smallest_dh = seen
            .key_exchange
            .iter()
            .filter_map(|k| match k {
                KeyExchangeParams::Dh { bits } => Some(*bits),
                _ => None,
            })
            .min();
        if let Some(bits) = smallest_dh.filter(|b| *b < MIN_DH_BITS) {
            severity = severity.max(if bits < 1024 {
                Severity::High
            } else {
                Severity::Medium
            });
            reasons.push(format!("{bits}-bit DH group"));
        }
        if !reasons.is_empty() {
            named.push(format!(
                "{} [{}; {}]",
                seen.name,
                reasons.join(", "),
                versions_text(&seen.versions)
            ));
        }
    }
    if !named.is_empty() {
        out.push(Finding::new(
            FindingId::TlsCipherWeak,
            severity,
            format!("weak suites accepted: {}", named.join("; ")),
        ));
    }
}

fn weakness_severity(w: Weakness) -> Severity {
    if w.is_critical() {
        Severity::Critical
    } else if w == Weakness::Block64 {
        Severity::Medium
    } else {
        Severity::High
    }
}

/// Fires when a version's first pick (the client offers forward-secret suites first, as
/// browsers do) lacks forward secrecy: what real clients get, as SSL Labs judges it.
fn forward_secrecy(legacy: &LegacyTls, table: &SuiteTable, out: &mut Vec<Finding>) {
    let mut picks = Vec::new();
    for probe in supported(legacy) {
        let Some(first) = probe.suites.first() else {
            continue;
        };
        if table.get(first.code).is_some_and(|s| !s.forward_secret()) {
            picks.push(format!("{}: {}", probe.version, first.name));
        }
    }
    if picks.is_empty() {
        return;
    }
    let fs_anywhere = accepted(legacy, table)
        .values()
        .any(|seen| seen.suite.is_some_and(|s| s.forward_secret()));
    let what = if fs_anywhere {
        "forward-secret suites are accepted but not preferred"
    } else {
        "no suite with forward secrecy is accepted"
    };
    out.push(Finding::new(
        FindingId::TlsCipherNoForwardSecrecy,
        Severity::Medium,
        format!(
            "{what}; a client offering ECDHE/DHE first gets static key exchange ({})",
            picks.join("; ")
        ),
    ));
}

fn aead(legacy: &LegacyTls, table: &SuiteTable, out: &mut Vec<Finding>) {
    let all = accepted(legacy, table);
    let known: Vec<&CipherSuite> = all.values().filter_map(|seen| seen.suite).collect();
    if known.is_empty() || known.iter().any(|s| s.is_aead()) {
        return;
    }
    let cbc: Vec<&str> = known.iter().map(|s| s.name.as_str()).collect();
    out.push(Finding::new(
        FindingId::TlsCipherNoAead,
        Severity::Medium,
        format!(
            "no AEAD suite (AES-GCM, ChaCha20-Poly1305) is accepted; accepted: {}",
            cbc.join(", ")
        ),
    ));
}

#[cfg(test)]
mod tests;
