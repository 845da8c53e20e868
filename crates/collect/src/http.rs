//! HTTP fetching for one site: manually followed redirect chains over pinned addresses.
//!
//! Built on hyper's connection API rather than a high-level client because the scanner
//! must (a) connect to the address it pinned (and curl-style port overrides), (b) reuse
//! the already-verified TLS connection from the recording handshake instead of paying a
//! second handshake, and (c) see every header as sent, duplicates included.

use super::body;
use super::net::{RoundTrip, connect_tcp_timed};
use super::politeness::Politeness;
use super::resolve::Resolver;
use super::tls::TlsContext;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use trustlabel_core::domain::same_site;
use trustlabel_core::evidence::{
    Body, CORS_PROBE_ORIGIN, ChainEnd, FetchChain, FetchFailureKind, Header, Hop, HttpResponse,
};
use url::Url;

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub body_cap: usize,
    pub max_redirects: usize,
    pub user_agent: String,
}

/// How one request presents itself. Every request of a scan carries the scanner's honest
/// `User-Agent`, except the two cloaking views (see `collect::views`), which is why the
/// agent is per request rather than per fetcher.
#[derive(Debug, Clone, Copy)]
pub struct Presentation<'p> {
    pub user_agent: &'p str,
    pub referer: Option<&'p str>,
    /// Send the CORS probe `Origin` (https requests only).
    pub cors_probe: bool,
    /// Body bytes kept, after decompression.
    pub body_cap: usize,
    /// A body to POST instead of a GET (OCSP queries).
    pub payload: Option<&'p Payload>,
}

/// A request body to POST, for protocols that send one (OCSP).
#[derive(Debug, Clone)]
pub struct Payload {
    pub content_type: &'static str,
    /// What the answer should be (`Accept`).
    pub accept: &'static str,
    pub body: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainKind {
    /// Starts at `http://`; stops once it reaches an https URL of the same site.
    Plain,
    /// Starts at `https://`.
    Secure,
}

enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// Aborts the hyper connection tasks when the site scan ends.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

type ConnKey = (bool, String, u16);

/// The address each host name of one site scan was pinned to. Every fetcher of the scan
/// (the `http://` chain, the `https://` chain and the page extras) shares one `Pins`, so a
/// name is used with one address for the whole scan: a DNS answer that changes between
/// two lookups (DNS rebinding) cannot move later requests somewhere else.
#[derive(Debug, Clone, Default)]
pub struct Pins(Arc<Mutex<HashMap<String, IpAddr>>>);

impl Pins {
    /// Pins holding the site's own address, resolved and checked by the caller.
    pub fn site(host: &str, ip: IpAddr) -> Pins {
        let pins = Pins::default();
        pins.pin(host, ip);
        pins
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, IpAddr>> {
        // A panic while holding the lock cannot leave the map half-written.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The address `host` is pinned to, if any.
    pub fn get(&self, host: &str) -> Option<IpAddr> {
        self.map().get(host).copied()
    }

    /// Pins `host` to `ip` unless it is pinned already; the address in force.
    pub fn pin(&self, host: &str, ip: IpAddr) -> IpAddr {
        *self.map().entry(host.to_string()).or_insert(ip)
    }
}

/// Fetch state of one site scan: pinned addresses, open connections.
pub struct SiteFetcher<'a> {
    site_host: String,
    resolver: &'a Resolver,
    tls: &'a TlsContext,
    politeness: &'a Politeness,
    settings: &'a FetchSettings,
    deadline: Instant,
    pins: Pins,
    senders: HashMap<ConnKey, Sender>,
    ready_tls: HashMap<ConnKey, TlsStream<TcpStream>>,
    tasks: Tasks,
    /// Connect only over IPv6 (the site-over-IPv6 probe): overrides of the other family
    /// are not used.
    ipv6_only: bool,
    /// The fastest connect of this fetcher: whether more connections would pay.
    round_trip: RoundTrip,
}

/// Why a single request produced no response.
struct RequestFailure {
    kind: FetchFailureKind,
    message: String,
}

enum Target {
    Addr(SocketAddr),
    Refused(IpAddr),
    Unresolved(String),
}

impl<'a> SiteFetcher<'a> {
    /// A fetcher for one site scan; `pins` are the scan's (see [`Pins`]).
    pub fn new(
        site_host: &str,
        pins: Pins,
        resolver: &'a Resolver,
        tls: &'a TlsContext,
        politeness: &'a Politeness,
        settings: &'a FetchSettings,
        deadline: Instant,
    ) -> Self {
        SiteFetcher {
            site_host: site_host.to_string(),
            resolver,
            tls,
            politeness,
            settings,
            deadline,
            pins,
            senders: HashMap::new(),
            ready_tls: HashMap::new(),
            tasks: Tasks(Vec::new()),
            ipv6_only: false,
            round_trip: RoundTrip::default(),
        }
    }

