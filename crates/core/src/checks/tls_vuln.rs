//! `tls.vuln.*` from the vulnerability probes of the legacy prober. As for the protocol
//! checks, a finding needs a positive fact: an over-read heartbeat answer, an early CCS
//! that the server took, oracle answers that differ consistently, a ServerHello without
//! an extension that was offered. A timeout or a broken probe proves nothing and stays
//! silent (the evidence keeps it).

use crate::evidence::{
    Evidence, FallbackProbe, ProbeReaction, RobotProbe, TlsVersion, VulnerabilityProbes,
};
use crate::finding::{Finding, FindingId, Severity};

/// Alerts that say a record could not be decrypted: after an early ChangeCipherSpec they
/// show the server switched to keys it never negotiated.
const DECRYPTION_ALERTS: [&str; 3] = ["bad_record_mac", "decryption_failed", "decrypt_error"];

pub(super) fn check(evidence: &Evidence, out: &mut Vec<Finding>) {
    let Some(probes) = evidence
        .legacy
        .as_ref()
        .and_then(|l| l.vulnerabilities.as_ref())
    else {
        return;
    };
    heartbleed(probes, out);
    ccs_injection(probes, out);
    if let Some(robot) = &probes.robot {
        oracle(robot, out);
    }
    echoes(probes, out);
    if let Some(fallback) = &probes.fallback {
        downgrade(fallback, out);
    }
}

fn heartbleed(probes: &VulnerabilityProbes, out: &mut Vec<Finding>) {
    if let Some(ProbeReaction::Heartbeat {
        payload_len,
        record_len,
        sent_payload_len,
    }) = &probes.heartbeat
    {
        // The answer must announce more than was sent and really carry it.
        if payload_len > sent_payload_len && *record_len >= 3 + usize::from(*payload_len) {
            out.push(Finding::new(
                FindingId::TlsVulnHeartbleed,
                Severity::Critical,
                format!(
                    "a {} heartbeat request announcing more than it carried was answered \
                     with {payload_len} bytes of payload ({record_len}-byte record; the \
                     client sent {sent_payload_len}): the server leaks its memory",
                    probes.version
                ),
            ));
        }
    }
}

fn ccs_injection(probes: &VulnerabilityProbes, out: &mut Vec<Finding>) {
    let took_it = match &probes.early_ccs {
        Some(ProbeReaction::Alert { description }) => DECRYPTION_ALERTS
            .contains(&description.as_str())
            .then(|| format!("then failed to decrypt the next record (alert {description})")),
        Some(ProbeReaction::Continued { content_type }) => Some(format!(
            "then answered with a record of type {content_type}"
        )),
        _ => None,
    };
    if let Some(how) = took_it {
        out.push(Finding::new(
            FindingId::TlsVulnCcsInjection,
            Severity::Critical,
            format!(
                "a ChangeCipherSpec sent right after ServerHelloDone ({}) was not refused \
                 with unexpected_message; the server {how} (CVE-2014-0224)",
                probes.version
            ),
        ));
    }
}

/// Fires when the first round of answers is not uniform and a second round repeats it
/// exactly: one differing answer could be a dropped packet, the same pattern twice is an
/// oracle.
fn oracle(robot: &RobotProbe, out: &mut Vec<Finding>) {
    let [first, second] = robot.rounds.as_slice() else {
        return;
    };
    let reactions = |round: &[crate::evidence::RobotAnswer]| {
        round.iter().map(|a| a.reaction.clone()).collect::<Vec<_>>()
    };
    let pattern = reactions(first);
    let uniform = pattern.windows(2).all(|w| w[0] == w[1]);
    let decisive = pattern.iter().all(|r| {
        !matches!(
            r,
            ProbeReaction::NotProbed
                | ProbeReaction::ConnectFailed { .. }
                | ProbeReaction::NoHelloDone { .. }
        )
    });
    if uniform || !decisive || reactions(second) != pattern {
        return;
    }
    let answers: Vec<String> = first
        .iter()
        .map(|a| format!("{}: {}", a.variant, reaction_text(&a.reaction)))
        .collect();
    out.push(Finding::new(
        FindingId::TlsVulnRobot,
        Severity::Critical,
        format!(
            "RSA key exchange ({}) answers well-formed and malformed PKCS#1 v1.5 \
             ClientKeyExchange messages differently, the same way twice: {}",
            robot.suite,
            answers.join("; ")
        ),
    ));
}

fn echoes(probes: &VulnerabilityProbes, out: &mut Vec<Finding>) {
    let Some(hello) = &probes.hello else {
        return;
    };
    let version = probes.version;
    if !hello.secure_renegotiation {
        out.push(Finding::new(
            FindingId::TlsVulnInsecureRenegotiation,
            Severity::Medium,
            format!(
                "the {version} ServerHello has no renegotiation_info although the hello \
                 offered it: secure renegotiation (RFC 5746) is not supported"
            ),
        ));
    }
    if hello.compression != 0 {
        out.push(Finding::new(
            FindingId::TlsVulnCompression,
            Severity::High,
            format!(
                "the server chose TLS compression (method {}) at {version}: CRIME",
                hello.compression
            ),
        ));
    }
    if !hello.extended_master_secret && version != TlsVersion::Ssl3 {
        out.push(Finding::new(
            FindingId::TlsVulnNoExtendedMasterSecret,
            Severity::Low,
            format!(
                "the {version} ServerHello does not echo extended_master_secret (RFC 7627): \
                 sessions are open to triple-handshake attacks"
            ),
        ));
    }
}

fn downgrade(fallback: &FallbackProbe, out: &mut Vec<Finding>) {
    let Some(accepted) = fallback.accepted else {
        return;
    };
    if fallback.downgrade_sentinel || accepted >= fallback.highest {
        return;
    }
    out.push(Finding::new(
        FindingId::TlsVulnNoFallbackScsv,
        Severity::Medium,
        format!(
            "a {} hello carrying TLS_FALLBACK_SCSV was answered with {accepted} instead of \
             an inappropriate_fallback alert, although the server supports {} (RFC 7507)",
            fallback.asked, fallback.highest
        ),
    ));
}

fn reaction_text(reaction: &ProbeReaction) -> String {
    match reaction {
        ProbeReaction::Heartbeat { payload_len, .. } => format!("heartbeat of {payload_len}"),
        ProbeReaction::Alert { description } => format!("alert {description}"),
        ProbeReaction::Continued { content_type } => format!("record type {content_type}"),
        ProbeReaction::NoHelloDone { note } => format!("no ServerHelloDone ({note})"),
        ProbeReaction::Closed => "closed".into(),
        ProbeReaction::Timeout => "no answer".into(),
        ProbeReaction::Malformed { message } => format!("malformed ({message})"),
        ProbeReaction::ConnectFailed { message } => format!("no connection ({message})"),
        ProbeReaction::NotProbed => "not asked".into(),
    }
}

#[cfg(test)]
mod tests;
