//! Reading the legacy TLS probe's evidence in tests.

use trustlabel_core::evidence::{Evidence, LegacyTls, TlsVersion, VersionOutcome};
use trustlabel_core::finding::Finding;

pub fn legacy(evidence: &Evidence) -> &LegacyTls {
    evidence.legacy.as_ref().expect("the legacy probe ran")
}

pub fn outcomes(l: &LegacyTls) -> Vec<(TlsVersion, VersionOutcome)> {
    l.versions
        .iter()
        .map(|v| (v.version, v.outcome.clone()))
        .collect()
}

/// IANA names of the suites accepted under `version`, in the order the server chose them.
pub fn suites(l: &LegacyTls, version: TlsVersion) -> Vec<&str> {
    l.version(version)
        .map(|v| v.suites.iter().map(|s| s.name.as_str()).collect())
        .unwrap_or_default()
}

pub fn alert(description: &str) -> VersionOutcome {
    VersionOutcome::Alert {
        description: description.into(),
    }
}

/// The findings the legacy probe drives (`tls.none` and certificates come from rustls).
pub fn legacy_findings(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| {
            let id = f.id.as_str();
            id.starts_with("tls.proto.") || id.starts_with("tls.cipher.")
        })
        .cloned()
        .collect()
}
