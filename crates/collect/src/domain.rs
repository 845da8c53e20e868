//! DNS evidence of one site: the DNSSEC chain of its name (walked from the configured
//! trust anchor by the core's validator, each answer fetched here), CAA, AAAA and the
//! home page over IPv6, and whether the domain's name servers answer over IPv6.
//!
//! Questions go to the configured resolver through [`crate::dns::DnsClient`] (cached for
//! the run); connections (the site over IPv6, a name server over IPv6) go only to
//! addresses that pass the address rule, under the politeness budget and the deadline.

use crate::Collector;
use crate::dns::{Answer, SiteCounter};
use crate::http::{Pins, SiteFetcher};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;
use trustlabel_core::dns::caa::CaaRecord;
use trustlabel_core::dns::dnssec::{Outcome, SetCheck, TrustAnchor, Walk, ZoneKeys, check_rrset};
use trustlabel_core::dns::{Message, Name, RData, RType, Rcode};
use trustlabel_core::evidence::dns::{
    CaaEvidence, DnsEvidence, DnssecEvidence, DnssecStatus, Ipv6Evidence, Ipv6Outcome, Ipv6Probe,
    NameServer, NameServerEvidence, NsProbe, PageSummary,
};
use url::Url;

/// Name servers asked over IPv6 at most (until one answers).
const MAX_NS_PROBED: usize = 4;
/// Names asked for CAA at most while climbing toward the root.
const MAX_CAA_CLIMB: usize = 10;
/// Aliases followed at most when validating the site's address records.
const MAX_CNAME_STEPS: usize = 4;

/// Secure zones validated earlier in the run, so the root, the TLDs and shared parents
/// are validated once, not once per site.
pub struct ZoneCache {
    ttl: Duration,
    capacity: usize,
    zones: Mutex<HashMap<Name, (std::time::Instant, ZoneKeys)>>,
}

