//! End-to-end tests of a started fleet, as the scanner will use it: loopback only, names
//! through the fleet's DNS, ports through its overrides, trust through its test root.

use super::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::{
    ClientConfig, DigitallySignedStruct, ProtocolVersion, RootCertStore, SignatureScheme,
};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use x509_parser::prelude::{FromDer, X509Certificate};

const DOMAIN: &str = "demo.test";

fn host(label: &str) -> String {
    format!("{label}.{DOMAIN}")
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads exactly one response (head, then `Content-Length` bytes), leaving the connection
/// usable for the next request.
async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> Response {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let text = String::from_utf8(head).unwrap();
    let mut lines = text.trim_end().split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| l.split_once(": ").unwrap())
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let len: usize = response.header("content-length")[0].parse().unwrap();
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await.unwrap();
    Response { body, ..response }
}

async fn get<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    path: &str,
) -> Response {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(stream).await
}

fn client_config(
    version: &'static rustls::SupportedProtocolVersion,
    trust: impl FnOnce(rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>) -> ClientConfig,
) -> Arc<ClientConfig> {
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[version])
            .unwrap();
    let mut config = trust(builder);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

fn trusting_fleet_root(
    fleet: &Fleet,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(fleet.root_ca_pem().as_bytes()).unwrap())
        .unwrap();
    client_config(version, |b| {
        b.with_root_certificates(roots).with_no_client_auth()
    })
}

async fn tls_connect(config: Arc<ClientConfig>, site: &RunningSite) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(site.https_addr).await.unwrap();
    let name = ServerName::try_from(site.host.clone()).unwrap();
    TlsConnector::from(config).connect(name, tcp).await.unwrap()
}

#[tokio::test]
async fn good_site_passes_verification_and_keeps_alive_on_tls12_and_tls13() {
    let fleet = Fleet::start(DOMAIN, vec![SiteSpec::good(&host("good"))])
        .await
        .unwrap();
    let site = fleet.site("GOOD.demo.test.").unwrap();
    for (version, expected) in [
        (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
    ] {
        let mut tls = tls_connect(trusting_fleet_root(&fleet, version), site).await;
        let (_, session) = tls.get_ref();
        assert_eq!(session.protocol_version(), Some(expected));
        assert_eq!(session.alpn_protocol(), Some(&b"http/1.1"[..]));
        let chain = session.peer_certificates().unwrap();
        assert_eq!(chain.len(), 2, "leaf and intermediate");
        assert_eq!(Some(&chain[0]), site.leaf.as_ref());
        for _ in 0..2 {
            let response = get(&mut tls, &site.host, "/").await;
            assert_eq!(response.status, 200);
            for (name, value) in STRICT_HEADERS {
                assert_eq!(response.header(name), [value], "{name}");
            }
            assert!(String::from_utf8_lossy(&response.body).contains("good.demo.test"));
        }
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn plain_http_redirects_or_serves_as_specified_until_shutdown() {
    let specs = vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good(&host("no-https"))
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Serve),
    ];
    let fleet = Fleet::start(DOMAIN, specs).await.unwrap();
    let good = fleet.site(&host("good")).unwrap();
    let mut tcp = TcpStream::connect(good.http_addr).await.unwrap();
    let redirect = get(&mut tcp, &good.host, "/login?next=1").await;
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location"),
        ["https://good.demo.test/login"]
    );

    let plain = fleet.site(&host("no-https")).unwrap();
    let mut tcp = TcpStream::connect(plain.http_addr).await.unwrap();
    assert_eq!(get(&mut tcp, &plain.host, "/").await.status, 200);
    assert_eq!(get(&mut tcp, &plain.host, "/nope").await.status, 404);
    let refused = TcpStream::connect(plain.https_addr).await.unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

    let addr = good.http_addr;
    fleet.shutdown().await;
    let stopped = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(
        stopped.kind(),
        io::ErrorKind::ConnectionRefused,
        "listener outlived shutdown"
    );
}

