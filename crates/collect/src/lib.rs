//! Evidence collection: the only layer that touches the network.
//!
//! One call to [`Collector::collect`] scans one site: resolve and pin an address, run
//! the recording TLS handshake, fetch the `http://` and `https://` chains (concurrently),
//! complete the chain through AIA when needed, and check revocation (OCSP staple, then
//! the CA's OCSP responder, then its CRL). Every failure is written into the evidence;
//! nothing here returns an error for a bad site.

mod body;
mod certinfo;
pub mod ct;
pub mod dns;
mod domain;
pub mod http;
pub mod legacy;
mod light_probe;
mod mail;
mod net;
pub mod ocsp;
pub mod politeness;
mod probe;
pub mod resolve;
mod revocation;
mod security_txt;
mod slots;
pub mod smtp;
pub mod timeline;
pub mod tls;
mod views;

pub use certinfo::{CertParseError, parse_certificate};
pub use legacy::LegacySettings;
pub use light_probe::LightProbe;
pub use politeness::RateLimit;
pub use resolve::{AddressRange, DnsConfig, is_public, load_hosts_file, parse_hosts};
pub use views::{GOOGLEBOT_USER_AGENT, SEARCH_VISITOR_USER_AGENT};

use domain::SiteReached;
use http::{ChainKind, FetchSettings, Payload, Pins, SiteFetcher};
use politeness::Politeness;
use resolve::{ResolveFailure, Resolver};
use revocation::CrlCache;
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use timeline::{Phase, Timeline};
use tokio::time::Instant;
use trustlabel_core::connect_to::ConnectTo;
use trustlabel_core::evidence::{
    AiaOutcome, CertificateInfo, ChainEnd, CrawlerView, EVIDENCE_SCHEMA_VERSION, Evidence,
    ExposureEvidence, FetchChain, LegacyTls, ProbeChannel, Resolution, Revocation, TlsProbe,
    VerifyError,
};
use trustlabel_core::exposures::ExposureRules;
use trustlabel_core::page::{AnalysedPages, PageFacts, PageLimits, analyse_chain};
use trustlabel_core::rules::PageRules;
use trustlabel_core::ruleset::RuleSet;
use url::Url;

/// Everything that shapes how sites are fetched. Defaults are the documented defaults of
/// the CLI and `trustlabel.example.toml`.
#[derive(Debug, Clone)]
pub struct CollectorSettings {
    pub dns: DnsConfig,
    pub overrides: Vec<ConnectTo>,
    pub hosts: HashMap<String, Vec<IpAddr>>,
    /// Extra trust anchors (PEM) added to the Mozilla root set.
    pub extra_roots_pem: Vec<String>,
    /// Trust only `extra_roots_pem`, not the Mozilla set (tests, closed networks).
    pub only_extra_roots: bool,
    pub allow_private_addresses: bool,
    /// Address ranges that pass the address rule as if they were public. A narrow knob
    /// for tests only: the fleet lives on loopback, so a test lists the fleet's site
    /// addresses here to play "the public internet" while every other private address
    /// (127.0.0.1, 10/8, the fleet's own services...) stays refused. Neither the CLI nor
    /// the config file can set it; empty by default.
    pub treat_as_public: Vec<resolve::AddressRange>,
    pub connect_timeout: Duration,
    pub handshake_timeout: Duration,
    pub request_timeout: Duration,
    /// Hard limit for one whole site scan.
    pub site_deadline: Duration,
    pub body_cap: usize,
    pub crl_cap: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    pub http_port: u16,
    /// Every request and legacy hello of a site waits for this budget. The default burst
    /// holds one whole scan (16 hellos and about 26 requests for a typical site, with at
    /// most three connections open at once, less than a browser opening the home page),
    /// so a single scan is not slowed down; the sustained rate is what repeated scans of
    /// one host get.
    pub per_host: RateLimit,
    /// The same for all hosts on one address (shared hosting of many small sites).
    pub per_ip: RateLimit,
    /// The hand-built-hello probe of protocol versions and cipher suites.
    pub legacy: LegacySettings,
    /// Requests per second to one CA OCSP responder (per host name and per address).
    /// Separate from the sites' budget: every site of a CA asks the same responder.
    pub per_responder: RateLimit,
    /// Exposure probe requests per site, the soft-404 baseline included; 0 turns probing off.
    pub exposure_max_requests: usize,
    /// DNS and mail evidence: trust anchors, time limits, the EHLO name.
    pub domain: DomainSettings,
}

/// How the DNS and mail evidence is gathered.
#[derive(Debug, Clone)]
pub struct DomainSettings {
    /// Where DNSSEC validation starts: the root zone's keys by default; a closed
    /// network (or a test with its own signed zones) names its own.
    pub trust_anchors: Vec<trustlabel_core::dns::dnssec::TrustAnchor>,
    /// Each DNS question (to the resolver, or to a name server over IPv6).
    pub dns_timeout: Duration,
    /// The name given in SMTP `EHLO`: the scanner's own host name.
    pub ehlo_name: String,
    /// Each SMTP reply must arrive within this (greeting, `EHLO`, `STARTTLS`); a mail
    /// server that is slower is recorded as tarpitting.
    pub smtp_timeout: Duration,
    /// Mail servers (MX hosts) contacted per domain at most, by preference.
    pub max_mx: usize,
    /// Off only to measure what the DNS and mail evidence costs (the scan benchmark's
    /// `--no-dns-mail`): a scan without it cannot earn or lose the DNS and mail criteria.
    pub enabled: bool,
}

