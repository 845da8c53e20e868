//! Site specifications: what one fleet site serves, plus the presets tests and the demo use.
//!
//! A spec is plain data so a test can state a defect in one line
//! (`SiteSpec::good(h).without_header("Strict-Transport-Security")`) and the fleet can be
//! rebuilt from it any day: certificates are made at start-up, never stored.

/// Which certificate (and chain) a site's TLS listener presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// Leaf + intermediate from the trusted test root, valid now, right name.
    Good,
    /// notAfter in the past.
    Expired,
    /// notBefore in the future.
    NotYetValid,
    /// Expires in 10 days: inside the scanner's default 30-day warning window.
    ExpiringSoon,
    /// Valid chain, but the SAN names another host.
    WrongHost,
    /// The leaf is its own issuer.
    SelfSigned,
    /// Issued through a second root that is never given to the scanner.
    UntrustedRoot,
    /// Good leaf, but the server sends only the leaf; AIA points at the intermediate.
    MissingIntermediate,
    /// RSA 1024-bit leaf key.
    WeakKey,
    /// Good leaf signed with SHA-1 (sha1WithRSAEncryption) by an RSA intermediate of the
    /// trusted root, which the server sends along.
    WeakSignature,
    /// Good leaf whose serial is listed in the intermediate's CRL.
    Revoked,
}

impl CertKind {
    /// Every kind, so demos and tests can cover them all without forgetting a new one.
    pub const ALL: [CertKind; 11] = [
        CertKind::Good,
        CertKind::Expired,
        CertKind::NotYetValid,
        CertKind::ExpiringSoon,
        CertKind::WrongHost,
        CertKind::SelfSigned,
        CertKind::UntrustedRoot,
        CertKind::MissingIntermediate,
        CertKind::WeakKey,
        CertKind::WeakSignature,
        CertKind::Revoked,
    ];

    /// The host label the demo uses for a site with this defect (`expired.<domain>`).
    pub fn slug(self) -> &'static str {
        match self {
            CertKind::Good => "good",
            CertKind::Expired => "expired",
            CertKind::NotYetValid => "not-yet-valid",
            CertKind::ExpiringSoon => "expiring-soon",
            CertKind::WrongHost => "wrong-host",
            CertKind::SelfSigned => "self-signed",
            CertKind::UntrustedRoot => "untrusted-root",
            CertKind::MissingIntermediate => "missing-intermediate",
            CertKind::WeakKey => "weak-key",
            CertKind::WeakSignature => "weak-signature",
            CertKind::Revoked => "revoked",
        }
    }
}

/// What the site's HTTPS port does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsBehaviour {
    /// TLS 1.2/1.3 with the given certificate, then the site's routes.
    Serve(CertKind),
    /// Nothing listens: a connection is refused.
    Closed,
    /// Accepts TCP and never sends a byte, so a client must time out.
    Silent,
    /// Answers a ClientHello the hostile way given.
    Hostile(super::legacy::HostileTls),
    /// Answers every hello with an SSLv3 ServerHello (see `fleet::SSLV3_SUITES`).
    Sslv3Only,
    /// Answers hellos of TLS 1.0 or later with a TLS 1.0 ServerHello (same suites),
    /// older ones with a `protocol_version` alert: a server that knows nothing newer.
    Tls10Only,
    /// The same with TLS 1.1.
    Tls11Only,
    /// Relays the connection to a server outside the fleet (a Debian or Python peer).
    Relay(std::net::SocketAddr),
}

/// What the site's plain-HTTP port does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpBehaviour {
    /// Every request gets `301` to `https://<host><path>`.
    RedirectToHttps,
    /// The same routes as HTTPS, in clear text.
    Serve,
    /// Nothing listens: a connection is refused.
    Closed,
}

/// What the site and its CA's OCSP responder do about the site's certificate. Only
/// leaves of the trusted intermediate name the responder; for the others this is moot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OcspBehaviour {
    /// The server staples the responder's answer about its certificate.
    pub staple: bool,
    /// The responder signs answers about this certificate with its delegated responder
    /// certificate instead of the intermediate's own key.
    pub delegated: bool,
}

/// One path the site answers. Headers are sent verbatim and in order (duplicates and odd
/// values included); the responder adds only `Content-Length` unless a route sets its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Answer with this route only when the request matches; otherwise the path's plain
    /// route (or the site's catch-all) answers.
    pub when: Option<HeaderCondition>,
    /// Wait this long before answering, to play a slow or hanging page.
    pub delay: Option<std::time::Duration>,
    /// How the body goes on the wire (`Fixed`: `body`, with its `Content-Length`).
    pub stream: BodyStream,
    /// Header lines written verbatim after `headers`, as bytes (a value that is not
    /// UTF-8, say). No CR or LF inside: the responder adds the line end.
    pub raw_headers: Vec<Vec<u8>>,
}

