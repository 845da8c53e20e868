//! The listeners a site can have: TLS in front of the HTTP responder, plain HTTP, a
//! "silent" port that accepts and never answers, and a "closed" port that refuses.
//!
//! Each listener task owns its connections in a `JoinSet`, so aborting the listener (which
//! the fleet does on drop) also ends every connection it accepted.
//!
//! With a round trip on the fleet ([`Latency`]) a server does not read the accepted
//! socket itself: it reads the in-memory end of a pipe and the latency relay, running in
//! the same task, moves the bytes between the socket and the pipe's other end with the
//! delays. That costs one socket and no kernel round trip per connection, where a relay
//! in front of a second listener cost three sockets and a second TCP connection: at
//! 1,500 sites it ran the fleet out of descriptors, and it doubled the fleet's CPU.

use super::http::{Responder, serve_connection};
use super::latency::{self, Latency};
use super::pki::IssuedLeaf;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::sign::SingleCertAndKey;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// A client that opens TCP and never finishes the handshake is dropped after this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Bytes the pipe between a server and the latency relay holds: a TLS record and then some,
/// so neither side waits on the other for every write.
const PIPE_BUFFER: usize = 64 * 1024;

/// One accepted connection as a server sees it: the socket itself, or behind the latency
/// relay the server's end of the pipe (see the module documentation).
pub(crate) type Conn = Box<dyn ConnIo>;

pub(crate) trait ConnIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ConnIo for T {}

/// A server's listening port, with the fleet's round trip when it has one.
pub(crate) struct Incoming {
    listener: TcpListener,
    latency: Option<Latency>,
}

impl Incoming {
    pub(crate) fn new(listener: TcpListener, latency: Option<Latency>) -> Self {
        Incoming { listener, latency }
    }
}

/// TLS 1.2 and 1.3 with ALPN `http/1.1`, always presenting `leaf` (with or without SNI:
/// every site has its own address, as a single-site server on the internet would), and
/// stapling `ocsp_staple` when given.
pub(crate) fn tls_config(
    provider: &Arc<CryptoProvider>,
    leaf: &IssuedLeaf,
    ocsp_staple: Option<Vec<u8>>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut certified = leaf.certified_key();
    certified.ocsp = ocsp_staple;
    let mut config = ServerConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A port on `ip` that refuses connections. The socket stays bound (never listening) for
/// as long as it is held, so no other listener, say a parallel test's fleet, can take the
/// port and turn "refused" into "answered".
pub(crate) fn reserve_closed_port(ip: IpAddr) -> io::Result<(TcpSocket, SocketAddr)> {
    let socket = match ip {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(ip, 0))?;
    let addr = socket.local_addr()?;
    Ok((socket, addr))
}

pub(crate) async fn serve_tls(
    listener: Incoming,
    config: Arc<ServerConfig>,
    responder: Arc<Responder>,
) {
    let acceptor = TlsAcceptor::from(config);
    accept_loop(listener, move |stream| {
        let acceptor = acceptor.clone();
        let responder = Arc::clone(&responder);
        async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    responder.record_tls_session();
                    log_end(serve_connection(tls, &responder).await)
                }
                Ok(Err(e)) => tracing::debug!("fleet TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("fleet TLS handshake timed out"),
            }
        }
    })
    .await;
}

pub(crate) async fn serve_plain(listener: Incoming, responder: Arc<Responder>) {
    accept_loop(listener, move |stream| {
        let responder = Arc::clone(&responder);
        async move { log_end(serve_connection(stream, &responder).await) }
    })
    .await;
}

/// Accepts and reads (so the client's writes never block) but never writes a byte.
pub(crate) async fn serve_silent(listener: Incoming) {
    accept_loop(listener, |mut stream| async move {
        let _ = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await;
    })
    .await;
}

/// Relays every connection to `peer`: a site whose TLS port is a server outside the fleet
/// (Debian's OpenSSL, a peer written in Python), so the tests can scan it by name.
pub(crate) async fn serve_relay(listener: Incoming, peer: std::net::SocketAddr) {
    accept_loop(listener, move |mut stream| async move {
        if let Ok(mut upstream) = TcpStream::connect(peer).await {
            let _ = upstream.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
        }
    })
    .await;
}

fn log_end(result: io::Result<()>) {
    if let Err(e) = result {
        tracing::debug!("fleet connection ended: {e}");
    }
}

pub(super) async fn accept_loop<F, Fut>(incoming: Incoming, handle: F)
where
    F: Fn(Conn) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        match incoming.listener.accept().await {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                match incoming.latency {
                    None => {
                        connections.spawn(handle(Box::new(stream)));
                    }
                    Some(latency) => {
                        let (server_end, relay_end) = tokio::io::duplex(PIPE_BUFFER);
                        let served = handle(Box::new(server_end));
                        connections.spawn(async move {
                            tokio::join!(served, latency::delay(stream, relay_end, latency));
                        });
                    }
                }
            }
            Err(e) => {
                tracing::warn!("fleet accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
        while connections.try_join_next().is_some() {}
    }
}
