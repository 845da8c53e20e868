//! Realistic values to store: nested evidence with bytes, nanosecond timestamps and
//! tagged enums, so a round trip exercises every serde path the real scanner uses.

use super::Backend;
use super::pg_server::TestDatabase;
use crate::{LabelUpdate, RecordedScan, ScanRecord, Store, StoreError, StoredTarget};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;
use trustlabel_core::evidence::*;
use trustlabel_core::finding::{Category, Finding, FindingId, Severity};
use trustlabel_core::policy::{
    Decision, Grade, LabelLevel, LabelRules, LabelState, LabelStatus, Transition, Verdict,
    next_label,
};
use trustlabel_core::target::Target;

pub const TOOL_VERSION: &str = "trustlabel 0.1.0-test";
pub const RULES_HASH: &str = "sha256:0123abcd";
/// When fixtures import targets and start runs.
pub const IMPORTED_AT: OffsetDateTime = datetime!(2025-05-01 07:00 UTC);

/// Where a test's database lives: a tempdir (SQLite) or a database of its own on the
/// test server (PostgreSQL); keep it alive as long as the stores opened on it.
pub struct TestDb {
    url: String,
    _dir: Option<TempDir>,
    _postgres: Option<TestDatabase>,
}

impl TestDb {
    /// A new, empty database.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::unborn(backend),
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                TestDb {
                    url: db.url().to_string(),
                    _dir: None,
                    _postgres: Some(db),
                }
            }
        }
    }

    /// A URL whose database does not exist yet: `Store::open` creates it.
    pub fn unborn(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                TestDb {
                    url: format!("sqlite://{}", dir.path().join("trust.db").display()),
                    _dir: Some(dir),
                    _postgres: None,
                }
            }
            Backend::Postgres => {
                let db = TestDatabase::unborn();
                TestDb {
                    url: db.url().to_string(),
                    _dir: None,
                    _postgres: Some(db),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A fresh SQLite store in its own directory, for tests outside the store that need
/// one engine only; keep the `TestDb` alive as long as the store.
pub async fn temp_store() -> (TestDb, Store) {
    temp_store_on(Backend::Sqlite).await
}

/// A fresh store on its own database; keep the `TestDb` alive as long as the store.
pub async fn temp_store_on(backend: Backend) -> (TestDb, Store) {
    let db = TestDb::new(backend).await;
    let store = Store::open(db.url()).await.unwrap();
    (db, store)
}

pub fn target(host: &str) -> Target {
    Target {
        host: host.to_string(),
        https_port: 443,
        organisation: "Bộ Tài chính".into(),
        category: "government".into(),
        province: "Hà Nội".into(),
        contact_email: format!("it@{host}"),
        parent: String::new(),
    }
}

/// Imports `count` targets `site{i}.example.vn` and returns them in id order.
pub async fn seeded_targets(store: &Store, count: usize) -> Vec<StoredTarget> {
    let targets: Vec<Target> = (0..count)
        .map(|i| target(&format!("site{i}.example.vn")))
        .collect();
    store.upsert_targets(&targets, IMPORTED_AT).await.unwrap();
    let mut stored = store.targets().await.unwrap();
    stored.sort_by_key(|t| t.id);
    stored
}

pub fn evidence(host: &str) -> Evidence {
    let cert = CertificateInfo {
        subject: format!("CN={host}"),
        issuer: "CN=Test CA".into(),
        serial_hex: "0a1b2c".into(),
        not_before: datetime!(2025-01-01 00:00:00 UTC),
        not_after: datetime!(2025-12-31 23:59:59 UTC),
        san_dns: vec![host.to_string()],
        san_ip: vec![],
        common_name: Some(host.to_string()),
        key: PublicKeyInfo {
            algorithm: "ec".into(),
            bits: 256,
            curve: Some("P-256".into()),
        },
        signature_algorithm_oid: "1.2.840.10045.4.3.2".into(),
        signature_algorithm: "ecdsa-with-SHA256".into(),
        is_ca: false,
        self_signed: false,
        aia_ca_issuers: vec!["http://ca.test/ca.der".into()],
        aia_ocsp: vec![],
        crl_distribution_points: vec![],
        der_base64: "MIIB".into(),
    };
    let response = HttpResponse {
        status: 200,
        version: "HTTP/1.1".into(),
        headers: vec![
            Header {
                name: "server".into(),
                value: "nginx/1.18.0".into(),
                invalid_utf8: false,
            },
            Header {
                name: "x-odd".into(),
                value: "caf\u{fffd}".into(),
                invalid_utf8: true,
            },
        ],
        body: Body {
            bytes: b"<html>\x00\xff xin ch\xc3\xa0o</html>".to_vec(),
            truncated: false,
            timed_out: false,
            content_encoding: Some("gzip".into()),
            decode_error: None,
        },
        elapsed_ms: 42,
    };
    let address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        host: host.to_string(),
        https_port: 443,
        http_port: 80,
        started_at: datetime!(2025-06-01 08:00:00.123456789 UTC),
        finished_at: datetime!(2025-06-01 08:00:03.5 UTC),
        resolution: Resolution::Resolved {
            addresses: vec![address],
            pinned: address,
            source: ResolutionSource::Override,
        },
        tls: Some(TlsProbe::Established(Box::new(TlsSession {
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            key_exchange_group: Some("X25519".into()),
            alpn: Some("h2".into()),
            chain: vec![cert],
            ocsp_staple_base64: None,
            verification: Verification {
                error_now: Some(VerifyError::Other("odd".into())),
                path_as_sent: None,
                path_with_aia: Some(AiaOutcome::Verified),
            },
            handshake_signature_error: None,
        }))),
        http: Some(FetchChain {
            hops: vec![Hop {
                url: format!("http://{host}/"),
                address: Some(address),
                response: Some(response.clone()),
            }],
            end: ChainEnd::UpgradedToHttps {
                location: format!("https://{host}/"),
            },
        }),
        https: Some(FetchChain {
            hops: vec![Hop {
                url: format!("https://{host}/"),
                address: Some(address),
                response: Some(response),
            }],
            end: ChainEnd::Final,
        }),
        revocation: Some(Revocation::Unknown {
            attempts: vec!["no OCSP URL".into()],
        }),
        deadline_exceeded: false,
        legacy: None,
        privacy_page: None,
        crawler_views: Vec::new(),
        exposure: None,
        dns: None,
        mail: None,
        security_txt: None,
    }
}

/// Three findings, deliberately not in catalog or severity order, so a store that
/// re-sorts them is caught.
pub fn findings() -> Vec<Finding> {
    vec![
        Finding::new(
            FindingId::HeaderVersionLeak,
            Severity::Low,
            "server: nginx/1.18.0",
        ),
        Finding::new(
            FindingId::CertExpiringSoon,
            Severity::Medium,
            "expires in 12 days",
        ),
        Finding::new(
            FindingId::HeaderCspMissing,
            Severity::Info,
            "no Content-Security-Policy",
        ),
    ]
}

pub fn verdict(decision: Decision) -> Verdict {
    Verdict {
        policy_version: "2025.1".into(),
        score: 85,
        grade: Grade::BPlus,
        category_scores: BTreeMap::from([
            (Category::Transport, 100),
            (Category::Headers, 70),
            (Category::Certificate, 90),
        ]),
        decision,
        blocking: vec![FindingId::CertExpiringSoon],
        caps: vec![(FindingId::CertExpiringSoon, Grade::B)],
        reasons: vec!["certificate expires soon".into()],
        tls_rating: None,
        advanced_blockers: Vec::new(),
        priced: Vec::new(),
        feeds: Vec::new(),
        stale_feeds: Vec::new(),
    }
}

pub fn label(status: LabelStatus, since: OffsetDateTime) -> LabelState {
    LabelState {
        status,
        level: status.holds_label().then_some(LabelLevel::Basic),
        grade: Some(Grade::BPlus),
        status_since: Some(since),
        at_risk_since: (status == LabelStatus::AtRisk).then_some(since),
        last_pass_at: status.holds_label().then_some(since),
        unreachable_scans: 0,
        decided_at: None,
    }
}

pub fn transition(from: LabelStatus, to: LabelStatus, at: OffsetDateTime) -> Transition {
    Transition {
        from,
        to,
        reason: format!("{from} → {to}"),
        at,
    }
}

/// The owned parts of a `ScanRecord`, so tests can build one in a line.
pub struct Scan {
    pub evidence: Evidence,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// The label the scan read before computing `update`.
    pub label_read: LabelState,
    pub update: LabelUpdate,
}

impl Scan {
    /// A first scan that failed: not_assessed → not_labelled.
    pub fn failing(host: &str) -> Scan {
        let at = datetime!(2025-06-01 08:00:03.5 UTC);
        Scan {
            evidence: evidence(host),
            findings: findings(),
            verdict: verdict(Decision::Fail),
            label_read: LabelState::not_assessed(),
            update: LabelUpdate {
                label: label(LabelStatus::NotLabelled, at),
                transition: Some(transition(
                    LabelStatus::NotAssessed,
                    LabelStatus::NotLabelled,
                    at,
                )),
                notification: None,
            },
        }
    }

    /// When the scan is recorded: when it finished.
    pub fn at(&self) -> OffsetDateTime {
        self.evidence.finished_at
    }

    pub fn record(&self, target_id: i64, run_id: Option<i64>) -> ScanRecord<'_> {
        ScanRecord {
            target_id,
            run_id,
            evidence: &self.evidence,
            findings: &self.findings,
            verdict: &self.verdict,
            tool_version: TOOL_VERSION,
            rules_hash: RULES_HASH,
            label_read: &self.label_read,
            update: &self.update,
            collects_personal_data: trustlabel_core::policy::personal_data_collected(
                &self.findings,
                self.verdict.decision,
            ),
            job: None,
        }
    }

    /// What the runner passes to `record_scan` for a label that changed since the scan
    /// read it: the default policy's state machine applied to this scan's verdict.
    pub fn recompute(&self) -> impl Fn(&LabelState) -> LabelUpdate + Send + Sync + '_ {
        move |current| {
            let at = current.next_change_at(self.at());
            let (label, transition) =
                next_label(current, &self.verdict, at, &LabelRules::default());
            LabelUpdate {
                label,
                transition,
                notification: self.update.notification.clone(),
            }
        }
    }

    /// Records the scan as the runner does.
    pub async fn record_into(
        &self,
        store: &Store,
        target_id: i64,
        run_id: Option<i64>,
    ) -> Result<RecordedScan, StoreError> {
        store
            .record_scan(&self.record(target_id, run_id), self.at(), self.recompute())
            .await
    }
}