impl ZoneCache {
    pub fn new(ttl: Duration, capacity: usize) -> ZoneCache {
        ZoneCache {
            ttl,
            capacity,
            zones: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Name, (std::time::Instant, ZoneKeys)>> {
        self.zones.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The deepest cached secure zone at or above `name`.
    pub fn deepest(&self, name: &Name) -> Option<ZoneKeys> {
        let zones = self.lock();
        let now = std::time::Instant::now();
        let mut current = Some(name.clone());
        while let Some(n) = current {
            if let Some((at, keys)) = zones.get(&n) {
                if now.duration_since(*at) < self.ttl {
                    return Some(keys.clone());
                }
            }
            current = n.parent();
        }
        None
    }

    pub fn insert(&self, keys: ZoneKeys) {
        let mut zones = self.lock();
        if zones.len() >= self.capacity {
            zones.clear();
        }
        zones.insert(keys.zone.clone(), (std::time::Instant::now(), keys));
    }
}

/// Whether the site's own name gave an address that was scanned: the IPv6 twin of a
/// site that could not be reached is not looked for.
pub(crate) enum SiteReached {
    Yes,
    /// Why not, as the IPv6 evidence words it.
    No(String),
}

/// One site's DNS work: where answers come from and whose budget they count against.
pub(crate) struct Asker<'c> {
    pub collector: &'c Collector,
    pub anchors: &'c [TrustAnchor],
    pub counter: &'c SiteCounter,
    pub deadline: Instant,
    /// Seconds since the epoch, for signature validity.
    pub now: i64,
}

/// The address records of one answer (any owner, so aliases are followed as the
/// resolver followed them).
pub(crate) fn addresses(message: &Message) -> Vec<IpAddr> {
    message
        .answers
        .iter()
        .filter_map(|r| match r.rdata {
            RData::A(ip) => Some(IpAddr::V4(ip)),
            RData::Aaaa(ip) => Some(IpAddr::V6(ip)),
            _ => None,
        })
        .collect()
}

/// A failed answer as evidence words it: a transport failure, or an rcode that is
/// neither an answer nor "no such name".
pub(crate) fn failure(answer: &Answer) -> Option<String> {
    match answer {
        Err(e) => Some(e.clone()),
        Ok(m) if !matches!(m.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) => {
            Some(format!("the resolver answered {}", m.rcode))
        }
        Ok(_) => None,
    }
}

impl Asker<'_> {
    pub async fn ask(&self, name: &Name, rtype: RType) -> Answer {
        self.collector
            .dns
            .query(name, rtype, self.deadline, self.counter)
            .await
    }

    /// Walks the chain of trust to `name`, from the deepest zone validated before.
    pub async fn walk(&self, name: &Name) -> (Outcome, Vec<String>) {
        let known = self.collector.zones.deepest(name);
        let mut walk = Walk::new(name.clone(), self.anchors, known, self.now);
        while let Some(question) = walk.question() {
            let answer = self.ask(&question.name, question.rtype).await;
            walk.feed(answer.as_deref().map_err(Clone::clone));
        }
        for zone in walk.learned() {
            self.collector.zones.insert(zone.clone());
        }
        let outcome = walk.outcome().cloned().unwrap_or(Outcome::Indeterminate {
            why: "the walk did not finish".into(),
        });
        (outcome, walk.trail().to_vec())
    }

    /// Validates the `rtype` records of `owner` in `message`; `None` when the set is
    /// absent. Signed by a zone below `zone`, that zone is walked first.
    pub async fn validate(
        &self,
        zone: &ZoneKeys,
        message: &Message,
        owner: &Name,
        rtype: RType,
    ) -> Option<SetCheck> {
        let records = trustlabel_core::dns::dnssec::rrset(&message.answers, owner, rtype);
        if records.is_empty() {
            return None;
        }
        let sigs = trustlabel_core::dns::dnssec::rrsigs_for(&message.answers, owner, rtype);
        match check_rrset(owner, &records, &sigs, zone, self.now) {
            SetCheck::DeeperSigner(signer) => match self.walk(&signer).await.0 {
                Outcome::Secure(deeper) => {
                    Some(check_rrset(owner, &records, &sigs, &deeper, self.now))
                }
                Outcome::Insecure { why, .. } => Some(SetCheck::Unsupported(why)),
                Outcome::Bogus { why, .. } => Some(SetCheck::Bogus(why)),
                Outcome::Indeterminate { why } => Some(SetCheck::Bogus(format!(
                    "the zone {signer} that signs {owner} could not be validated: {why}"
                ))),
            },
            other => Some(other),
        }
    }

    /// Whether the `rtype` set of `owner` is secure: its zone chained to the anchor and
    /// the set signed by it.
    pub async fn secure_set(&self, owner: &Name, rtype: RType, message: &Message) -> bool {
        match self.walk(owner).await.0 {
            Outcome::Secure(zone) => matches!(
                self.validate(&zone, message, owner, rtype).await,
                Some(SetCheck::Secure { .. })
            ),
            _ => false,
        }
    }
}

/// How bad a status is, for combining the links of an alias chain.
fn rank(status: &DnssecStatus) -> u8 {
    match status {
        DnssecStatus::Secure { .. } => 0,
        DnssecStatus::Indeterminate { .. } => 1,
        DnssecStatus::Insecure { .. } => 2,
        DnssecStatus::Bogus { .. } => 3,
    }
}

fn from_outcome(outcome: Outcome) -> DnssecStatus {
    match outcome {
        Outcome::Secure(z) => DnssecStatus::Secure {
            zone: z.zone.to_string(),
        },
        Outcome::Insecure { at, why } => DnssecStatus::Insecure {
            at: at.to_string(),
            why,
        },
        Outcome::Bogus { at, why } => DnssecStatus::Bogus {
            at: at.to_string(),
            why,
        },
        Outcome::Indeterminate { why } => DnssecStatus::Indeterminate { why },
    }
}

impl Collector {
    /// The DNS evidence of `host` (a name, not an address literal) and its registrable
    /// domain. `https_port` is where the IPv6 probe asks for the home page.
    pub(crate) async fn dns_side(
        &self,
        asker: &Asker<'_>,
        host: &Name,
        domain: &Name,
        https_port: u16,
        reached: SiteReached,
    ) -> DnsEvidence {
        let ipv6 = async {
            match reached {
                SiteReached::Yes => self.ipv6(asker, host, https_port).await,
                SiteReached::No(why) => Ipv6Evidence {
                    lookup_failure: Some(format!("not looked at: {why}")),
                    ..Ipv6Evidence::default()
                },
            }
        };
        let (dnssec, caa, ipv6, name_servers) = tokio::join!(
            self.dnssec(asker, host),
            self.caa(asker, host),
            ipv6,
            self.name_servers(asker, domain),
        );
        DnsEvidence {
            domain: domain.to_host(),
            dnssec,
            caa,
            ipv6,
            name_servers,
            queries: 0,
        }
    }

    /// The DNSSEC status of the site's address: its zone walked from the anchor, then
    /// the address set (and each alias on the way to it) validated.
    async fn dnssec(&self, asker: &Asker<'_>, host: &Name) -> DnssecEvidence {
        let mut trail = Vec::new();
        let mut statuses = Vec::new();
        let mut name = host.clone();
        for step in 0..=MAX_CNAME_STEPS {
            let (outcome, steps) = asker.walk(&name).await;
            trail.extend(steps);
            let zone = match outcome {
                Outcome::Secure(zone) => zone,
                other => {
                    statuses.push(from_outcome(other));
                    break;
                }
            };
            let (status, next) = self.address_set(asker, &zone, &name).await;
            if status.is_secure() {
                trail.push(format!("{name}: address records validated"));
            }
            statuses.push(status);
            match next {
                Some(target) if step < MAX_CNAME_STEPS => {
                    trail.push(format!("{name}: an alias of {target}"));
                    name = target;
                }
                _ => break,
            }
        }
        // The worst link decides; among equals the last, the zone the address lives in.
        let status = statuses
            .into_iter()
            .max_by_key(rank)
            .unwrap_or(DnssecStatus::Indeterminate {
                why: "nothing was validated".into(),
            });
        DnssecEvidence {
            name: host.to_host(),
            status,
            trail,
        }
    }