/// How a route's body is sent: what hostile servers do to a scanner's time and memory.
/// Generated bodies are produced while sending, so a 50 MB page costs the fleet nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BodyStream {
    /// `body` as it is, after a `Content-Length` (unless the route sets its own).
    #[default]
    Fixed,
    /// `body` one byte per `interval`, after a `Content-Length` announcing all of it.
    Trickle { interval: std::time::Duration },
    /// Chunked transfer coding, `body` repeated for ever.
    Endless,
    /// `body` repeated up to `total` bytes, with that `Content-Length`.
    Repeat { total: u64 },
    /// These bytes instead of `body` (binary: a compression bomb, invalid UTF-8).
    Bytes(std::sync::Arc<Vec<u8>>),
}

/// A request header whose value contains `contains` (both compared case-insensitively),
/// e.g. a `User-Agent` containing "Googlebot".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCondition {
    pub header: String,
    pub contains: String,
}

impl Route {
    /// A route with no headers and an empty body.
    pub fn new(path: &str, status: u16) -> Route {
        Route {
            path: path.to_string(),
            status,
            headers: Vec::new(),
            body: String::new(),
            when: None,
            delay: None,
            stream: BodyStream::Fixed,
            raw_headers: Vec::new(),
        }
    }

    /// A `200` HTML page.
    pub fn page(path: &str, body: &str) -> Route {
        Route::new(path, 200)
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_body(body)
    }

    /// A redirect (`status` should be 301, 302, 303, 307 or 308).
    pub fn redirect(path: &str, status: u16, location: &str) -> Route {
        Route::new(path, status).with_header("Location", location)
    }

    /// Sets `name` to `value`, replacing every existing header of that name (any case).
    pub fn with_header(mut self, name: &str, value: &str) -> Route {
        match self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(first) => {
                self.headers[first] = (name.to_string(), value.to_string());
                let mut index = 0;
                self.headers.retain(|(n, _)| {
                    let keep = index <= first || !n.eq_ignore_ascii_case(name);
                    index += 1;
                    keep
                });
            }
            None => self.headers.push((name.to_string(), value.to_string())),
        }
        self
    }

    /// Appends a header even if one of that name exists, to produce duplicates on purpose.
    pub fn with_added_header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Removes every header of that name (any case).
    pub fn without_header(mut self, name: &str) -> Route {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn with_body(mut self, body: &str) -> Route {
        self.body = body.to_string();
        self
    }

    /// Answer only after `delay` (longer than the scanner's timeout: a hanging page).
    pub fn with_delay(mut self, delay: std::time::Duration) -> Route {
        self.delay = Some(delay);
        self
    }

    /// Sends the body the way `stream` says (see [`BodyStream`]).
    pub fn with_stream(mut self, stream: BodyStream) -> Route {
        self.stream = stream;
        self
    }

    /// Appends a header line written as these exact bytes (`Name: value`, no line end).
    pub fn with_raw_header(mut self, line: &[u8]) -> Route {
        self.raw_headers.push(line.to_vec());
        self
    }

    /// Serve this route only to requests whose `header` contains `contains`.
    pub fn when_header(mut self, header: &str, contains: &str) -> Route {
        self.when = Some(HeaderCondition {
            header: header.to_string(),
            contains: contains.to_string(),
        });
        self
    }
}

/// Everything one fleet site does. Header helpers apply to every route the spec has at
/// the time they are called, so call them after `with_route` when the new route should
/// carry them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    pub host: String,
    pub tls: TlsBehaviour,
    pub http: HttpBehaviour,
    /// Served over HTTPS, and over HTTP when `http` is [`HttpBehaviour::Serve`].
    pub routes: Vec<Route>,
    pub ocsp: OcspBehaviour,
    /// The answer to every path no route names (its `path` is ignored): a site that
    /// answers `200` everywhere. `None` answers `404`.
    pub fallback: Option<Route>,
    /// What the site does over IPv6 (its AAAA record is the fleet's `::1`).
    pub ipv6: Ipv6Behaviour,
}

