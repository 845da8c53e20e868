//! Hostile sites: servers that attack the scanner's time and memory rather than show a
//! defect. Each is a good site (certificate, redirect, strict headers) whose home page or
//! port misbehaves one way, so a test can tell the misbehaviour's effect from anything
//! else. `tests/hostile_fleet.rs` scans them all at once with good sites beside them.
//!
//! Generated bodies (`BodyStream`) are produced while sending, and the compression bombs
//! are built once per process, so a fleet of these costs little memory itself.

use super::legacy::HostileTls;
use super::spec::{BodyStream, Route, SiteSpec, TlsBehaviour};
use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Bytes one compression bomb expands to (the scanner keeps at most its 2 MiB body cap).
pub const GZIP_BOMB_EXPANDED: u64 = 1 << 30;
/// The brotli bomb expands to less: compressing it costs the fleet time at start-up.
pub const BROTLI_BOMB_EXPANDED: u64 = 128 << 20;
/// Size of the big page.
pub const BIG_PAGE_BYTES: u64 = 50 * 1024 * 1024;
/// Hops of the long redirect chain (more than the scanner's default limit of 10).
pub const LONG_CHAIN_HOPS: usize = 50;
/// Set-Cookie headers of the cookie-flood site.
pub const COOKIE_FLOOD: usize = 10_000;
/// Bytes of extra response headers of the big-headers site.
pub const BIG_HEADERS_BYTES: usize = 100 * 1024;
/// Element nesting depth of the deep page.
pub const DEEP_NESTING: usize = 100_000;

/// Every hostile site, named `<slug>.<domain>`, in a fixed order.
pub fn hostile_specs(domain: &str) -> Vec<SiteSpec> {
    let host = |slug: &str| format!("{slug}.{domain}");
    vec![
        trickle(&host("trickle")),
        endless(&host("endless")),
        gzip_bomb(&host("gzip-bomb")),
        brotli_bomb(&host("brotli-bomb")),
        redirect_loop(&host("redirect-loop")),
        redirect_chain(&host("long-chain"), LONG_CHAIN_HOPS),
        SiteSpec::good(&host("silent-tls")).with_tls(TlsBehaviour::Silent),
        SiteSpec::good(&host("garbage-tls")).with_tls(TlsBehaviour::Hostile(HostileTls::Garbage)),
        big_headers(&host("big-headers"), BIG_HEADERS_BYTES),
        cookie_flood(&host("cookie-flood"), COOKIE_FLOOD),
        invalid_utf8(&host("invalid-utf8")),
        deep_nesting(&host("deep-nesting"), DEEP_NESTING),
        big_page(&host("big-page"), BIG_PAGE_BYTES),
    ]
}

/// Applies `change` to the home page route of a good site.
fn good_with_home(host: &str, change: impl FnOnce(Route) -> Route) -> SiteSpec {
    let mut spec = SiteSpec::good(host);
    if let Some(home) = spec.routes.iter_mut().find(|r| r.path == "/") {
        *home = change(home.clone());
    }
    spec
}

/// The home page arrives one byte a second (its `Content-Length` promises 120 bytes).
pub fn trickle(host: &str) -> SiteSpec {
    good_with_home(host, |home| {
        home.with_body(&"x".repeat(120))
            .with_stream(BodyStream::Trickle {
                interval: Duration::from_secs(1),
            })
    })
}

/// The home page never ends (chunked, the same paragraph for ever).
pub fn endless(host: &str) -> SiteSpec {
    good_with_home(host, |home| {
        home.with_body("<p>Trang chủ không bao giờ kết thúc.</p>\n")
            .with_stream(BodyStream::Endless)
    })
}

/// `Content-Encoding: gzip`, about 1 MB on the wire, [`GZIP_BOMB_EXPANDED`] decoded.
pub fn gzip_bomb(host: &str) -> SiteSpec {
    good_with_home(host, |home| {
        home.with_header("Content-Encoding", "gzip")
            .with_stream(BodyStream::Bytes(gzip_bomb_bytes()))
    })
}

/// `Content-Encoding: br`, a few hundred KB at most, [`BROTLI_BOMB_EXPANDED`] decoded.
pub fn brotli_bomb(host: &str) -> SiteSpec {
    good_with_home(host, |home| {
        home.with_header("Content-Encoding", "br")
            .with_stream(BodyStream::Bytes(brotli_bomb_bytes()))
    })
}

/// `/` → `/a` → `/` on HTTPS.
pub fn redirect_loop(host: &str) -> SiteSpec {
    SiteSpec::good(host)
        .with_route(Route::redirect("/", 302, "/a"))
        .with_route(Route::redirect("/a", 302, "/"))
}

