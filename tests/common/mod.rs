//! Shared set-up for integration tests: a local fleet and a collector pointed at it.
//! Everything stays on loopback: DNS goes to the fleet's own responder.

#![allow(dead_code)] // each test binary uses a different part

pub mod cli_env;
pub mod exim;
pub mod flaw_peer;
pub mod legacy;
pub mod mime;
pub mod nsd;
pub mod openssl;
pub mod pki;
pub mod smtp;
pub mod webapp;
pub mod webdriver;

use std::sync::Arc;
use time::OffsetDateTime;
use trustlabel_collect::{Collector, CollectorSettings, DnsConfig};
use trustlabel_core::checks::run_all;
use trustlabel_core::evidence::Evidence;
use trustlabel_core::finding::{Finding, FindingId};
use trustlabel_core::ruleset::RuleSet;
use trustlabel_fleet::{Fleet, SiteSpec};

pub const DOMAIN: &str = "fleet.test";

pub fn host(name: &str) -> String {
    format!("{name}.{DOMAIN}")
}

/// Collector settings that trust only the fleet's root and resolve only through it.
/// The step timeouts are what a silent fleet port costs a test, yet many times what an
/// answering loopback peer needs on a loaded machine; the deadline is far beyond them.
pub fn settings_for(fleet: &Fleet) -> CollectorSettings {
    CollectorSettings {
        dns: DnsConfig::Servers(vec![fleet.dns_addr()]),
        overrides: fleet.connect_overrides(),
        extra_roots_pem: vec![fleet.root_ca_pem()],
        only_extra_roots: true,
        allow_private_addresses: true,
        connect_timeout: std::time::Duration::from_secs(5),
        handshake_timeout: std::time::Duration::from_secs(5),
        request_timeout: std::time::Duration::from_secs(5),
        site_deadline: std::time::Duration::from_secs(20),
        per_host: trustlabel_collect::RateLimit {
            per_second: 1000,
            burst: 1000,
        },
        per_ip: trustlabel_collect::RateLimit {
            per_second: 1000,
            burst: 1000,
        },
        domain: trustlabel_collect::DomainSettings {
            trust_anchors: fleet.trust_anchors(),
            dns_timeout: std::time::Duration::from_secs(5),
            smtp_timeout: std::time::Duration::from_secs(5),
            ..trustlabel_collect::DomainSettings::default()
        },
        ..CollectorSettings::default()
    }
}

pub struct TestFleet {
    pub fleet: Fleet,
    pub collector: Arc<Collector>,
}

impl TestFleet {
    pub async fn start(specs: Vec<SiteSpec>) -> TestFleet {
        TestFleet::start_with(specs, |_, _| {}).await
    }

    /// Like [`TestFleet::start`], with the collector's settings adjusted first (to point
    /// a fleet service somewhere else, say).
    pub async fn start_with(
        specs: Vec<SiteSpec>,
        adjust: impl FnOnce(&Fleet, &mut CollectorSettings),
    ) -> TestFleet {
        let fleet = Fleet::start(DOMAIN, specs).await.expect("fleet starts");
        let mut settings = settings_for(&fleet);
        adjust(&fleet, &mut settings);
        let collector = collector(settings);
        TestFleet {
            fleet,
            collector: Arc::new(collector),
        }
    }

    pub async fn evidence(&self, host: &str) -> Evidence {
        self.collector.collect(host, 443).await
    }

    pub async fn findings(&self, host: &str) -> (Evidence, Vec<Finding>) {
        let evidence = self.evidence(host).await;
        let findings = judge(&evidence, OffsetDateTime::now_utc());
        (evidence, findings)
    }
}

/// The built-in rules, as the CLI loads them without `--checks`.
pub fn rules() -> Arc<RuleSet> {
    Arc::new(RuleSet::builtin().expect("built-in rules load"))
}

/// A collector with the built-in rules.
pub fn collector(settings: CollectorSettings) -> Collector {
    Collector::new(settings, &rules()).expect("collector builds")
}

pub fn judge(evidence: &Evidence, now: OffsetDateTime) -> Vec<Finding> {
    run_all(evidence, &rules().check_context(now))
}

pub fn ids(findings: &[Finding]) -> Vec<FindingId> {
    let mut ids: Vec<FindingId> = findings.iter().map(|f| f.id).collect();
    ids.dedup();
    ids
}

#[track_caller]
pub fn assert_fires(findings: &[Finding], id: FindingId) {
    assert!(
        findings.iter().any(|f| f.id == id),
        "expected {id} to fire; got {:#?}",
        findings
    );
}

#[track_caller]
pub fn assert_silent(findings: &[Finding], id: FindingId) {
    assert!(
        !findings.iter().any(|f| f.id == id),
        "expected {id} not to fire; got {:#?}",
        findings
    );
}