impl Default for DomainSettings {
    fn default() -> Self {
        DomainSettings {
            trust_anchors: trustlabel_core::dns::dnssec::root_anchors(),
            dns_timeout: Duration::from_secs(3),
            ehlo_name: default_ehlo_name(),
            smtp_timeout: Duration::from_secs(15),
            max_mx: 4,
            enabled: true,
        }
    }
}

/// This machine's host name (from the kernel), so mail servers see who knocks; a name
/// that is not a valid host name gives `localhost`.
pub fn default_ehlo_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|n| n.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid { name } else { "localhost".to_string() }
}

impl Default for CollectorSettings {
    fn default() -> Self {
        CollectorSettings {
            dns: DnsConfig::System,
            overrides: Vec::new(),
            hosts: HashMap::new(),
            extra_roots_pem: Vec::new(),
            only_extra_roots: false,
            allow_private_addresses: false,
            treat_as_public: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            site_deadline: Duration::from_secs(45),
            body_cap: 2 * 1024 * 1024,
            crl_cap: 16 * 1024 * 1024,
            max_redirects: 10,
            user_agent: default_user_agent(),
            http_port: 80,
            per_host: RateLimit {
                per_second: 10,
                burst: 50,
            },
            per_ip: RateLimit {
                per_second: 20,
                burst: 60,
            },
            legacy: LegacySettings::default(),
            per_responder: RateLimit {
                per_second: 50,
                burst: 100,
            },
            exposure_max_requests: 20,
            domain: DomainSettings::default(),
        }
    }
}