    /// A fetcher that reaches hosts over IPv6 only: their pinned IPv6 address, or a
    /// test's IPv6 override, never the IPv4 one.
    pub fn over_ipv6(mut self) -> Self {
        self.ipv6_only = true;
        self
    }

    /// Another fetcher of the same scan (same pins, settings, deadline and address
    /// family) with connections of its own: page fetches that do not depend on each
    /// other run side by side on several connections, as a browser's do. Its https
    /// connections are verified by the strict verifier like every other.
    pub fn sibling(&self) -> SiteFetcher<'a> {
        SiteFetcher {
            ipv6_only: self.ipv6_only,
            ..SiteFetcher::new(
                &self.site_host,
                self.pins.clone(),
                self.resolver,
                self.tls,
                self.politeness,
                self.settings,
                self.deadline,
            )
        }
    }

    /// Whether a round trip to the site costs more than the TLS handshakes of more
    /// connections (from the fastest connect this fetcher made).
    pub fn round_trips_cost(&self) -> bool {
        self.round_trip.costly()
    }

    /// Opens the connection a request to `url` would use, so the request itself later
    /// costs one round trip (the connection waits for the politeness budget as a
    /// request would). A failure is left for that request to meet and record.
    pub async fn open_ahead(&mut self, url: &Url) {
        let secure = url.scheme() == "https";
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = url
            .port_or_known_default()
            .unwrap_or(if secure { 443 } else { 80 });
        let key = (secure, host.clone(), port);
        if self.senders.contains_key(&key) {
            return;
        }
        let Target::Addr(addr) = self.resolve_target(&host, port).await else {
            return;
        };
        self.politeness.wait(&host, addr.ip()).await;
        let limit = (Instant::now() + self.settings.request_timeout).min(self.deadline);
        if let Ok(Ok(sender)) = tokio::time::timeout_at(limit, self.open(&key, addr)).await {
            self.senders.insert(key, sender);
        }
    }

    /// Hands over the verified stream of the recording handshake so the first https
    /// request needs no second handshake; `seen`: its connect and handshake times
    /// (see [`SiteFetcher::round_trips_cost`]).
    pub fn adopt_tls(
        &mut self,
        host: &str,
        port: u16,
        stream: TlsStream<TcpStream>,
        seen: (Option<Duration>, Option<Duration>),
    ) {
        self.round_trip.merge(seen);
        self.ready_tls
            .insert((true, host.to_string(), port), stream);
    }

    /// The honest presentation: the configured `User-Agent`, no `Referer`, no `Origin`,
    /// the configured body cap.
    pub fn presentation(&self) -> Presentation<'a> {
        let settings: &'a FetchSettings = self.settings;
        Presentation {
            user_agent: &settings.user_agent,
            referer: None,
            cors_probe: false,
            body_cap: settings.body_cap,
            payload: None,
        }
    }

    /// Follows redirects from `start` and records every hop; a secure chain carries the
    /// CORS probe `Origin`.
    pub async fn fetch_chain(&mut self, start: Url, kind: ChainKind) -> FetchChain {
        let how = Presentation {
            cors_probe: kind == ChainKind::Secure,
            ..self.presentation()
        };
        self.fetch_chain_as(start, kind, &how).await
    }

