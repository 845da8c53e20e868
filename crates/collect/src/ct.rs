//! Following Certificate Transparency logs (RFC 6962 v1 API): `get-sth`, then
//! `get-entries` in bounded batches, politely (a request rate, backoff on 429 and 5xx,
//! a retry limit) and never without a timeout.
//!
//! The follower hands out one verified batch at a time so the caller stores as it goes:
//! memory stays bounded on a log of millions of entries, and what was stored survives a
//! log that fails later. Every fetched leaf is folded into the Merkle frontier carried
//! from the last run, and [`Following::finish`] compares the resulting root with the
//! signed tree head: a log that lies about its entries, its size or its root ends in a
//! [`CtError`], never in a silently accepted tree.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use trustlabel_core::ct::merkle::Hash;
use trustlabel_core::ct::{
    DiscoveryScope, EntryError, Frontier, LogEntry, LogKey, LoggedCertificate, RawEntries, RawSth,
    SignedTreeHead, SthError, WireError, names_in_certificate, names_in_tbs,
};
use url::Url;

/// Largest answer read from a log (a batch of 256 entries with chains is about 2 MiB).
const MAX_ANSWER: usize = 32 * 1024 * 1024;
/// The longest wait between retries, whatever `Retry-After` asks.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

/// How a log is followed. Defaults are the documented ones of `[discovery]`.
#[derive(Debug, Clone)]
pub struct CtSettings {
    /// Entries asked for per `get-entries` (a log may answer fewer).
    pub batch_size: u64,
    /// Requests per second to one log.
    pub requests_per_second: f64,
    /// Connect, send and read one answer within this.
    pub request_timeout: Duration,
    /// Retries of one request after a 429, a 5xx, a timeout or a broken connection.
    pub max_retries: u32,
    /// The first wait before a retry; doubled on each further one.
    pub backoff: Duration,
    pub user_agent: String,
}

impl Default for CtSettings {
    fn default() -> Self {
        CtSettings {
            batch_size: 256,
            requests_per_second: 4.0,
            request_timeout: Duration::from_secs(30),
            max_retries: 5,
            backoff: Duration::from_secs(2),
            user_agent: crate::default_user_agent(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CtError {
    #[error("log URL `{0}` is not an http(s) URL")]
    Url(String),
    #[error("{url}: {reason} (after {attempts} attempts)")]
    Unavailable {
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("{url}: answered HTTP {status}")]
    Refused { url: String, status: u16 },
    #[error("{url}: {source}")]
    Wire { url: String, source: WireError },
    #[error("tree head of {log}: {source}")]
    TreeHead { log: String, source: SthError },
    #[error(
        "{log}: the log shrank: its signed tree head has {now} entries, {before} were already followed"
    )]
    Shrank { log: String, before: u64, now: u64 },
    #[error(
        "{log}: its signed tree head claims {claimed} entries but it serves none from index {index}"
    )]
    Missing {
        log: String,
        claimed: u64,
        index: u64,
    },
    #[error("{log}: {source}")]
    Entry { log: String, source: EntryError },
    #[error(
        "{log}: entries 0..{size} hash to {computed}, but its signed tree head says {signed}: \
         the log does not serve the tree it signed"
    )]
    RootMismatch {
        log: String,
        size: u64,
        computed: String,
        signed: String,
    },
}

impl CtError {
    /// Whether the log's answers contradict what it signed (as opposed to being down).
    pub fn is_inconsistent(&self) -> bool {
        matches!(
            self,
            CtError::Shrank { .. } | CtError::Missing { .. } | CtError::RootMismatch { .. }
        )
    }
}

/// One host a logged certificate names, under the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedName {
    pub host: String,
    pub index: u64,
    /// SHA-256 of the logged certificate (or precertificate TBS), hex.
    pub certificate_sha256: String,
}

/// What one batch brought.
#[derive(Debug, Clone)]
pub struct CtBatch {
    /// Entries `start..end` were read.
    pub start: u64,
    pub end: u64,
    pub names: Vec<LoggedName>,
    /// Entries whose leaf is not a `MerkleTreeLeaf`: hashed into the tree (so the tree
    /// still verifies) but naming nothing.
    pub malformed: Vec<EntryError>,
    /// Where the follower stands after this batch: what to store with it.
    pub frontier: Frontier,
}