    /// Validates the address records of `name` in its secure `zone` (A, else AAAA; or
    /// the alias standing in their place); the alias' target when there is one.
    async fn address_set(
        &self,
        asker: &Asker<'_>,
        zone: &ZoneKeys,
        name: &Name,
    ) -> (DnssecStatus, Option<Name>) {
        let secure = DnssecStatus::Secure {
            zone: zone.zone.to_string(),
        };
        for rtype in [RType::A, RType::AAAA] {
            let message = match asker.ask(name, rtype).await {
                Ok(message) => message,
                Err(why) => {
                    let status = DnssecStatus::Indeterminate {
                        why: format!("{name} {rtype}: {why}"),
                    };
                    return (status, None);
                }
            };
            let Some(set) = [RType::CNAME, rtype].into_iter().find(|t| {
                !trustlabel_core::dns::dnssec::rrset(&message.answers, name, *t).is_empty()
            }) else {
                continue;
            };
            let next = (set == RType::CNAME)
                .then(|| {
                    message.answers.iter().find_map(|r| match &r.rdata {
                        RData::Name(target) if r.rtype == RType::CNAME && r.name == *name => {
                            Some(target.clone())
                        }
                        _ => None,
                    })
                })
                .flatten();
            let status = match asker.validate(zone, &message, name, set).await {
                Some(SetCheck::Secure { .. }) | None => secure,
                Some(SetCheck::Bogus(why)) => DnssecStatus::Bogus {
                    at: name.to_string(),
                    why,
                },
                Some(SetCheck::Unsupported(why)) => DnssecStatus::Insecure {
                    at: name.to_string(),
                    why,
                },
                Some(SetCheck::DeeperSigner(signer)) => DnssecStatus::Indeterminate {
                    why: format!("{name} is signed by {signer}, which was not walked"),
                },
            };
            return (status, next);
        }
        (secure, None)
    }

    /// The relevant CAA set (RFC 8659 §3): the first name from the site's up toward the
    /// root that has CAA records.
    async fn caa(&self, asker: &Asker<'_>, host: &Name) -> CaaEvidence {
        let mut evidence = CaaEvidence::default();
        let mut name = host.clone();
        while !name.is_root() && evidence.asked.len() < MAX_CAA_CLIMB {
            evidence.asked.push(name.to_host());
            let answer = asker.ask(&name, RType::CAA).await;
            if let Some(why) = failure(&answer) {
                evidence.failure = Some(format!("CAA {name}: {why}"));
                break;
            }
            let records: Vec<CaaRecord> = answer
                .iter()
                .flat_map(|m| m.answers.iter())
                .filter_map(|r| match &r.rdata {
                    RData::Caa { flags, tag, value } => Some(CaaRecord {
                        flags: *flags,
                        tag: String::from_utf8_lossy(tag).into_owned(),
                        value: String::from_utf8_lossy(value).into_owned(),
                    }),
                    _ => None,
                })
                .collect();
            if !records.is_empty() {
                evidence.found_at = Some(name.to_host());
                evidence.records = records;
                break;
            }
            match name.parent() {
                Some(parent) => name = parent,
                None => break,
            }
        }
        evidence
    }

    /// AAAA records of the site's name and its home page over the first of them.
    async fn ipv6(&self, asker: &Asker<'_>, host: &Name, https_port: u16) -> Ipv6Evidence {
        let answer = asker.ask(host, RType::AAAA).await;
        let mut evidence = Ipv6Evidence::default();
        if let Some(why) = failure(&answer) {
            evidence.lookup_failure = Some(why);
            return evidence;
        }
        evidence.addresses = answer
            .as_deref()
            .map(addresses)
            .unwrap_or_default()
            .into_iter()
            .filter(IpAddr::is_ipv6)
            .collect();
        if let Some(&address) = evidence.addresses.first() {
            let outcome = self
                .home_over_ipv6(&host.to_host(), https_port, address, asker.deadline)
                .await;
            evidence.probe = Some(Ipv6Probe { address, outcome });
        }
        evidence
    }

