//! What a server does with the records a vulnerability probe sends after its first
//! flight (a heartbeat request, an early ChangeCipherSpec, a ClientKeyExchange): the first
//! complete record it answers with, or how the connection ended. Total over any bytes, as
//! the flight parser is: the socket driver feeds it what it reads.

use super::server::{Alert, MAX_RECORD};
use super::wire::Cursor;

/// Bytes read at most while waiting for the one record that decides.
pub const MAX_REACTION: usize = 64 * 1024;

/// The server's first answer to a probe's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// A heartbeat record (RFC 6520): the payload length it announces and the bytes the
    /// record really carried (type, length, payload, padding).
    Heartbeat {
        payload_len: u16,
        record_len: usize,
    },
    Alert(Alert),
    /// Another record (handshake, ChangeCipherSpec, application data): the server went on.
    Record {
        content_type: u8,
    },
    /// The connection ended without a complete record.
    Closed,
    Timeout,
    Malformed(String),
}

/// Reassembles records until the first complete one decides the reaction.
#[derive(Debug, Default)]
pub struct ReactionReader {
    buffer: Vec<u8>,
    total: usize,
}

impl ReactionReader {
    pub fn new() -> Self {
        ReactionReader::default()
    }

    /// Feeds received bytes; `Some` once one record is complete (or the bytes are not TLS).
    pub fn feed(&mut self, data: &[u8]) -> Option<Reaction> {
        self.total = self.total.saturating_add(data.len());
        if self.total > MAX_REACTION {
            return Some(Reaction::Malformed(format!(
                "more than {MAX_REACTION} bytes without a complete record"
            )));
        }
        self.buffer.extend_from_slice(data);
        let mut c = Cursor::new(&self.buffer);
        let (Some(kind), Some(_version), Some(len)) = (c.u8(), c.u16(), c.u16()) else {
            return None;
        };
        let len = usize::from(len);
        if !(20..=24).contains(&kind) {
            return Some(Reaction::Malformed(format!(
                "not a TLS record (type {kind})"
            )));
        }
        if len > MAX_RECORD {
            return Some(Reaction::Malformed(format!(
                "oversized record of {len} bytes (limit {MAX_RECORD})"
            )));
        }
        let body = c.take(len)?;
        let mut b = Cursor::new(body);
        Some(match kind {
            21 => match (b.u8(), b.u8()) {
                (Some(level), Some(description)) => Reaction::Alert(Alert { level, description }),
                _ => Reaction::Malformed("a truncated alert record".into()),
            },
            24 => match (b.u8(), b.u16()) {
                (Some(_message_type), Some(payload_len)) => Reaction::Heartbeat {
                    payload_len,
                    record_len: len,
                },
                _ => Reaction::Malformed("a truncated heartbeat record".into()),
            },
            other => Reaction::Record {
                content_type: other,
            },
        })
    }

    /// The peer closed the connection (or reset it).
    pub fn end_of_stream(&self) -> Reaction {
        if self.total == 0 {
            Reaction::Closed
        } else {
            Reaction::Malformed(format!(
                "the connection closed mid-record after {} bytes",
                self.total
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsprobe::forge;

    fn fed_in_pieces(bytes: &[u8]) -> Option<Reaction> {
        let mut reader = ReactionReader::new();
        for piece in bytes.chunks(3) {
            if let Some(done) = reader.feed(piece) {
                return Some(done);
            }
        }
        None
    }

    #[test]
    fn the_first_complete_record_decides() {
        let alert = forge::alert(0x0303, 10);
        assert_eq!(
            fed_in_pieces(&[alert.clone(), forge::alert(0x0303, 20)].concat()),
            Some(Reaction::Alert(Alert {
                level: 2,
                description: 10
            }))
        );
        let mut heartbeat = vec![2, 0x40, 0x00];
        heartbeat.extend(vec![0xaa; 0x4000 + 16]);
        assert_eq!(
            fed_in_pieces(&forge::record(24, 0x0303, &heartbeat)),
            Some(Reaction::Heartbeat {
                payload_len: 0x4000,
                record_len: 0x4000 + 19
            })
        );
        assert_eq!(
            fed_in_pieces(&forge::record(20, 0x0303, &[1])),
            Some(Reaction::Record { content_type: 20 })
        );
    }

    #[test]
    fn broken_streams_end_in_a_description() {
        assert!(matches!(
            fed_in_pieces(b"HTTP/1.1 400 Bad Request\r\n"),
            Some(Reaction::Malformed(_))
        ));
        assert!(matches!(
            fed_in_pieces(&[21, 3, 3, 0xff, 0xff]),
            Some(Reaction::Malformed(_))
        ));
        assert!(matches!(
            fed_in_pieces(&forge::record(24, 0x0303, &[2])),
            Some(Reaction::Malformed(_))
        ));
        let mut reader = ReactionReader::new();
        assert_eq!(reader.end_of_stream(), Reaction::Closed);
        assert_eq!(reader.feed(&[21, 3, 3]), None);
        assert!(matches!(reader.end_of_stream(), Reaction::Malformed(_)));
    }
}