#[tokio::test]
async fn silent_port_accepts_but_never_answers_and_closed_ports_refuse() {
    let specs = vec![
        SiteSpec::good(&host("silent")).with_tls(TlsBehaviour::Silent),
        SiteSpec::good(&host("unreachable"))
            .with_tls(TlsBehaviour::Closed)
            .with_http(HttpBehaviour::Closed),
    ];
    let fleet = Fleet::start(DOMAIN, specs).await.unwrap();
    let silent = fleet.site(&host("silent")).unwrap();
    let mut tcp = TcpStream::connect(silent.https_addr).await.unwrap();
    tcp.write_all(b"\x16\x03\x01\x00\x05hello").await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_millis(300), tcp.read(&mut byte)).await;
    assert!(read.is_err(), "expected a timeout, got {read:?}");

    let gone = fleet.site(&host("unreachable")).unwrap();
    for addr in [gone.https_addr, gone.http_addr] {
        assert_eq!(addr.ip(), IpAddr::V4(gone.ip));
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{addr}");
    }
}

#[tokio::test]
async fn pki_host_serves_the_intermediate_and_a_crl_listing_only_revoked_leaves() {
    let specs = vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good(&host("revoked")).with_cert(CertKind::Revoked),
    ];
    let fleet = Fleet::start(DOMAIN, specs).await.unwrap();
    let mut tcp = TcpStream::connect(fleet.pki_addr()).await.unwrap();
    let intermediate = get(&mut tcp, &fleet.pki_host(), "/intermediate.der").await;
    assert_eq!(
        intermediate.header("content-type"),
        ["application/pkix-cert"]
    );
    let crl = get(&mut tcp, &fleet.pki_host(), "/intermediate.crl").await;
    assert_eq!(crl.status, 200);
    assert_eq!(crl.body, fleet.crl_der());

    let (_, issuer) = X509Certificate::from_der(&intermediate.body).unwrap();
    let (_, crl) = x509_parser::parse_x509_crl(&crl.body).unwrap();
    crl.verify_signature(issuer.public_key()).unwrap();
    let listed: Vec<&[u8]> = crl
        .iter_revoked_certificates()
        .map(|r| r.raw_serial())
        .collect();
    let serial = |label: &str| {
        let leaf = fleet.site(&host(label)).unwrap().leaf.clone().unwrap();
        let (_, cert) = X509Certificate::from_der(&leaf).unwrap();
        cert.raw_serial().to_vec()
    };
    assert_eq!(listed, [serial("revoked").as_slice()]);
    assert!(!listed.contains(&serial("good").as_slice()));
}

async fn post<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    body: &[u8],
) -> Response {
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ocsp-request\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    read_response(stream).await
}

#[tokio::test]
async fn ocsp_host_answers_for_the_intermediates_leaves_only() {
    use trustlabel_core::ocsp::{CertId, CertIdHash, IssuerKey, OcspAnswer, encode_request, judge};
    let specs = vec![
        SiteSpec::good(&host("good")),
        SiteSpec::good(&host("revoked")).with_cert(CertKind::Revoked),
        SiteSpec::good(&host("delegated")).with_delegated_ocsp(),
    ];
    let fleet = Fleet::start(DOMAIN, specs).await.unwrap();
    let issuer = IssuerKey::from_certificate(fleet.intermediate_der()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut tcp = TcpStream::connect(fleet.ocsp_addr()).await.unwrap();
    let mut ask = async |id: &CertId| {
        let response = post(&mut tcp, &fleet.ocsp_host(), &encode_request(id)).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("content-type"),
            ["application/ocsp-response"]
        );
        judge(&response.body, id, &issuer, now)
    };
    let leaf_id = |label: &str| {
        let leaf = fleet.site(&host(label)).unwrap().leaf.clone().unwrap();
        CertId::for_certificate(CertIdHash::Sha1, &leaf, &issuer).unwrap()
    };
    assert_eq!(ask(&leaf_id("good")).await, OcspAnswer::Good);
    assert_eq!(ask(&leaf_id("delegated")).await, OcspAnswer::Good);
    assert!(matches!(
        ask(&leaf_id("revoked")).await,
        OcspAnswer::Revoked { reason: Some(r), .. } if r == "KeyCompromise"
    ));
    let stranger = CertId::new(CertIdHash::Sha1, &issuer, &[0x01, 0x02]).unwrap();
    assert!(
        matches!(ask(&stranger).await, OcspAnswer::Unknown(why) if why.contains("does not know"))
    );
    let garbage = post(&mut tcp, &fleet.ocsp_host(), b"not a request").await;
    assert_eq!(
        judge(&garbage.body, &stranger, &issuer, now),
        OcspAnswer::Unknown("the responder answered MalformedRequest".into())
    );
    assert_eq!(get(&mut tcp, &fleet.ocsp_host(), "/").await.status, 405);
    assert_eq!(fleet.ocsp_requests(), 5);
}

