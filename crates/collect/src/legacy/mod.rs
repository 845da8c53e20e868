//! The legacy TLS probe strategy: which hellos to send to learn a site's protocol
//! versions, accepted cipher suites and preference order with few handshakes.
//!
//! Per version: offer every suite the version can negotiate (in chunks, since some
//! servers cannot take huge hellos), note the suite the server picks, remove it and ask
//! again until the server refuses; the version counts as supported only when the server
//! answers with that very version. The order probe then offers the first two picks
//! reversed: a server that keeps its pick prefers its own order. TLS 1.2 is asked first:
//! a port that does not answer its first hello is not asked anything else, so a silent
//! or dead port costs one timeout, not five; once it answers, the other versions run
//! alongside the rest of TLS 1.2, TLS 1.3 first. A version's chunks are enumerated side
//! by side once its first hello has not refused the version itself, and merged in offer
//! order as if asked one after another. Every hello waits for the site's politeness
//! budget and a per-site semaphore bounds how many run at once. A hello that follows a
//! pick (or the first of TLS 1.2's and 1.3's chains, which go on as a rule) goes out on
//! a connection opened while the previous answer was awaited (one round trip per hello
//! instead of two, on a latency-bound path). On a far site this took the probe from 14
//! round trips to 11: the page extras, not the hellos, are now the longer side.

mod conn;
mod vulns;

use super::certinfo::parse_certificate;
use super::politeness::Politeness;
use crate::net::{RoundTrip, connect_tcp};
use conn::{Exchange, Spare};
use rand::RngCore;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use trustlabel_core::evidence::{
    AcceptedSuite, KeyExchangeParams, LegacyTls, PublicKeyInfo, TlsVersion, VersionOutcome,
    VersionProbe, wire_version_name,
};
use trustlabel_core::tlsprobe::server::{group_params, parse_server_key_exchange};
use trustlabel_core::tlsprobe::{
    Flight, HelloExtras, HelloSpec, KxLayout, ServerAnswer, SuiteTable, client_hello,
};

/// How hard the prober may push one site.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySettings {
    pub enabled: bool,
    /// Suites per hello; a longer offer list is sent in several hellos.
    pub max_suites_per_hello: usize,
    /// Hellos in flight at once for one site.
    pub parallelism: usize,
    /// Heartbleed, CCS injection, ROBOT, renegotiation, compression, fallback and EMS
    /// probes after the version probes.
    pub vulnerability_probes: bool,
}

impl Default for LegacySettings {
    fn default() -> Self {
        LegacySettings {
            enabled: true,
            max_suites_per_hello: 128,
            // A browser opens six connections to a host; every hello still waits for
            // the host's and address's politeness budget.
            parallelism: 6,
            vulnerability_probes: true,
        }
    }
}

pub struct LegacyProber {
    settings: LegacySettings,
    connect_timeout: Duration,
    /// Time for the server's answer to one hello.
    hello_timeout: Duration,
    suites: SuiteTable,
    /// What each version's hellos offer, strongest first (computed once, not per site).
    offers: Vec<(TlsVersion, Vec<u16>)>,
}

/// Where and as whom one site is probed.
pub struct Target<'a> {
    pub addr: SocketAddr,
    /// SNI; `None` for IP literals.
    pub server_name: Option<&'a str>,
    /// Politeness key.
    pub host: &'a str,
}

/// What one site's probes share: the address, politeness, the hello semaphore, the
/// deadline, and the tallies.
struct Site<'a> {
    prober: &'a LegacyProber,
    target: &'a Target<'a>,
    politeness: &'a Politeness,
    permits: Semaphore,
    deadline: Instant,
    server_key: Mutex<Option<PublicKeyInfo>>,
    /// Whether TLS 1.2's first hello got an answer (`None` until it is in).
    reachable: watch::Sender<Option<bool>>,
    /// Whether a connection opened ahead saves anything (see `Spare`).
    round_trip: RoundTrip,
}

/// One hello's answer, reduced to what the strategy decides on.
enum Answer {
    Chose {
        version: u16,
        suite: u16,
        key_exchange: Option<KeyExchangeParams>,
    },
    Refused(VersionOutcome),
    /// Timeout, garbage, no TCP: nothing can be concluded.
    Broken(VersionOutcome),
}

