//! A Certificate Transparency log (RFC 6962 v1 API) on loopback, fed with the fleet's
//! own certificates, honest or hostile.
//!
//! It is the independent peer of the discovery client: its tree hash (the recursive
//! definition of RFC 6962 §2.1 over stored leaf hashes), its `TreeHeadSignature`
//! encoding and its signing key (rcgen / ring) share no code with
//! `trustlabel_core::ct`, which computes a streaming frontier and verifies. The HTTP side
//! is a few lines written here, so a hostile variant can answer exactly what it wants.

use super::server::{Conn, Incoming, accept_loop};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use sha2::{Digest, Sha256};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Largest batch `get-entries` returns, as real logs cap it (Google's logs: 256, some
/// 1000); a client asking for more gets this many.
pub const DEFAULT_MAX_BATCH: u64 = 256;
/// Timestamps of entries start here (2026-01-01, milliseconds), one millisecond apart.
const FIRST_TIMESTAMP_MS: u64 = 1_767_225_600_000;
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// What one entry logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedCert {
    /// A final certificate and the chain the submitter sent (issuer first).
    X509 { cert: Vec<u8>, chain: Vec<Vec<u8>> },
    /// A precertificate as the log's leaf sees it: the TBS and the issuer's key hash.
    Precert {
        issuer_key_hash: [u8; 32],
        tbs: Vec<u8>,
        /// The precertificate itself and its chain, for `extra_data`.
        precert: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
}

/// How the log misbehaves (all off by default: an honest log).
#[derive(Debug, Clone)]
pub struct CtLogBehaviour {
    pub max_batch: u64,
    /// The signed tree head claims this many entries more than the log serves.
    pub claimed_extra: u64,
    /// The signed tree head carries a root that is not the hash of the entries.
    pub wrong_root: bool,
    /// Entries at these indices have a `leaf_input` that is no `MerkleTreeLeaf` (the tree
    /// is built over those bytes, as a buggy log would).
    pub malformed: Vec<u64>,
    /// Every answer waits this long.
    pub delay: Option<Duration>,
    /// The first N `get-entries` requests are answered 429 (`Retry-After: 1`).
    pub throttled_requests: usize,
    /// After N `get-entries` requests, every further one is answered 503.
    pub failing_after: Option<usize>,
}

impl Default for CtLogBehaviour {
    fn default() -> Self {
        CtLogBehaviour {
            max_batch: DEFAULT_MAX_BATCH,
            claimed_extra: 0,
            wrong_root: false,
            malformed: Vec::new(),
            delay: None,
            throttled_requests: 0,
            failing_after: None,
        }
    }
}

/// Entries shared between repetitions: a million-entry log holds a few distinct
/// certificates, each entry pointing at one.
#[derive(Debug)]
struct Log {
    certs: Vec<LoggedCert>,
    /// Entry `i` logs `certs[pick[i]]`.
    pick: Vec<u32>,
    leaf_hashes: Vec<[u8; 32]>,
    behaviour: CtLogBehaviour,
    sth_json: String,
    get_entries_requests: AtomicUsize,
    requests: AtomicUsize,
}

/// A running log; dropping it stops the listener.
#[derive(Debug)]
pub struct CtLog {
    addr: SocketAddr,
    public_key_der: Vec<u8>,
    log: Arc<Log>,
    task: JoinHandle<()>,
}

impl Drop for CtLog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CtLogError {
    #[error("cannot bind the log's port: {0}")]
    Bind(#[from] io::Error),
    #[error("log key generation failed: {0}")]
    Key(String),
    #[error("a log needs at least one certificate")]
    Empty,
}

fn u24(len: usize) -> [u8; 3] {
    let b = (len as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

fn push_opaque24(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u24(bytes.len()));
    out.extend_from_slice(bytes);
}

fn cert_list(chain: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for c in chain {
        push_opaque24(&mut body, c);
    }
    let mut out = Vec::new();
    push_opaque24(&mut out, &body);
    out
}

impl LoggedCert {
    /// `MerkleTreeLeaf` (RFC 6962 §3.4) stamped at `timestamp`.
    fn leaf_input(&self, timestamp: u64) -> Vec<u8> {
        let mut out = vec![0u8, 0u8];
        out.extend_from_slice(&timestamp.to_be_bytes());
        match self {
            LoggedCert::X509 { cert, .. } => {
                out.extend_from_slice(&[0, 0]);
                push_opaque24(&mut out, cert);
            }
            LoggedCert::Precert {
                issuer_key_hash,
                tbs,
                ..
            } => {
                out.extend_from_slice(&[0, 1]);
                out.extend_from_slice(issuer_key_hash);
                push_opaque24(&mut out, tbs);
            }
        }
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn extra_data(&self) -> Vec<u8> {
        match self {
            LoggedCert::X509 { chain, .. } => cert_list(chain),
            LoggedCert::Precert { precert, chain, .. } => {
                let mut out = Vec::new();
                push_opaque24(&mut out, precert);
                out.extend_from_slice(&cert_list(chain));
                out
            }
        }
    }
}

impl Log {
    fn leaf_input(&self, index: u64) -> Vec<u8> {
        if self.behaviour.malformed.contains(&index) {
            return b"\x00\x00not a merkle tree leaf".to_vec();
        }
        let cert = &self.certs[self.pick[index as usize] as usize];
        cert.leaf_input(FIRST_TIMESTAMP_MS + index)
    }
}

/// RFC 6962 §2.1, as written: MTH(D[n]) splits at the largest power of two below n.
fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(tree_hash(&leaves[..k]));
            h.update(tree_hash(&leaves[k..]));
            h.finalize().into()
        }
    }
}

fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

impl CtLog {
    /// Starts a log on `ip` (port 0) holding `entries` entries that cycle through
    /// `certs`: entry `i` logs `certs[i % certs.len()]`.
    pub async fn start(
        ip: IpAddr,
        certs: Vec<LoggedCert>,
        entries: u64,
        behaviour: CtLogBehaviour,
    ) -> Result<CtLog, CtLogError> {
        if certs.is_empty() {
            return Err(CtLogError::Empty);
        }
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| CtLogError::Key(e.to_string()))?;
        let rng = SystemRandom::new();
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key.serialize_der(), &rng)
                .map_err(|e| CtLogError::Key(e.to_string()))?;
        let pick: Vec<u32> = (0..entries)
            .map(|i| (i % certs.len() as u64) as u32)
            .collect();
        let mut log = Log {
            certs,
            pick,
            leaf_hashes: Vec::new(),
            behaviour,
            sth_json: String::new(),
            get_entries_requests: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        };
        log.leaf_hashes = (0..entries)
            .map(|i| leaf_hash(&log.leaf_input(i)))
            .collect();
        let mut root = tree_hash(&log.leaf_hashes);
        if log.behaviour.wrong_root {
            root[0] ^= 0xff;
        }
        let size = entries + log.behaviour.claimed_extra;
        let timestamp = FIRST_TIMESTAMP_MS + entries;
        // TreeHeadSignature: version, signature_type, timestamp, tree_size, root.
        let mut signed = vec![0u8, 1u8];
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&size.to_be_bytes());
        signed.extend_from_slice(&root);
        let signature = signer
            .sign(&rng, &signed)
            .map_err(|e| CtLogError::Key(e.to_string()))?;
        let mut digitally_signed = vec![4u8, 3u8];
        digitally_signed.extend_from_slice(&(signature.as_ref().len() as u16).to_be_bytes());
        digitally_signed.extend_from_slice(signature.as_ref());
        log.sth_json = format!(
            r#"{{"tree_size":{size},"timestamp":{timestamp},"sha256_root_hash":"{}","tree_head_signature":"{}"}}"#,
            STANDARD.encode(root),
            STANDARD.encode(digitally_signed)
        );

        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(log);
        let served = Arc::clone(&log);
        let task = tokio::spawn(accept_loop(Incoming::new(listener, None), move |stream| {
            let log = Arc::clone(&served);
            async move {
                let _ = serve(stream, &log).await;
            }
        }));
        Ok(CtLog {
            addr,
            public_key_der: key.public_key_der(),
            log,
            task,
        })
    }

    /// The log's URL prefix (`…/ct/v1/get-sth` follows it).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The log's key as logs publish it: base64 of the DER SubjectPublicKeyInfo.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(&self.public_key_der)
    }

    /// Every request the log answered or refused.
    pub fn requests(&self) -> usize {
        self.log.requests.load(Ordering::SeqCst)
    }

    pub fn entries(&self) -> u64 {
        self.log.pick.len() as u64
    }
}

