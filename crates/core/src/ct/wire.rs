//! The log's answers as RFC 6962 §4 defines them: the JSON of `get-sth` and
//! `get-entries`, and the `MerkleTreeLeaf` structure inside each entry's `leaf_input`.
//!
//! Every parser is total: a log is a remote server, and a malformed answer is an error
//! naming what was wrong, never a panic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// Largest certificate or TBS a leaf may carry (the wire format allows 16 MiB; real
/// certificates are a few KiB, so a leaf claiming more is hostile).
const MAX_CERT_LEN: usize = 256 * 1024;

/// `get-sth` as sent (RFC 6962 §4.3).
#[derive(Debug, Clone, Deserialize)]
pub struct RawSth {
    pub tree_size: u64,
    pub timestamp: u64,
    pub sha256_root_hash: String,
    pub tree_head_signature: String,
}

/// One element of `get-entries` (RFC 6962 §4.6).
#[derive(Debug, Clone, Deserialize)]
pub struct RawEntry {
    pub leaf_input: String,
    #[serde(default)]
    pub extra_data: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawEntries {
    pub entries: Vec<RawEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("answer is not the JSON RFC 6962 describes: {0}")]
    Json(String),
    #[error("`{field}` is not base64")]
    Base64 { field: &'static str },
    #[error("`{field}` has {found} bytes, expected {expected}")]
    Length {
        field: &'static str,
        found: usize,
        expected: usize,
    },
}

impl RawSth {
    pub fn parse(body: &[u8]) -> Result<RawSth, WireError> {
        serde_json::from_slice(body).map_err(|e| WireError::Json(e.to_string()))
    }
}

impl RawEntries {
    pub fn parse(body: &[u8]) -> Result<RawEntries, WireError> {
        serde_json::from_slice(body).map_err(|e| WireError::Json(e.to_string()))
    }
}

pub(crate) fn decode_base64(field: &'static str, text: &str) -> Result<Vec<u8>, WireError> {
    STANDARD
        .decode(text.trim())
        .map_err(|_| WireError::Base64 { field })
}

/// What a leaf logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedCertificate {
    /// A final certificate (DER).
    X509(Vec<u8>),
    /// A precertificate: the TBS the CA promised to issue, and whose key signs it.
    Precert {
        issuer_key_hash: [u8; 32],
        tbs: Vec<u8>,
    },
}

/// One parsed entry of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub index: u64,
    /// Milliseconds since the epoch, as the log stamped it.
    pub timestamp: u64,
    pub certificate: LoggedCertificate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry {index}: {source}")]
    Wire { index: u64, source: WireError },
    #[error("entry {index}: leaf is truncated at byte {at}")]
    Truncated { index: u64, at: usize },
    #[error("entry {index}: unknown {what} {value}")]
    Unknown {
        index: u64,
        what: &'static str,
        value: u16,
    },
    #[error("entry {index}: certificate of {len} bytes is over the {MAX_CERT_LEN}-byte limit")]
    TooLarge { index: u64, len: usize },
    #[error("entry {index}: {extra} bytes after the leaf")]
    Trailing { index: u64, extra: usize },
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    index: u64,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EntryError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => Err(EntryError::Truncated {
                index: self.index,
                at: self.at,
            }),
        }
    }

    fn number(&mut self, width: usize) -> Result<u64, EntryError> {
        Ok(self
            .take(width)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn opaque(&mut self, length_width: usize) -> Result<&'a [u8], EntryError> {
        let len = self.number(length_width)? as usize;
        if len > MAX_CERT_LEN {
            return Err(EntryError::TooLarge {
                index: self.index,
                len,
            });
        }
        self.take(len)
    }
}

/// The bytes of an entry's `leaf_input`: what the tree hashes, whether or not they parse.
pub fn decode_leaf_input(raw: &RawEntry) -> Result<Vec<u8>, WireError> {
    decode_base64("leaf_input", &raw.leaf_input)
}

