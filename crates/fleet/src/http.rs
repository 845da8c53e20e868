//! A deliberately small HTTP/1.1 responder.
//!
//! hyper would normalise what goes on the wire; the fleet must send exactly the bytes a
//! spec asks for (duplicate headers, odd values, a wrong `Content-Length`), so requests are
//! parsed and responses written by hand. It supports keep-alive because the scanner reuses
//! connections, and caps the request head so a misbehaving client cannot grow memory.

use super::log::{RequestLog, SeenRequest};
use super::ocsp::OcspResponder;
use super::routes::RouteTable;
use super::spec::BodyStream;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest request head (request line + headers) the responder reads.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// A keep-alive connection idle for this long is closed, so abandoned clients free tasks.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Request bodies up to this size are skipped so the connection can be reused; a larger
/// body gets its answer and then the connection is closed.
const MAX_READ_BODY: u64 = 1024 * 1024;

/// One response, as bytes: a [`Route`] after conversion, or a PKI file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resource {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (a slow or hanging page).
    pub delay: Option<Duration>,
    /// How the body is sent (see [`BodyStream`]).
    pub stream: BodyStream,
    /// Header lines sent verbatim, as bytes.
    pub raw_headers: Vec<Vec<u8>>,
}

/// Bytes per write of a generated body.
const GENERATED_CHUNK: usize = 64 * 1024;

impl Resource {
    /// The `Content-Length` to announce; `None` for an endless (chunked) body.
    fn announced_length(&self) -> Option<u64> {
        match &self.stream {
            BodyStream::Fixed | BodyStream::Trickle { .. } => Some(self.body.len() as u64),
            BodyStream::Bytes(bytes) => Some(bytes.len() as u64),
            BodyStream::Repeat { total } => Some(*total),
            BodyStream::Endless => None,
        }
    }

    /// Whether the body is generated while sending: the connection then ends after it.
    fn is_generated(&self) -> bool {
        matches!(
            self.stream,
            BodyStream::Trickle { .. } | BodyStream::Repeat { .. } | BodyStream::Endless
        )
    }

    /// `body` repeated to about `GENERATED_CHUNK` bytes (never empty).
    fn generated_chunk(&self) -> Vec<u8> {
        let unit: &[u8] = if self.body.is_empty() {
            b" "
        } else {
            &self.body
        };
        let mut chunk = Vec::with_capacity(GENERATED_CHUNK + unit.len());
        while chunk.len() < GENERATED_CHUNK {
            chunk.extend_from_slice(unit);
        }
        chunk
    }
}

/// Writes the body of `resource` the way its [`BodyStream`] says.
async fn write_body<S: AsyncWrite + Unpin>(
    stream: &mut S,
    resource: &Resource,
) -> std::io::Result<()> {
    match &resource.stream {
        BodyStream::Fixed => stream.write_all(&resource.body).await,
        BodyStream::Bytes(bytes) => stream.write_all(bytes).await,
        BodyStream::Trickle { interval } => {
            for byte in &resource.body {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(*interval).await;
            }
            Ok(())
        }
        BodyStream::Repeat { total } => {
            let chunk = resource.generated_chunk();
            let mut left = *total;
            while left > 0 {
                let n = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
                stream.write_all(&chunk[..n]).await?;
                left -= n as u64;
            }
            Ok(())
        }
        BodyStream::Endless => {
            let chunk = resource.generated_chunk();
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            loop {
                stream.write_all(&framed).await?;
            }
        }
    }
}

/// How a listener answers every request on it, and where it records them.
#[derive(Debug)]
pub(crate) struct Responder {
    answer: Answer,
    log: Option<(Arc<RequestLog>, &'static str)>,
}

#[derive(Debug)]
enum Answer {
    /// Path lookup (query string ignored); unknown paths get the table's catch-all or a
    /// small 404.
    Routes(RouteTable),
    /// `301` to the same path on `https://<host>`.
    RedirectToHttps { host: String },
    /// An OCSP responder: a POSTed request in, a DER response out.
    Ocsp(Arc<OcspResponder>),
}

impl Responder {
    /// Counts a completed TLS handshake in the site's log, if it keeps one.
    pub(crate) fn record_tls_session(&self) {
        if let Some((log, _)) = &self.log {
            log.record_tls_session();
        }
    }

    pub(crate) fn ocsp(responder: Arc<OcspResponder>) -> Responder {
        Responder {
            answer: Answer::Ocsp(responder),
            log: None,
        }
    }

