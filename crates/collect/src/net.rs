//! TCP connection set-up with deadlines, and the mapping of socket errors to evidence.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustlabel_core::evidence::ConnectFailureKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub kind: ConnectFailureKind,
    pub message: String,
}

/// The connect time from which a round trip is worth saving with more connections or a
/// connection opened ahead: a site next door (loopback, the same data centre) connects in
/// well under a millisecond even on a loaded machine, a site across the internet takes
/// one round trip, tens of milliseconds.
pub const COSTLY_ROUND_TRIP: Duration = Duration::from_millis(5);

/// A site's round-trip estimate: the fastest TCP connect seen to it. A connect is one
/// round trip and little CPU, unlike a page's answer time, which grows with the load of
/// the machine that waits for it; the minimum drops the connects that queued.
#[derive(Debug)]
pub struct RoundTrip {
    /// Microseconds; `u64::MAX` until a connect succeeded.
    fastest_micros: AtomicU64,
}

impl Default for RoundTrip {
    fn default() -> Self {
        RoundTrip {
            fastest_micros: AtomicU64::new(u64::MAX),
        }
    }
}

impl RoundTrip {
    pub fn observe(&self, connect: Duration) {
        let micros = u64::try_from(connect.as_micros()).unwrap_or(u64::MAX - 1);
        self.fastest_micros.fetch_min(micros, Ordering::Relaxed);
    }

    /// The fastest connect seen, if any.
    pub fn fastest(&self) -> Option<Duration> {
        let fastest = self.fastest_micros.load(Ordering::Relaxed);
        (fastest != u64::MAX).then(|| Duration::from_micros(fastest))
    }

    /// Whether a round trip to the site costs more than the work that would save it;
    /// `false` while nothing is known.
    pub fn costly(&self) -> bool {
        self.fastest().is_some_and(|f| f >= COSTLY_ROUND_TRIP)
    }
}

/// [`connect_tcp`], its time on `round_trip` when it succeeds.
pub async fn connect_tcp_timed(
    addr: SocketAddr,
    timeout: Duration,
    deadline: Instant,
    round_trip: &RoundTrip,
) -> Result<TcpStream, ConnectFailure> {
    let started = Instant::now();
    let stream = connect_tcp(addr, timeout, deadline).await?;
    round_trip.observe(started.elapsed());
    Ok(stream)
}

/// Connects within `timeout`, and never past the site's `deadline`.
pub async fn connect_tcp(
    addr: SocketAddr,
    timeout: Duration,
    deadline: Instant,
) -> Result<TcpStream, ConnectFailure> {
    let limit = (Instant::now() + timeout).min(deadline);
    match tokio::time::timeout_at(limit, TcpStream::connect(addr)).await {
        Err(_) => Err(ConnectFailure {
            kind: ConnectFailureKind::Timeout,
            message: format!(
                "no TCP connection to {addr} within {} ms",
                timeout.as_millis()
            ),
        }),
        Ok(Err(e)) => Err(ConnectFailure {
            kind: classify_io_error(&e),
            message: format!("{addr}: {e}"),
        }),
        Ok(Ok(stream)) => {
            // Small request/response exchanges: do not wait to coalesce segments.
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
    }
}

pub fn classify_io_error(e: &std::io::Error) -> ConnectFailureKind {
    match e.kind() {
        ErrorKind::ConnectionRefused => ConnectFailureKind::Refused,
        ErrorKind::TimedOut => ConnectFailureKind::Timeout,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => ConnectFailureKind::Reset,
        ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => ConnectFailureKind::Unreachable,
        _ => ConnectFailureKind::Other,
    }
}
