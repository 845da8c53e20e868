//! A round-trip time on every connection and DNS answer of the fleet, so the scanner can
//! be measured as it behaves on the internet, where it waits far more than it computes.
//!
//! The kernel's own delay (`tc netem` on a namespace's loopback) is not built into the
//! development machine's kernel, so the delay is added in user space: each listener of a
//! site sits behind a relay that accepts the scanner's connection, connects to the real
//! server on another port of the same address, and holds every chunk of bytes for half a
//! round trip in each direction. The relay cannot delay the kernel's TCP handshake, so it
//! charges it instead: bytes sent in either direction count as sent one round trip after
//! the accept at the earliest, and then take half a round trip, so a TLS 1.3 handshake
//! (client speaks first) completes two round trips after `connect` as on the internet.
//! The DNS responder sends each answer one round trip after the question came in.

use rand::Rng;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Chunks in flight per direction of one relayed connection: bounds the relay's memory
/// (at most this many reads of [`CHUNK`] bytes) while a fast sender waits on the delay.
const IN_FLIGHT_CHUNKS: usize = 64;
const CHUNK: usize = 16 * 1024;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The simulated path between the scanner and every fleet site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Round-trip time on average.
    pub rtt: Duration,
    /// Each one-way pass takes half the round trip, plus or minus up to this much
    /// (uniform), as `tc netem delay RTT/2 JITTER` would.
    pub jitter: Duration,
}

impl Latency {
    /// One pass in one direction.
    pub fn one_way(&self) -> Duration {
        let half = self.rtt / 2;
        if self.jitter.is_zero() {
            return half;
        }
        let jitter = self.jitter.as_secs_f64();
        let offset = rand::thread_rng().gen_range(-jitter..=jitter);
        Duration::from_secs_f64((half.as_secs_f64() + offset).max(0.0))
    }

    /// A full round trip (both passes).
    pub fn round_trip(&self) -> Duration {
        self.one_way() + self.one_way()
    }
}

/// Accepts on `public` and relays every connection to `server` with the delays of
/// `latency`, until the task is aborted (which ends every relayed connection).
pub(crate) async fn relay(public: TcpListener, server: SocketAddr, latency: Latency) {
    let mut connections = JoinSet::new();
    loop {
        match public.accept().await {
            Ok((client, _peer)) => {
                connections.spawn(relay_connection(client, server, latency));
            }
            Err(e) => {
                tracing::warn!("fleet latency relay accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
        while connections.try_join_next().is_some() {}
    }
}

async fn relay_connection(client: TcpStream, server: SocketAddr, latency: Latency) {
    // The TCP handshake the client already finished in the kernel costs one round trip.
    let open = Instant::now() + latency.round_trip();
    let Ok(backend) = TcpStream::connect(server).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = backend.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (backend_read, backend_write) = backend.into_split();
    let upstream = pass(client_read, backend_write, open, latency);
    let downstream = pass(backend_read, client_write, open, latency);
    tokio::join!(upstream, downstream);
}

/// One direction: every chunk read is written `latency.one_way()` later (counted from
/// `open` at the earliest, never before the chunk read ahead of it), end of stream
/// included.
async fn pass(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, open: Instant, latency: Latency) {
    let (queue, mut due) = mpsc::channel::<(Instant, Vec<u8>)>(IN_FLIGHT_CHUNKS);
    let reader = async move {
        let mut last = open;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            // Bytes sent before the handshake would have completed leave at `open`.
            let at = (Instant::now().max(open) + latency.one_way()).max(last);
            last = at;
            // An empty chunk carries the end of the stream (or a reset) across.
            if queue.send((at, buf[..n].to_vec())).await.is_err() || n == 0 {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if chunk.is_empty() || to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
        // Dropping the receiver stops the reader at its next chunk.
    };
    tokio::join!(reader, writer);
}
