//! A tiny authoritative DNS responder for the fleet's names, over UDP on loopback.
//!
//! Tests point the scanner's resolver here so no test ever asks a real DNS server, and
//! `site.dns_failed` can be produced on demand (any name outside the zone is NXDOMAIN).
//! Only what a stub resolver sends is understood: one question, no compression in it.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

/// A name whose A answer changes: the first query gets `answers[0]`, the second
/// `answers[1]`, and so on, the last one repeating. With more than one answer the TTL is
/// 0, so a resolver that asks again sees the change (a DNS-rebinding attacker's server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    pub name: String,
    pub answers: Vec<Ipv4Addr>,
}

/// Lower-case names without the trailing dot → their A answers, and how many A queries
/// each name received.
#[derive(Debug, Default)]
pub(crate) struct Zone {
    names: HashMap<String, Vec<Ipv4Addr>>,
    queries: Mutex<HashMap<String, usize>>,
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

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.queries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many A queries `name` has received.
    pub(crate) fn queries(&self, name: &str) -> usize {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.counts().get(&name).copied().unwrap_or(0)
    }

    fn contains(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The answer to the next A query for `name`, with its TTL.
    fn next_a(&self, name: &str) -> Option<(Ipv4Addr, u32)> {
        let answers = self.names.get(name)?;
        let mut counts = self.counts();
        let seen = counts.entry(name.to_string()).or_insert(0);
        let ip = answers.get(*seen).or(answers.last()).copied()?;
        *seen += 1;
        let ttl = if answers.len() > 1 { 0 } else { TTL_SECONDS };
        Some((ip, ttl))
    }
}

const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const FLAG_RESPONSE: u16 = 0x8000;
const FLAG_AUTHORITATIVE: u16 = 0x0400;
const FLAG_RECURSION_DESIRED: u16 = 0x0100;
const OPCODE_MASK: u16 = 0x7800;
const RCODE_NXDOMAIN: u16 = 3;
/// Short, so a test that changes the fleet never sees a stale cached answer for long.
const TTL_SECONDS: u32 = 60;
/// Largest UDP payload read; bigger datagrams are truncated and then fail to parse.
const MAX_DATAGRAM: usize = 4096;

pub(crate) async fn serve(socket: UdpSocket, zone: Arc<Zone>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        // Errors here are per-datagram (e.g. an ICMP unreachable from a past reply):
        // the responder keeps serving.
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(reply) = answer(&zone, &buf[..len]) {
            if let Err(e) = socket.send_to(&reply, peer).await {
                tracing::debug!("fleet DNS reply to {peer} failed: {e}");
            }
        }
    }
}

struct Question {
    /// Lower-case, dot-separated, no trailing dot.
    name: String,
    qtype: u16,
    qclass: u16,
    /// Offset just past the question, so the reply can echo it byte for byte.
    end: usize,
}

/// The reply to a standard query with one question, or `None` for anything else.
pub(crate) fn answer(zone: &Zone, query: &[u8]) -> Option<Vec<u8>> {
    let flags = u16::from_be_bytes([*query.get(2)?, *query.get(3)?]);
    let qdcount = u16::from_be_bytes([*query.get(4)?, *query.get(5)?]);
    if flags & FLAG_RESPONSE != 0 || flags & OPCODE_MASK != 0 || qdcount != 1 {
        return None;
    }
    let question = parse_question(query)?;
    let known = zone.contains(&question.name);
    let record = if known && question.qtype == TYPE_A && question.qclass == CLASS_IN {
        zone.next_a(&question.name)
    } else {
        None
    };
    let rcode = if known { 0 } else { RCODE_NXDOMAIN };

    let mut reply = Vec::with_capacity(question.end + 16);
    reply.extend_from_slice(&query[..2]);
    let reply_flags = FLAG_RESPONSE | FLAG_AUTHORITATIVE | (flags & FLAG_RECURSION_DESIRED) | rcode;
    reply.extend_from_slice(&reply_flags.to_be_bytes());
    for count in [1u16, u16::from(record.is_some()), 0, 0] {
        reply.extend_from_slice(&count.to_be_bytes());
    }
    reply.extend_from_slice(&query[HEADER_LEN..question.end]);
    if let Some((ip, ttl)) = record {
        reply.extend_from_slice(&[0xc0, HEADER_LEN as u8]); // name: pointer to the question
        reply.extend_from_slice(&TYPE_A.to_be_bytes());
        reply.extend_from_slice(&CLASS_IN.to_be_bytes());
        reply.extend_from_slice(&ttl.to_be_bytes());
        reply.extend_from_slice(&4u16.to_be_bytes());
        reply.extend_from_slice(&ip.octets());
    }
    Some(reply)
}

fn parse_question(query: &[u8]) -> Option<Question> {
    let mut pos = HEADER_LEN;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = usize::from(*query.get(pos)?);
        pos += 1;
        if len == 0 {
            break;
        }
        // 0xc0 = compression pointer, 0x40/0x80 = reserved label types: not in a question.
        if len & 0xc0 != 0 || pos - HEADER_LEN + len > 255 {
            return None;
        }
        let label = query.get(pos..pos + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        pos += len;
    }
    let fixed = query.get(pos..pos + 4)?;
    Some(Question {
        name: labels.join("."),
        qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
        qclass: u16::from_be_bytes([fixed[2], fixed[3]]),
        end: pos + 4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
