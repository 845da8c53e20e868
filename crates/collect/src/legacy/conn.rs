//! One probe handshake over TCP: connect, write a hand-built ClientHello, feed what the
//! server sends to the sans-I/O flight parser until it decides, then drop the
//! connection — or, for a vulnerability probe, write the probe's records after the
//! flight and read the server's first reaction. Every step is bounded by the per-hello
//! timeout and the site deadline.

use crate::net::{ConnectFailure, RoundTrip, connect_tcp, connect_tcp_timed};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustlabel_core::tlsprobe::{Flight, Reaction, ReactionReader, ServerAnswer, ServerFlight};

/// How one hello ended.
#[derive(Debug)]
pub(super) enum Exchange {
    Connect(ConnectFailure),
    Flight(Flight),
}

/// How a vulnerability probe ended: the flight alone when the probe sent nothing after it
/// (no ServerHello, no ServerHelloDone, nothing to send), else the server's reaction.
#[derive(Debug)]
pub(super) enum Followed {
    Connect(ConnectFailure),
    Flight(Flight),
    Reacted(Box<ServerAnswer>, Reaction),
}

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub connect: Duration,
    pub answer: Duration,
    pub deadline: Instant,
}

/// `connected`: a connection opened ahead for this hello (see `Spare`), else one is
/// opened now, its time on `round_trip`.
pub(super) async fn exchange(
    addr: SocketAddr,
    connected: Option<TcpStream>,
    hello: &[u8],
    limits: Limits,
    round_trip: &RoundTrip,
) -> Exchange {
    let mut stream = match connected {
        Some(s) => s,
        None => match connect_tcp_timed(addr, limits.connect, limits.deadline, round_trip).await {
            Ok(s) => s,
            Err(failure) => return Exchange::Connect(failure),
        },
    };
    let asked = Instant::now();
    let flight = first_flight(&mut stream, hello, ServerFlight::new(), limits).await;
    if matches!(flight, Flight::Hello(_) | Flight::Alert(_)) {
        round_trip.observe_answer(asked.elapsed());
    }
    Exchange::Flight(flight)
}

/// Sends `hello`, reads the flight through ServerHelloDone, then writes what
/// `follow_up` makes of the answer and reads the first record that comes back.
pub(super) async fn exchange_and_follow(
    addr: SocketAddr,
    hello: &[u8],
    follow_up: impl FnOnce(&ServerAnswer) -> Option<Vec<u8>>,
    limits: Limits,
) -> Followed {
    let mut stream = match connect_tcp(addr, limits.connect, limits.deadline).await {
        Ok(s) => s,
        Err(failure) => return Followed::Connect(failure),
    };
    let flight = first_flight(
        &mut stream,
        hello,
        ServerFlight::through_hello_done(),
        limits,
    )
    .await;
    let answer = match flight {
        Flight::Hello(answer) if answer.hello_done => answer,
        other => return Followed::Flight(other),
    };
    let Some(records) = follow_up(&answer) else {
        return Followed::Flight(Flight::Hello(answer));
    };
    let limit = (Instant::now() + limits.answer).min(limits.deadline);
    let mut reader = ReactionReader::new();
    // A write error is not the end: a server that closes on the first probe record may
    // still have sent an alert first.
    if tokio::time::timeout_at(limit, stream.write_all(&records))
        .await
        .is_err()
    {
        return Followed::Reacted(answer, Reaction::Timeout);
    }
    let reaction = read_until(&mut stream, limit, |bytes| reader.feed(bytes))
        .await
        .unwrap_or_else(|end| match end {
            StreamEnd::Closed => reader.end_of_stream(),
            StreamEnd::TimedOut => Reaction::Timeout,
            StreamEnd::Failed(message) => Reaction::Malformed(message),
        });
    Followed::Reacted(answer, reaction)
}

async fn first_flight(
    stream: &mut TcpStream,
    hello: &[u8],
    mut flight: ServerFlight,
    limits: Limits,
) -> Flight {
    let limit = (Instant::now() + limits.answer).min(limits.deadline);
    // A server that slams the door mid-write still may have sent an alert first.
    if tokio::time::timeout_at(limit, stream.write_all(hello))
        .await
        .is_err()
    {
        return flight.timed_out();
    }
    match read_until(stream, limit, |bytes| flight.feed(bytes)).await {
        Ok(done) => done,
        Err(StreamEnd::Closed) => flight.end_of_stream(),
        Err(StreamEnd::TimedOut) => flight.timed_out(),
        Err(StreamEnd::Failed(message)) => Flight::Malformed(message),
    }
}

/// Why reading stopped before the parser decided.
enum StreamEnd {
    Closed,
    TimedOut,
    Failed(String),
}

/// Reads and feeds `decide` until it decides, the stream ends or `limit` passes.
async fn read_until<T>(
    stream: &mut TcpStream,
    limit: Instant,
    mut decide: impl FnMut(&[u8]) -> Option<T>,
) -> Result<T, StreamEnd> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(limit, stream.read(&mut buf)).await {
            Err(_) => return Err(StreamEnd::TimedOut),
            Ok(Ok(0)) => return Err(StreamEnd::Closed),
            Ok(Ok(n)) => {
                if let Some(done) = decide(&buf[..n]) {
                    return Ok(done);
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
                return Err(StreamEnd::Closed);
            }
            Ok(Err(e)) => return Err(StreamEnd::Failed(format!("read failed: {e}"))),
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

    pub(super) fn is_empty(&self) -> bool {
        self.stream.is_none()
    }

    pub(super) fn keep(&mut self, stream: Option<TcpStream>) {
        self.stream = stream.map(|s| (s, Instant::now()));
    }
}
