//! The fleet's mail servers (MX hosts) on loopback: a minimal SMTP responder written from
//! RFC 5321 and RFC 3207, independent of the collector's client. It greets, answers
//! `EHLO`/`HELO`, `STARTTLS` (then a TLS handshake with a fleet certificate), `NOOP`,
//! `RSET` and `QUIT`, and refuses everything else: it never accepts a message.
//!
//! Each [`SmtpBehaviour`] is one way a real mail server is found on the internet.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;

use super::server::{Conn, Incoming, accept_loop};

use crate::CertKind;

/// How a fleet mail server behaves on port 25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpBehaviour {
    /// Offers STARTTLS and completes TLS 1.2/1.3 with a leaf of this kind for the MX name.
    StartTls(CertKind),
    /// A well-behaved server that does not offer STARTTLS.
    NoStartTls,
    /// Offers STARTTLS, says `220`, then answers the client's hello with a fatal
    /// `protocol_version` alert, as a server that speaks only TLS 1.0 does to a client that
    /// offers 1.2 and 1.3.
    OutdatedTls,
    /// Offers STARTTLS, says `220`, then closes the connection.
    DropAfterStartTls,
    /// Answers the connection with an HTTP error instead of an SMTP greeting.
    Garbage,
    /// Accepts the connection and never says anything (a tarpit).
    Silent,
    /// Nothing listens: connections are refused.
    Closed,
}

/// One mail server of the fleet: its host name (the MX target) and behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailServer {
    pub host: String,
    pub behaviour: SmtpBehaviour,
}

impl MailServer {
    pub fn new(host: &str, behaviour: SmtpBehaviour) -> MailServer {
        MailServer {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            behaviour,
        }
    }
}

/// How long a connection may stay idle before the server hangs up.
const IDLE: Duration = Duration::from_secs(30);
/// The TLS alert a TLS 1.0-only server sends to a hello it cannot accept: record type 21
/// (alert), version 3.1, length 2, level fatal (2), description protocol_version (70).
const PROTOCOL_VERSION_ALERT: [u8; 7] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

pub(crate) async fn serve(
    listener: Incoming,
    host: String,
    behaviour: SmtpBehaviour,
    tls: Option<TlsAcceptor>,
) {
    let host = Arc::new(host);
    accept_loop(listener, move |stream| {
        let host = Arc::clone(&host);
        let tls = tls.clone();
        async move {
            let _ = tokio::time::timeout(IDLE * 4, session(stream, &host, behaviour, tls)).await;
        }
    })
    .await;
}

async fn session(
    mut stream: Conn,
    host: &str,
    behaviour: SmtpBehaviour,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    match behaviour {
        SmtpBehaviour::Silent => {
            tokio::time::sleep(IDLE * 2).await;
            return Ok(());
        }
        SmtpBehaviour::Garbage => {
            stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await?;
            return stream.shutdown().await;
        }
        _ => {}
    }
    let offers = behaviour != SmtpBehaviour::NoStartTls;
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(format!("220 {host} ESMTP fleet\r\n").as_bytes())
        .await?;
    match dialogue(&mut reader, host, offers).await? {
        Next::Closed => Ok(()),
        Next::StartTls => {
            let mut stream = reader.into_inner();
            match (behaviour, tls) {
                (SmtpBehaviour::StartTls(_), Some(acceptor)) => {
                    let tls = acceptor.accept(stream).await?;
                    let mut reader = BufReader::new(tls);
                    // RFC 3207 §4.2: the client starts over with EHLO; STARTTLS is no
                    // longer offered.
                    dialogue(&mut reader, host, false).await.map(|_| ())
                }
                (SmtpBehaviour::OutdatedTls, _) => {
                    let mut hello = [0u8; 5];
                    stream.read_exact(&mut hello).await?;
                    stream.write_all(&PROTOCOL_VERSION_ALERT).await?;
                    stream.shutdown().await
                }
                _ => stream.shutdown().await,
            }
        }
    }
}

enum Next {
    Closed,
    StartTls,
}

/// Commands until `QUIT` (or `STARTTLS` when `offers`), one reply each.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    reader: &mut BufReader<S>,
    host: &str,
    offers: bool,
) -> std::io::Result<Next> {
    loop {
        let mut line = String::new();
        let read = tokio::time::timeout(IDLE, (&mut *reader).take(1024).read_line(&mut line)).await;
        let Ok(Ok(n)) = read else {
            return Ok(Next::Closed);
        };
        if n == 0 {
            return Ok(Next::Closed);
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec![
                    host.to_string(),
                    "PIPELINING".into(),
                    "SIZE 10240000".into(),
                ];
                if offers {
                    lines.push("STARTTLS".into());
                }
                lines.push("8BITMIME".into());
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect()
            }
            "HELO" => format!("250 {host}\r\n"),
            "STARTTLS" if offers => {
                reader
                    .get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                return Ok(Next::StartTls);
            }
            "NOOP" | "RSET" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                reader.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                let _ = reader.get_mut().shutdown().await;
                return Ok(Next::Closed);
            }
            "MAIL" | "RCPT" | "DATA" => "554 5.7.1 This test server accepts no mail\r\n".into(),
            _ => "502 5.5.2 Command not recognised\r\n".into(),
        };
        reader.get_mut().write_all(reply.as_bytes()).await?;
    }
}