    /// A route table; when two routes share a path the first wins, as in the spec's order.
    pub(crate) fn routes(routes: impl IntoIterator<Item = (String, Resource)>) -> Responder {
        Responder::table(RouteTable::plain(routes))
    }

    pub(crate) fn table(table: RouteTable) -> Responder {
        Responder {
            answer: Answer::Routes(table),
            log: None,
        }
    }

    pub(crate) fn redirect_to_https(host: &str) -> Responder {
        Responder {
            answer: Answer::RedirectToHttps {
                host: host.to_string(),
            },
            log: None,
        }
    }

    /// Records every request into `log`, tagged with the scheme of this listener.
    pub(crate) fn logged(mut self, log: Arc<RequestLog>, scheme: &'static str) -> Responder {
        self.log = Some((log, scheme));
        self
    }

    fn respond(&self, request: &RequestHead, body: &[u8]) -> Resource {
        if let Some((log, scheme)) = &self.log {
            let header = |name: &str| {
                request
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            log.record(SeenRequest {
                scheme,
                method: request.method.clone(),
                target: request.target.clone(),
                user_agent: header("user-agent"),
                referer: header("referer"),
                received: std::time::Instant::now(),
            });
        }
        let path = request_path(&request.target);
        match &self.answer {
            Answer::Routes(table) => table
                .lookup(path, &request.headers)
                .cloned()
                .unwrap_or_else(not_found),
            Answer::RedirectToHttps { host } => Resource {
                status: 301,
                headers: vec![("Location".to_string(), format!("https://{host}{path}"))],
                body: Vec::new(),
                ..Resource::default()
            },
            Answer::Ocsp(responder) if request.method == "POST" => Resource {
                status: 200,
                headers: vec![(
                    "Content-Type".to_string(),
                    trustlabel_core::ocsp::RESPONSE_MEDIA_TYPE.to_string(),
                )],
                body: responder.respond(body),
                ..Resource::default()
            },
            Answer::Ocsp(_) => Resource {
                status: 405,
                headers: vec![("Allow".to_string(), "POST".to_string())],
                body: Vec::new(),
                ..Resource::default()
            },
        }
    }
}

fn not_found() -> Resource {
    Resource {
        status: 404,
        headers: vec![(
            "Content-Type".to_string(),
            "text/plain; charset=utf-8".to_string(),
        )],
        body: b"not found\n".to_vec(),
        ..Resource::default()
    }
}

/// The path of a request target: origin-form minus the query, or the path of an
/// absolute-form target (`GET http://host/x HTTP/1.1`, as proxies send).
fn request_path(target: &str) -> &str {
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    path.split(['?', '#']).next().unwrap_or(path)
}

#[derive(Debug, PartialEq, Eq)]
struct RequestHead {
    method: String,
    target: String,
    keep_alive: bool,
    body: Body,
    /// Every header line as sent (routes can depend on them).
    headers: Vec<(String, String)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Body {
    Length(u64),
    /// Chunked or otherwise unframed: cannot be skipped reliably, so the connection ends.
    Unframed,
}

/// Parses a request head (without the final blank line); `None` when malformed.
fn parse_head(head: &[u8]) -> Option<RequestHead> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || method.is_empty() || target.is_empty() {
        return None;
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    let mut keep_alive = http11;
    let mut body = Body::Length(0);
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return None;
        }
        let value = value.trim();
        headers.push((name.to_string(), value.to_string()));
        if name.eq_ignore_ascii_case("connection") {
            let has = |token: &str| {
                value
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case(token))
            };
            if has("close") {
                keep_alive = false;
            } else if has("keep-alive") {
                keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            body = Body::Length(value.parse().ok()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            body = Body::Unframed;
        }
    }
    Some(RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        keep_alive,
        body,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The response head. Headers go out verbatim; `Content-Length` (or, for an endless
/// body, `Transfer-Encoding: chunked`) is added unless the resource sets its own (so a
/// test can lie about it).
fn render_head(resource: &Resource, close: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        resource.status,
        reason(resource.status)
    );
    let mut has_length = false;
    for (name, value) in &resource.headers {
        has_length |= name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has_length {
        match resource.announced_length() {
            Some(len) => out.push_str(&format!("Content-Length: {len}\r\n")),
            None => out.push_str("Transfer-Encoding: chunked\r\n"),
        }
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    let mut bytes = out.into_bytes();
    for line in &resource.raw_headers {
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// The whole response of a fixed body, as bytes.
fn render(resource: &Resource, head_only: bool, close: bool) -> Vec<u8> {
    let mut bytes = render_head(resource, close);
    if !head_only {
        bytes.extend(&resource.body);
    }
    bytes
}

fn error_response(status: u16) -> Vec<u8> {
    let resource = Resource {
        status,
        headers: Vec::new(),
        body: Vec::new(),
        ..Resource::default()
    };
    render(&resource, false, true)
}

enum Head {
    /// Length of the head including the blank line.
    Complete(usize),
    Eof,
    TooLarge,
}

/// Reads until `buf` holds a full request head. Leading blank lines are tolerated, as
/// RFC 9112 asks of servers.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<Head> {
    let mut scanned: usize = 0;
    loop {
        if scanned == 0 {
            while buf.starts_with(b"\r\n") {
                buf.drain(..2);
            }
        }
        let from = scanned.saturating_sub(3);
        if let Some(pos) = buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Head::Complete(from + pos + 4));
        }
        if buf.len() >= MAX_HEAD {
            return Ok(Head::TooLarge);
        }
        scanned = buf.len();
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Head::Eof);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads `len` (at most [`MAX_READ_BODY`]) body bytes, using what is already buffered
/// first.
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    len: u64,
) -> std::io::Result<Vec<u8>> {
    let buffered = buf.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    let mut body: Vec<u8> = buf.drain(..buffered).collect();
    let rest = len - buffered as u64;
    let read = (&mut *stream).take(rest).read_to_end(&mut body).await?;
    if (read as u64) < rest {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(body)
}

/// Answers requests on one connection until the client closes, asks to close, idles out,
/// or sends something unparseable.
pub(crate) async fn serve_connection<S>(mut stream: S, responder: &Responder) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::with_capacity(4096);
    loop {
        let head = match tokio::time::timeout(IDLE_TIMEOUT, read_head(&mut stream, &mut buf)).await
        {
            Err(_) | Ok(Ok(Head::Eof)) => break,
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Head::TooLarge)) => {
                stream.write_all(&error_response(431)).await?;
                break;
            }
            Ok(Ok(Head::Complete(len))) => len,
        };
        let Some(request) = parse_head(&buf[..head - 4]) else {
            stream.write_all(&error_response(400)).await?;
            break;
        };
        buf.drain(..head);
        let (body, close) = match request.body {
            Body::Length(len) if len <= MAX_READ_BODY => (
                read_body(&mut stream, &mut buf, len).await?,
                !request.keep_alive,
            ),
            _ => (Vec::new(), true),
        };
        let resource = responder.respond(&request, &body);
        if let Some(delay) = resource.delay {
            tokio::time::sleep(delay).await;
        }
        // A generated body is sent once and the connection ends with it.
        let close = close || resource.is_generated();
        stream.write_all(&render_head(&resource, close)).await?;
        if request.method != "HEAD" {
            write_body(&mut stream, &resource).await?;
        }
        stream.flush().await?;
        if close {
            break;
        }
    }
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    use crate::spec::Route;

    fn table() -> Responder {
        let route = Route::page("/", "hello")
            .with_header("X-Dup", "1")
            .with_added_header("X-Dup", "2");
        Responder::routes([("/".to_string(), Resource::from(&route))])
    }

    /// Sends `request` on a fresh in-memory connection and returns everything answered.
    async fn exchange(responder: Responder, request: &[u8]) -> String {
        String::from_utf8(exchange_raw(responder, request).await).unwrap()
    }

    async fn exchange_raw(responder: Responder, request: &[u8]) -> Vec<u8> {
        let (mut client, server) = duplex(256 * 1024);
        let task = tokio::spawn(async move { serve_connection(server, &responder).await });
        client.write_all(request).await.unwrap();
        client.shutdown().await.unwrap();
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.unwrap();
        task.await.unwrap().unwrap();
        out
    }

    #[tokio::test]
    async fn pipelined_requests_on_one_connection_each_get_an_answer() {
        let out = exchange(
            table(),
            b"GET /?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
              HEAD / HTTP/1.1\r\nHost: a\r\n\r\n\
              GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        )
        .await;
        let expected = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
             X-Dup: 1\r\nX-Dup: 2\r\nContent-Length: 5\r\n\r\nhello\
             HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
             X-Dup: 1\r\nX-Dup: 2\r\nContent-Length: 5\r\n\r\n\
             HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 10\r\nConnection: close\r\n\r\nnot found\n";
        assert_eq!(out, expected);
    }

    #[tokio::test]
    async fn redirect_keeps_the_path_and_drops_the_query() {
        let responder = Responder::redirect_to_https("a.test");
        let out = exchange(responder, b"GET /x/y?z=1 HTTP/1.0\r\n\r\n").await;
        assert!(
            out.starts_with("HTTP/1.1 301 Moved Permanently\r\nLocation: https://a.test/x/y\r\n")
        );
        assert!(
            out.contains("Connection: close\r\n"),
            "HTTP/1.0 closes by default"
        );
    }

    #[tokio::test]
    async fn oversized_or_malformed_heads_are_refused() {
        let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        huge.resize(MAX_HEAD + 10, b'a');
        let out = exchange(table(), &huge).await;
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        let out = exchange(table(), b"GET / SPDY/3\r\n\r\nGET / HTTP/1.1\r\n\r\n").await;
        assert!(out.starts_with("HTTP/1.1 400 "), "{out}");
        assert_eq!(
            out.matches("HTTP/1.1").count(),
            1,
            "closes after a bad request"
        );
    }

    #[test]
    fn route_content_length_is_not_doubled() {
        let resource = Resource {
            status: 200,
            headers: vec![("content-length".into(), "99".into())],
            body: b"short".to_vec(),
            ..Resource::default()
        };
        let text = String::from_utf8(render(&resource, false, false)).unwrap();
        assert_eq!(text, "HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\nshort");
    }

    #[tokio::test]
    async fn generated_bodies_are_framed_and_end_the_connection() {
        let routes = [
            Route::page("/repeat", "abc").with_stream(BodyStream::Repeat { total: 100_000 }),
            Route::new("/bytes", 200)
                .with_raw_header(b"X-Junk: \xff\xfe")
                .with_stream(BodyStream::Bytes(std::sync::Arc::new(vec![0xff, 0x00]))),
        ];
        let responder =
            || Responder::routes(routes.iter().map(|r| (r.path.clone(), Resource::from(r))));
        let (mut client, server) = duplex(1 << 20);
        let r = responder();
        let task = tokio::spawn(async move { serve_connection(server, &r).await });
        client
            .write_all(b"GET /repeat HTTP/1.1\r\n\r\nGET /bytes HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.unwrap();
        task.await.unwrap().unwrap();
        let head_end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&out[..head_end]);
        assert!(head.contains("Content-Length: 100000\r\n"), "{head}");
        assert!(head.contains("Connection: close\r\n"), "{head}");
        assert_eq!(
            out.len() - head_end,
            100_000,
            "one response, then the connection ends"
        );
        assert!(out[head_end..].starts_with(b"abcabc"));

        let out = exchange_raw(responder(), b"GET /bytes HTTP/1.1\r\n\r\n").await;
        let expected: &[u8] =
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Junk: \xff\xfe\r\n\r\n\xff\x00";
        assert_eq!(out, expected, "{}", String::from_utf8_lossy(&out));
    }

    #[tokio::test]
    async fn an_endless_body_is_chunked_and_a_trickle_is_slow() {
        let endless = Route::page("/", "xyz").with_stream(BodyStream::Endless);
        let (mut client, server) = duplex(1 << 16);
        let r = Responder::routes([("/".to_string(), Resource::from(&endless))]);
        let task = tokio::spawn(async move { serve_connection(server, &r).await });
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = vec![0u8; 300_000];
        let mut got = 0;
        while got < buf.len() {
            got += client.read(&mut buf[got..]).await.unwrap();
        }
        let text = String::from_utf8_lossy(&buf[..200]);
        assert!(text.contains("Transfer-Encoding: chunked\r\n"), "{text}");
        drop(client);
        assert!(
            task.await.unwrap().is_err(),
            "the writer stops when the reader goes"
        );

        let trickle = Route::page("/", "ab").with_stream(BodyStream::Trickle {
            interval: Duration::from_millis(200),
        });
        let r = Responder::routes([("/".to_string(), Resource::from(&trickle))]);
        let started = tokio::time::Instant::now();
        let out = exchange(r, b"GET / HTTP/1.1\r\n\r\n").await;
        assert!(out.ends_with("\r\n\r\nab"), "{out}");
        assert!(started.elapsed() >= Duration::from_millis(400));
    }

    #[test]
    fn absolute_form_targets_route_by_path() {
        assert_eq!(request_path("http://a.test/x?y"), "/x");
        assert_eq!(request_path("http://a.test"), "/");
        assert_eq!(request_path("/p#frag"), "/p");
    }
}