    /// [`Self::fetch_chain`] with every request presented as `how`.
    pub async fn fetch_chain_as(
        &mut self,
        start: Url,
        kind: ChainKind,
        how: &Presentation<'_>,
    ) -> FetchChain {
        let mut hops = Vec::new();
        let mut visited = HashSet::new();
        let mut url = start;
        loop {
            if !visited.insert(url.to_string()) {
                return FetchChain {
                    hops,
                    end: ChainEnd::Loop {
                        url: url.to_string(),
                    },
                };
            }
            if hops.len() > self.settings.max_redirects {
                return FetchChain {
                    hops,
                    end: ChainEnd::TooManyRedirects {
                        limit: self.settings.max_redirects,
                    },
                };
            }
            let (address, result) = self.request(&url, how).await;
            let response = match result {
                Ok(r) => r,
                Err(Ok(end)) => {
                    hops.push(Hop {
                        url: url.to_string(),
                        address,
                        response: None,
                    });
                    return FetchChain { hops, end };
                }
                Err(Err(failure)) => {
                    hops.push(Hop {
                        url: url.to_string(),
                        address,
                        response: None,
                    });
                    return FetchChain {
                        hops,
                        end: ChainEnd::Failed {
                            kind: failure.kind,
                            message: failure.message,
                        },
                    };
                }
            };
            let location = redirect_location(&response);
            hops.push(Hop {
                url: url.to_string(),
                address,
                response: Some(response),
            });
            let Some(location) = location else {
                return FetchChain {
                    hops,
                    end: ChainEnd::Final,
                };
            };
            let next = match url.join(&location) {
                Ok(n) if n.scheme() == "http" || n.scheme() == "https" => n,
                _ => {
                    return FetchChain {
                        hops,
                        end: ChainEnd::BadLocation { location },
                    };
                }
            };
            let next_host = next.host_str().unwrap_or_default().to_ascii_lowercase();
            if !same_site(&self.site_host, &next_host) {
                return FetchChain {
                    hops,
                    end: ChainEnd::Offsite {
                        location: next.to_string(),
                    },
                };
            }
            if kind == ChainKind::Plain && next.scheme() == "https" {
                return FetchChain {
                    hops,
                    end: ChainEnd::UpgradedToHttps {
                        location: next.to_string(),
                    },
                };
            }
            url = next;
        }
    }

    /// Fetches one URL without following redirects (CRL and AIA downloads, OCSP
    /// queries): a GET, or a POST of `payload`.
    pub async fn fetch_once(
        &mut self,
        url: &Url,
        payload: Option<&Payload>,
    ) -> Result<HttpResponse, String> {
        let how = Presentation {
            payload,
            ..self.presentation()
        };
        match self.fetch_one(url, &how).await {
            Ok(r) => Ok(r),
            Err(ChainEnd::Failed { message, .. }) => Err(message),
            Err(end) => Err(format!("{end:?}")),
        }
    }

    /// One request, no redirect followed; what stopped it is a [`ChainEnd`] (`Failed` or
    /// `AddressRefused`).
    pub async fn fetch_one(
        &mut self,
        url: &Url,
        how: &Presentation<'_>,
    ) -> Result<HttpResponse, ChainEnd> {
        match self.request(url, how).await {
            (_, Ok(r)) => Ok(r),
            (_, Err(Ok(end))) => Err(end),
            (_, Err(Err(f))) => Err(ChainEnd::Failed {
                kind: f.kind,
                message: f.message,
            }),
        }
    }

    /// [`Self::fetch_one`], also naming the address the request went to.
    pub async fn fetch_one_at(
        &mut self,
        url: &Url,
        how: &Presentation<'_>,
    ) -> (Option<IpAddr>, Result<HttpResponse, ChainEnd>) {
        let (address, result) = self.request(url, how).await;
        let result = match result {
            Ok(r) => Ok(r),
            Err(Ok(end)) => Err(end),
            Err(Err(f)) => Err(ChainEnd::Failed {
                kind: f.kind,
                message: f.message,
            }),
        };
        (address, result)
    }

    async fn resolve_target(&mut self, host: &str, port: u16) -> Target {
        let overridden = if self.ipv6_only {
            self.resolver.override_for_family(host, port, true)
        } else {
            self.resolver.override_for(host, port)
        };
        if let Some(addr) = overridden {
            return if self.resolver.is_allowed(addr.ip()) {
                Target::Addr(addr)
            } else {
                Target::Refused(addr.ip())
            };
        }
        if let Some(ip) = self.pins.get(host) {
            return Target::Addr(SocketAddr::new(ip, port));
        }
        match self.resolver.resolve(host).await {
            Ok(resolved) => match self.resolver.pick_allowed(&resolved.addresses) {
                // Another fetcher of the scan may have pinned the name meanwhile: its
                // address wins, so the whole scan uses one.
                Some(ip) => Target::Addr(SocketAddr::new(self.pins.pin(host, ip), port)),
                None => match resolved.addresses.first() {
                    Some(ip) => Target::Refused(*ip),
                    None => Target::Unresolved(format!("{host} has no address")),
                },
            },
            Err(super::resolve::ResolveFailure::Dns { message, .. }) => Target::Unresolved(message),
        }
    }

