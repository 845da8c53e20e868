//! Listeners: plain HTTP or HTTPS (rustls) for the application, and a plain-HTTP
//! listener that only redirects to HTTPS. Every connection is its own task; a slow or
//! broken client (stalled handshake, headers never finished) only holds its own task
//! and is cut off by timeouts.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Pem { path: String, reason: String },
    #[error("TLS configuration refused: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    pub fn load(&self) -> Result<Arc<ServerConfig>, ServeError> {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).map_err(|source| ServeError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        load_tls_config(&read(&self.cert)?, &read(&self.key)?).map_err(|e| match e {
            ServeError::Pem { reason, .. } => ServeError::Pem {
                path: format!("{} / {}", self.cert.display(), self.key.display()),
                reason,
            },
            other => other,
        })
    }
}

/// A rustls server config (TLS 1.2 and 1.3, h2 and http/1.1) from PEM texts: the chain
/// (leaf first) and its private key.
pub fn load_tls_config(chain_pem: &str, key_pem: &str) -> Result<Arc<ServerConfig>, ServeError> {
    let pem = |reason: String| ServeError::Pem {
        path: "PEM".into(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(pem("no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| pem(format!("private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A server running in the background; dropping it does not stop it, `stop` does.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting and closes every open connection.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Runs until the task ends (it only ends when stopped).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Serves `app` on `listener`, over TLS when `tls` is given. The peer address reaches
/// handlers as `ConnectInfo<SocketAddr>` (the per-IP limits use it).
pub fn spawn_server(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ServerConfig>>,
) -> Result<RunningServer, ServeError> {
    spawn_accept_loop(listener, move |tcp, peer| {
        serve_connection(tcp, peer, app.clone(), tls.clone())
    })
}

/// Accepts connections until stopped, each handled by `handle` in its own task.
fn spawn_accept_loop<F, Fut>(listener: TcpListener, handle: F) -> Result<RunningServer, ServeError>
where
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().map_err(ServeError::Listen)?;
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: back off, keep serving.
                            tracing::warn!("accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let _ = tcp.set_nodelay(true);
                    connections.spawn(handle(tcp, peer));
                }
            }
        }
        connections.shutdown().await;
    });
    Ok(RunningServer { addr, stop, task })
}

fn http1_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<Arc<ServerConfig>>,
) {
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(Body::new))
    });
    let builder = http1_builder();
    let result = match tls {
        Some(config) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
                _ => return,
            }
        }
        None => builder.serve_connection(TokioIo::new(tcp), service).await,
    };
    if let Err(e) = result {
        tracing::debug!("connection from {peer} ended: {e}");
    }
}

/// Where a plain-HTTP request is sent: the configured HTTPS base URL (with its port)
/// and the same path. Never the request's `Host` header, which the client chooses: a
/// redirect built from it could send people to any host.
fn redirect_target(base: &str, request: &Request<Incoming>) -> String {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Plain HTTP that answers every request with a permanent redirect to HTTPS.
pub fn spawn_redirect(
    listener: TcpListener,
    https_base: String,
) -> Result<RunningServer, ServeError> {
    let base: Arc<str> = https_base.into();
    spawn_accept_loop(listener, move |tcp, _| {
        redirect_connection(tcp, Arc::clone(&base))
    })
}

async fn redirect_connection(tcp: TcpStream, base: Arc<str>) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let response = Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, redirect_target(&base, &request))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Body::from("HTTPS only"));
        async move { Ok::<_, Infallible>(response.unwrap_or_else(|_| Response::new(Body::empty()))) }
    });
    let _ = http1_builder()
        .serve_connection(TokioIo::new(tcp), service)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_https_redirect_ignores_the_host_header_and_keeps_the_configured_port() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = spawn_redirect(listener, "https://tinnhiem.example.vn:8443".into()).unwrap();
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(
            b"GET /site/a.gov.vn?lang=en HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 301"), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("location: https://tinnhiem.example.vn:8443/site/a.gov.vn?lang=en\r\n"),
            "{answer}"
        );
        assert!(!answer.contains("evil.example"));
        server.stop().await;
    }
}
