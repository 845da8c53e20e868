//! A stub DNS client for the DNS and mail evidence: it asks the configured resolver with
//! DNSSEC OK and Checking Disabled (so answers that fail validation still come back and
//! the core's validator can say why), over UDP with a TCP retry when the answer is
//! truncated, under the site deadline, and caches answers for the run so many sites of
//! one domain cost one question.
//!
//! Answers are parsed and judged in `trustlabel_core::dns`; nothing here interprets them
//! beyond matching a reply to its question.

use crate::slots::TimedSlots;
use rand::Rng;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use trustlabel_core::dns::{Message, Name, RType, parse_message};

/// Largest answer read over UDP (EDNS asks for 1232; some servers send more).
const UDP_CAP: usize = 4096;
/// Largest answer read over TCP.
const TCP_CAP: usize = 65_535;
/// Questions in flight at once towards the resolver, whatever the scan's concurrency.
const IN_FLIGHT: usize = 128;

/// How one question fared, as the evidence words it.
pub type Answer = Result<Arc<Message>, String>;

/// Questions and SMTP connections of one site scan, for the load figures.
#[derive(Debug, Default)]
pub struct SiteCounter {
    pub queries: AtomicU32,
    pub smtp_connections: AtomicU32,
}

impl SiteCounter {
    pub fn queries(&self) -> u32 {
        self.queries.load(Ordering::Relaxed)
    }

    pub fn smtp_connections(&self) -> u32 {
        self.smtp_connections.load(Ordering::Relaxed)
    }
}

pub struct DnsClient {
    /// (UDP, TCP) address of each server, tried in order.
    servers: Vec<(SocketAddr, SocketAddr)>,
    timeout: Duration,
    cache: TimedSlots<(Name, RType), Answer>,
    in_flight: Semaphore,
    sent: AtomicU64,
}

impl DnsClient {
    pub fn new(servers: Vec<(SocketAddr, SocketAddr)>, timeout: Duration) -> DnsClient {
        DnsClient {
            servers,
            timeout,
            cache: TimedSlots::new(Duration::from_secs(300), 100_000),
            in_flight: Semaphore::new(IN_FLIGHT),
            sent: AtomicU64::new(0),
        }
    }

    /// Questions sent since start (all sites).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Asks the resolver (cached for the run). A failure is cached only when it is an
    /// answer (an rcode); a timeout cut short by one site's deadline is not.
    pub async fn query(
        &self,
        name: &Name,
        rtype: RType,
        deadline: Instant,
        counter: &SiteCounter,
    ) -> Answer {
        let slot = self.cache.slot(&(name.clone(), rtype));
        if let Some(answer) = slot.get() {
            return answer.clone();
        }
        let result = slot
            .get_or_try_init(|| async {
                counter.queries.fetch_add(1, Ordering::Relaxed);
                match self.ask_resolver(name, rtype, deadline).await {
                    Ok(message) => Ok(Ok(Arc::new(message))),
                    Err(e) => Err(e),
                }
            })
            .await;
        match result {
            Ok(answer) => answer.clone(),
            Err(e) => Err(e),
        }
    }