/// The site over IPv6: the fleet's DNS gives it the AAAA record `::1` unless `None`, and
/// its HTTPS port over IPv6 is its own port on `::1`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ipv6Behaviour {
    /// The same site as over IPv4 (only for sites that serve TLS).
    #[default]
    Same,
    /// No AAAA record.
    None,
    /// An AAAA record, but nothing answers there.
    Closed,
    /// An AAAA record and a server there whose home page is this body instead.
    Different(String),
}

/// The headers of a well-run site: each one satisfies the scanner's strictest check.
pub const STRICT_HEADERS: [(&str, &str); 8] = [
    (
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    (
        "Content-Security-Policy",
        "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=()",
    ),
    (
        "Set-Cookie",
        "__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Strict",
    ),
    ("Content-Type", "text/html; charset=utf-8"),
];

/// Replaced, in every route body, by a date-time 180 days after the fleet started (RFC
/// 3339, UTC): a `security.txt` `Expires` that stays valid, and less than a year ahead,
/// whenever the fleet runs. Specs stay plain data that compare equal.
pub const FLEET_EXPIRES: &str = "{fleet-expires}";

/// A `security.txt` (RFC 9116) served as `text/plain; charset=utf-8`.
pub fn security_txt_route(body: &str) -> Route {
    Route::new("/.well-known/security.txt", 200)
        .with_header("Content-Type", "text/plain; charset=utf-8")
        .with_body(body)
}

/// The good site's `security.txt`: one contact, an `Expires` set at start-up (see
/// [`FLEET_EXPIRES`]), its languages and canonical URL.
pub fn security_txt_body(host: &str) -> String {
    format!(
        "# Security contact of {host}, a trustlabel test site\n\
         Contact: mailto:security@{host}\n\
         Expires: {FLEET_EXPIRES}\n\
         Preferred-Languages: vi, en\n\
         Canonical: https://{host}/.well-known/security.txt\n"
    )
}

impl SiteSpec {
    /// A site with no findings: good certificate, HTTP redirects to HTTPS, strict headers,
    /// a valid `security.txt`.
    pub fn good(host: &str) -> SiteSpec {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{host}</title></head>\n<body><h1>{host}</h1>\
             <p>A trustlabel test site.</p></body></html>\n"
        );
        let mut home = Route::new("/", 200).with_body(&body);
        home.headers = STRICT_HEADERS
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        SiteSpec {
            host: host.to_string(),
            tls: TlsBehaviour::Serve(CertKind::Good),
            http: HttpBehaviour::RedirectToHttps,
            routes: vec![home, security_txt_route(&security_txt_body(host))],
            ocsp: OcspBehaviour::default(),
            fallback: None,
            ipv6: Ipv6Behaviour::Same,
        }
    }

    pub fn with_ipv6(mut self, ipv6: Ipv6Behaviour) -> SiteSpec {
        self.ipv6 = ipv6;
        self
    }

    pub fn with_cert(self, kind: CertKind) -> SiteSpec {
        self.with_tls(TlsBehaviour::Serve(kind))
    }

    pub fn with_tls(mut self, tls: TlsBehaviour) -> SiteSpec {
        self.tls = tls;
        self
    }

    pub fn with_http(mut self, http: HttpBehaviour) -> SiteSpec {
        self.http = http;
        self
    }

    /// Staples the OCSP responder's (signed) answer about the certificate.
    pub fn with_ocsp_staple(mut self) -> SiteSpec {
        self.ocsp.staple = true;
        self
    }

    /// Has the OCSP responder answer for this certificate with its delegated key.
    pub fn with_delegated_ocsp(mut self) -> SiteSpec {
        self.ocsp.delegated = true;
        self
    }

    /// Adds a route, replacing any route with the same path and condition.
    pub fn with_route(mut self, route: Route) -> SiteSpec {
        match self
            .routes
            .iter_mut()
            .find(|r| r.path == route.path && r.when == route.when)
        {
            Some(existing) => *existing = route,
            None => self.routes.push(route),
        }
        self
    }

    /// Removes every route of `path` (conditional ones included).
    pub fn without_route(mut self, path: &str) -> SiteSpec {
        self.routes.retain(|r| r.path != path);
        self
    }

    /// Replaces the body of the home page (`/`), keeping its headers.
    pub fn with_home_body(mut self, body: &str) -> SiteSpec {
        if let Some(home) = self.routes.iter_mut().find(|r| r.path == "/") {
            home.body = body.to_string();
        }
        self
    }

    /// Sets a header on every route (see [`Route::with_header`]).
    pub fn with_header(self, name: &str, value: &str) -> SiteSpec {
        self.map_routes(|r| r.with_header(name, value))
    }

    /// Removes a header from every route.
    pub fn without_header(self, name: &str) -> SiteSpec {
        self.map_routes(|r| r.without_header(name))
    }

    /// Answers every path without a route with `route` (see [`SiteSpec::fallback`]).
    pub fn with_fallback(mut self, route: Route) -> SiteSpec {
        self.fallback = Some(route);
        self
    }

    /// Every [`FLEET_EXPIRES`] in a body replaced by `expires`.
    pub(crate) fn with_expires(self, expires: &str) -> SiteSpec {
        self.map_routes(|mut r| {
            if r.body.contains(FLEET_EXPIRES) {
                r.body = r.body.replace(FLEET_EXPIRES, expires);
            }
            r
        })
    }

    fn map_routes(mut self, f: impl Fn(Route) -> Route) -> SiteSpec {
        self.routes = self.routes.into_iter().map(&f).collect();
        self.fallback = self.fallback.map(f);
        self
    }
}

