//! A round-trip time on every connection and DNS answer of the fleet, so the scanner can
//! be measured as it behaves on the internet, where it waits far more than it computes.
//!
//! The kernel's own delay (`tc netem` on a namespace's loopback) is not built into the
//! development machine's kernel, so the delay is added in user space: every accepted
//! connection of a site is served through an in-memory pipe, and [`delay`] moves the
//! bytes between the socket and the pipe holding every chunk for half a round trip in
//! each direction. It cannot delay the kernel's TCP handshake, so it charges it instead:
//! bytes sent in either direction count as sent one round trip after the accept at the
//! earliest, and then take half a round trip, so a TLS 1.3 handshake (client speaks
//! first) completes two round trips after `connect` as on the internet.
//! The DNS responder sends each answer one round trip after the question came in.

use rand::Rng;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Chunks in flight per direction of one relayed connection: bounds the relay's memory
/// (at most this many reads of [`CHUNK`] bytes) while a fast sender waits on the delay.
const IN_FLIGHT_CHUNKS: usize = 64;
const CHUNK: usize = 16 * 1024;

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

/// Moves bytes between the scanner's connection `client` and the server's end of the
/// pipe `server` with the delays of `latency`, until both directions have ended.
pub(crate) async fn delay(client: TcpStream, server: DuplexStream, latency: Latency) {
    // The TCP handshake the client already finished in the kernel costs one round trip.
    let open = Instant::now() + latency.round_trip();
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = tokio::io::split(server);
    let upstream = pass(client_read, server_write, open, latency);
    let downstream = pass(server_read, client_write, open, latency);
    tokio::join!(upstream, downstream);
}

/// One direction: every chunk read is written `latency.one_way()` later (counted from
/// `open` at the earliest, never before the chunk read ahead of it), end of stream
/// included.
async fn pass(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    open: Instant,
    latency: Latency,
) {
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