/// One chunk of a version's offer list, enumerated on its own.
struct Chunk {
    /// This chunk's outcome, suites, completeness and hellos.
    probe: VersionProbe,
    /// The first refusal, when the chunk ran out of suites the server takes.
    refusal: Option<VersionOutcome>,
    /// A connection opened for a next hello that did not come.
    spare: Spare,
    /// The chunk ended the version's enumeration (as the loop over chunks would have).
    ended: bool,
}

/// A version's probe before any answer: nothing learned, nothing left out yet.
fn nothing_yet(version: TlsVersion) -> VersionProbe {
    VersionProbe {
        version,
        outcome: VersionOutcome::NotProbed,
        suites: vec![],
        server_order: None,
        complete: true,
        handshakes: 0,
    }
}

/// Whether, after the first answer of a version's first chunk, the version's other
/// chunks are worth asking: the answer picked a suite of this version, or refused only
/// the suites offered (not the version, and not by breaking down).
fn leaves_version_open(version: TlsVersion, answer: Option<&Answer>) -> bool {
    match answer {
        Some(Answer::Chose { version: v, .. }) => *v == version.wire(),
        Some(Answer::Refused(VersionOutcome::Alert { description })) => {
            description != "protocol_version"
        }
        Some(Answer::Refused(_)) => true,
        Some(Answer::Broken(_)) | None => false,
    }
}