/// The demo fleet: one good site and one site per defect the fleet can show, each named
/// after its defect so a person reading a report knows what to expect.
pub fn demo_specs(domain: &str) -> Vec<SiteSpec> {
    let host = |label: &str| format!("{label}.{domain}");
    let mut specs: Vec<SiteSpec> = CertKind::ALL
        .iter()
        .map(|&kind| SiteSpec::good(&host(kind.slug())).with_cert(kind))
        .collect();
    specs.extend([
        SiteSpec::good(&host("no-redirect")).with_http(HttpBehaviour::Serve),
        SiteSpec::good(&host("no-https"))
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Serve),
        SiteSpec::good(&host("no-hsts")).without_header("Strict-Transport-Security"),
        without_security_headers(SiteSpec::good(&host("no-headers"))),
        weak_headers(SiteSpec::good(&host("weak-headers"))),
        SiteSpec::good(&host("redirect-loop"))
            .with_route(Route::redirect("/", 302, "/a"))
            .with_route(Route::redirect("/a", 302, "/")),
        SiteSpec::good(&host("offsite-redirect")).with_route(Route::redirect(
            "/",
            301,
            "https://elsewhere.example/",
        )),
        SiteSpec::good(&host("privacy-form")).with_home_body(DEMO_PRIVACY_FORM),
        SiteSpec::good(&host("gambling-spam")).with_home_body(DEMO_GAMBLING_SPAM),
        exposed_files(SiteSpec::good(&host("exposed-files"))),
        soft_404(SiteSpec::good(&host("soft-404"))),
        SiteSpec::good(&host("silent")).with_tls(TlsBehaviour::Silent),
        bot_wall(SiteSpec::good(&host("bot-wall"))),
        SiteSpec::good(&host("unreachable"))
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Closed),
    ]);
    specs
}

/// A registration form asking for a name and a citizen-ID number, with no privacy notice.
const DEMO_PRIVACY_FORM: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Đăng ký</title></head><body><form action=\"/dang-ky\" method=\"post\">\
    <label for=\"t\">Họ và tên</label><input id=\"t\" name=\"ho_ten\">\
    <label for=\"c\">Số CCCD</label><input id=\"c\" name=\"cccd\">\
    <button>Gửi</button></form></body></html>\n";

/// A school page with gambling links hidden off-screen, as hacked sites carry them.
const DEMO_GAMBLING_SPAM: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Trường học</title></head><body><h1>Trường học</h1>\
    <div style=\"position:absolute;left:-9999px\">\
    <a href=\"https://fb88vn.bet/\">nhà cái uy tín</a> <a href=\"https://kubet-win.club/\">nổ hũ đổi thưởng</a>\
    </div></body></html>\n";

/// Keeps only `Content-Type` and the (secure) cookie, so the only findings are header ones.
fn without_security_headers(spec: SiteSpec) -> SiteSpec {
    STRICT_HEADERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !matches!(*name, "Content-Type" | "Set-Cookie"))
        .fold(spec, |spec, name| spec.without_header(name))
}

/// A readable `.git/HEAD` and a directory index: what the exposure probes look for.
fn exposed_files(spec: SiteSpec) -> SiteSpec {
    spec.with_route(
        Route::new("/.git/HEAD", 200)
            .with_header("Content-Type", "text/plain")
            .with_body("ref: refs/heads/main\n"),
    )
    .with_route(Route::page(
        "/uploads/",
        "<html><head><title>Index of /uploads</title></head>\
         <body><h1>Index of /uploads</h1></body></html>",
    ))
}

