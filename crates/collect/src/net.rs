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
pub const COSTLY_CONNECT: Duration = Duration::from_millis(5);
/// The same for the fastest first answer (a TLS server's first flight, sent back as soon
/// as the hello is in): one round trip plus the server's work, and, on a loaded machine,
/// the wait for a core; set well above what queueing adds to a near site's answer
/// (loopback under load: a few milliseconds), well below a far site's (one round trip
/// of a user-space relay that cannot delay the kernel's TCP handshake charges it here).
pub const COSTLY_ANSWER: Duration = Duration::from_millis(40);

/// A site's round-trip estimate: the fastest TCP connect (the kernel's own measure of
/// the SYN / SYN-ACK exchange where it gives one) and the fastest first answer seen from
/// it; the minimum of either drops the samples that queued for a core.
#[derive(Debug)]
pub struct RoundTrip {
    /// Microseconds; `u64::MAX` until one was seen.
    fastest_connect: AtomicU64,
    fastest_answer: AtomicU64,
}

impl Default for RoundTrip {
    fn default() -> Self {
        RoundTrip {
            fastest_connect: AtomicU64::new(u64::MAX),
            fastest_answer: AtomicU64::new(u64::MAX),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX - 1)
}

fn fastest(of: &AtomicU64) -> Option<Duration> {
    let us = of.load(Ordering::Relaxed);
    (us != u64::MAX).then(|| Duration::from_micros(us))
}

impl RoundTrip {
    pub fn observe_connect(&self, connect: Duration) {
        self.fastest_connect
            .fetch_min(micros(connect), Ordering::Relaxed);
    }

    pub fn observe_answer(&self, answer: Duration) {
        self.fastest_answer
            .fetch_min(micros(answer), Ordering::Relaxed);
    }

    /// The fastest connect and first answer seen, if any.
    pub fn fastest(&self) -> (Option<Duration>, Option<Duration>) {
        (
            fastest(&self.fastest_connect),
            fastest(&self.fastest_answer),
        )
    }

    /// Takes in what another estimate of the same site saw.
    pub fn merge(&self, (connect, answer): (Option<Duration>, Option<Duration>)) {
        if let Some(c) = connect {
            self.observe_connect(c);
        }
        if let Some(a) = answer {
            self.observe_answer(a);
        }
    }

    /// Whether a round trip to the site costs more than the work that would save it;
    /// `false` while nothing is known.
    pub fn costly(&self) -> bool {
        let (connect, answer) = self.fastest();
        connect.is_some_and(|c| c >= COSTLY_CONNECT) || answer.is_some_and(|a| a >= COSTLY_ANSWER)
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
    round_trip.observe_connect(kernel_round_trip(&stream).unwrap_or_else(|| started.elapsed()));
    Ok(stream)
}

/// The kernel's round-trip time of a just-connected socket (`TCP_INFO`, sampled from the
/// SYN / SYN-ACK exchange). Timing the connect future instead also counts the wait of a
/// task for a core: on a saturated 2-core scan of loopback sites, connects measured 5 ms
/// and more, every near site looked far, and the extra connections cost a quarter of
/// the throughput.
#[cfg(target_os = "linux")]
fn kernel_round_trip(stream: &TcpStream) -> Option<Duration> {
    use std::os::fd::AsRawFd;
    let mut info = std::mem::MaybeUninit::<libc::tcp_info>::zeroed();
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::tcp_info>()).ok()?;
    // SAFETY: the descriptor is the open socket `stream` owns, and `info`/`len` describe a
    // writable buffer of the struct's size, which the kernel fills at most.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: zero-initialised plain data, filled by the kernel on success.
    let info = unsafe { info.assume_init() };
    (info.tcpi_rtt > 0).then(|| Duration::from_micros(u64::from(info.tcpi_rtt)))
}

#[cfg(not(target_os = "linux"))]
fn kernel_round_trip(_: &TcpStream) -> Option<Duration> {
    None
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The runtime's only thread is held (as by a busy core) while the kernel completes a
    /// loopback handshake: the task sees the connect late, the estimate must not.
    #[tokio::test(flavor = "current_thread")]
    async fn a_near_site_stays_near_when_the_connecting_task_waits_for_a_core() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listener");
        let addr = listener.local_addr().expect("address");
        let round_trip = Arc::new(RoundTrip::default());
        let estimate = Arc::clone(&round_trip);
        let connect = tokio::spawn(async move {
            let started = Instant::now();
            let limit = Duration::from_secs(5);
            let stream = connect_tcp_timed(addr, limit, started + limit, &estimate).await;
            (stream.is_ok(), started.elapsed())
        });
        tokio::spawn(async { std::thread::sleep(Duration::from_millis(50)) });
        let (connected, seen_after) = connect.await.expect("connect task");
        assert!(connected);
        assert!(
            seen_after >= Duration::from_millis(50),
            "the connecting task waited for the thread: {seen_after:?}"
        );
        let (fastest_connect, _) = round_trip.fastest();
        assert!(
            fastest_connect.is_some_and(|c| c < COSTLY_CONNECT),
            "loopback measured as {fastest_connect:?}"
        );
        assert!(!round_trip.costly());
    }
}