#[tokio::test]
async fn hickory_pointed_at_the_fleet_resolves_fleet_names_only() {
    use hickory_resolver::Resolver;
    use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use hickory_resolver::proto::xfer::Protocol;

    let no_v6 = SiteSpec::good(&host("no-v6")).with_ipv6(crate::Ipv6Behaviour::None);
    let fleet = Fleet::start(DOMAIN, vec![SiteSpec::good(&host("good")), no_v6])
        .await
        .unwrap();
    let mut config = ResolverConfig::new();
    config.add_name_server(NameServerConfig::new(fleet.dns_addr(), Protocol::Udp));
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 1;
    opts.use_hosts_file = ResolveHosts::Never;
    let resolver = Resolver::builder_with_config(config, TokioConnectionProvider::default())
        .with_options(opts)
        .build();

    let site = fleet.site(&host("good")).unwrap();
    let answer = resolver.ipv4_lookup("good.demo.test.").await.unwrap();
    assert_eq!(answer.iter().map(|a| a.0).collect::<Vec<_>>(), [site.ip]);
    let pki = resolver
        .ipv4_lookup(format!("{}.", fleet.pki_host()))
        .await
        .unwrap();
    assert_eq!(
        pki.iter().map(|a| a.0).collect::<Vec<_>>(),
        [fleet.pki_addr().ip()]
    );

    let missing = resolver
        .ipv4_lookup("missing.demo.test.")
        .await
        .unwrap_err();
    assert!(missing.is_nx_domain(), "{missing:?}");
    // Sites answer on `::1` too (the fleet's IPv6 loopback), unless they have no IPv6.
    let v6 = resolver.ipv6_lookup("good.demo.test.").await.unwrap();
    assert_eq!(
        v6.iter().map(|a| a.0).collect::<Vec<_>>(),
        [std::net::Ipv6Addr::LOCALHOST]
    );
    let no_v6 = resolver.ipv6_lookup("no-v6.demo.test.").await.unwrap_err();
    assert!(
        no_v6.is_no_records_found() && !no_v6.is_nx_domain(),
        "{no_v6:?}"
    );
}

/// Accepts any certificate, so a handshake with a weak-key leaf (which webpki refuses)
/// can show the server side signs with it.
#[derive(Debug)]
struct AcceptAnyCertificate;

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ]
    }
}

#[tokio::test]
async fn weak_key_site_handshakes_with_its_rsa_1024_leaf() {
    let spec = SiteSpec::good(&host("weak-key")).with_cert(CertKind::WeakKey);
    let fleet = Fleet::start(DOMAIN, vec![spec]).await.unwrap();
    let site = &fleet.sites()[0];
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let config = client_config(version, |b| {
            b.dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate))
                .with_no_client_auth()
        });
        let mut tls = tls_connect(config, site).await;
        assert_eq!(
            tls.get_ref().1.peer_certificates().unwrap()[0],
            site.leaf.clone().unwrap()
        );
        assert_eq!(get(&mut tls, &site.host, "/").await.status, 200);
    }
}

#[tokio::test]
async fn demo_fleet_gives_every_site_its_own_address_and_both_overrides() {
    let fleet = Fleet::start(DOMAIN, demo_specs(DOMAIN)).await.unwrap();
    let overrides = fleet.connect_overrides();
    let mut ips: Vec<Ipv4Addr> = fleet.sites().iter().map(|s| s.ip).collect();
    ips.sort_unstable();
    ips.dedup();
    assert_eq!(ips.len(), fleet.sites().len());
    for site in fleet.sites() {
        for (port, addr) in [(443, site.https_addr), (80, site.http_addr)] {
            let found = overrides
                .iter()
                .find(|o| o.host == site.host && o.port == port);
            assert_eq!(found.map(|o| o.addr), Some(addr), "{} {port}", site.host);
            assert_eq!(addr.ip(), IpAddr::V4(site.ip));
        }
    }
    let pki = overrides
        .iter()
        .find(|o| o.host == "pki.demo.test" && o.port == 80);
    assert_eq!(pki.map(|o| o.addr), Some(fleet.pki_addr()));
    let ocsp = overrides
        .iter()
        .find(|o| o.host == "ocsp.demo.test" && o.port == 80);
    assert_eq!(ocsp.map(|o| o.addr), Some(fleet.ocsp_addr()));
}