    /// One request. `Err(Ok(end))` is a chain-ending condition that is not a network
    /// failure (refused address); `Err(Err(_))` a failure.
    async fn request(
        &mut self,
        url: &Url,
        how: &Presentation<'_>,
    ) -> (
        Option<IpAddr>,
        Result<HttpResponse, Result<ChainEnd, RequestFailure>>,
    ) {
        let secure = url.scheme() == "https";
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url
            .port_or_known_default()
            .unwrap_or(if secure { 443 } else { 80 });
        let addr = match self.resolve_target(&host, port).await {
            Target::Addr(a) => a,
            Target::Refused(ip) => {
                return (
                    Some(ip),
                    Err(Ok(ChainEnd::AddressRefused {
                        url: url.to_string(),
                        address: ip,
                    })),
                );
            }
            Target::Unresolved(message) => {
                return (
                    None,
                    Err(Err(RequestFailure {
                        kind: FetchFailureKind::Dns,
                        message,
                    })),
                );
            }
        };
        self.politeness.wait(&host, addr.ip()).await;
        let key = (secure, host.clone(), port);
        let started = Instant::now();
        let limit = (started + self.settings.request_timeout).min(self.deadline);
        let result = tokio::time::timeout_at(limit, self.send(&key, addr, url, how)).await;
        let response = match result {
            Err(_) => {
                self.senders.remove(&key);
                return (
                    Some(addr.ip()),
                    Err(Err(RequestFailure {
                        kind: FetchFailureKind::Timeout,
                        message: format!(
                            "no response within {} ms",
                            limit.saturating_duration_since(started).as_millis()
                        ),
                    })),
                );
            }
            Ok(Err(f)) => {
                self.senders.remove(&key);
                return (Some(addr.ip()), Err(Err(f)));
            }
            Ok(Ok(r)) => r,
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (parts, incoming) = response.into_parts();
        let (raw, raw_truncated, timed_out) = read_body(incoming, how.body_cap, limit).await;
        if raw_truncated || timed_out {
            // The rest of the body is still in flight: the connection cannot be reused.
            self.senders.remove(&key);
        }
        let encoding = parts
            .headers
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let decoded = body::decode(raw, encoding, how.body_cap);
        let response = HttpResponse {
            status: parts.status.as_u16(),
            version: format!("{:?}", parts.version),
            headers: headers_of(&parts.headers),
            body: Body {
                bytes: decoded.bytes,
                truncated: raw_truncated || decoded.truncated,
                timed_out,
                content_encoding: decoded.encoding,
                decode_error: decoded.error,
            },
            elapsed_ms,
        };
        (Some(addr.ip()), Ok(response))
    }

    async fn send(
        &mut self,
        key: &ConnKey,
        addr: SocketAddr,
        url: &Url,
        how: &Presentation<'_>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, RequestFailure> {
        let reusable = match self.senders.get_mut(key) {
            Some(Sender::H1(s)) => s.ready().await.is_ok(),
            Some(Sender::H2(s)) => s.ready().await.is_ok(),
            None => false,
        };
        if !reusable {
            self.senders.remove(key);
            let sender = self.open(key, addr).await?;
            self.senders.insert(key.clone(), sender);
        }
        let sender = self.senders.get_mut(key).ok_or_else(|| RequestFailure {
            kind: FetchFailureKind::Protocol,
            message: "connection vanished".into(),
        })?;
        let is_h2 = matches!(sender, Sender::H2(_));
        let request = build_request(url, key, is_h2, how)?;
        let result = match sender {
            Sender::H1(s) => s.send_request(request).await,
            Sender::H2(s) => s.send_request(request).await,
        };
        result.map_err(|e| RequestFailure {
            kind: if e.is_timeout() {
                FetchFailureKind::Timeout
            } else {
                FetchFailureKind::Protocol
            },
            message: error_chain(&e),
        })
    }

    /// A TCP connection for a request, its round trip taken into the site's estimate.
    async fn connect(&self, addr: SocketAddr) -> Result<TcpStream, RequestFailure> {
        connect_tcp_timed(
            addr,
            self.settings.connect_timeout,
            self.deadline,
            &self.round_trip,
        )
        .await
        .map_err(|f| RequestFailure {
            kind: FetchFailureKind::Connect,
            message: f.message,
        })
    }

    async fn open(&mut self, key: &ConnKey, addr: SocketAddr) -> Result<Sender, RequestFailure> {
        let (secure, host, _) = key;
        if !*secure {
            let tcp = self.connect(addr).await?;
            return self.handshake_h1(TokioIo::new(tcp)).await;
        }
        let stream = match self.ready_tls.remove(key) {
            Some(s) => s,
            None => {
                let tcp = self.connect(addr).await?;
                let name = ServerName::try_from(host.clone()).map_err(|e| RequestFailure {
                    kind: FetchFailureKind::Tls,
                    message: e.to_string(),
                })?;
                TlsConnector::from(self.tls.strict_config())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| RequestFailure {
                        kind: FetchFailureKind::Tls,
                        message: e.to_string(),
                    })?
            }
        };
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        if h2 {
            let (sender, conn) = http2::Builder::new(TokioExecutor::new())
                .handshake(TokioIo::new(stream))
                .await
                .map_err(|e| RequestFailure {
                    kind: FetchFailureKind::Protocol,
                    message: error_chain(&e),
                })?;
            self.tasks.0.push(tokio::spawn(async move {
                let _ = conn.await;
            }));
            Ok(Sender::H2(sender))
        } else {
            self.handshake_h1(TokioIo::new(stream)).await
        }
    }