    async fn home_over_ipv6(
        &self,
        host: &str,
        port: u16,
        address: IpAddr,
        deadline: Instant,
    ) -> Ipv6Outcome {
        if !self.resolver.is_allowed(address) {
            return Ipv6Outcome::Refused;
        }
        let url = match crate::site_url("https", host, port, 443) {
            Ok(url) => url,
            Err(_) => {
                return Ipv6Outcome::Failed {
                    message: format!("cannot form a URL for {host}"),
                };
            }
        };
        let mut fetcher = SiteFetcher::new(
            host,
            Pins::site(host, address),
            &self.resolver,
            &self.tls,
            &self.politeness,
            &self.fetch,
            deadline,
        )
        .over_ipv6();
        match fetcher.fetch_once(&url, None).await {
            Ok(response) => Ipv6Outcome::Answered {
                v6: PageSummary::of(
                    response.status,
                    response.header("location"),
                    &response.body.bytes,
                ),
                v4: None,
            },
            Err(message) => Ipv6Outcome::Failed { message },
        }
    }

    /// The NS set of the registrable domain, their addresses, and a SOA question to
    /// each over IPv6 until one answers.
    async fn name_servers(&self, asker: &Asker<'_>, domain: &Name) -> NameServerEvidence {
        let mut evidence = NameServerEvidence {
            zone: domain.to_host(),
            ..NameServerEvidence::default()
        };
        let answer = asker.ask(domain, RType::NS).await;
        if let Some(why) = failure(&answer) {
            evidence.failure = Some(why);
            return evidence;
        }
        let names: Vec<Name> = answer
            .iter()
            .flat_map(|m| m.answers.iter())
            .filter(|r| r.rtype == RType::NS && r.name == *domain)
            .filter_map(|r| match &r.rdata {
                RData::Name(n) => Some(n.clone()),
                _ => None,
            })
            .take(MAX_NS_PROBED)
            .collect();
        let mut answered = false;
        for name in names {
            let (v4, v6) = tokio::join!(asker.ask(&name, RType::A), asker.ask(&name, RType::AAAA));
            let of = |a: &Answer| a.as_deref().map(addresses).unwrap_or_default();
            let ipv4: Vec<IpAddr> = of(&v4).into_iter().filter(IpAddr::is_ipv4).collect();
            let ipv6: Vec<IpAddr> = of(&v6).into_iter().filter(IpAddr::is_ipv6).collect();
            let ipv6_probe = match (answered, ipv6.first()) {
                (false, Some(&address)) => {
                    let probe = self
                        .ns_over_ipv6(&name, domain, address, asker.deadline)
                        .await;
                    answered = probe.answered();
                    Some(probe)
                }
                _ => None,
            };
            evidence.servers.push(NameServer {
                name: name.to_host(),
                ipv4,
                ipv6,
                ipv6_probe,
            });
        }
        evidence
    }

    /// Asks a name server over IPv6 once per run for a zone: a result is shared with
    /// later sites of the same zone unless this site's deadline cut it short.
    async fn ns_over_ipv6(
        &self,
        name: &Name,
        zone: &Name,
        address: IpAddr,
        deadline: Instant,
    ) -> NsProbe {
        self.ns_probes
            .once_before(&(name.to_host(), zone.to_host()), deadline, || {
                self.ns_over_ipv6_fresh(name, zone, address, deadline)
            })
            .await
    }

    async fn ns_over_ipv6_fresh(
        &self,
        name: &Name,
        zone: &Name,
        address: IpAddr,
        deadline: Instant,
    ) -> NsProbe {
        if !self.resolver.is_allowed(address) {
            return NsProbe::Refused { address };
        }
        let host = name.to_host();
        let target = self
            .resolver
            .override_for_family(&host, 53, true)
            .unwrap_or(SocketAddr::new(address, 53));
        if tokio::time::timeout_at(deadline, self.politeness.wait(&host, address))
            .await
            .is_err()
        {
            return NsProbe::Failed {
                address,
                message: "the site deadline passed before the name server could be asked".into(),
            };
        }
        match self
            .dns
            .exchange(target, target, zone, RType::SOA, false, false, deadline)
            .await
        {
            Ok(answer) => NsProbe::Answered {
                address,
                rcode: answer.rcode.to_string(),
            },
            Err(message) => NsProbe::Failed { address, message },
        }
    }
}

/// The home page's first answer over IPv4 (the https chain's first hop), for comparing
/// with the IPv6 one.
pub(crate) fn first_answer_summary(
    chain: Option<&trustlabel_core::evidence::FetchChain>,
) -> Option<PageSummary> {
    let response = chain?.hops.first()?.response.as_ref()?;
    Some(PageSummary::of(
        response.status,
        response.header("location"),
        &response.body.bytes,
    ))
}

/// The URL of an MTA-STS policy (RFC 8461 §3.3).
pub(crate) fn mta_sts_url(domain: &str) -> Option<Url> {
    Url::parse(&format!("https://mta-sts.{domain}/.well-known/mta-sts.txt")).ok()
}
