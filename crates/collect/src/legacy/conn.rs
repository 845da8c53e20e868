//! One probe handshake over TCP: connect, write a hand-built ClientHello, feed what the
//! server sends to the sans-I/O flight parser until it decides, then drop the
//! connection. Every step is bounded by the per-hello timeout and the site deadline.

use crate::net::{ConnectFailure, connect_tcp};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustlabel_core::tlsprobe::{Flight, ServerFlight};

/// How one hello ended.
#[derive(Debug)]
pub(super) enum Exchange {
    Connect(ConnectFailure),
    Flight(Flight),
}

/// `connected`: a connection opened ahead for this hello (see [`Spare`]), else one is
/// opened now.
pub(super) async fn exchange(
    addr: SocketAddr,
    connected: Option<TcpStream>,
    hello: &[u8],
    connect_timeout: Duration,
    hello_timeout: Duration,
    deadline: Instant,
) -> Exchange {
    let mut stream = match connected {
        Some(s) => s,
        None => match connect_tcp(addr, connect_timeout, deadline).await {
            Ok(s) => s,
            Err(failure) => return Exchange::Connect(failure),
        },
    };
    let limit = (Instant::now() + hello_timeout).min(deadline);
    let mut flight = ServerFlight::new();
    match tokio::time::timeout_at(limit, stream.write_all(hello)).await {
        Err(_) => return Exchange::Flight(flight.timed_out()),
        // A server that slams the door mid-write still may have sent an alert first.
        Ok(Err(_)) => {}
        Ok(Ok(())) => {}
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(limit, stream.read(&mut buf)).await {
            Err(_) => return Exchange::Flight(flight.timed_out()),
            Ok(Ok(0)) => return Exchange::Flight(flight.end_of_stream()),
            Ok(Ok(n)) => {
                if let Some(done) = flight.feed(&buf[..n]) {
                    return Exchange::Flight(done);
                }
            }
            Ok(Err(e))
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                ) =>
            {
                return Exchange::Flight(flight.end_of_stream());
            }
            Ok(Err(e)) => {
                return Exchange::Flight(Flight::Malformed(format!("read failed: {e}")));
            }
        }
    }
}

/// A TCP connection opened while the previous hello of a chain waits for its answer, so
/// the next hello (which depends on that answer) costs one round trip instead of two.
/// Kept only briefly: a server may hang up on a connection that stays silent.
#[derive(Default)]
pub(super) struct Spare {
    stream: Option<(TcpStream, Instant)>,
}

/// How long an unused spare connection stays usable.
const SPARE_FRESH: Duration = Duration::from_secs(2);

impl Spare {
    /// The spare connection, when there is one still fresh.
    pub(super) fn take(&mut self) -> Option<TcpStream> {
        let (stream, opened) = self.stream.take()?;
        (opened.elapsed() < SPARE_FRESH).then_some(stream)
    }

    pub(super) fn keep(&mut self, stream: Option<TcpStream>) {
        self.stream = stream.map(|s| (s, Instant::now()));
    }
}
