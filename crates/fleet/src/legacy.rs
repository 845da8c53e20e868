//! Fake TLS peers for the legacy prober: servers that know a single old version (SSLv3,
//! which Debian's OpenSSL can no longer be; TLS 1.0 or 1.1, which real OpenSSL peers also
//! prove in `tests/legacy_openssl.rs`) and hostile ports that answer a ClientHello with
//! garbage, a record cut off mid-way, an oversized record or an alert. Only the framing
//! is real.

use super::server::{Conn, Incoming, accept_loop};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trustlabel_core::tlsprobe::forge;
use trustlabel_core::tlsprobe::wire::Cursor;

/// How a hostile port answers a ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostileTls {
    /// Bytes that are not TLS at all.
    Garbage,
    /// A record header promising 100 bytes, 10 of them, then the connection closes.
    CloseMidRecord,
    /// A record header announcing 65,535 bytes (more than TLS allows), then silence.
    OversizedRecord,
    /// A fatal `handshake_failure` alert to every hello, then close.
    Alert,
}

/// Suites the single-version servers accept; each picks the first of them the client
/// offers.
pub const SSLV3_SUITES: [u16; 2] = [0x0035, 0x000a];

/// The wire versions of the single-version servers.
pub(crate) const SSL3: u16 = 0x0300;
pub(crate) const TLS10: u16 = 0x0301;
pub(crate) const TLS11: u16 = 0x0302;

/// How long a hostile port holds a connection open before giving up on it.
const LINGER: Duration = Duration::from_secs(30);

pub(crate) async fn serve_hostile(listener: Incoming, kind: HostileTls) {
    accept_loop(listener, move |mut stream| async move {
        if read_client_hello(&mut stream).await.is_none() {
            return;
        }
        let reply: Vec<u8> = match kind {
            HostileTls::Garbage => b"\x00\x01\x02garbage, not TLS\r\n".to_vec(),
            HostileTls::CloseMidRecord => {
                let mut r = vec![22, 3, 3, 0, 100];
                r.extend_from_slice(&[2, 0, 0, 96, 3, 3, 0, 0, 0, 0]);
                r
            }
            HostileTls::OversizedRecord => vec![22, 3, 3, 0xff, 0xff, 2, 0, 0],
            HostileTls::Alert => forge::alert(0x0303, 40),
        };
        if stream.write_all(&reply).await.is_err() {
            return;
        }
        if kind == HostileTls::OversizedRecord {
            let _ = tokio::time::timeout(LINGER, drain(&mut stream)).await;
        }
    })
    .await;
}

/// Answers a hello with a ServerHello of `version`, as a server that knows nothing newer
/// does: the first offered suite it accepts, a placeholder Certificate, ServerHelloDone.
/// A hello whose version is below `version` gets a `protocol_version` alert (an SSLv3
/// server therefore answers every hello).
pub(crate) async fn serve_only(listener: Incoming, version: u16) {
    accept_loop(listener, move |mut stream| async move {
        let Some((client_version, offered)) = read_client_hello(&mut stream).await else {
            return;
        };
        let chosen = offered.iter().find(|s| SSLV3_SUITES.contains(s));
        let reply = match chosen {
            _ if client_version < version => forge::alert(version, 70),
            None => forge::alert(version, 40),
            Some(suite) => forge::record(
                22,
                version,
                &[
                    forge::server_hello(version, *suite, None, None),
                    forge::certificate(&[b"not a real certificate"]),
                    forge::server_hello_done(),
                ]
                .concat(),
            ),
        };
        if stream.write_all(&reply).await.is_ok() {
            let _ = tokio::time::timeout(LINGER, drain(&mut stream)).await;
        }
    })
    .await;
}

async fn drain(stream: &mut Conn) {
    let _ = tokio::io::copy(stream, &mut tokio::io::sink()).await;
}

/// Reads one ClientHello record and returns its `client_version` and the offered suites;
/// `None` when what arrives is not one (the connection is then simply dropped).
async fn read_client_hello(stream: &mut Conn) -> Option<(u16, Vec<u16>)> {
    let mut header = [0u8; 5];
    tokio::time::timeout(LINGER, stream.read_exact(&mut header))
        .await
        .ok()?
        .ok()?;
    if header[0] != 22 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    tokio::time::timeout(LINGER, stream.read_exact(&mut body))
        .await
        .ok()?
        .ok()?;
    let mut c = Cursor::new(&body);
    if c.u8()? != 1 {
        return None;
    }
    let mut hello = Cursor::new(c.vec24()?);
    let client_version = hello.u16()?;
    hello.take(32)?;
    hello.vec8()?;
    let mut list = Cursor::new(hello.vec16()?);
    let mut suites = Vec::new();
    while let Some(s) = list.u16() {
        suites.push(s);
    }
    Some((client_version, suites))
}