impl LogEntry {
    /// Decodes the `leaf_input` text of entry `index`; returns the entry and the leaf
    /// bytes (what the tree hashes).
    pub fn decode(index: u64, raw: &RawEntry) -> Result<(LogEntry, Vec<u8>), EntryError> {
        let leaf = decode_base64("leaf_input", &raw.leaf_input)
            .map_err(|source| EntryError::Wire { index, source })?;
        let entry = LogEntry::parse_leaf(index, &leaf)?;
        Ok((entry, leaf))
    }

    /// Parses a `MerkleTreeLeaf` (RFC 6962 §3.4).
    pub fn parse_leaf(index: u64, leaf: &[u8]) -> Result<LogEntry, EntryError> {
        let mut r = Reader {
            bytes: leaf,
            at: 0,
            index,
        };
        let version = r.number(1)? as u16;
        if version != 0 {
            return Err(EntryError::Unknown {
                index,
                what: "leaf version",
                value: version,
            });
        }
        let leaf_type = r.number(1)? as u16;
        if leaf_type != 0 {
            return Err(EntryError::Unknown {
                index,
                what: "leaf type",
                value: leaf_type,
            });
        }
        let timestamp = r.number(8)?;
        let entry_type = r.number(2)? as u16;
        let certificate = match entry_type {
            0 => LoggedCertificate::X509(r.opaque(3)?.to_vec()),
            1 => {
                let mut issuer_key_hash = [0u8; 32];
                issuer_key_hash.copy_from_slice(r.take(32)?);
                LoggedCertificate::Precert {
                    issuer_key_hash,
                    tbs: r.opaque(3)?.to_vec(),
                }
            }
            other => {
                return Err(EntryError::Unknown {
                    index,
                    what: "entry type",
                    value: other,
                });
            }
        };
        let _extensions = r.opaque(2)?;
        if r.at != leaf.len() {
            return Err(EntryError::Trailing {
                index,
                extra: leaf.len() - r.at,
            });
        }
        Ok(LogEntry {
            index,
            timestamp,
            certificate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(entry_type: u16, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0];
        out.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        out.extend_from_slice(&entry_type.to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn x509_and_precert_leaves_parse() {
        let mut x509 = vec![0, 0, 3];
        x509.extend_from_slice(b"abc");
        let entry = LogEntry::parse_leaf(7, &leaf(0, &x509)).unwrap();
        assert_eq!(entry.certificate, LoggedCertificate::X509(b"abc".to_vec()));
        assert_eq!(entry.timestamp, 1_700_000_000_000);

        let mut pre = vec![9u8; 32];
        pre.extend_from_slice(&[0, 0, 2, b'h', b'i']);
        let entry = LogEntry::parse_leaf(8, &leaf(1, &pre)).unwrap();
        assert_eq!(
            entry.certificate,
            LoggedCertificate::Precert {
                issuer_key_hash: [9; 32],
                tbs: b"hi".to_vec()
            }
        );
    }

    #[test]
    fn malformed_leaves_are_named_errors() {
        assert!(matches!(
            LogEntry::parse_leaf(1, &[0, 0, 1]),
            Err(EntryError::Truncated { index: 1, .. })
        ));
        assert!(matches!(
            LogEntry::parse_leaf(2, &leaf(5, &[])),
            Err(EntryError::Unknown { index: 2, .. })
        ));
        // A length far past the end of the leaf.
        assert!(LogEntry::parse_leaf(3, &leaf(0, &[0xff, 0xff, 0xff])).is_err());
        let mut x509 = vec![0, 0, 1, b'a'];
        x509.push(0);
        let mut long = leaf(0, &x509);
        long.push(1);
        assert!(LogEntry::parse_leaf(4, &long).is_err());
        let bad = RawEntry {
            leaf_input: "***".into(),
            extra_data: String::new(),
        };
        assert!(matches!(
            LogEntry::decode(5, &bad),
            Err(EntryError::Wire { index: 5, .. })
        ));
    }
}
