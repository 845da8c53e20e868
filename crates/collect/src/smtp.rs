//! One SMTP conversation with a mail server: greeting, `EHLO`, `STARTTLS` and the TLS
//! handshake when offered, `QUIT`. No `MAIL`, no `RCPT`: no message is ever sent. Every
//! step has a time limit inside the site deadline, replies are read with caps, and a
//! server that tarpits, answers something that is not SMTP or drops the connection
//! becomes evidence of where it stopped.

use crate::net::{ConnectFailure, connect_tcp};
use crate::tls::{StartTls, TlsContext};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::time::Instant;
use trustlabel_core::evidence::mail::{SmtpOutcome, SmtpStage};

/// Lines of one reply, and bytes of one line, read at most (RFC 5321 §4.5.3.1.5 allows
/// 512-byte reply lines; real EHLO answers have about a dozen lines).
const MAX_LINES: usize = 64;
const MAX_LINE: usize = 1024;
/// How long `QUIT` may take to be answered: a courtesy, not evidence.
const QUIT_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// The name the scanner gives in `EHLO`: its own host name (honest, like the
    /// `User-Agent`).
    pub ehlo_name: String,
    pub connect_timeout: Duration,
    /// Each reply (greeting, `EHLO`, `STARTTLS`) must arrive within this.
    pub reply_timeout: Duration,
    pub handshake_timeout: Duration,
}

/// A reply: its code and its lines' texts (code and separator removed).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        format!("{} {}", self.code, self.lines.join(" / "))
    }
}

#[derive(Debug)]
enum ReadError {
    Timeout,
    Closed,
    /// Bytes that are not an SMTP reply.
    Garbage(String),
    Io(String),
}

/// Reads one (possibly multi-line) reply: lines of three digits, then `-` to continue
/// or a space (or nothing) to end.
async fn read_reply<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    limit: Instant,
) -> Result<Reply, ReadError> {
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        let mut raw = Vec::new();
        let read = tokio::time::timeout_at(limit, async {
            let mut limited = (&mut *reader).take(MAX_LINE as u64);
            limited.read_until(b'\n', &mut raw).await
        })
        .await;
        match read {
            Err(_) => return Err(ReadError::Timeout),
            Ok(Err(e)) => return Err(ReadError::Io(e.to_string())),
            Ok(Ok(0)) => return Err(ReadError::Closed),
            Ok(Ok(_)) => {}
        }
        let text = String::from_utf8_lossy(&raw);
        let line = text.trim_end_matches(['\r', '\n']);
        let bytes = line.as_bytes();
        let shaped = bytes.len() >= 3
            && bytes[..3].iter().all(u8::is_ascii_digit)
            && matches!(bytes.get(3), None | Some(b' ') | Some(b'-'));
        if !shaped || !raw.ends_with(b"\n") {
            return Err(ReadError::Garbage(excerpt(line)));
        }
        let this: u16 = line[..3]
            .parse()
            .map_err(|_| ReadError::Garbage(excerpt(line)))?;
        if *code.get_or_insert(this) != this {
            return Err(ReadError::Garbage(excerpt(line)));
        }
        lines.push(line.get(4..).unwrap_or("").to_string());
        if bytes.get(3) != Some(&b'-') {
            return Ok(Reply { code: this, lines });
        }
        if lines.len() >= MAX_LINES {
            return Err(ReadError::Garbage(format!(
                "more than {MAX_LINES} reply lines"
            )));
        }
    }
}

fn excerpt(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .take(120)
        .collect();
    cleaned
}