/// A log being followed from a stored position towards its verified tree head.
pub struct Following<'a> {
    client: &'a CtClient,
    log: String,
    base: Url,
    head: SignedTreeHead,
    frontier: Frontier,
    scope: &'a DiscoveryScope,
}

/// The log client: one per run, shared by every log it follows.
pub struct CtClient {
    settings: CtSettings,
    tls: Arc<ClientConfig>,
    next_request: tokio::sync::Mutex<Instant>,
}

struct Answer {
    status: u16,
    body: Bytes,
    retry_after: Option<Duration>,
}

impl CtClient {
    /// `tls` verifies https logs (the collector's strict configuration).
    pub fn new(settings: CtSettings, tls: Arc<ClientConfig>) -> CtClient {
        CtClient {
            settings,
            tls,
            next_request: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    pub fn settings(&self) -> &CtSettings {
        &self.settings
    }

    /// Reads and verifies the log's tree head, and checks it against where the last run
    /// stopped (`frontier`).
    pub async fn open<'a>(
        &'a self,
        log_url: &str,
        key: &LogKey,
        frontier: Frontier,
        scope: &'a DiscoveryScope,
    ) -> Result<Following<'a>, CtError> {
        let mut base = Url::parse(log_url).map_err(|_| CtError::Url(log_url.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(CtError::Url(log_url.to_string()));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let url = base
            .join("ct/v1/get-sth")
            .map_err(|_| CtError::Url(log_url.to_string()))?;
        let body = self.get_ok(&url).await?;
        let raw = RawSth::parse(&body).map_err(|source| CtError::Wire {
            url: url.to_string(),
            source,
        })?;
        let head = SignedTreeHead::verify(&raw, key).map_err(|source| CtError::TreeHead {
            log: log_url.to_string(),
            source,
        })?;
        if head.tree_size < frontier.size() {
            return Err(CtError::Shrank {
                log: log_url.to_string(),
                before: frontier.size(),
                now: head.tree_size,
            });
        }
        Ok(Following {
            client: self,
            log: log_url.to_string(),
            base,
            head,
            frontier,
            scope,
        })
    }

    /// Waits for the log's request budget.
    async fn pace(&self) {
        let gap = Duration::from_secs_f64(1.0 / self.settings.requests_per_second.max(0.001));
        let mut next = self.next_request.lock().await;
        let now = Instant::now();
        let at = (*next).max(now);
        *next = at + gap;
        drop(next);
        tokio::time::sleep_until(at).await;
    }

    /// GET with retries: a 429 or 5xx, a timeout or a broken connection is retried with
    /// backoff (honouring `Retry-After` up to a cap) at most `max_retries` times.
    async fn get_ok(&self, url: &Url) -> Result<Bytes, CtError> {
        let mut attempts = 0;
        let mut backoff = self.settings.backoff;
        loop {
            attempts += 1;
            self.pace().await;
            let outcome = tokio::time::timeout(self.settings.request_timeout, self.get(url)).await;
            let (reason, wait) = match outcome {
                Err(_) => (
                    format!(
                        "no answer within {} ms",
                        self.settings.request_timeout.as_millis()
                    ),
                    backoff,
                ),
                Ok(Err(reason)) => (reason, backoff),
                Ok(Ok(answer)) if answer.status == 200 => return Ok(answer.body),
                Ok(Ok(answer)) if answer.status == 429 || answer.status >= 500 => (
                    format!("HTTP {}", answer.status),
                    answer.retry_after.map_or(backoff, |r| r.max(backoff)),
                ),
                Ok(Ok(answer)) => {
                    return Err(CtError::Refused {
                        url: url.to_string(),
                        status: answer.status,
                    });
                }
            };
            if attempts > self.settings.max_retries {
                return Err(CtError::Unavailable {
                    url: url.to_string(),
                    reason,
                    attempts,
                });
            }
            tracing::debug!("{url}: {reason}; retrying in {wait:?}");
            tokio::time::sleep(wait.min(MAX_BACKOFF)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One GET on a fresh connection (a log is asked a few times a second at most).
    async fn get(&self, url: &Url) -> Result<Answer, String> {
        let host = url.host_str().ok_or("no host")?.to_string();
        let port = url.port_or_known_default().ok_or("no port")?;
        let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        if url.scheme() == "https" {
            let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
                .map_err(|e| format!("bad server name: {e}"))?;
            let tls = TlsConnector::from(Arc::clone(&self.tls))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            self.exchange(TokioIo::new(tls), url, &host).await
        } else {
            self.exchange(TokioIo::new(tcp), url, &host).await
        }
    }

    async fn exchange<T>(&self, io: TokioIo<T>, url: &Url, host: &str) -> Result<Answer, String>
    where
        T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, conn) = http1::handshake(io)
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let driver = tokio::spawn(conn);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = http::Request::get(path)
            .header(http::header::HOST, host)
            .header(http::header::USER_AGENT, &self.settings.user_agent)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        driver.abort();
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }
}

impl Following<'_> {
    pub fn head(&self) -> &SignedTreeHead {
        &self.head
    }

    pub fn position(&self) -> u64 {
        self.frontier.size()
    }

    /// The next batch of entries, or `None` when the signed tree head is reached.
    pub async fn next_batch(&mut self) -> Result<Option<CtBatch>, CtError> {
        let start = self.frontier.size();
        if start >= self.head.tree_size {
            return Ok(None);
        }
        let end = (start + self.client.settings.batch_size.max(1)).min(self.head.tree_size) - 1;
        let mut url = self
            .base
            .join("ct/v1/get-entries")
            .map_err(|_| CtError::Url(self.log.clone()))?;
        url.query_pairs_mut()
            .append_pair("start", &start.to_string())
            .append_pair("end", &end.to_string());
        let body = match self.client.get_ok(&url).await {
            Err(CtError::Refused { status: 400, .. }) => {
                return Err(self.missing(start));
            }
            other => other?,
        };
        let raw = RawEntries::parse(&body).map_err(|source| CtError::Wire {
            url: url.to_string(),
            source,
        })?;
        if raw.entries.is_empty() {
            return Err(self.missing(start));
        }
        let mut names = Vec::new();
        let mut malformed = Vec::new();
        // A log may answer fewer entries than asked, never more.
        for (offset, entry) in raw
            .entries
            .iter()
            .take((end - start + 1) as usize)
            .enumerate()
        {
            let index = start + offset as u64;
            let leaf = trustlabel_core::ct::wire::decode_leaf_input(entry).map_err(|source| {
                CtError::Entry {
                    log: self.log.clone(),
                    source: EntryError::Wire { index, source },
                }
            })?;
            self.frontier.push_leaf(&leaf);
            match LogEntry::parse_leaf(index, &leaf) {
                Ok(parsed) => names.extend(self.names(&parsed)),
                Err(e) => malformed.push(e),
            }
        }
        Ok(Some(CtBatch {
            start,
            end: self.frontier.size(),
            names,
            malformed,
            frontier: self.frontier.clone(),
        }))
    }

    fn missing(&self, index: u64) -> CtError {
        CtError::Missing {
            log: self.log.clone(),
            claimed: self.head.tree_size,
            index,
        }
    }

    fn names(&self, entry: &LogEntry) -> Vec<LoggedName> {
        let (names, logged) = match &entry.certificate {
            LoggedCertificate::X509(der) => (names_in_certificate(der), der),
            LoggedCertificate::Precert { tbs, .. } => (names_in_tbs(tbs), tbs),
        };
        let certificate_sha256 = hex::encode(Sha256::digest(logged));
        self.scope
            .select(names.iter().map(String::as_str))
            .into_iter()
            .map(|host| LoggedName {
                host,
                index: entry.index,
                certificate_sha256: certificate_sha256.clone(),
            })
            .collect()
    }

    /// After the last batch: the tree followed must be the tree the log signed.
    pub fn finish(self) -> Result<SignedTreeHead, CtError> {
        let computed: Hash = self.frontier.root();
        if computed != self.head.root_hash {
            return Err(CtError::RootMismatch {
                log: self.log,
                size: self.frontier.size(),
                computed: hex::encode(computed),
                signed: hex::encode(self.head.root_hash),
            });
        }
        Ok(self.head)
    }
}
