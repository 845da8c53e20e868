//! A tiny authoritative DNS responder for the fleet's names, over UDP on loopback.
//!
//! Tests point the scanner's resolver here so no test ever asks a real DNS server, and
//! `site.dns_failed` can be produced on demand (any name the fleet does not know is
//! NXDOMAIN). Besides the sites' addresses it serves the fleet's zones (mail, CAA, NS,
//! TLSA records), signed with DNSSEC when the zone is, so scans of the fleet validate a
//! real chain of trust. Only what a stub resolver sends is understood: one question.

use super::latency::Latency;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;
use trustlabel_core::dns::dnssec::sign::AuthZone;
use trustlabel_core::dns::wire::{CLASS_IN, Edns, Flags};
use trustlabel_core::dns::{Message, Name, RData, RType, Rcode, Record, parse_message};

/// A name whose A answer changes: the first query gets `answers[0]`, the second
/// `answers[1]`, and so on, the last one repeating. With more than one answer the TTL is
/// 0, so a resolver that asks again sees the change (a DNS-rebinding attacker's server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    pub name: String,
    pub answers: Vec<Ipv4Addr>,
}

/// Lower-case names without the trailing dot → their A answers, how many A queries each
/// name received, and the zones (signed or not) that answer everything else.
#[derive(Debug, Default)]
pub(crate) struct Zone {
    names: HashMap<String, Vec<Ipv4Addr>>,
    queries: Mutex<HashMap<String, usize>>,
    zones: Vec<AuthZone>,
}

impl Zone {
    pub(crate) fn new() -> Zone {
        Zone::default()
    }

    /// A fixed answer (replacing any earlier one for the name).
    pub(crate) fn insert(&mut self, name: String, ip: Ipv4Addr) {
        self.names.insert(name, vec![ip]);
    }

    pub(crate) fn insert_record(&mut self, record: &DnsRecord) {
        let name = record.name.trim_end_matches('.').to_ascii_lowercase();
        self.names.insert(name, record.answers.clone());
    }

    /// The zones that answer every question but the A questions above.
    pub(crate) fn set_zones(&mut self, zones: Vec<AuthZone>) {
        self.zones = zones;
    }

