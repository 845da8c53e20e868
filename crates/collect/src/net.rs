//! TCP connection set-up with deadlines, and the mapping of socket errors to evidence.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use trustlabel_core::evidence::ConnectFailureKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub kind: ConnectFailureKind,
    pub message: String,
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