/// `/` → `/hop/1` → … → `/hop/<hops>`, a page.
pub fn redirect_chain(host: &str, hops: usize) -> SiteSpec {
    let mut spec = SiteSpec::good(host).with_route(Route::redirect("/", 302, "/hop/1"));
    for i in 1..hops {
        spec = spec.with_route(Route::redirect(
            &format!("/hop/{i}"),
            302,
            &format!("/hop/{}", i + 1),
        ));
    }
    spec.with_route(Route::page(
        &format!("/hop/{hops}"),
        "<p>end of the chain</p>",
    ))
}

/// The home page's headers carry about `bytes` more of `X-Filler-N` headers (1 KB each).
pub fn big_headers(host: &str, bytes: usize) -> SiteSpec {
    good_with_home(host, |home| {
        let value = "a".repeat(1000);
        (0..bytes.div_ceil(1000)).fold(home, |route, i| {
            route.with_added_header(&format!("X-Filler-{i}"), &value)
        })
    })
}

/// The home page sets `count` cookies, each on its own `Set-Cookie` line.
pub fn cookie_flood(host: &str, count: usize) -> SiteSpec {
    good_with_home(host, |home| {
        (0..count).fold(home, |route, i| {
            route.with_added_header(
                "Set-Cookie",
                &format!("c{i}=v; Path=/; Secure; HttpOnly; SameSite=Strict"),
            )
        })
    })
}

/// Bytes that are not UTF-8 in a response header and in a page that says it is UTF-8.
pub fn invalid_utf8(host: &str) -> SiteSpec {
    good_with_home(host, |home| {
        let page = home.body.as_bytes();
        let at = home.body.rfind("</body>").unwrap_or(page.len());
        let mut body = page[..at].to_vec();
        body.extend_from_slice(b"<p>\xff\xfe caf\xe9 \xc3\x28 \xed\xa0\x80</p>");
        body.extend_from_slice(&page[at..]);
        home.with_raw_header(b"X-Junk: \xff\xfe\x80 caf\xe9")
            .with_stream(BodyStream::Bytes(Arc::new(body)))
    })
}

/// A page of `depth` nested `<div>` elements.
pub fn deep_nesting(host: &str, depth: usize) -> SiteSpec {
    good_with_home(host, |home| {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>deep</title></head><body>{}deep{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        home.with_body(&body)
    })
}

/// A home page of `bytes` bytes (one paragraph repeated), with its `Content-Length`.
pub fn big_page(host: &str, bytes: u64) -> SiteSpec {
    good_with_home(host, |home| {
        home.with_body("<p>Tin tức trong ngày.</p>\n")
            .with_stream(BodyStream::Repeat { total: bytes })
    })
}

/// Concatenated gzip members (readers decode them all, as browsers do), each 4 MiB of
/// spaces, adding up to [`GZIP_BOMB_EXPANDED`]. Built once per process.
pub fn gzip_bomb_bytes() -> Arc<Vec<u8>> {
    static BOMB: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    BOMB.get_or_init(|| {
        const MEMBER: usize = 4 << 20;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(&vec![b' '; MEMBER]);
        let member = encoder.finish().unwrap_or_default();
        let count = usize::try_from(GZIP_BOMB_EXPANDED).unwrap_or(usize::MAX) / MEMBER;
        Arc::new(member.repeat(count))
    })
    .clone()
}

/// One brotli stream of [`BROTLI_BOMB_EXPANDED`] spaces. Built once per process.
pub fn brotli_bomb_bytes() -> Arc<Vec<u8>> {
    static BOMB: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut out = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut out, 1 << 16, 5, 24);
            let block = vec![b' '; 1 << 20];
            for _ in 0..(BROTLI_BOMB_EXPANDED >> 20) {
                let _ = writer.write_all(&block);
            }
        }
        Arc::new(out)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bombs_are_small_on_the_wire_and_huge_decoded() {
        let gzip = gzip_bomb_bytes();
        assert!(gzip.len() < 2 << 20, "gzip bomb is {} bytes", gzip.len());
        let brotli = brotli_bomb_bytes();
        assert!(
            brotli.len() < 1 << 20,
            "brotli bomb is {} bytes",
            brotli.len()
        );
        let mut expanded = 0u64;
        let mut reader = brotli::Decompressor::new(&brotli[..], 1 << 16);
        let mut buf = vec![0u8; 1 << 20];
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            if n == 0 {
                break;
            }
            expanded += n as u64;
        }
        assert_eq!(expanded, BROTLI_BOMB_EXPANDED);
    }

    #[test]
    fn every_hostile_site_has_its_own_name() {
        let specs = hostile_specs("h.test");
        let mut hosts: Vec<&str> = specs.iter().map(|s| s.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        assert_eq!(hosts.len(), specs.len());
        let flood = specs.iter().find(|s| s.host == "cookie-flood.h.test");
        let home = &flood.expect("cookie flood").routes[0];
        let cookies = home
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .count();
        assert_eq!(cookies, COOKIE_FLOOD + 1, "the strict cookie and the flood");
    }
}