impl LegacyProber {
    pub fn new(
        settings: LegacySettings,
        connect_timeout: Duration,
        hello_timeout: Duration,
    ) -> Self {
        let suites = SuiteTable::builtin();
        let offers = TlsVersion::ALL
            .into_iter()
            .map(|v| (v, suites.offer_list(v)))
            .collect();
        LegacyProber {
            settings,
            connect_timeout,
            hello_timeout,
            suites,
            offers,
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// Probes every version of one site. Never fails: what could not be learned is
    /// recorded as such.
    pub async fn probe(
        &self,
        target: &Target<'_>,
        politeness: &Politeness,
        deadline: Instant,
    ) -> LegacyTls {
        let started = Instant::now();
        let site = Site {
            prober: self,
            target,
            politeness,
            permits: Semaphore::new(self.settings.parallelism.max(1)),
            deadline,
            server_key: Mutex::new(None),
            reachable: watch::Sender::new(None),
            round_trip: RoundTrip::default(),
        };
        let mut first_answer = site.reachable.subscribe();
        let others = async {
            // Whether the port answers TLS 1.2 is known from its first hello: the other
            // versions need not wait for the rest of its suites.
            let reachable = matches!(
                first_answer.wait_for(Option::is_some).await.as_deref(),
                Ok(Some(true))
            );
            if !reachable {
                return (false, Vec::new());
            }
            // TLS 1.3 first: its chain of picks is the longest after TLS 1.2's, so it
            // must not be the hello left waiting for a slot; the older versions are
            // one refusal each on most servers.
            let others = [
                TlsVersion::Tls13,
                TlsVersion::Ssl3,
                TlsVersion::Tls10,
                TlsVersion::Tls11,
            ];
            let probes = futures::future::join_all(others.map(|v| site.version(v))).await;
            (true, probes)
        };
        let tls12 = async {
            let probe = site.version(TlsVersion::Tls12).await;
            // No hello sent at all (the deadline): the port is not known unreachable.
            site.reachable.send_if_modified(|answer| {
                let unset = answer.is_none();
                answer.get_or_insert(true);
                unset
            });
            probe
        };
        let (first, (reachable, other_probes)) = tokio::join!(tls12, others);
        let mut versions = vec![first];
        if reachable {
            versions.extend(other_probes);
        } else {
            for v in TlsVersion::ALL
                .into_iter()
                .filter(|v| *v != TlsVersion::Tls12)
            {
                versions.push(VersionProbe {
                    version: v,
                    outcome: VersionOutcome::NotProbed,
                    suites: vec![],
                    server_order: None,
                    complete: false,
                    handshakes: 0,
                });
            }
        }
        versions.sort_by_key(|v| v.version);
        let vulnerabilities = if self.settings.vulnerability_probes {
            site.vulnerabilities(&versions).await
        } else {
            None
        };
        let cut_short = versions
            .iter()
            .any(|v| v.outcome == VersionOutcome::NotProbed && reachable)
            || (Instant::now() >= deadline && versions.iter().any(|v| !v.complete));
        LegacyTls {
            handshakes: versions.iter().map(|v| v.handshakes).sum::<u32>()
                + vulnerabilities.as_ref().map_or(0, |v| v.handshakes),
            elapsed_ms: started.elapsed().as_millis().min(u128::from(u64::MAX)) as u64,
            server_key: site.server_key.lock().map(|k| k.clone()).unwrap_or(None),
            cut_short,
            versions,
            vulnerabilities,
        }
    }
}

impl Site<'_> {
    async fn version(&self, version: TlsVersion) -> VersionProbe {
        let offer: &[u16] = self
            .prober
            .offers
            .iter()
            .find(|(v, _)| *v == version)
            .map_or(&[], |(_, list)| list.as_slice());
        let size = self.prober.settings.max_suites_per_hello.max(2);
        let mut parts = offer.chunks(size);
        let first_part = parts.next().unwrap_or_default();
        let other_parts: Vec<&[u16]> = parts.collect();
        // The first chunk alone until its first answer: a version the server refuses
        // costs one hello. Once that answer leaves the version open, the other chunks
        // (each enumerated without regard to the others' answers) go side by side with
        // the rest of the first, in the same hello slots: on a far site the chunks one
        // after another were the longest chain of the scan.
        let open = watch::Sender::new(None);
        let mut first_answered = open.subscribe();
        let first = self.chunk(version, first_part, Some(&open));
        let others = async {
            let go = matches!(
                first_answered.wait_for(Option::is_some).await.as_deref(),
                Ok(Some(true))
            );
            if !go {
                return Vec::new();
            }
            let chunks = other_parts
                .iter()
                .map(|part| self.chunk(version, part, None));
            futures::future::join_all(chunks).await
        };
        let (first, others) = tokio::join!(first, others);

        // Merged in offer order as if asked one after another: a chunk that ended the
        // version's enumeration hides what later chunks (already asked) found.
        let mut probe = nothing_yet(version);
        let mut refusal: Option<VersionOutcome> = None;
        // The first two picks of one chunk, and whether they came in our offer order.
        let mut order_pair: Option<(u16, u16, bool)> = None;
        let mut ended = false;
        let mut spare = Spare::default();
        let parts = std::iter::once(first_part).chain(other_parts.iter().copied());
        for (part, chunk) in parts.zip(std::iter::once(first).chain(others)) {
            probe.handshakes += chunk.probe.handshakes;
            if ended {
                continue;
            }
            ended = chunk.ended;
            if chunk.probe.outcome == VersionOutcome::Supported {
                probe.outcome = VersionOutcome::Supported;
            } else if probe.outcome != VersionOutcome::Supported
                && chunk.probe.outcome != VersionOutcome::NotProbed
            {
                probe.outcome = chunk.probe.outcome;
            }
            // A chunk's suites are the server's picks, in the order it made them.
            if let (None, [first, second, ..]) = (order_pair, chunk.probe.suites.as_slice()) {
                let (first, second) = (first.code, second.code);
                let in_offer_order =
                    part.iter().position(|s| *s == first) < part.iter().position(|s| *s == second);
                order_pair = Some((first, second, in_offer_order));
            }
            probe.suites.extend(chunk.probe.suites);
            probe.complete &= chunk.probe.complete;
            if refusal.is_none() {
                refusal = chunk.refusal;
            }
            if spare.is_empty() {
                spare = chunk.spare;
            }
        }
        if probe.outcome == VersionOutcome::NotProbed {
            if let Some(refused) = refusal {
                probe.outcome = refused;
            } else {
                probe.complete = false;
            }
        }
        if let Some((first, second, in_offer_order)) = order_pair {
            probe.server_order = if !in_offer_order {
                Some(true) // the server skipped our favourite: its order won
            } else {
                let reversed = [second, first];
                let order = self.hello(version, &reversed, &mut probe, &mut spare, false);
                match order.await {
                    Some(Answer::Chose { suite, .. }) if suite == first => Some(true),
                    Some(Answer::Chose { suite, .. }) if suite == second => Some(false),
                    _ => None,
                }
            };
        }
        probe
    }

    /// Enumerates one chunk of `version`'s offer list: offer it, note the suite the server
    /// picks, remove it and ask again until the server refuses. `open`: for the first
    /// chunk, told after its first answer whether the version is still open (the other
    /// chunks wait for it), and told `false` at the end if it never was.
    async fn chunk(
        &self,
        version: TlsVersion,
        part: &[u16],
        open: Option<&watch::Sender<Option<bool>>>,
    ) -> Chunk {
        let mut chunk = Chunk {
            probe: nothing_yet(version),
            refusal: None,
            spare: Spare::default(),
            ended: false,
        };
        self.enumerate(version, part, open, &mut chunk).await;
        if let Some(open) = open {
            open.send_if_modified(|answer| {
                let unset = answer.is_none();
                answer.get_or_insert(false);
                unset
            });
        }
        chunk
    }

    async fn enumerate(
        &self,
        version: TlsVersion,
        part: &[u16],
        open: Option<&watch::Sender<Option<bool>>>,
        chunk: &mut Chunk,
    ) {
        let probe = &mut chunk.probe;
        let mut remaining: Vec<u16> = part.to_vec();
        // TLS 1.2's first answer tells the other versions whether to ask at all.
        let mut first = open.is_some();
        // Servers speak TLS 1.2 and 1.3 far more often than they refuse them: their
        // first chunk's chain goes on past its first hello as a rule.
        let likely_spoken = open.is_some() && version >= TlsVersion::Tls12;
        while !remaining.is_empty() {
            // A chain goes on after a pick: warm the next hello's connection then,
            // where a round trip costs more than a connection that may go unused.
            let open_spare =
                (likely_spoken || !probe.suites.is_empty()) && self.round_trip.costly();
            let hello = self.hello(version, &remaining, probe, &mut chunk.spare, open_spare);
            let answer = hello.await;
            if first {
                first = false;
                if version == TlsVersion::Tls12 {
                    let _ = self.reachable.send(Some(!matches!(
                        answer,
                        Some(Answer::Broken(
                            VersionOutcome::Timeout | VersionOutcome::ConnectFailed { .. }
                        ))
                    )));
                }
                if let Some(open) = open {
                    open.send_replace(Some(leaves_version_open(version, answer.as_ref())));
                }
            }
            let Some(answer) = answer else {
                probe.complete = false;
                chunk.ended = true;
                return;
            };
            match answer {
                Answer::Chose {
                    version: answered,
                    suite,
                    key_exchange,
                } if answered == version.wire() => {
                    probe.outcome = VersionOutcome::Supported;
                    let Some(at) = remaining.iter().position(|s| *s == suite) else {
                        // A suite we did not offer: the server is broken; stop asking.
                        probe.complete = false;
                        chunk.ended = true;
                        return;
                    };
                    remaining.remove(at);
                    probe.suites.push(AcceptedSuite {
                        code: suite,
                        name: self.prober.suites.name(suite),
                        key_exchange,
                    });
                }
                Answer::Chose {
                    version: answered, ..
                } => {
                    if probe.outcome != VersionOutcome::Supported {
                        probe.outcome = VersionOutcome::OtherVersion {
                            answered: wire_version_name(answered),
                        };
                    } else {
                        probe.complete = false;
                    }
                    chunk.ended = true;
                    return;
                }
                Answer::Refused(outcome) => {
                    let protocol_alert = matches!(&outcome,
                        VersionOutcome::Alert { description } if description == "protocol_version");
                    chunk.refusal.get_or_insert(outcome);
                    // The version itself refused ends it; else this chunk is exhausted.
                    chunk.ended = protocol_alert && probe.outcome != VersionOutcome::Supported;
                    return;
                }
                Answer::Broken(outcome) => {
                    if probe.outcome != VersionOutcome::Supported {
                        probe.outcome = outcome;
                    }
                    probe.complete = false;
                    chunk.ended = true;
                    return;
                }
            }
        }
    }

    /// Waits for a hello slot and the site's politeness budget; `None` when the deadline
    /// comes first. Every probe connection of the site goes through here.
    async fn admit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = tokio::time::timeout_at(self.deadline, self.permits.acquire())
            .await
            .ok()?
            .ok()?;
        let ip: IpAddr = self.target.addr.ip();
        tokio::time::timeout_at(self.deadline, self.politeness.wait(self.target.host, ip))
            .await
            .ok()?;
        (Instant::now() < self.deadline).then_some(permit)
    }

