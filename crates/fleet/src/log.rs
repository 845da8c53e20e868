//! A per-site record of the requests a fleet site received, so tests can hold the scanner
//! to its request budget and see what each request carried (path, agent, referrer).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests beyond this many are counted but not kept, so a long benchmark cannot grow
/// memory without bound.
const MAX_KEPT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// "https" or "http": the port the request came in on.
    pub scheme: &'static str,
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    /// When the request's head had been read, so tests can hold the scanner to its
    /// politeness rate as the site sees it.
    pub received: std::time::Instant,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    total: AtomicUsize,
    kept: Mutex<Vec<SeenRequest>>,
    /// TLS handshakes completed on the site's https port. The legacy probe's hand-built
    /// hellos never complete one, so this counts the scanner's real TLS connections.
    tls_sessions: AtomicUsize,
}

impl RequestLog {
    pub(crate) fn record(&self, request: SeenRequest) {
        self.total.fetch_add(1, Ordering::SeqCst);
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < MAX_KEPT {
            kept.push(request);
        }
    }

    pub(crate) fn record_tls_session(&self) {
        self.tls_sessions.fetch_add(1, Ordering::SeqCst);
    }

    /// TLS handshakes completed on the https port.
    pub fn tls_sessions(&self) -> usize {
        self.tls_sessions.load(Ordering::SeqCst)
    }

    /// Every request received, on both ports.
    pub fn count(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    /// The requests received, in arrival order (at most the first 10,000).
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