/// Names the scanner and where to learn about it, as polite crawlers do.
pub fn default_user_agent() -> String {
    format!(
        "trustlabel/{} (website trust-label scanner; +https://github.com/trustlabel/trustlabel)",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    #[error(transparent)]
    Resolver(#[from] resolve::ResolverError),
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    #[error("no usable certificate in the CA file: {0}")]
    CaFile(String),
}

/// One site's evidence, with the pages the collector analysed on the way (to find the
/// privacy-notice link), so the checks need not parse them again.
#[derive(Debug, Clone)]
pub struct Collected {
    pub evidence: Evidence,
    pub pages: AnalysedPages,
    /// When each network step ran (the latency benchmark's account of a site's
    /// critical path), by start time.
    pub timeline: Vec<timeline::Span>,
    /// The whole collection, resolution to the last answer.
    pub elapsed: Duration,
}

/// Connections one site's page fetches may use at once, the verified connection that
/// fetched the home page included; every request still waits for the host's and
/// address's politeness budget. A browser opens six to a host, but on a far site the
/// page extras on four end with the legacy probe (11.6 and 11.3 round trips; on six
/// 10.5), so two more connections would cost two TLS handshakes a site for a third of a
/// round trip: 300 sites at 80 ms ran at 106-120 sites/s on four against 94-112 on six
/// (before the legacy probe's chunks went side by side), with 1-2 ms less CPU per site
/// on each side.
const CONTENT_CONNECTIONS: usize = 4;

pub struct Collector {
    settings: CollectorSettings,
    resolver: Resolver,
    tls: tls::TlsContext,
    politeness: Politeness,
    fetch: FetchSettings,
    crl_fetch: FetchSettings,
    crls: CrlCache,
    legacy: legacy::LegacyProber,
    ocsp: ocsp::OcspClient,
    exposures: Arc<ExposureRules>,
    page_rules: Arc<PageRules>,
    /// Questions for the DNS and mail evidence (cached for the run).
    dns: dns::DnsClient,
    /// Secure zones validated earlier in the run.
    zones: domain::ZoneCache,
    /// One SMTP conversation per MX host for the run.
    mx_probes: slots::TimedSlots<String, mail::MxProbe>,
    /// Name servers asked over IPv6 in this run, by (server, zone): many sites share
    /// their name servers, which are asked once, not once per site under their own
    /// politeness limit (that made a list of one organisation's sites crawl).
    ns_probes: slots::TimedSlots<(String, String), trustlabel_core::evidence::dns::NsProbe>,
    /// MTA-STS policy files fetched in this run, by domain.
    mta_sts_policies: slots::TimedSlots<String, trustlabel_core::evidence::mail::PolicyFetch>,
    smtp: smtp::SmtpSettings,
}

impl Collector {
    /// `rules` are the rules in force: the exposure rules name the paths to probe and
    /// the page rules recognise the privacy-notice link, and the checks must judge the
    /// evidence with the same ones.
    pub fn new(settings: CollectorSettings, rules: &RuleSet) -> Result<Self, CollectorError> {
        let mut roots = RootCertStore::empty();
        if !settings.only_extra_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for pem in &settings.extra_roots_pem {
            let mut added = 0;
            for block in pem_blocks(pem) {
                roots
                    .add(CertificateDer::from(block))
                    .map_err(|e| CollectorError::CaFile(e.to_string()))?;
                added += 1;
            }
            if added == 0 {
                return Err(CollectorError::CaFile(
                    "no PEM CERTIFICATE block found".into(),
                ));
            }
        }
        let resolver = Resolver::new(
            &settings.dns,
            settings.connect_timeout,
            &settings.overrides,
            settings.hosts.clone(),
            settings.allow_private_addresses,
        )?
        .with_treat_as_public(settings.treat_as_public.clone());
        let fetch = FetchSettings {
            connect_timeout: settings.connect_timeout,
            request_timeout: settings.request_timeout,
            body_cap: settings.body_cap,
            max_redirects: settings.max_redirects,
            user_agent: settings.user_agent.clone(),
        };
        let crl_fetch = FetchSettings {
            body_cap: settings.crl_cap,
            max_redirects: 0,
            ..fetch.clone()
        };
        let ocsp_fetch = FetchSettings {
            body_cap: ocsp::RESPONSE_CAP,
            max_redirects: 0,
            ..fetch.clone()
        };
        Ok(Collector {
            tls: tls::TlsContext::new(roots)?,
            politeness: Politeness::new(settings.per_host, settings.per_ip),
            resolver,
            fetch,
            crl_fetch,
            crls: CrlCache::new(Duration::from_secs(3600), 1024),
            legacy: legacy::LegacyProber::new(
                settings.legacy.clone(),
                settings.connect_timeout,
                settings.handshake_timeout,
            ),
            ocsp: ocsp::OcspClient::new(
                ocsp_fetch,
                Politeness::new(settings.per_responder, settings.per_responder),
            ),
            exposures: Arc::clone(&rules.exposures),
            page_rules: Arc::clone(&rules.page),
            dns: dns::DnsClient::new(settings.dns.server_pairs()?, settings.domain.dns_timeout),
            zones: domain::ZoneCache::new(Duration::from_secs(600), 10_000),
            mx_probes: slots::TimedSlots::new(Duration::from_secs(3600), 10_000),
            ns_probes: slots::TimedSlots::new(Duration::from_secs(3600), 10_000),
            mta_sts_policies: slots::TimedSlots::new(Duration::from_secs(3600), 10_000),
            smtp: smtp::SmtpSettings {
                ehlo_name: settings.domain.ehlo_name.clone(),
                connect_timeout: settings.connect_timeout,
                reply_timeout: settings.domain.smtp_timeout,
                handshake_timeout: settings.handshake_timeout,
            },
            settings,
        })
    }

    /// The strict TLS configuration (Mozilla roots plus `--ca-file`) for other clients of
    /// the same trust, such as the Certificate Transparency follower.
    pub fn strict_tls_config(&self) -> std::sync::Arc<rustls::ClientConfig> {
        self.tls.strict_config()
    }

    /// Scans one site. Never fails: unreachable or hostile sites become evidence.
    pub async fn collect(&self, host: &str, https_port: u16) -> Evidence {
        self.collect_with_pages(host, https_port).await.evidence
    }

    /// [`Collector::collect`], also handing on the pages analysed on the way.
    pub async fn collect_with_pages(&self, host: &str, https_port: u16) -> Collected {
        let mut pages = AnalysedPages::default();
        let timeline = Timeline::start();
        // On the heap: a site's scan holds many fetches side by side, too big a future
        // for the stack of whoever awaits several of them at once.
        let evidence = Box::pin(self.gather(host, https_port, &mut pages, &timeline)).await;
        let (timeline, elapsed) = timeline.finish();
        Collected {
            evidence,
            pages,
            timeline,
            elapsed,
        }
    }

    async fn gather(
        &self,
        host: &str,
        https_port: u16,
        pages: &mut AnalysedPages,
        timeline: &Timeline,
    ) -> Evidence {
        let started_at = OffsetDateTime::now_utc();
        let deadline = Instant::now() + self.settings.site_deadline;
        let mut evidence = Evidence {
            schema_version: EVIDENCE_SCHEMA_VERSION,
            host: host.to_string(),
            https_port,
            http_port: self.settings.http_port,
            started_at,
            finished_at: started_at,
            resolution: Resolution::Failed {
                kind: trustlabel_core::evidence::DnsFailureKind::Other,
                message: "not resolved".into(),
            },
            tls: None,
            http: None,
            https: None,
            revocation: None,
            deadline_exceeded: false,
            legacy: None,
            privacy_page: None,
            crawler_views: Vec::new(),
            exposure: None,
            dns: None,
            mail: None,
            security_txt: None,
        };
        let resolve = timeline
            .time(
                Phase::Resolve,
                tokio::time::timeout_at(deadline, self.resolver.resolve(host)),
            )
            .await;
        let pinned = match resolve {
            Err(_) => {
                evidence.resolution = Resolution::Failed {
                    kind: trustlabel_core::evidence::DnsFailureKind::Timeout,
                    message: "name resolution did not finish before the site deadline".into(),
                };
                return self.finish(evidence, deadline);
            }
            Ok(Err(ResolveFailure::Dns { kind, message })) => {
                let why = format!("the site's name did not resolve ({message})");
                // A resolver that does not answer would not answer the domain's
                // questions either: only an answer (no such name, no address, a
                // failure such as a validating resolver's SERVFAIL) is worth following.
                let answered = kind != trustlabel_core::evidence::DnsFailureKind::Timeout;
                evidence.resolution = Resolution::Failed { kind, message };
                if !answered {
                    return self.finish(evidence, deadline);
                }
                return self
                    .without_site(evidence, host, https_port, why, started_at, deadline)
                    .await;
            }
            Ok(Ok(resolved)) => match self.resolver.pick_allowed(&resolved.addresses) {
                None => {
                    evidence.resolution = Resolution::Refused {
                        addresses: resolved.addresses,
                    };
                    let why = "the site's name resolves only to addresses that are not scanned";
                    return self
                        .without_site(evidence, host, https_port, why.into(), started_at, deadline)
                        .await;
                }
                Some(ip) => {
                    evidence.resolution = Resolution::Resolved {
                        addresses: resolved.addresses,
                        pinned: ip,
                        source: resolved.source,
                    };
                    ip
                }
            },
        };

        // Every fetch of this scan uses these addresses: a name is resolved once.
        let pins = Pins::site(host, pinned);
        let secure = self.secure_side(host, https_port, pinned, &pins, deadline, timeline);
        let plain = timeline.time(Phase::HttpChain, self.plain_side(host, &pins, deadline));
        let legacy = timeline.time(
            Phase::LegacyHellos,
            Box::pin(self.legacy_side(host, https_port, pinned, deadline)),
        );
        let counter = dns::SiteCounter::default();
        // On the heap: the DNS and mail state would otherwise make every scan's future
        // (and the stack of a runtime that polls it in place) that much bigger.
        let domain_side = Box::pin(timeline.time(
            Phase::DnsMail,
            self.domain_side(
                host,
                https_port,
                &counter,
                started_at,
                deadline,
                SiteReached::Yes,
            ),
        ));
        // The web side: the content and the certificate's revocation need the TLS
        // handshake and the home pages, never the legacy hellos nor the DNS/mail side,
        // which run alongside it to the end.
        let web = async {
            let ((mut tls_probe, https_chain, secure_fetcher), (http_chain, plain_fetcher)) =
                tokio::join!(secure, plain);
            let content = match (secure_fetcher, &https_chain) {
                (Some(fetcher), Some(home)) => {
                    Content::new(fetcher, host, https_port, ProbeChannel::VerifiedHttps, home)
                }
                // Plain http only for a site with no HTTPS port at all, never as a fallback
                // for one whose certificate failed.
                _ if matches!(tls_probe, Some(TlsProbe::ConnectFailed { .. })) => Content::new(
                    plain_fetcher,
                    host,
                    self.settings.http_port,
                    ProbeChannel::PlainHttpNoHttps,
                    &http_chain,
                ),
                _ => None,
            };
            let extras = async {
                match content {
                    // On the heap, like the domain side: the side-by-side fetches hold
                    // several fetchers and their futures at once.
                    Some(mut content) => {
                        Box::pin(self.page_extras(&mut content, deadline, timeline)).await
                    }
                    None => PageExtras::default(),
                }
            };
            let certificate = async {
                let Some(TlsProbe::Established(session)) = tls_probe.as_mut() else {
                    return None;
                };
                let chain_der = revocation::chain_der(&session.chain);
                let mut extra = Vec::new();
                if session.verification.path_as_sent == Some(VerifyError::UnknownIssuer) {
                    let (outcome, fetched) = timeline
                        .time(
                            Phase::Aia,
                            self.complete_via_aia(&session.chain, &chain_der, deadline),
                        )
                        .await;
                    session.verification.path_with_aia = outcome;
                    extra = fetched;
                }
                let staple = session.ocsp_staple_base64.as_deref();
                let revocation =
                    self.revocation(&session.chain, staple, &chain_der, &extra, deadline);
                Some(timeline.time(Phase::Revocation, revocation).await)
            };
            let (extras, revocation) = tokio::join!(extras, certificate);
            (tls_probe, https_chain, http_chain, extras, revocation)
        };
        let (
            (tls_probe, https_chain, http_chain, extras, revocation),
            legacy,
            (dns_evidence, mail_evidence),
        ) = tokio::join!(Box::pin(web), legacy, domain_side);
        evidence.legacy = legacy;
        evidence.revocation = revocation;
        evidence.privacy_page = extras.privacy_page;
        pages.home = extras.home;
        evidence.crawler_views = extras.crawler_views;
        evidence.security_txt = extras.security_txt;
        evidence.exposure = extras.exposure;
        evidence.http = Some(http_chain);
        evidence.https = https_chain;
        evidence.tls = tls_probe;
        counted(&mut evidence, dns_evidence, mail_evidence, &counter);
        if let Some(trustlabel_core::evidence::dns::Ipv6Probe {
            outcome: trustlabel_core::evidence::dns::Ipv6Outcome::Answered { v4, .. },
            ..
        }) = evidence
            .dns
            .as_mut()
            .and_then(|dns| dns.ipv6.probe.as_mut())
        {
            *v4 = domain::first_answer_summary(evidence.https.as_ref());
        }
        self.finish(evidence, deadline)
    }

    /// A site whose own name gave no address to scan still has a domain: its mail
    /// evidence (as internet.nl tests mail apart from the web) and the DNSSEC of its name
    /// (a bogus chain is often why a validating resolver gives no address), within the
    /// same deadline. Only the site over IPv6 is not looked at, and the evidence says why.
    async fn without_site(
        &self,
        mut evidence: Evidence,
        host: &str,
        https_port: u16,
        why: String,
        started_at: OffsetDateTime,
        deadline: Instant,
    ) -> Evidence {
        let counter = dns::SiteCounter::default();
        let (dns, mail) = Box::pin(self.domain_side(
            host,
            https_port,
            &counter,
            started_at,
            deadline,
            SiteReached::No(why),
        ))
        .await;
        counted(&mut evidence, dns, mail, &counter);
        self.finish(evidence, deadline)
    }

    /// The DNS and mail evidence of a site named `host`; for an address literal, only a
    /// DNS record saying there is no name to validate.
    async fn domain_side(
        &self,
        host: &str,
        https_port: u16,
        counter: &dns::SiteCounter,
        started_at: OffsetDateTime,
        deadline: Instant,
        reached: SiteReached,
    ) -> (
        Option<trustlabel_core::evidence::dns::DnsEvidence>,
        Option<trustlabel_core::evidence::mail::MailEvidence>,
    ) {
        use trustlabel_core::evidence::dns::{DnsEvidence, DnssecEvidence, DnssecStatus};
        if !self.settings.domain.enabled {
            return (None, None);
        }
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok();
        let name = trustlabel_core::dns::Name::parse(host)
            .ok()
            .filter(|_| !literal);
        let registrable = trustlabel_core::domain::registrable_domain(host)
            .and_then(|d| trustlabel_core::dns::Name::parse(&d).ok());
        let (Some(name), Some(domain)) = (name, registrable) else {
            let why = if literal {
                "the site is scanned by its IP address: there is no name to validate"
            } else {
                "the site's name has no registrable domain"
            };
            let dns = DnsEvidence {
                domain: String::new(),
                dnssec: DnssecEvidence {
                    name: host.to_string(),
                    status: DnssecStatus::Indeterminate { why: why.into() },
                    trail: vec![],
                },
                caa: Default::default(),
                ipv6: Default::default(),
                name_servers: Default::default(),
                queries: 0,
            };
            return (Some(dns), None);
        };
        let asker = domain::Asker {
            collector: self,
            anchors: &self.settings.domain.trust_anchors,
            counter,
            deadline,
            now: started_at.unix_timestamp(),
        };
        let (dns, mail) = tokio::join!(
            Box::pin(self.dns_side(&asker, &name, &domain, https_port, reached)),
            Box::pin(self.mail_side(&asker, &domain)),
        );
        (Some(dns), Some(mail))
    }

    /// The fetches beyond the home pages, on at most [`CONTENT_CONNECTIONS`] connections
    /// of the content channel at once (the verified one included), since none waits for
    /// another's answer: the privacy notice then `security.txt` (verified https only) on
    /// the connection that fetched the home page, each cloaking view on its own, the
    /// exposure baseline on another while the last two open; then every connection takes
    /// exposure probes until the paths, the budget or the deadline run out.
    async fn page_extras(
        &self,
        content: &mut Content<'_>,
        deadline: Instant,
        timeline: &Timeline,
    ) -> PageExtras {
        let home = analyse_chain(content.home, &PageLimits::default());
        let (kind, channel, home_url) = (content.kind, content.channel, &content.home_url);
        let paths = self.exposures.paths();
        let plan = probe::ProbePlan {
            base: home_url,
            channel,
            paths: &paths,
            max_requests: self.settings.exposure_max_requests,
        };
        let main = &mut content.fetcher;
        // Side-by-side connections only pay where round trips cost more than the TLS
        // handshakes they add. The fastest connect and handshake say so even on a loaded
        // machine, where a near site's later answers also wait for the CPU.
        if !main.round_trips_cost() {
            return self
                .page_extras_in_turn(main, home, &plan, kind, channel, deadline, timeline)
                .await;
        }
        let mut googlebot = main.sibling();
        let mut visitor = main.sibling();
        let mut baseline_lane = main.sibling();
        // The connections left of `CONTENT_CONNECTIONS` (none at four), opened while the
        // others fetch.
        let mut idle: Vec<SiteFetcher<'_>> =
            (4..CONTENT_CONNECTIONS).map(|_| main.sibling()).collect();
        let notice_then_disclosure = async {
            let privacy_page = match &home {
                Some(home) => {
                    let page = views::privacy_page(main, home, kind, &self.page_rules, deadline);
                    timeline.time(Phase::PrivacyPage, page).await
                }
                None => None,
            };
            // RFC 9116 wants the file over https: none is asked for on plain http.
            let security_txt = match channel {
                ProbeChannel::VerifiedHttps => Some(
                    timeline
                        .time(
                            Phase::SecurityTxt,
                            security_txt::fetch(main, home_url, deadline),
                        )
                        .await,
                ),
                ProbeChannel::PlainHttpNoHttps => None,
            };
            (privacy_page, security_txt)
        };
        let views = views::crawler_views(&mut googlebot, &mut visitor, home_url, kind, deadline);
        let baseline = probe::baseline(&mut baseline_lane, &plan, deadline);
        let open = futures::future::join_all(idle.iter_mut().map(|lane| lane.open_ahead(home_url)));
        let ((privacy_page, security_txt), crawler_views, baseline, _) = tokio::join!(
            Box::pin(notice_then_disclosure),
            Box::pin(timeline.time(Phase::CrawlerViews, views)),
            Box::pin(timeline.time(Phase::ExposureBaseline, baseline)),
            open,
        );
        let mut lanes = vec![main, &mut googlebot, &mut visitor, &mut baseline_lane];
        lanes.extend(idle.iter_mut());
        let exposure =
            probe::probe_paths_with_baseline(lanes, &plan, baseline, deadline, timeline).await;
        PageExtras {
            home,
            privacy_page,
            crawler_views,
            security_txt,
            exposure,
        }
    }

    /// [`Self::page_extras`] one after another on the one connection, for a site so
    /// near that more connections would cost more than they save.
    #[allow(
        clippy::too_many_arguments,
        reason = "the page_extras state, passed on as is"
    )]
    async fn page_extras_in_turn(
        &self,
        main: &mut SiteFetcher<'_>,
        home: Option<PageFacts>,
        plan: &probe::ProbePlan<'_>,
        kind: ChainKind,
        channel: ProbeChannel,
        deadline: Instant,
        timeline: &Timeline,
    ) -> PageExtras {
        let privacy_page = match &home {
            Some(home) => {
                let page = views::privacy_page(main, home, kind, &self.page_rules, deadline);
                timeline.time(Phase::PrivacyPage, page).await
            }
            None => None,
        };
        let views = views::crawler_views_in_turn(main, plan.base, kind, deadline);
        let crawler_views = timeline.time(Phase::CrawlerViews, views).await;
        let security_txt = match channel {
            ProbeChannel::VerifiedHttps => {
                let file = security_txt::fetch(main, plan.base, deadline);
                Some(timeline.time(Phase::SecurityTxt, file).await)
            }
            ProbeChannel::PlainHttpNoHttps => None,
        };
        let baseline = timeline
            .time(
                Phase::ExposureBaseline,
                probe::baseline(main, plan, deadline),
            )
            .await;
        let exposure =
            probe::probe_paths_with_baseline(vec![main], plan, baseline, deadline, timeline).await;
        PageExtras {
            home,
            privacy_page,
            crawler_views,
            security_txt,
            exposure,
        }
    }

    fn finish(&self, mut evidence: Evidence, deadline: Instant) -> Evidence {
        evidence.finished_at = OffsetDateTime::now_utc();
        evidence.deadline_exceeded = Instant::now() >= deadline;
        evidence
    }

    async fn secure_side(
        &self,
        host: &str,
        port: u16,
        pinned: IpAddr,
        pins: &Pins,
        deadline: Instant,
        timeline: &Timeline,
    ) -> (
        Option<TlsProbe>,
        Option<FetchChain>,
        Option<SiteFetcher<'_>>,
    ) {
        let addr = self.tls_addr(host, port, pinned);
        if !self.resolver.is_allowed(addr.ip()) {
            let end = ChainEnd::AddressRefused {
                url: format!("https://{host}:{port}/"),
                address: addr.ip(),
            };
            return (None, Some(FetchChain { hops: vec![], end }), None);
        }
        let server_name = match host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => match ServerName::try_from(host.to_string()) {
                Ok(n) => n,
                Err(e) => {
                    let probe = TlsProbe::HandshakeFailed {
                        message: format!("`{host}` cannot be a TLS server name: {e}"),
                        timed_out: false,
                        chain: vec![],
                    };
                    return (Some(probe), None, None);
                }
            },
        };
        self.politeness.wait(host, addr.ip()).await;
        let round_trip = net::RoundTrip::default();
        let handshake = self.tls.probe(
            addr,
            server_name,
            self.settings.connect_timeout,
            self.settings.handshake_timeout,
            deadline,
            &round_trip,
        );
        let (probe, stream) = timeline.time(Phase::TlsHandshake, handshake).await;
        // Only a stream the strict verifier accepted comes back, so the fetcher returned
        // here (and used for the page extras) never carries the permissive connection.
        match (&probe, stream) {
            (_, Some(stream)) => {
                let mut fetcher = self.fetcher(host, pins.clone(), &self.fetch, deadline);
                fetcher.adopt_tls(host, port, stream, round_trip.fastest());
                let chain = match site_url("https", host, port, 443) {
                    Ok(url) => {
                        let chain = fetcher.fetch_chain(url, ChainKind::Secure);
                        timeline.time(Phase::HttpsChain, chain).await
                    }
                    Err(failed) => failed,
                };
                (Some(probe), Some(chain), Some(fetcher))
            }
            (TlsProbe::Established(_), None) => {
                let chain = FetchChain {
                    hops: vec![],
                    end: ChainEnd::CertificateNotTrusted,
                };
                (Some(probe), Some(chain), None)
            }
            _ => (Some(probe), None, None),
        }
    }

    /// Where the site's TLS port really is (a `--connect-to` override or the pinned address).
    fn tls_addr(&self, host: &str, port: u16, pinned: IpAddr) -> SocketAddr {
        self.resolver
            .override_for(host, port)
            .unwrap_or(SocketAddr::new(pinned, port))
    }

    /// Protocol versions and suites through hand-built hellos, concurrently with the
    /// rustls handshake and sharing the site's politeness budget.
    async fn legacy_side(
        &self,
        host: &str,
        port: u16,
        pinned: IpAddr,
        deadline: Instant,
    ) -> Option<LegacyTls> {
        if !self.legacy.enabled() {
            return None;
        }
        let addr = self.tls_addr(host, port, pinned);
        if !self.resolver.is_allowed(addr.ip()) {
            return None;
        }
        let target = legacy::Target {
            addr,
            server_name: host.parse::<IpAddr>().is_err().then_some(host),
            host,
        };
        Some(self.legacy.probe(&target, &self.politeness, deadline).await)
    }

    async fn plain_side(
        &self,
        host: &str,
        pins: &Pins,
        deadline: Instant,
    ) -> (FetchChain, SiteFetcher<'_>) {
        let port = self.settings.http_port;
        let mut fetcher = self.fetcher(host, pins.clone(), &self.fetch, deadline);
        let chain = match site_url("http", host, port, 80) {
            Ok(url) => fetcher.fetch_chain(url, ChainKind::Plain).await,
            Err(failed) => failed,
        };
        (chain, fetcher)
    }

    fn fetcher<'a>(
        &'a self,
        host: &str,
        pins: Pins,
        settings: &'a FetchSettings,
        deadline: Instant,
    ) -> SiteFetcher<'a> {
        SiteFetcher::new(
            host,
            pins,
            &self.resolver,
            &self.tls,
            &self.politeness,
            settings,
            deadline,
        )
    }

    /// Fetches the leaf's issuer from its AIA `caIssuers` URL and retries the path.
    async fn complete_via_aia(
        &self,
        chain: &[CertificateInfo],
        chain_der: &[CertificateDer<'static>],
        deadline: Instant,
    ) -> (Option<AiaOutcome>, Vec<CertificateDer<'static>>) {
        let Some(leaf) = chain.first() else {
            return (None, vec![]);
        };
        if leaf.self_signed {
            return (None, vec![]);
        }
        let Some(url) = leaf
            .aia_ca_issuers
            .iter()
            .find(|u| u.starts_with("http://") || u.starts_with("https://"))
        else {
            return (None, vec![]);
        };
        let fetched = match self.download(url, &self.fetch, deadline).await {
            Err(message) => {
                return (
                    Some(AiaOutcome::FetchFailed {
                        url: url.clone(),
                        message,
                    }),
                    vec![],
                );
            }
            Ok(bytes) => bytes,
        };
        let der = if fetched.starts_with(b"-----BEGIN") {
            revocation::pem_body(&fetched).unwrap_or_default()
        } else {
            fetched
        };
        if parse_certificate(&der).is_err() {
            return (
                Some(AiaOutcome::FetchFailed {
                    url: url.clone(),
                    message: "the AIA URL did not return a certificate (DER or PEM)".into(),
                }),
                vec![],
            );
        }
        let extra = vec![CertificateDer::from(der)];
        let outcome = match self.tls.verify_path(chain_der, &extra) {
            Ok(()) => AiaOutcome::Verified,
            Err(error) => AiaOutcome::StillFailed { error },
        };
        (Some(outcome), extra)
    }

    /// Staple, then OCSP responder, then CRL: the first source that gives a signed,
    /// current answer about this certificate decides; otherwise every attempt is kept.
    async fn revocation(
        &self,
        chain: &[CertificateInfo],
        staple: Option<&str>,
        chain_der: &[CertificateDer<'static>],
        extra: &[CertificateDer<'static>],
        deadline: Instant,
    ) -> Revocation {
        let Some(leaf) = chain.first() else {
            return Revocation::Unknown {
                attempts: vec!["no certificate".into()],
            };
        };
        let mut attempts = Vec::new();
        if let Some(decided) = self
            .ocsp_status(leaf, staple, chain_der, extra, deadline, &mut attempts)
            .await
        {
            return decided;
        }
        let urls: Vec<&String> = leaf
            .crl_distribution_points
            .iter()
            .filter(|u| u.starts_with("http://"))
            .collect();
        if urls.is_empty() {
            attempts.push("the certificate names no HTTP CRL distribution point".into());
        }
        let serial = hex::decode(&leaf.serial_hex).unwrap_or_default();
        for url in urls {
            let slot = self.crls.slot(url);
            let crl = slot
                .get_or_init(|| async {
                    let bytes = self.download(url, &self.crl_fetch, deadline).await?;
                    revocation::parse_crl(&bytes)
                })
                .await;
            match crl {
                Err(message) => attempts.push(format!("{url}: {message}")),
                Ok(crl) => {
                    let check = self.tls.check_crl(chain_der, extra, crl);
                    match revocation::judge(url, crl, &serial, check) {
                        Revocation::Unknown { attempts: more } => attempts.extend(more),
                        decided => return decided,
                    }
                }
            }
        }
        Revocation::Unknown { attempts }
    }

    /// GET one URL (no redirects), with address safety and politeness; the body bytes.
    async fn download(
        &self,
        url: &str,
        settings: &FetchSettings,
        deadline: Instant,
    ) -> Result<Vec<u8>, String> {
        self.transfer(url, settings, &self.politeness, None, deadline)
            .await
    }

    /// One request without redirects (a GET, or a POST of `payload`) under the given
    /// politeness budget, with address safety; the body bytes of a `200`.
    async fn transfer(
        &self,
        url: &str,
        settings: &FetchSettings,
        politeness: &Politeness,
        payload: Option<&Payload>,
        deadline: Instant,
    ) -> Result<Vec<u8>, String> {
        let parsed = Url::parse(url).map_err(|e| format!("bad URL {url}: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("no host in {url}"))?
            .to_string();
        // Certificate URLs (AIA, OCSP, CRL) are other hosts: resolved afresh, and refused
        // like any target unless their address passes the address rule.
        let mut fetcher = SiteFetcher::new(
            &host,
            Pins::default(),
            &self.resolver,
            &self.tls,
            politeness,
            settings,
            deadline,
        );
        let response = fetcher.fetch_once(&parsed, payload).await?;
        if response.status != 200 {
            return Err(format!("HTTP {}", response.status));
        }
        if response.body.truncated {
            return Err(format!("larger than {} bytes", settings.body_cap));
        }
        Ok(response.body.bytes)
    }
}

fn site_url(scheme: &str, host: &str, port: u16, default_port: u16) -> Result<Url, FetchChain> {
    let host_part = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let text = if port == default_port {
        format!("{scheme}://{host_part}/")
    } else {
        format!("{scheme}://{host_part}:{port}/")
    };
    Url::parse(&text).map_err(|e| FetchChain {
        hops: vec![],
        end: ChainEnd::Failed {
            kind: trustlabel_core::evidence::FetchFailureKind::Protocol,
            message: format!("cannot form a URL from `{text}`: {e}"),
        },
    })
}

/// The channel the page extras use (its fetcher and connections) and the home page they
/// start from.
struct Content<'c> {
    fetcher: SiteFetcher<'c>,
    channel: ProbeChannel,
    kind: ChainKind,
    home_url: Url,
    home: &'c FetchChain,
}

impl<'c> Content<'c> {
    fn new(
        fetcher: SiteFetcher<'c>,
        host: &'c str,
        port: u16,
        channel: ProbeChannel,
        home: &'c FetchChain,
    ) -> Option<Content<'c>> {
        // A site whose home page never answered gets no further requests: there is
        // nothing to compare with, and it would only spend the deadline on timeouts.
        home.last_response()?;
        let (scheme, default_port, kind) = match channel {
            ProbeChannel::VerifiedHttps => ("https", 443, ChainKind::Secure),
            ProbeChannel::PlainHttpNoHttps => ("http", 80, ChainKind::Plain),
        };
        Some(Content {
            fetcher,
            channel,
            kind,
            home_url: site_url(scheme, host, port, default_port).ok()?,
            home,
        })
    }
}

#[derive(Default)]
struct PageExtras {
    /// The home page as analysed to find the privacy-notice link.
    home: Option<PageFacts>,
    privacy_page: Option<FetchChain>,
    crawler_views: Vec<CrawlerView>,
    security_txt: Option<FetchChain>,
    exposure: Option<ExposureEvidence>,
}

/// DER bodies of every CERTIFICATE block in a PEM text.
fn pem_blocks(pem: &str) -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let after = &rest[start..];
        match after.find("-----END CERTIFICATE-----") {
            Some(end) => {
                let block = &after[..end + "-----END CERTIFICATE-----".len()];
                if let Some(der) = revocation::pem_body(block.as_bytes()) {
                    blocks.push(der);
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    blocks
}

/// Shared handle for scan tasks.
pub type SharedCollector = Arc<Collector>;

/// Puts the DNS and mail evidence into `evidence` with the questions and SMTP
/// connections this site's scan spent on them.
fn counted(
    evidence: &mut Evidence,
    dns: Option<trustlabel_core::evidence::dns::DnsEvidence>,
    mail: Option<trustlabel_core::evidence::mail::MailEvidence>,
    counter: &dns::SiteCounter,
) {
    evidence.dns = dns.map(|mut dns| {
        dns.queries = counter.queries();
        dns
    });
    evidence.mail = mail.map(|mut mail| {
        mail.smtp_connections = counter.smtp_connections();
        mail
    });
}