#[tokio::test]
async fn bad_host_lists_are_refused_before_anything_binds() {
    let twice = vec![
        SiteSpec::good("a.demo.test"),
        SiteSpec::good("A.demo.test."),
    ];
    assert!(matches!(
        Fleet::start(DOMAIN, twice).await,
        Err(FleetError::DuplicateHost(h)) if h == "a.demo.test"
    ));
    for service in ["pki.demo.test", "ocsp.demo.test"] {
        assert!(matches!(
            Fleet::start(DOMAIN, vec![SiteSpec::good(service)]).await,
            Err(FleetError::DuplicateHost(_))
        ));
    }
    let bad = vec![SiteSpec::good("bad_name.demo.test")];
    assert!(matches!(
        Fleet::start(DOMAIN, bad).await,
        Err(FleetError::InvalidHost(_))
    ));
}

/// Start-up cost of the 1,000-site benchmark fleet, printed (a measurement: how long it
/// takes depends on the machine, so nothing is asserted about it). Run in release mode:
/// `cargo test --release --lib fleet::tests::thousand -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run explicitly in release mode"]
async fn thousand_good_sites_start_quickly() {
    let specs: Vec<SiteSpec> = (0..1000)
        .map(|i| SiteSpec::good(&format!("site{i}.bench.test")))
        .collect();
    let started = std::time::Instant::now();
    let fleet = Fleet::start("bench.test", specs).await.unwrap();
    let elapsed = started.elapsed();
    println!("Fleet::start for 1,000 good sites: {elapsed:?}");
    assert_eq!(fleet.sites().len(), 1000);
    let last = &fleet.sites()[999];
    let mut tls = tls_connect(trusting_fleet_root(&fleet, &rustls::version::TLS13), last).await;
    assert_eq!(get(&mut tls, &last.host, "/").await.status, 200);
}

/// The rig's internet: with a round trip on the fleet, a TLS 1.3 handshake finishes two
/// round trips after `connect` (the TCP handshake is charged, then hello and answer) and
/// a request on the open connection takes one more, as on a real path; the server's end
/// of the stream reaches the client.
#[tokio::test]
async fn a_fleet_with_latency_costs_the_round_trips_of_a_real_path() {
    let rtt = Duration::from_millis(100);
    let latency = Latency {
        rtt,
        jitter: Duration::ZERO,
    };
    let fleet = Fleet::start_with_latency(
        DOMAIN,
        vec![SiteSpec::good(&host("far"))],
        FleetExtras::default(),
        Some(latency),
    )
    .await
    .unwrap();
    let site = fleet.site("far.demo.test").unwrap();
    let started = tokio::time::Instant::now();
    let mut tls = tls_connect(trusting_fleet_root(&fleet, &rustls::version::TLS13), site).await;
    let handshake = started.elapsed();
    assert!(
        handshake >= rtt * 2 && handshake < rtt * 2 + rtt / 2,
        "TLS 1.3 handshake took {handshake:?} at a {rtt:?} round trip"
    );
    let asked = tokio::time::Instant::now();
    assert_eq!(get(&mut tls, &site.host, "/").await.status, 200);
    let request = asked.elapsed();
    assert!(
        request >= rtt && request < rtt + rtt / 2,
        "a request took {request:?} at a {rtt:?} round trip"
    );
    // The client's close crosses the path and the server's close comes back.
    tls.get_mut().0.shutdown().await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(rtt * 5, tls.get_mut().0.read_to_end(&mut rest)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "the server's end of stream: {read:?}"
    );
    fleet.shutdown().await;
}