/// Talks to one mail server at `addr` as `host` (the MX name, for SNI and the
/// certificate check).
pub async fn probe(
    tls: &TlsContext,
    settings: &SmtpSettings,
    host: &str,
    addr: SocketAddr,
    deadline: Instant,
) -> SmtpOutcome {
    let address = addr.ip();
    let tcp = match connect_tcp(addr, settings.connect_timeout, deadline).await {
        Ok(tcp) => tcp,
        Err(ConnectFailure { message, .. }) => {
            return SmtpOutcome::ConnectFailed { address, message };
        }
    };
    let limit = || (Instant::now() + settings.reply_timeout).min(deadline);
    let mut reader = BufReader::new(tcp);
    let broken = |stage: SmtpStage, error: ReadError, last: Option<String>| {
        let (message, timed_out, last_reply) = match error {
            ReadError::Timeout => (
                format!("no reply within {} ms", settings.reply_timeout.as_millis()),
                true,
                last,
            ),
            ReadError::Closed => ("the server closed the connection".to_string(), false, last),
            ReadError::Garbage(text) => (
                "the server's answer is not an SMTP reply".to_string(),
                false,
                Some(text),
            ),
            ReadError::Io(e) => (e, false, last),
        };
        SmtpOutcome::Broken {
            address,
            stage,
            message,
            timed_out,
            last_reply,
        }
    };
    let greeting = match read_reply(&mut reader, limit()).await {
        Ok(reply) => reply,
        Err(e) => return broken(SmtpStage::Greeting, e, None),
    };
    if greeting.code != 220 {
        return SmtpOutcome::Broken {
            address,
            stage: SmtpStage::Greeting,
            message: format!("the server refused the session ({})", greeting.code),
            timed_out: false,
            last_reply: Some(excerpt(&greeting.text())),
        };
    }
    let ehlo = format!("EHLO {}\r\n", settings.ehlo_name);
    if let Err(e) = write(&mut reader, ehlo.as_bytes(), limit()).await {
        return broken(SmtpStage::Ehlo, e, Some(excerpt(&greeting.text())));
    }
    let capabilities = match read_reply(&mut reader, limit()).await {
        Ok(reply) if reply.code == 250 => reply,
        Ok(reply) => {
            return SmtpOutcome::Broken {
                address,
                stage: SmtpStage::Ehlo,
                message: format!("EHLO was refused ({})", reply.code),
                timed_out: false,
                last_reply: Some(excerpt(&reply.text())),
            };
        }
        Err(e) => return broken(SmtpStage::Ehlo, e, Some(excerpt(&greeting.text()))),
    };
    let ehlo_lines: Vec<String> = capabilities.lines.iter().map(|l| excerpt(l)).collect();
    let offers_starttls = capabilities.lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offers_starttls {
        quit(&mut reader, deadline).await;
        return SmtpOutcome::NoStarttls {
            address,
            ehlo: ehlo_lines,
        };
    }
    if let Err(e) = write(&mut reader, b"STARTTLS\r\n", limit()).await {
        return broken(SmtpStage::Starttls, e, None);
    }
    match read_reply(&mut reader, limit()).await {
        Ok(reply) if reply.code == 220 => {}
        Ok(reply) => {
            quit(&mut reader, deadline).await;
            return SmtpOutcome::Broken {
                address,
                stage: SmtpStage::Starttls,
                message: format!("STARTTLS was refused ({})", reply.code),
                timed_out: false,
                last_reply: Some(excerpt(&reply.text())),
            };
        }
        Err(e) => return broken(SmtpStage::Starttls, e, None),
    }
    // Anything the server sent after its 220 would be read as TLS: a server that pipes
    // extra bytes here is broken, and the handshake will say so.
    let tcp = reader.into_inner();
    let server_name = match ServerName::try_from(host.to_string()) {
        Ok(name) => name,
        Err(e) => {
            return SmtpOutcome::TlsFailed {
                address,
                message: format!("`{host}` cannot be a TLS server name: {e}"),
                timed_out: false,
                version_refused: false,
                chain: vec![],
            };
        }
    };
    match tls
        .starttls(tcp, server_name, settings.handshake_timeout, deadline)
        .await
    {
        StartTls::Failed {
            message,
            timed_out,
            version_refused,
            chain,
        } => SmtpOutcome::TlsFailed {
            address,
            message,
            timed_out,
            version_refused,
            chain,
        },
        StartTls::Established {
            stream,
            version,
            cipher_suite,
            chain,
            verification,
        } => {
            let mut session = BufReader::new(*stream);
            quit(&mut session, deadline).await;
            SmtpOutcome::Tls {
                address,
                ehlo: ehlo_lines,
                version,
                cipher_suite,
                chain,
                verification,
            }
        }
    }
}

async fn write<S: AsyncWrite + AsyncRead + Unpin>(
    reader: &mut BufReader<S>,
    bytes: &[u8],
    limit: Instant,
) -> Result<(), ReadError> {
    match tokio::time::timeout_at(limit, reader.get_mut().write_all(bytes)).await {
        Err(_) => Err(ReadError::Timeout),
        Ok(Err(e)) => Err(ReadError::Io(e.to_string())),
        Ok(Ok(())) => Ok(()),
    }
}

/// Says goodbye and waits briefly for the answer, so the server logs a clean session.
async fn quit<S: AsyncWrite + AsyncRead + Unpin>(reader: &mut BufReader<S>, deadline: Instant) {
    let limit = (Instant::now() + QUIT_WAIT).min(deadline);
    if write(reader, b"QUIT\r\n", limit).await.is_ok() {
        let _ = read_reply(reader, limit).await;
    }
    let _ = tokio::time::timeout_at(limit, reader.get_mut().shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &'static [u8]) -> Result<Reply, ReadError> {
        let mut reader = BufReader::new(bytes);
        read_reply(&mut reader, Instant::now() + Duration::from_secs(5)).await
    }

    #[tokio::test]
    async fn replies_parse_and_garbage_is_named() {
        let reply = parse(b"250-mx.example.vn\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            .await
            .unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, ["mx.example.vn", "PIPELINING", "STARTTLS"]);
        assert_eq!(parse(b"220\r\n").await.unwrap().code, 220);
        assert!(matches!(
            parse(b"HTTP/1.1 400 Bad Request\r\n").await,
            Err(ReadError::Garbage(_))
        ));
        assert!(matches!(
            parse(b"250-a\r\n251 b\r\n").await,
            Err(ReadError::Garbage(_))
        ));
        assert!(matches!(parse(b"").await, Err(ReadError::Closed)));
        assert!(matches!(
            parse(b"220 no line end").await,
            Err(ReadError::Garbage(_))
        ));
    }
}
