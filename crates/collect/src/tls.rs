//! The recording TLS handshake.
//!
//! A [`RecordingVerifier`] wraps the webpki verifier and writes down what it was shown
//! (chain, OCSP staple) and what it concluded. It runs in one of two modes:
//! - strict: the verdict is enforced; a connection that completes is as trustworthy as
//!   a plain rustls connection, and it is the one page content is fetched over;
//! - permissive: every certificate is accepted so the handshake can finish and reveal the
//!   version and cipher of a site with a bad certificate. Such a connection is closed
//!   right after the handshake; no request is ever sent over it.

use super::certinfo::parse_certificate;
use super::net::{ConnectFailure, RoundTrip, connect_tcp_timed};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use trustlabel_core::evidence::{TlsProbe, TlsSession, Verification, VerifyError};

/// Trust configuration shared by every handshake of a scan.
pub struct TlsContext {
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    webpki: Arc<WebPkiServerVerifier>,
    /// Plain strict config for connections that need no recording (redirect hops).
    strict: Arc<ClientConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(String),
    #[error("cannot configure TLS: {0}")]
    Config(String),
}

impl TlsContext {
    pub fn new(roots: RootCertStore) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(roots);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
            .build()
            .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;
        let strict = client_config(&provider, webpki.clone())?;
        Ok(TlsContext {
            provider,
            roots,
            webpki,
            strict: Arc::new(strict),
        })
    }

    pub fn strict_config(&self) -> Arc<ClientConfig> {
        self.strict.clone()
    }

    /// The TLS handshake after an SMTP `STARTTLS`, over the connection already open: the
    /// verifier records the chain and its verdict for `server_name` but lets the
    /// handshake finish whatever it says, because nothing but `QUIT` is ever sent over
    /// the session (no content is trusted to it). No ALPN: SMTP does not use it.
    pub async fn starttls(
        &self,
        tcp: TcpStream,
        server_name: ServerName<'static>,
        handshake_timeout: Duration,
        deadline: Instant,
    ) -> StartTls {
        let verifier = Arc::new(RecordingVerifier {
            inner: self.webpki.clone(),
            permissive: true,
            record: Mutex::new(Record::default()),
        });
        let config = match client_config(&self.provider, verifier.clone()) {
            Ok(mut config) => {
                config.alpn_protocols.clear();
                config
            }
            Err(e) => {
                return StartTls::Failed {
                    message: e.to_string(),
                    timed_out: false,
                    version_refused: false,
                    chain: vec![],
                };
            }
        };
        let connector = TlsConnector::from(Arc::new(config));
        let limit = (Instant::now() + handshake_timeout).min(deadline);
        let result = tokio::time::timeout_at(limit, connector.connect(server_name, tcp)).await;
        let record = verifier.take();
        match result {
            Err(_) => StartTls::Failed {
                message: format!(
                    "no TLS handshake within {} ms after STARTTLS",
                    handshake_timeout.as_millis()
                ),
                timed_out: true,
                version_refused: false,
                chain: parse_chain(&record.chain),
            },
            Ok(Err(e)) => {
                let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
                let version_refused = matches!(
                    inner,
                    Some(rustls::Error::AlertReceived(
                        rustls::AlertDescription::ProtocolVersion
                    )) | Some(rustls::Error::PeerIncompatible(
                        rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
                    ))
                );
                StartTls::Failed {
                    message: e.to_string(),
                    timed_out: false,
                    version_refused,
                    chain: parse_chain(&record.chain),
                }
            }
            Ok(Ok(stream)) => {
                let session = self.session(&stream, record);
                StartTls::Established {
                    stream: Box::new(stream),
                    version: session.version,
                    cipher_suite: session.cipher_suite,
                    chain: session.chain,
                    verification: session.verification.error_now,
                }
            }
        }
    }

    /// Connects, handshakes and records. Returns the evidence and, when the certificate
    /// verified under the strict verifier, the live stream for fetching content.
    pub async fn probe(
        &self,
        addr: SocketAddr,
        server_name: ServerName<'static>,
        connect_timeout: Duration,
        handshake_timeout: Duration,
        deadline: Instant,
        round_trip: &RoundTrip,
    ) -> (TlsProbe, Option<TlsStream<TcpStream>>) {
        let strict = match self
            .handshake(
                addr,
                server_name.clone(),
                false,
                connect_timeout,
                handshake_timeout,
                deadline,
                round_trip,
            )
            .await
        {
            Err(failure) => return (failure, None),
            Ok(outcome) => outcome,
        };
        match strict {
            Recorded::Completed { stream, record } => {
                let session = self.session(&stream, record);
                (TlsProbe::Established(Box::new(session)), Some(*stream))
            }
            Recorded::Aborted { record, message }
                if record.verdict.is_some() || record.signature_error.is_some() =>
            {
                // The strict verifier refused the certificate: handshake again, accepting
                // anything, only to learn the protocol parameters. No content is fetched.
                match self
                    .handshake(
                        addr,
                        server_name,
                        true,
                        connect_timeout,
                        handshake_timeout,
                        deadline,
                        round_trip,
                    )
                    .await
                {
                    Ok(Recorded::Completed { stream, record }) => {
                        let session = self.session(&stream, record);
                        drop(stream);
                        (TlsProbe::Established(Box::new(session)), None)
                    }
                    Ok(Recorded::Aborted {
                        record: again,
                        message,
                    }) => (
                        TlsProbe::HandshakeFailed {
                            message,
                            timed_out: false,
                            chain: parse_chain(if again.chain.is_empty() {
                                &record.chain
                            } else {
                                &again.chain
                            }),
                        },
                        None,
                    ),
                    Err(TlsProbe::HandshakeFailed {
                        message: m2,
                        timed_out,
                        ..
                    }) => (
                        TlsProbe::HandshakeFailed {
                            message: format!("{message}; permissive retry: {m2}"),
                            timed_out,
                            chain: parse_chain(&record.chain),
                        },
                        None,
                    ),
                    Err(other) => (other, None),
                }
            }
            Recorded::Aborted { record, message } => (
                TlsProbe::HandshakeFailed {
                    message,
                    timed_out: false,
                    chain: parse_chain(&record.chain),
                },
                None,
            ),
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the probe's own arguments passed on, plus where the round trip is noted"
    )]
    async fn handshake(
        &self,
        addr: SocketAddr,
        server_name: ServerName<'static>,
        permissive: bool,
        connect_timeout: Duration,
        handshake_timeout: Duration,
        deadline: Instant,
        round_trip: &RoundTrip,
    ) -> Result<Recorded, TlsProbe> {
        let tcp = connect_tcp_timed(addr, connect_timeout, deadline, round_trip)
            .await
            .map_err(|ConnectFailure { kind, message }| TlsProbe::ConnectFailed {
                kind,
                message,
            })?;
        let verifier = Arc::new(RecordingVerifier {
            inner: self.webpki.clone(),
            permissive,
            record: Mutex::new(Record::default()),
        });
        let config = client_config(&self.provider, verifier.clone()).map_err(|e| {
            TlsProbe::HandshakeFailed {
                message: e.to_string(),
                timed_out: false,
                chain: vec![],
            }
        })?;
        let connector = TlsConnector::from(Arc::new(config));
        let started = Instant::now();
        let limit = (started + handshake_timeout).min(deadline);
        let result = tokio::time::timeout_at(limit, connector.connect(server_name, tcp)).await;
        if let Ok(Ok(_)) = &result {
            // Hello to Finished: the server's first flight plus the client's finish.
            round_trip.observe_answer(started.elapsed());
        }
        let record = verifier.take();
        match result {
            Err(_) => Err(TlsProbe::HandshakeFailed {
                message: format!(
                    "no TLS handshake within {} ms",
                    handshake_timeout.as_millis()
                ),
                timed_out: true,
                chain: parse_chain(&record.chain),
            }),
            Ok(Ok(stream)) => Ok(Recorded::Completed {
                stream: Box::new(stream),
                record,
            }),
            Ok(Err(e)) => Ok(Recorded::Aborted {
                record,
                message: e.to_string(),
            }),
        }
    }

    fn session(&self, stream: &TlsStream<TcpStream>, record: Record) -> TlsSession {
        let (_, conn) = stream.get_ref();
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
            Some(other) => format!("{other:?}"),
            None => "unknown".to_string(),
        };
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_else(|| "unknown".into());
        let key_exchange_group = conn
            .negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name()));
        let alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let error_now = record.verdict.clone().map(|e| map_rustls_error(&e));
        let path_as_sent = match &error_now {
            None => None,
            Some(_) => self.verify_path(&record.chain, &[]).err(),
        };
        TlsSession {
            version,
            cipher_suite,
            key_exchange_group,
            alpn,
            chain: parse_chain(&record.chain),
            ocsp_staple_base64: (!record.ocsp.is_empty()).then(|| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(&record.ocsp)
            }),
            verification: Verification {
                error_now,
                path_as_sent,
                path_with_aia: None,
            },
            handshake_signature_error: record.signature_error,
        }
    }

    /// Builds a path from the leaf to a trust anchor, ignoring the host name and judging
    /// time at the middle of the leaf's validity: "would this chain be trusted at all?".
    pub fn verify_path(
        &self,
        chain: &[CertificateDer<'static>],
        extra_intermediates: &[CertificateDer<'static>],
    ) -> Result<(), VerifyError> {
        self.with_path(chain, extra_intermediates, None, |_| ())?
            .map_err(|e| map_webpki_error(&e))
    }

    /// The SubjectPublicKeyInfo (DER) of the leaf's issuer in the path [`verify_path`]
    /// builds: the key a revocation answer about the leaf must be signed with. Taken from
    /// the verified path, never from what the server sent, so a forged issuer cannot
    /// vouch for its own leaf.
    pub fn issuer_spki(
        &self,
        chain: &[CertificateDer<'static>],
        extra_intermediates: &[CertificateDer<'static>],
    ) -> Result<Vec<u8>, VerifyError> {
        self.with_path(chain, extra_intermediates, None, |path| {
            path.issuer_spki().as_ref().to_vec()
        })?
        .map_err(|e| map_webpki_error(&e))
    }

    /// Builds the path (see [`verify_path`]) with optional revocation checking and reads
    /// what is needed from it. The outer error is an unusable leaf, the inner one
    /// webpki's verdict.
    fn with_path<R>(
        &self,
        chain: &[CertificateDer<'static>],
        extra_intermediates: &[CertificateDer<'static>],
        revocation: Option<webpki::RevocationOptions<'_>>,
        read: impl FnOnce(&webpki::VerifiedPath<'_>) -> R,
    ) -> Result<Result<R, webpki::Error>, VerifyError> {
        let Some(leaf_der) = chain.first() else {
            return Err(VerifyError::BadEncoding);
        };
        let leaf = webpki::EndEntityCert::try_from(leaf_der).map_err(|e| map_webpki_error(&e))?;
        let time = mid_validity(leaf_der).ok_or(VerifyError::BadEncoding)?;
        let mut intermediates: Vec<CertificateDer<'static>> = chain[1..].to_vec();
        intermediates.extend_from_slice(extra_intermediates);
        Ok(leaf
            .verify_for_usage(
                self.provider.signature_verification_algorithms.all,
                &self.roots.roots,
                &intermediates,
                time,
                webpki::KeyUsage::server_auth(),
                revocation,
                None,
            )
            .map(|path| read(&path)))
    }

    /// Checks the leaf against a CRL, with the path built as for [`verify_path`] plus the
    /// given extra issuers. `Ok(true)` = revoked, `Ok(false)` = not revoked; an error when
    /// no trusted path exists or the CRL does not cover the certificate.
    pub fn check_crl(
        &self,
        chain: &[CertificateDer<'static>],
        extra_intermediates: &[CertificateDer<'static>],
        crl: &webpki::CertRevocationList<'_>,
    ) -> Result<bool, VerifyError> {
        let crls = [crl];
        let options = webpki::RevocationOptionsBuilder::new(&crls)
            .map_err(|e| VerifyError::Other(format!("{e:?}")))?
            .with_depth(webpki::RevocationCheckDepth::EndEntity)
            .with_status_policy(webpki::UnknownStatusPolicy::Deny)
            .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
            .build();
        match self.with_path(chain, extra_intermediates, Some(options), |_| ())? {
            Ok(()) => Ok(false),
            Err(webpki::Error::CertRevoked) => Ok(true),
            Err(e) => Err(map_webpki_error(&e)),
        }
    }
}

fn client_config(
    provider: &Arc<CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<ClientConfig, TlsSetupError> {
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Fresh handshakes every time: resumption would hide the certificate.
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

/// The middle of the leaf's validity period; `None` when the leaf does not parse.
fn mid_validity(leaf: &CertificateDer<'_>) -> Option<UnixTime> {
    let info = parse_certificate(leaf).ok()?;
    let start = info.not_before.unix_timestamp();
    let end = info.not_after.unix_timestamp();
    let mid = start + (end - start) / 2;
    Some(UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(mid).ok()?,
    )))
}

pub(super) fn parse_chain(
    chain: &[CertificateDer<'static>],
) -> Vec<trustlabel_core::evidence::CertificateInfo> {
    chain
        .iter()
        .filter_map(|der| parse_certificate(der).ok())
        .collect()
}

/// What a STARTTLS handshake gave.
pub enum StartTls {
    Established {
        stream: Box<TlsStream<TcpStream>>,
        version: String,
        cipher_suite: String,
        chain: Vec<trustlabel_core::evidence::CertificateInfo>,
        /// The verdict for the server name (`None` = the certificate is valid).
        verification: Option<VerifyError>,
    },
    Failed {
        message: String,
        timed_out: bool,
        /// The server refused TLS 1.2 and 1.3 (a protocol_version alert, or an older
        /// version in its hello).
        version_refused: bool,
        chain: Vec<trustlabel_core::evidence::CertificateInfo>,
    },
}

enum Recorded {
    Completed {
        stream: Box<TlsStream<TcpStream>>,
        record: Record,
    },
    Aborted {
        record: Record,
        message: String,
    },
}

#[derive(Debug, Default)]
struct Record {
    chain: Vec<CertificateDer<'static>>,
    ocsp: Vec<u8>,
    /// The webpki verdict on the certificate (`None` = accepted, or never asked).
    verdict: Option<rustls::Error>,
    signature_error: Option<String>,
}

#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    permissive: bool,
    record: Mutex<Record>,
}

impl RecordingVerifier {
    fn take(&self) -> Record {
        match self.record.lock() {
            Ok(mut r) => std::mem::take(&mut *r),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn with_record(&self, f: impl FnOnce(&mut Record)) {
        match self.record.lock() {
            Ok(mut r) => f(&mut r),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        self.with_record(|r| {
            r.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            r.ocsp = ocsp_response.to_vec();
            r.verdict = verdict.as_ref().err().cloned();
        });
        match verdict {
            Err(_) if self.permissive => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls12_signature(message, cert, dss);
        self.signature_outcome(result)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let result = self.inner.verify_tls13_signature(message, cert, dss);
        self.signature_outcome(result)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl RecordingVerifier {
    fn signature_outcome(
        &self,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if let Err(e) = &result {
            let text = e.to_string();
            self.with_record(|r| r.signature_error = Some(text));
            if self.permissive {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        result
    }
}

fn map_rustls_error(e: &rustls::Error) -> VerifyError {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                VerifyError::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                VerifyError::NotYetValid
            }
            CertificateError::UnknownIssuer => VerifyError::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                VerifyError::NameMismatch
            }
            CertificateError::BadSignature => VerifyError::BadSignature,
            CertificateError::Revoked => VerifyError::Revoked,
            CertificateError::BadEncoding => VerifyError::BadEncoding,
            CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                VerifyError::UnsupportedSignatureAlgorithm
            }
            other => VerifyError::Other(format!("{other:?}")),
        },
        other => VerifyError::Other(other.to_string()),
    }
}

fn map_webpki_error(e: &webpki::Error) -> VerifyError {
    use webpki::Error as W;
    match e {
        W::UnknownIssuer => VerifyError::UnknownIssuer,
        W::CertExpired { .. } => VerifyError::Expired,
        W::CertNotValidYet { .. } => VerifyError::NotYetValid,
        W::CertRevoked => VerifyError::Revoked,
        W::InvalidSignatureForPublicKey => VerifyError::BadSignature,
        W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            VerifyError::UnsupportedSignatureAlgorithm
        }
        W::BadDer | W::BadDerTime | W::TrailingData(_) => VerifyError::BadEncoding,
        other => VerifyError::Other(format!("{other:?}")),
    }
}