/// Answers every path with its home page: the probes must not accuse it of anything.
fn soft_404(spec: SiteSpec) -> SiteSpec {
    match spec.routes.first().cloned() {
        Some(home) => spec.with_fallback(home),
        None => spec,
    }
}

/// The scanner's User-Agent names it; this is what a bot wall keys on.
pub const SCANNER_AGENT_MARK: &str = "trustlabel";

/// Serves visitors its home page and answers the scanner (a User-Agent naming
/// trustlabel) with a firewall challenge: a 403 carrying Cloudflare's challenge header
/// and a page of our own that asks to wait for a browser check.
pub fn bot_wall(spec: SiteSpec) -> SiteSpec {
    spec.with_route(
        Route::new("/", 403)
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_header("cf-mitigated", "challenge")
            .with_header("Cache-Control", "no-store")
            .with_body(BOT_WALL_PAGE)
            .when_header("User-Agent", SCANNER_AGENT_MARK),
    )
}

const BOT_WALL_PAGE: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
    <title>Vui lòng chờ…</title></head><body><h1>Đang kiểm tra trình duyệt của bạn</h1>\
    <p>Trang sẽ tự chuyển sau vài giây.</p>\
    <script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script>\
    </body></html>";

fn weak_headers(spec: SiteSpec) -> SiteSpec {
    spec.with_header("Strict-Transport-Security", "max-age=300")
        .with_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
        )
        .with_header("X-Powered-By", "PHP/7.4.3")
        .with_header("Set-Cookie", "session=abc; Path=/")
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header("Access-Control-Allow-Credentials", "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(route: &'a Route, name: &str) -> Vec<&'a str> {
        route
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn with_header_replaces_all_duplicates_in_place() {
        let route = Route::new("/", 200)
            .with_header("A", "1")
            .with_added_header("x-dup", "1")
            .with_header("B", "2")
            .with_added_header("X-Dup", "2")
            .with_header("X-DUP", "3");
        let names: Vec<&str> = route.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["A", "X-DUP", "B"]);
        assert_eq!(header(&route, "x-dup"), ["3"]);
    }

    #[test]
    fn site_helpers_touch_every_route_and_replace_same_path() {
        let spec = SiteSpec::good("a.test")
            .with_route(Route::page("/about", "hi"))
            .with_header("X-Frame-Options", "SAMEORIGIN")
            .with_route(Route::page("/", "replaced"));
        assert_eq!(spec.routes.len(), 3, "home, security.txt, /about");
        assert_eq!(spec.routes[0].body, "replaced");
        assert_eq!(header(&spec.routes[2], "x-frame-options"), ["SAMEORIGIN"]);
        assert_eq!(header(&spec.routes[1], "x-frame-options"), ["SAMEORIGIN"]);
    }

    #[test]
    fn the_good_security_txt_gets_its_expiry_at_start_up() {
        let spec = SiteSpec::good("a.test");
        let route = &spec.routes[1];
        assert_eq!(route.path, "/.well-known/security.txt");
        assert_eq!(header(route, "content-type"), ["text/plain; charset=utf-8"]);
        assert!(route.body.contains(&format!("Expires: {FLEET_EXPIRES}\n")));
        let resolved = spec.clone().with_expires("2027-06-03T00:00:00Z");
        assert!(
            resolved.routes[1]
                .body
                .contains("Expires: 2027-06-03T00:00:00Z\n")
        );
        assert_eq!(resolved.routes[0], spec.routes[0], "other bodies untouched");
        assert_eq!(
            spec.without_route("/.well-known/security.txt").routes.len(),
            1
        );
    }

    #[test]
    fn demo_names_every_defect_once() {
        let specs = demo_specs("demo.test");
        let mut hosts: Vec<&str> = specs.iter().map(|s| s.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        assert_eq!(hosts.len(), specs.len(), "duplicate demo host");
        for kind in CertKind::ALL {
            let host = format!("{}.demo.test", kind.slug());
            let spec = specs.iter().find(|s| s.host == host);
            assert_eq!(spec.map(|s| s.tls), Some(TlsBehaviour::Serve(kind)));
        }
        let weak = specs.iter().find(|s| s.host == "weak-headers.demo.test");
        let home = &weak.expect("weak-headers site").routes[0];
        assert_eq!(header(home, "strict-transport-security"), ["max-age=300"]);
        assert_eq!(header(home, "set-cookie"), ["session=abc; Path=/"]);
        let bare = specs.iter().find(|s| s.host == "no-headers.demo.test");
        let names: Vec<&str> = bare.expect("no-headers site").routes[0]
            .headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["Set-Cookie", "Content-Type"]);
    }
}