    fn limits(&self) -> conn::Limits {
        conn::Limits {
            connect: self.prober.connect_timeout,
            answer: self.prober.hello_timeout,
            deadline: self.deadline,
        }
    }

    /// A hello for `version` offering `suites` (and `extras`), with fresh randomness.
    fn hello_bytes(&self, version: TlsVersion, suites: &[u16], extras: HelloExtras) -> Vec<u8> {
        let mut random = [0u8; 32];
        let mut key_share = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut random);
        rand::thread_rng().fill_bytes(&mut key_share);
        client_hello(&HelloSpec {
            version,
            suites,
            server_name: self.target.server_name,
            random,
            key_share,
            extras,
        })
    }

    /// Sends one hello; `None` when the deadline leaves no time for it. `open_spare`:
    /// open the connection for a next hello meanwhile, into `spare`.
    async fn hello(
        &self,
        version: TlsVersion,
        suites: &[u16],
        probe: &mut VersionProbe,
        spare: &mut Spare,
        open_spare: bool,
    ) -> Option<Answer> {
        let _permit = self.admit().await?;
        let bytes = self.hello_bytes(version, suites, HelloExtras::default());
        probe.handshakes += 1;
        let exchange = conn::exchange(
            self.target.addr,
            spare.take(),
            &bytes,
            self.limits(),
            &self.round_trip,
        );
        // The next hello of a chain that goes on waits for this answer; its connection
        // need not.
        let next = async {
            match open_spare {
                true => connect_tcp(self.target.addr, self.prober.connect_timeout, self.deadline)
                    .await
                    .ok(),
                false => None,
            }
        };
        let (exchange, next) = tokio::join!(exchange, next);
        spare.keep(next);
        Some(match exchange {
            Exchange::Connect(failure) => Answer::Broken(VersionOutcome::ConnectFailed {
                message: failure.message,
            }),
            Exchange::Flight(Flight::Hello(answer)) => self.chose(&answer),
            Exchange::Flight(Flight::Alert(alert)) => Answer::Refused(VersionOutcome::Alert {
                description: alert.name(),
            }),
            Exchange::Flight(Flight::Closed) => Answer::Refused(VersionOutcome::Closed),
            Exchange::Flight(Flight::Timeout) => Answer::Broken(VersionOutcome::Timeout),
            Exchange::Flight(Flight::Malformed(message)) => {
                Answer::Broken(VersionOutcome::Malformed { message })
            }
        })
    }

    fn chose(&self, answer: &ServerAnswer) -> Answer {
        let hello = &answer.hello;
        if let (Some(leaf), Ok(mut key)) = (answer.certificates.first(), self.server_key.lock()) {
            // One parse per site is enough: every handshake presents the same leaf.
            if key.is_none() {
                *key = parse_certificate(leaf).ok().map(|info| info.key);
            }
        }
        let key_exchange = if hello.version == TlsVersion::Tls13.wire() {
            hello.key_share_group.map(group_params)
        } else {
            let layout = self
                .prober
                .suites
                .get(hello.suite)
                .and_then(|s| match s.kx.as_str() {
                    "DHE" | "DH" => Some(KxLayout::Dh),
                    "ECDHE" | "ECDH" => Some(KxLayout::Ec),
                    "RSA" if s.export => Some(KxLayout::Rsa),
                    _ => None,
                });
            match (layout, &answer.server_key_exchange) {
                (Some(layout), Some(ske)) => parse_server_key_exchange(layout, ske),
                _ => None,
            }
        };
        Answer::Chose {
            version: hello.version,
            suite: hello.suite,
            key_exchange,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_first_answer_that_leaves_the_version_open_sends_the_other_chunks() {
        let v = TlsVersion::Tls12;
        let chose = |version: TlsVersion| Answer::Chose {
            version: version.wire(),
            suite: 0xc02b,
            key_exchange: None,
        };
        let alert = |description: &str| {
            Answer::Refused(VersionOutcome::Alert {
                description: description.into(),
            })
        };
        assert!(leaves_version_open(v, Some(&chose(TlsVersion::Tls12))));
        // Only the offered suites refused: later chunks may hold what the server takes.
        assert!(leaves_version_open(v, Some(&alert("handshake_failure"))));
        assert!(leaves_version_open(
            v,
            Some(&Answer::Refused(VersionOutcome::Closed))
        ));
        // The version itself refused, another version answered, or no usable answer.
        assert!(!leaves_version_open(v, Some(&alert("protocol_version"))));
        assert!(!leaves_version_open(v, Some(&chose(TlsVersion::Tls10))));
        assert!(!leaves_version_open(
            v,
            Some(&Answer::Broken(VersionOutcome::Timeout))
        ));
        assert!(!leaves_version_open(v, None));
    }
}