    /// The first A answer of every name (for the zones' records and other servers).
    pub(crate) fn addresses(&self) -> Vec<(String, Ipv4Addr)> {
        self.names
            .iter()
            .filter_map(|(n, a)| a.first().map(|ip| (n.clone(), *ip)))
            .collect()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.queries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many address lookups (A queries without the DNSSEC OK bit, as a stub resolver
    /// asks before connecting) `name` has received.
    pub(crate) fn queries(&self, name: &str) -> usize {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.counts().get(&name).copied().unwrap_or(0)
    }

    /// The answer to the next A query for `name`, with its TTL. A validating question
    /// (`lookup` false: DNSSEC OK set, the scanner checking signatures, not finding where
    /// to connect) gets the current answer and neither counts nor moves the turn on.
    fn next_a(&self, name: &str, lookup: bool) -> Option<(Ipv4Addr, u32)> {
        let answers = self.names.get(name)?;
        let mut counts = self.counts();
        let seen = counts.entry(name.to_string()).or_insert(0);
        let ip = answers.get(*seen).or(answers.last()).copied()?;
        if lookup {
            *seen += 1;
        }
        let ttl = if answers.len() > 1 { 0 } else { TTL_SECONDS };
        Some((ip, ttl))
    }

    /// The zone that answers for `name`: the deepest apex above it, except that a DS
    /// question at an apex belongs to the zone above (if the fleet has one).
    fn zone_for(&self, name: &Name, rtype: RType) -> Option<&AuthZone> {
        let mut candidates: Vec<&AuthZone> = self
            .zones
            .iter()
            .filter(|z| name.is_subdomain_of(z.apex()))
            .collect();
        candidates.sort_by_key(|z| std::cmp::Reverse(z.apex().label_count()));
        if rtype == RType::DS && candidates.len() > 1 && candidates[0].apex() == name {
            candidates.remove(0);
        }
        candidates.first().copied()
    }

    /// Whether `name` lies above some zone (the root, a TLD): the fleet is not the
    /// authority there, so it refuses rather than deny what it does not know.
    fn above_a_zone(&self, name: &Name) -> bool {
        self.zones.iter().any(|z| z.apex().is_subdomain_of(name))
    }
}

/// Short, so a test that changes the fleet never sees a stale cached answer for long.
const TTL_SECONDS: u32 = 60;
/// Largest UDP payload read; bigger datagrams are truncated and then fail to parse.
const MAX_DATAGRAM: usize = 4096;

/// `latency`: each answer leaves one round trip after its question came in.
pub(crate) async fn serve(socket: UdpSocket, zone: Arc<Zone>, latency: Option<Latency>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        // Errors here are per-datagram (e.g. an ICMP unreachable from a past reply):
        // the responder keeps serving.
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let Some(reply) = answer(&zone, &buf[..len]) else {
            continue;
        };
        match latency {
            None => send_reply(&socket, &reply, peer).await,
            Some(latency) => {
                let socket = Arc::clone(&socket);
                let due = latency.round_trip();
                tokio::spawn(async move {
                    tokio::time::sleep(due).await;
                    send_reply(&socket, &reply, peer).await;
                });
            }
        }
    }
}

async fn send_reply(socket: &UdpSocket, reply: &[u8], peer: std::net::SocketAddr) {
    if let Err(e) = socket.send_to(reply, peer).await {
        tracing::debug!("fleet DNS reply to {peer} failed: {e}");
    }
}

/// The reply to a standard query with one question, or `None` for anything else.
pub(crate) fn answer(zone: &Zone, query: &[u8]) -> Option<Vec<u8>> {
    let message = parse_message(query).ok()?;
    if message.flags.response || message.flags.opcode != 0 || message.questions.len() != 1 {
        return None;
    }
    let question = message.questions[0].clone();
    let dnssec = message.edns.is_some_and(|e| e.dnssec_ok);
    let key = question.name.to_host();
    let auth = zone.zone_for(&question.name, question.rtype);
    let mut rcode = Rcode::NOERROR;
    let mut answers = Vec::new();
    let mut authority = Vec::new();
    if zone.names.contains_key(&key) && question.rtype == RType::A {
        if let Some((ip, ttl)) = zone.next_a(&key, !dnssec) {
            let record = Record {
                name: question.name.clone(),
                rtype: RType::A,
                class: CLASS_IN,
                ttl,
                rdata: RData::A(ip),
            };
            answers = match auth {
                Some(auth) => auth.signed(&[record], dnssec),
                None => vec![record],
            };
        }
    } else if let Some(auth) = auth {
        let reply = auth.answer(&question.name, question.rtype, dnssec);
        // A name with a (changing) A answer exists even if its zone never heard of it.
        rcode = if zone.names.contains_key(&key) {
            Rcode::NOERROR
        } else {
            reply.rcode
        };
        answers = reply.answers;
        authority = reply.authority;
    } else if zone.names.contains_key(&key) {
        // Other types of a name outside every zone: no data.
    } else if zone.above_a_zone(&question.name) {
        rcode = Rcode::REFUSED;
    } else {
        rcode = Rcode::NXDOMAIN;
    }
    let reply = Message {
        id: message.id,
        flags: Flags {
            response: true,
            authoritative: rcode != Rcode::REFUSED,
            recursion_desired: message.flags.recursion_desired,
            checking_disabled: message.flags.checking_disabled,
            ..Flags::default()
        },
        rcode,
        questions: vec![question],
        answers,
        authority,
        additional: vec![],
        edns: message.edns.map(|e| Edns {
            udp_payload: 1232,
            dnssec_ok: e.dnssec_ok,
            extended_rcode: 0,
        }),
    };
    let wire = reply.to_wire();
    let limit = message
        .edns
        .map_or(512, |e| usize::from(e.udp_payload).max(512));
    if wire.len() <= limit {
        return Some(wire);
    }
    // Too big for the client's buffer: say so, and let it ask again over TCP.
    let truncated = Message {
        flags: Flags {
            truncated: true,
            ..reply.flags
        },
        answers: vec![],
        authority: vec![],
        ..reply
    };
    Some(truncated.to_wire())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_A: u16 = 1;
    const HEADER_LEN: usize = 12;

    fn zone() -> Zone {
        let mut zone = Zone::new();
        zone.insert("good.demo.test".to_string(), Ipv4Addr::new(127, 77, 1, 1));
        zone
    }

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend(label.as_bytes());
        }
        q.push(0);
        q.extend(qtype.to_be_bytes());
        q.extend(CLASS_IN.to_be_bytes());
        q
    }

    #[test]
    fn a_query_for_a_fleet_name_gets_its_address_case_insensitively() {
        let q = query("Good.Demo.TEST", TYPE_A);
        let reply = answer(&zone(), &q).unwrap();
        assert_eq!(
            reply[..4],
            [0xab, 0xcd, 0x85, 0x00],
            "id, QR+AA+RD, NOERROR"
        );
        assert_eq!(reply[4..12], [0, 1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(reply[12..q.len()], q[12..], "question echoed as sent");
        assert_eq!(reply[reply.len() - 4..], [127, 77, 1, 1]);
    }

    #[test]
    fn other_types_are_empty_and_unknown_names_nxdomain() {
        let aaaa = answer(&zone(), &query("good.demo.test", 28)).unwrap();
        assert_eq!((aaaa[3] & 0x0f, aaaa[7]), (0, 0), "NOERROR, no answers");
        let unknown = answer(&zone(), &query("nope.demo.test", TYPE_A)).unwrap();
        assert_eq!(
            (unknown[3] & 0x0f, unknown[7]),
            (3, 0),
            "NXDOMAIN, no answers"
        );
    }

    #[test]
    fn a_changing_record_answers_in_turn_with_ttl_zero_and_counts_queries() {
        let mut zone = zone();
        zone.insert_record(&DnsRecord {
            name: "Rebind.Demo.Test.".into(),
            answers: vec![Ipv4Addr::new(127, 77, 1, 2), Ipv4Addr::new(127, 0, 0, 1)],
        });
        let q = query("rebind.demo.test", TYPE_A);
        let ttl = |r: &[u8]| u32::from_be_bytes(r[r.len() - 10..r.len() - 6].try_into().unwrap());
        let first = answer(&zone, &q).unwrap();
        assert_eq!(
            (first[first.len() - 4..].to_vec(), ttl(&first)),
            (vec![127, 77, 1, 2], 0)
        );
        for _ in 0..2 {
            let later = answer(&zone, &q).unwrap();
            assert_eq!(later[later.len() - 4..], [127, 0, 0, 1]);
        }
        let _ = answer(&zone, &query("rebind.demo.test", 28)).unwrap();
        assert_eq!(zone.queries("rebind.demo.test"), 3, "A queries only");
        let fixed = answer(&zone, &query("good.demo.test", TYPE_A)).unwrap();
        assert_eq!(ttl(&fixed), TTL_SECONDS);
    }

    #[test]
    fn malformed_packets_get_no_reply() {
        let good = query("good.demo.test", TYPE_A);
        let mut response = good.clone();
        response[2] |= 0x80;
        let mut pointer = good[..HEADER_LEN].to_vec();
        pointer.extend([0xc0, 0x0c, 0, 1, 0, 1]);
        for bad in [
            &good[..5],
            &good[..good.len() - 2],
            &response,
            &pointer,
            &[][..],
        ] {
            assert_eq!(answer(&zone(), bad), None, "{bad:?}");
        }
    }
}