    async fn handshake_h1<T>(&mut self, io: TokioIo<T>) -> Result<Sender, RequestFailure>
    where
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http1::Builder::new()
            .max_buf_size(256 * 1024)
            .max_headers(1000)
            .handshake(io)
            .await
            .map_err(|e| RequestFailure {
                kind: FetchFailureKind::Protocol,
                message: error_chain(&e),
            })?;
        self.tasks.0.push(tokio::spawn(async move {
            let _ = conn.await;
        }));
        Ok(Sender::H1(sender))
    }
}

fn build_request(
    url: &Url,
    key: &ConnKey,
    h2: bool,
    how: &Presentation<'_>,
) -> Result<hyper::Request<Full<Bytes>>, RequestFailure> {
    let (secure, host, port) = key;
    let default_port = if *secure { 443 } else { 80 };
    let authority = if *port == default_port {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let uri = if h2 {
        format!("{}://{authority}{path}", url.scheme())
    } else {
        path
    };
    let mut builder = match how.payload {
        None => hyper::Request::get(uri).header(
            http::header::ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        ),
        Some(p) => hyper::Request::post(uri)
            .header(http::header::ACCEPT, p.accept)
            .header(http::header::CONTENT_TYPE, p.content_type),
    }
    .header(http::header::USER_AGENT, how.user_agent)
    .header(http::header::ACCEPT_LANGUAGE, "vi,en;q=0.8")
    .header(http::header::ACCEPT_ENCODING, "gzip, deflate, br");
    if !h2 {
        builder = builder.header(http::header::HOST, authority);
    }
    if let Some(referer) = how.referer {
        builder = builder.header(http::header::REFERER, referer);
    }
    if *secure && how.cors_probe {
        builder = builder.header(http::header::ORIGIN, CORS_PROBE_ORIGIN);
    }
    let body = how.payload.map(|p| p.body.clone()).unwrap_or_default();
    builder.body(Full::new(body)).map_err(|e| RequestFailure {
        kind: FetchFailureKind::Protocol,
        message: format!("cannot build request for {url}: {e}"),
    })
}

/// Reads at most `cap + 1` bytes of body before `limit`.
/// Returns (bytes, truncated, timed_out).
async fn read_body(
    mut incoming: hyper::body::Incoming,
    cap: usize,
    limit: Instant,
) -> (Vec<u8>, bool, bool) {
    let mut raw = Vec::new();
    loop {
        match tokio::time::timeout_at(limit, incoming.frame()).await {
            Err(_) => return (raw, false, true),
            Ok(None) => return (raw, false, false),
            Ok(Some(Err(_))) => return (raw, false, false),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    let room = cap + 1 - raw.len().min(cap + 1);
                    raw.extend_from_slice(&data[..data.len().min(room)]);
                    if raw.len() > cap {
                        raw.truncate(cap);
                        return (raw, true, false);
                    }
                }
            }
        }
    }
}

fn headers_of(map: &HeaderMap<HeaderValue>) -> Vec<Header> {
    map.iter()
        .map(
            |(name, value)| match std::str::from_utf8(value.as_bytes()) {
                Ok(v) => Header {
                    name: name.as_str().to_string(),
                    value: v.to_string(),
                    invalid_utf8: false,
                },
                Err(_) => Header {
                    name: name.as_str().to_string(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    invalid_utf8: true,
                },
            },
        )
        .collect()
}

fn redirect_location(response: &HttpResponse) -> Option<String> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    response
        .header_values("location")
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
