//! A real SMTP server on loopback for the notification tests: the server side of RFC 5321
//! written here from the RFC, sharing no code with the client under test (lettre, in
//! `src/notify/smtp.rs`). It holds its listener from bind to drop, so its port can never
//! be taken by anyone else; speaks greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA (with
//! dot-unstuffing), RSET, NOOP and QUIT; records every accepted message as it arrived;
//! and can refuse the next transactions with a temporary `451` to exercise the sender's
//! retries. What an owner would read (subject, text) is decoded by `mime.rs`.

use super::mime;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The name the sink greets with.
const SERVER_NAME: &str = "sink.test";
/// RFC 5321 4.5.3.1.4–6: command and text lines are at most 1,000 octets with CRLF.
const MAX_LINE: usize = 1000;
/// Messages larger than this are refused (`552`), so a runaway client cannot fill memory.
const MAX_MESSAGE: usize = 10 << 20;

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`), without angle brackets; empty for `<>`.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as transmitted after dot-unstuffing: header, blank line, body, with
    /// the CRLF line ends of the wire.
    pub raw: Vec<u8>,
}

impl Mail {
    /// The `Subject` header, unfolded and with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        mime::subject(&self.raw).unwrap_or_else(|e| panic!("{e}:\n{}", self.raw_text()))
    }

    /// The text an owner reads: the body with its transfer encoding undone, LF line ends.
    pub fn body(&self) -> String {
        mime::text_body(&self.raw).unwrap_or_else(|e| panic!("{e}:\n{}", self.raw_text()))
    }

    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

#[derive(Debug, Default)]
struct Shared {
    mail: Vec<Mail>,
    /// Transactions still to refuse with `451` at the end of DATA.
    to_refuse: usize,
    refused: usize,
}

/// The running sink; dropping it closes the listener and every open session.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts the sink on a loopback port of its own (needs a tokio runtime).
    pub async fn start() -> SmtpSink {
        // Port held by its server: the listener bound to port 0 is the one that serves,
        // for the sink's whole life; the port is only read back from it.
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the SMTP sink binds a loopback port");
        let addr = listener.local_addr().expect("the sink's address");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        SmtpSink { addr, shared, task }
    }

    /// lettre's URL form, as `[notify] smtp_url` takes it (plain SMTP, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message accepted so far, in arrival order.
    pub fn messages(&self) -> Vec<Mail> {
        self.lock().mail.clone()
    }

    /// Refuse the next `count` transactions with `451 4.3.0` (a temporary failure: the
    /// client must try again later) instead of accepting their message.
    pub fn refuse_next(&self, count: usize) {
        self.lock().to_refuse = count;
    }

    /// How many transactions were refused so far.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("SMTP sink state")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    // Sessions live in this set, so aborting the loop (dropping the sink) ends them too.
    let mut sessions = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        sessions.spawn(session(stream, Arc::clone(&shared)));
        while sessions.try_join_next().is_some() {}
    }
}

/// What a line read from the client turned out to be.
enum Line {
    /// Without its line end (CRLF, or a bare LF, which is tolerated).
    Text(Vec<u8>),
    /// Longer than [`MAX_LINE`]; consumed up to its line end and dropped.
    TooLong,
}

/// Reads one line of at most [`MAX_LINE`] octets; `None` at end of stream.
async fn read_line(reader: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let (chunk, ended) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (&buf[..=at], true),
            None => (buf, false),
        };
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() > MAX_LINE {
                too_long = true;
                line.clear();
            }
        }
        let used = chunk.len();
        reader.consume(used);
        if ended {
            if too_long {
                return Ok(Some(Line::TooLong));
            }
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(Line::Text(line)));
        }
    }
}

async fn reply(out: &mut (impl AsyncWrite + Unpin), lines: &[&str]) -> std::io::Result<()> {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push_str("\r\n");
    }
    out.write_all(text.as_bytes()).await?;
    out.flush().await
}

/// The envelope of the transaction in progress.
struct Envelope {
    from: String,
    to: Vec<String>,
}

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let _ = converse(&mut read, &mut write, &shared).await;
}

async fn converse(
    read: &mut (impl AsyncBufRead + Unpin),
    write: &mut (impl AsyncWrite + Unpin),
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    let greeting = format!("220 {SERVER_NAME} ESMTP test sink");
    reply(write, &[&greeting]).await?;
    let mut greeted = false;
    let mut envelope: Option<Envelope> = None;
    while let Some(line) = read_line(read).await? {
        let Line::Text(line) = line else {
            reply(write, &["500 5.5.2 line too long"]).await?;
            continue;
        };
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, argument) = match line.split_once(' ') {
            Some((verb, argument)) => (verb, argument.trim()),
            None => (line.as_str(), ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if argument.is_empty() => {
                reply(
                    write,
                    &["501 5.5.4 a domain or address literal is required"],
                )
                .await?;
            }
            "EHLO" => {
                greeted = true;
                envelope = None;
                let first = format!("250-{SERVER_NAME} greets {argument}");
                reply(write, &[&first, "250 8BITMIME"]).await?;
            }
            "HELO" => {
                greeted = true;
                envelope = None;
                let only = format!("250 {SERVER_NAME}");
                reply(write, &[&only]).await?;
            }
            "MAIL" if !greeted => reply(write, &["503 5.5.1 EHLO or HELO first"]).await?,
            "MAIL" if envelope.is_some() => {
                reply(write, &["503 5.5.1 nested MAIL command"]).await?;
            }
            "MAIL" => match path_argument(argument, "FROM:") {
                Err(e) => reply(write, &[&format!("501 5.5.4 {e}")]).await?,
                Ok((from, params)) => {
                    // BODY= is the only extension parameter offered (8BITMIME).
                    let unknown = params.iter().find(|p| {
                        let p = p.to_ascii_uppercase();
                        !(p == "BODY=7BIT" || p == "BODY=8BITMIME")
                    });
                    if let Some(p) = unknown {
                        reply(write, &[&format!("555 5.5.4 parameter {p} not recognised")]).await?;
                    } else {
                        envelope = Some(Envelope {
                            from,
                            to: Vec::new(),
                        });
                        reply(write, &["250 2.1.0 sender OK"]).await?;
                    }
                }
            },
            "RCPT" => match (&mut envelope, path_argument(argument, "TO:")) {
                (None, _) => reply(write, &["503 5.5.1 MAIL first"]).await?,
                (Some(_), Err(e)) => reply(write, &[&format!("501 5.5.4 {e}")]).await?,
                (Some(_), Ok((to, _))) if to.is_empty() => {
                    reply(write, &["501 5.1.3 an empty recipient is not allowed"]).await?;
                }
                (Some(_), Ok((_, params))) if !params.is_empty() => {
                    reply(write, &["555 5.5.4 RCPT parameters not recognised"]).await?;
                }
                (Some(envelope), Ok((to, _))) => {
                    envelope.to.push(to);
                    reply(write, &["250 2.1.5 recipient OK"]).await?;
                }
            },
            "DATA" if !argument.is_empty() => {
                reply(write, &["501 5.5.4 DATA takes no argument"]).await?;
            }
            "DATA" => match envelope.take() {
                Some(envelope) if !envelope.to.is_empty() => {
                    reply(write, &["354 end data with <CR><LF>.<CR><LF>"]).await?;
                    let Some(data) = read_data(read).await? else {
                        return Ok(()); // the client left mid-message: nothing is recorded
                    };
                    let answer = deliver(shared, envelope, data);
                    reply(write, &[&answer]).await?;
                }
                other => {
                    envelope = other;
                    reply(write, &["503 5.5.1 RCPT first"]).await?;
                }
            },
            "RSET" => {
                envelope = None;
                reply(write, &["250 2.0.0 reset"]).await?;
            }
            "NOOP" => reply(write, &["250 2.0.0 OK"]).await?,
            "VRFY" => reply(write, &["252 2.1.5 cannot verify, will accept"]).await?,
            "QUIT" => {
                reply(write, &["221 2.0.0 bye"]).await?;
                return Ok(());
            }
            _ => reply(write, &["500 5.5.2 command not recognised"]).await?,
        }
    }
    Ok(())
}

/// The message of a DATA command up to the lone `.` line, dot-unstuffed (RFC 5321
/// 4.5.2: a line starting with `.` had one more `.` put in front by the client), with
/// CRLF line ends; `Err` text for a message that broke a limit; `None` at end of stream.
async fn read_data(
    read: &mut (impl AsyncBufRead + Unpin),
) -> std::io::Result<Option<Result<Vec<u8>, &'static str>>> {
    let mut data = Vec::new();
    let mut problem = None;
    loop {
        let line = match read_line(read).await? {
            None => return Ok(None),
            Some(Line::TooLong) => {
                problem = Some("500 5.5.2 a line of the message is too long");
                continue;
            }
            Some(Line::Text(line)) => line,
        };
        if line == b"." {
            return Ok(Some(problem.map_or(Ok(data), Err)));
        }
        let text = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + text.len() + 2 > MAX_MESSAGE {
            problem = Some("552 5.3.4 message too big");
            continue;
        }
        data.extend_from_slice(text);
        data.extend_from_slice(b"\r\n");
    }
}

/// Records (or refuses, when asked to) one complete transaction; the reply to send.
fn deliver(shared: &Mutex<Shared>, envelope: Envelope, data: Result<Vec<u8>, &str>) -> String {
    let raw = match data {
        Ok(raw) => raw,
        Err(reply) => return reply.to_string(),
    };
    let mut shared = shared.lock().expect("SMTP sink state");
    if shared.to_refuse > 0 {
        shared.to_refuse -= 1;
        shared.refused += 1;
        return "451 4.3.0 temporary failure, try again later".into();
    }
    shared.mail.push(Mail {
        from: envelope.from,
        to: envelope.to,
        raw,
    });
    format!("250 2.0.0 queued as {}", shared.mail.len())
}

/// `FROM:<path> params…` or `TO:<path> params…` (RFC 5321 4.1.2): the address without
/// brackets (a source route dropped) and the extension parameters.
fn path_argument(argument: &str, keyword: &str) -> Result<(String, Vec<String>), String> {
    let head = argument.get(..keyword.len()).unwrap_or("");
    if !head.eq_ignore_ascii_case(keyword) {
        return Err(format!("expected {keyword}<address>"));
    }
    let rest = argument[keyword.len()..].trim_start();
    let inner = rest
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .ok_or("the address must be in angle brackets")?;
    let (path, params) = inner;
    let address = match path.rsplit_once(':') {
        Some((route, address)) if route.starts_with('@') => address,
        _ => path,
    };
    if !address.is_empty() && !address.contains('@') {
        return Err(format!("`{address}` is not a mailbox"));
    }
    Ok((
        address.to_string(),
        params.split_whitespace().map(str::to_string).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::path_argument;

    #[test]
    fn paths_are_parsed_as_rfc_5321_writes_them() {
        assert_eq!(
            path_argument("FROM:<a@b.test> BODY=8BITMIME", "FROM:"),
            Ok(("a@b.test".into(), vec!["BODY=8BITMIME".into()]))
        );
        assert_eq!(
            path_argument("from: <>", "FROM:"),
            Ok((String::new(), vec![]))
        );
        assert_eq!(
            path_argument("TO:<@relay.test:x@y.test>", "TO:"),
            Ok(("x@y.test".into(), vec![]))
        );
        assert!(path_argument("TO:x@y.test", "TO:").is_err());
        assert!(path_argument("FROM:<a@b.test>", "TO:").is_err());
    }
}
