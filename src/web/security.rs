//! Our own hardening: strict response headers on every answer, a per-client-IP rate
//! limit on every route and a cross-site POST refusal (the sign-in throttle is
//! `login_throttle`).

use super::AppState;
use super::proxy::TrustedProxies;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

/// No script at all, styles only from our stylesheet, nothing may frame us.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// A request budget per key (a client address, an API token): a bucket that refills
/// at a steady rate after a burst.
pub struct KeyedLimiter<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

/// Requests per second per client address.
pub type IpLimiter = KeyedLimiter<IpAddr>;

impl<K: std::hash::Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(per_second: u32, burst: u32) -> KeyedLimiter<K> {
        KeyedLimiter::with_quota(Quota::per_second(nz(per_second)).allow_burst(nz(burst)))
    }

    pub fn per_minute(per_minute: u32, burst: u32) -> KeyedLimiter<K> {
        KeyedLimiter::with_quota(Quota::per_minute(nz(per_minute)).allow_burst(nz(burst)))
    }

    fn with_quota(quota: Quota) -> KeyedLimiter<K> {
        KeyedLimiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
        }
    }

    /// `Err(wait)` when the key must slow down.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.limiter
            .check_key(&key)
            .map_err(|e| e.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys that are back to a full bucket, so memory stays bounded.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The client's address: the peer our listeners attach, or the address a trusted proxy
/// forwarded (see `proxy`). A request without a peer (in-process tests) is treated as
/// coming from one unknown address, which is still limited.
pub fn client_ip(
    request_ip: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
) -> IpAddr {
    let peer = request_ip
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    proxies.client(peer, headers)
}

/// A state-changing request sent by another site's page (a forged form post).
/// `Sec-Fetch-Site` decides when the browser sends it; otherwise an `Origin` naming
/// another host. `Origin: null` proves nothing: browsers send it for our own forms
/// because our Referrer-Policy is `no-referrer`. Over HTTP/2 the host is the URI's
/// authority (`authority`), not a `Host` header.
fn is_cross_site(method: &Method, headers: &HeaderMap, authority: Option<&str>) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return true;
    }
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches!(v, "same-origin" | "none"))
    {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(authority);
    match (origin, host) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => url::Url::parse(origin)
            .ok()
            .map(|u| {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}{port}", u.host_str().unwrap_or(""))
            })
            .is_none_or(|o| !o.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = client_ip(
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
        request.headers(),
        &state.proxies,
    );
    let is_badge = request.uri().path().starts_with("/badge/");
    let authority = request.uri().authority().map(|a| a.as_str().to_string());
    let mut response = if is_cross_site(request.method(), request.headers(), authority.as_deref()) {
        plain(
            StatusCode::FORBIDDEN,
            "Yêu cầu từ trang khác bị từ chối / Cross-site request refused",
        )
    } else if let Err(wait) = state.limiter.check(ip) {
        let mut r = plain(
            StatusCode::TOO_MANY_REQUESTS,
            "Quá nhiều yêu cầu / Too many requests",
        );
        let secs = wait.as_secs().max(1).to_string();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "content-security-policy", CSP);
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    // Badges are meant to be embedded by the sites themselves.
    set(
        h,
        "cross-origin-resource-policy",
        if is_badge {
            "cross-origin"
        } else {
            "same-origin"
        },
    );
    if state.tls {
        set(h, "strict-transport-security", HSTS);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn posts_from_other_origins_are_cross_site_and_same_origin_ones_are_not() {
        let post = Method::POST;
        let cross = |h: &[(&'static str, &'static str)]| is_cross_site(&post, &headers(h), None);
        assert!(!cross(&[("host", "a.vn"), ("origin", "https://a.vn")]));
        assert!(!cross(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        assert!(cross(&[
            ("host", "a.vn"),
            ("origin", "https://evil.example")
        ]));
        assert!(
            !cross(&[("host", "a.vn"), ("origin", "null")]),
            "our own forms under no-referrer"
        );
        assert!(cross(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "null")
        ]));
        assert!(!cross(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ]));
        assert!(!is_cross_site(
            &Method::GET,
            &headers(&[("sec-fetch-site", "cross-site")]),
            None
        ));
        assert!(
            !cross(&[("host", "a.vn")]),
            "no Origin: older clients, curl"
        );
        assert!(
            is_cross_site(
                &post,
                &headers(&[("origin", "https://evil.example")]),
                Some("a.vn")
            ),
            "HTTP/2: the authority stands in for Host"
        );
    }
}