/// One request per connection: enough for a follower, and no keep-alive state to get
/// wrong in the peer.
async fn serve(mut stream: Conn, log: &Log) -> io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > MAX_REQUEST_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    log.requests.fetch_add(1, Ordering::SeqCst);
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
    if let Some(delay) = log.behaviour.delay {
        tokio::time::sleep(delay).await;
    }
    let (status, body) = answer(log, &target);
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn answer(log: &Log, target: &str) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/ct/v1/get-sth" => (200, log.sth_json.clone()),
        "/ct/v1/get-entries" => {
            let n = log.get_entries_requests.fetch_add(1, Ordering::SeqCst);
            if n < log.behaviour.throttled_requests {
                return (429, r#"{"error":"slow down"}"#.into());
            }
            if log.behaviour.failing_after.is_some_and(|after| n >= after) {
                return (503, r#"{"error":"unavailable"}"#.into());
            }
            let param = |name: &str| {
                query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
            };
            let (Some(start), Some(end)) = (param("start"), param("end")) else {
                return (400, r#"{"error":"start and end are required"}"#.into());
            };
            let served = log.pick.len() as u64;
            if end < start || start >= served {
                return (400, r#"{"error":"bad range"}"#.into());
            }
            let end = end.min(served - 1).min(start + log.behaviour.max_batch - 1);
            let entries: Vec<String> = (start..=end)
                .map(|i| {
                    let cert = &log.certs[log.pick[i as usize] as usize];
                    format!(
                        r#"{{"leaf_input":"{}","extra_data":"{}"}}"#,
                        STANDARD.encode(log.leaf_input(i)),
                        STANDARD.encode(cert.extra_data())
                    )
                })
                .collect();
            (200, format!(r#"{{"entries":[{}]}}"#, entries.join(",")))
        }
        _ => (404, r#"{"error":"not found"}"#.into()),
    }
}