    async fn ask_resolver(
        &self,
        name: &Name,
        rtype: RType,
        deadline: Instant,
    ) -> Result<Message, String> {
        if self.servers.is_empty() {
            return Err("no DNS server configured".into());
        }
        let _permit = tokio::time::timeout_at(deadline, self.in_flight.acquire())
            .await
            .map_err(|_| "the site deadline passed while waiting to ask".to_string())?
            .map_err(|_| "the DNS client is shutting down".to_string())?;
        let mut last = String::new();
        for (udp, tcp) in &self.servers {
            match self
                .exchange(*udp, *tcp, name, rtype, true, true, deadline)
                .await
            {
                Ok(message) => return Ok(message),
                Err(e) => last = e,
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        Err(last)
    }

    /// One question to one server, not cached: UDP first, TCP when the answer is
    /// truncated. `recursion` sets RD (off when asking an authoritative server itself).
    #[allow(clippy::too_many_arguments)]
    pub async fn exchange(
        &self,
        udp: SocketAddr,
        tcp: SocketAddr,
        name: &Name,
        rtype: RType,
        dnssec: bool,
        recursion: bool,
        deadline: Instant,
    ) -> Result<Message, String> {
        let id: u16 = rand::thread_rng().r#gen();
        let mut query = Message::query(id, name, rtype, dnssec);
        query.flags.recursion_desired = recursion;
        let wire = query.to_wire();
        let limit = (Instant::now() + self.timeout).min(deadline);
        self.sent.fetch_add(1, Ordering::Relaxed);
        let answer =
            match tokio::time::timeout_at(limit, udp_exchange(udp, &wire, id, name, rtype)).await {
                Err(_) => return Err(format!("{udp} did not answer {name} {rtype} in time")),
                Ok(result) => result?,
            };
        if !answer.flags.truncated {
            return Ok(answer);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let limit = (Instant::now() + self.timeout).min(deadline);
        match tokio::time::timeout_at(limit, tcp_exchange(tcp, &wire, id, name, rtype)).await {
            Err(_) => Err(format!("{tcp} (TCP) did not answer {name} {rtype} in time")),
            Ok(result) => result,
        }
    }
}

fn matches(answer: &Message, id: u16, name: &Name, rtype: RType) -> bool {
    answer.id == id
        && answer.flags.response
        && answer
            .questions
            .first()
            .is_some_and(|q| q.name == *name && q.rtype == rtype)
}

async fn udp_exchange(
    server: SocketAddr,
    wire: &[u8],
    id: u16,
    name: &Name,
    rtype: RType,
) -> Result<Message, String> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().map_err(|_| "bad bind address")?
    } else {
        "[::]:0".parse().map_err(|_| "bad bind address")?
    };
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    socket
        .connect(server)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    socket
        .send(wire)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    let mut buf = vec![0u8; UDP_CAP];
    loop {
        // Datagrams that are not the answer (late answers, spoofing attempts) are
        // dropped; the caller's timeout ends the wait.
        let len = socket
            .recv(&mut buf)
            .await
            .map_err(|e| format!("{server}: {e}"))?;
        match parse_message(&buf[..len]) {
            Ok(answer) if matches(&answer, id, name, rtype) => return Ok(answer),
            Ok(_) => continue,
            Err(e) if len >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id => {
                return Err(format!("{server} sent a malformed answer: {e}"));
            }
            Err(_) => continue,
        }
    }
}

async fn tcp_exchange(
    server: SocketAddr,
    wire: &[u8],
    id: u16,
    name: &Name,
    rtype: RType,
) -> Result<Message, String> {
    let mut stream = TcpStream::connect(server)
        .await
        .map_err(|e| format!("{server} (TCP): {e}"))?;
    let mut framed = Vec::with_capacity(wire.len() + 2);
    framed.extend_from_slice(&(wire.len() as u16).to_be_bytes());
    framed.extend_from_slice(wire);
    stream
        .write_all(&framed)
        .await
        .map_err(|e| format!("{server} (TCP): {e}"))?;
    let mut len = [0u8; 2];
    stream
        .read_exact(&mut len)
        .await
        .map_err(|e| format!("{server} (TCP): {e}"))?;
    let len = usize::from(u16::from_be_bytes(len)).min(TCP_CAP);
    let mut buf = vec![0u8; len];
    stream
        .read_exact(&mut buf)
        .await
        .map_err(|e| format!("{server} (TCP): {e}"))?;
    let answer =
        parse_message(&buf).map_err(|e| format!("{server} sent a malformed answer: {e}"))?;
    if matches(&answer, id, name, rtype) {
        Ok(answer)
    } else {
        Err(format!("{server} (TCP) answered another question"))
    }
}
