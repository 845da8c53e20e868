//! The fleet's test PKI: a trusted root → intermediate → per-site leaves, a second root the
//! scanner never trusts, the intermediate's CRL and its delegated OCSP responder.
//!
//! Everything is generated at start-up with validity relative to the real clock, so the
//! same test gives the same verdict on any day. Leaves use ECDSA P-256 because key
//! generation is cheap enough for a 1,000-site fleet.

use super::aia::aia_extension;
use super::ocsp::Signer;
use super::sha1_sign::{Sha1SignError, resign_sha1};
use super::spec::CertKind;
use super::weak_rsa::{WeakKeyError, WeakRsaKey};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SigningKey};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use trustlabel_core::ocsp::{IssuerKey, OcspError};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error(transparent)]
    WeakKey(#[from] WeakKeyError),
    #[error("rustls rejected a generated key: {0}")]
    Key(#[from] rustls::Error),
    #[error("OCSP set-up failed: {0}")]
    Ocsp(#[from] OcspError),
    #[error(transparent)]
    Sha1(#[from] Sha1SignError),
    #[error("RSA key encoding failed: {0}")]
    RsaEncoding(String),
}

/// The SAN a `WrongHost` leaf carries instead of the site's name (`.invalid` is reserved,
/// so it can never be a real fleet or internet host).
pub const WRONG_HOST_SAN: &str = "wrong-host.invalid";

/// How many days before "now" a freshly issued certificate becomes valid, so small clock
/// differences between fleet and scanner never matter.
const BACKDATE_DAYS: i64 = 1;

/// When revoked leaves were revoked, in the CRL and in OCSP answers alike.
pub(crate) const REVOKED_DAYS_AGO: Duration = Duration::days(2);
/// keyCompromise, the reason both the CRL and OCSP give.
pub(crate) const REVOCATION_REASON_CODE: u8 = 1;

/// A signing certificate (a CA, or the OCSP delegate) with its key; rcgen needs both to
/// issue.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// The RSA CA that signs `WeakSignature` leaves with SHA-1 (see `sha1_sign`), with the
/// `rsa` crate's handle on its key for the SHA-1 signature.
struct Sha1Ca {
    ca: Ca,
    rsa: rsa::RsaPrivateKey,
}

/// A leaf ready to serve.
#[derive(Debug, Clone)]
pub(crate) struct IssuedLeaf {
    /// What the server sends: leaf first, then the intermediate unless the kind omits it.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<dyn SigningKey>,
    pub serial: Vec<u8>,
    /// Issued by the trusted intermediate, so it names the fleet's OCSP responder.
    pub by_intermediate: bool,
    /// PKCS#8 DER of the key, for servers outside the fleet (none for the weak RSA key).
    pub key_pkcs8: Option<Vec<u8>>,
}

impl IssuedLeaf {
    pub(crate) fn leaf(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    pub(crate) fn certified_key(&self) -> CertifiedKey {
        CertifiedKey::new(self.chain.clone(), Arc::clone(&self.key))
    }
}

/// The name of OCSP responder `responder` of the fleet for `domain`: several responders
/// stand for the several CAs a real list of sites is issued by (one signing key behind
/// them all: the scanner's politeness is per responder, not per key).
pub(crate) fn ocsp_host(domain: &str, responder: usize) -> String {
    match responder {
        0 => format!("ocsp.{domain}"),
        n => format!("ocsp{}.{domain}", n + 1),
    }
}

pub(crate) struct Pki {
    domain: String,
    provider: Arc<CryptoProvider>,
    root: Ca,
    intermediate: Ca,
    untrusted_root: Ca,
    untrusted_intermediate: Ca,
    /// The intermediate's delegated OCSP responder.
    ocsp_delegate: Ca,
    /// Made on first use: an RSA key takes a while to generate, and most fleets never
    /// need one.
    sha1_ca: Mutex<Option<Arc<Sha1Ca>>>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl Pki {
    /// Both CA chains. `domain` names the PKI host (`pki.<domain>`) the leaves point at.
    pub(crate) fn new(domain: &str, provider: Arc<CryptoProvider>) -> Result<Pki, PkiError> {
        let root = new_root("trustlabel fleet test root")?;
        let intermediate = new_intermediate("trustlabel fleet test intermediate", &root)?;
        let untrusted_root = new_root("untrusted fleet root")?;
        let untrusted_intermediate =
            new_intermediate("untrusted fleet intermediate", &untrusted_root)?;
        let ocsp_delegate = new_ocsp_delegate(&intermediate)?;
        Ok(Pki {
            domain: domain.to_string(),
            provider,
            root,
            intermediate,
            untrusted_root,
            untrusted_intermediate,
            ocsp_delegate,
            sha1_ca: Mutex::new(None),
        })
    }

    /// The SHA-1-signing CA, made on first use.
    fn sha1_ca(&self) -> Result<Arc<Sha1Ca>, PkiError> {
        let mut slot = self.sha1_ca.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ca) = slot.as_ref() {
            return Ok(Arc::clone(ca));
        }
        let ca = Arc::new(new_sha1_ca(&self.root)?);
        *slot = Some(Arc::clone(&ca));
        Ok(ca)
    }

    pub(crate) fn root_pem(&self) -> String {
        self.root.cert.pem()
    }

    pub(crate) fn root_der(&self) -> &CertificateDer<'static> {
        self.root.cert.der()
    }

    pub(crate) fn untrusted_root_pem(&self) -> String {
        self.untrusted_root.cert.pem()
    }

    pub(crate) fn intermediate_der(&self) -> &CertificateDer<'static> {
        self.intermediate.cert.der()
    }

    pub(crate) fn untrusted_intermediate_der(&self) -> &CertificateDer<'static> {
        self.untrusted_intermediate.cert.der()
    }

    /// The URL a leaf's AIA `caIssuers` names for the given intermediate file.
    pub(crate) fn url(&self, file: &str) -> String {
        format!("http://pki.{}/{file}", self.domain)
    }

    /// The OCSP responder the trusted intermediate's leaves name: `responder` 0 is
    /// `ocsp.<domain>`, 1 `ocsp2.<domain>` and so on (see [`ocsp_host`]).
    pub(crate) fn ocsp_url(&self, responder: usize) -> String {
        format!("http://{}/", ocsp_host(&self.domain, responder))
    }

    /// The issuer OCSP answers about the intermediate's leaves come from.
    pub(crate) fn intermediate_issuer_key(&self) -> Result<IssuerKey, PkiError> {
        Ok(IssuerKey::from_certificate(self.intermediate_der())?)
    }

    /// Signers of OCSP answers: the intermediate itself, and its delegated responder
    /// (whose certificate goes along with every answer it signs).
    pub(crate) fn ocsp_signers(&self) -> Result<(Signer, Signer), PkiError> {
        let signer = |ca: &Ca, include: bool| {
            Signer::new(
                &self.provider,
                ca.key.serialize_der(),
                ca.cert.der(),
                include,
            )
        };
        Ok((
            signer(&self.intermediate, false)?,
            signer(&self.ocsp_delegate, true)?,
        ))
    }

    /// Issues the leaf `kind` describes for `host`, naming the first OCSP responder.
    pub(crate) fn issue(&self, host: &str, kind: CertKind) -> Result<IssuedLeaf, PkiError> {
        self.issue_for_responder(host, kind, 0)
    }

    /// [`Pki::issue`], naming OCSP responder `responder` (see [`Pki::ocsp_url`]).
    pub(crate) fn issue_for_responder(
        &self,
        host: &str,
        kind: CertKind,
        responder: usize,
    ) -> Result<IssuedLeaf, PkiError> {
        let now = OffsetDateTime::now_utc();
        let days = Duration::days;
        let (not_before, not_after) = match kind {
            CertKind::Expired => (now - days(100), now - days(10)),
            CertKind::NotYetValid => (now + days(10), now + days(100)),
            CertKind::ExpiringSoon => (now - days(80), now + days(10)),
            _ => (now - days(BACKDATE_DAYS), now + days(90)),
        };
        let san = if kind == CertKind::WrongHost {
            WRONG_HOST_SAN
        } else {
            host
        };
        let mut params = CertificateParams::new(vec![san.to_string()])?;
        params.distinguished_name.push(DnType::CommonName, san);
        params.not_before = not_before;
        params.not_after = not_after;
        let serial = random_serial();
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = kind != CertKind::SelfSigned;

        let sha1_ca = match kind {
            CertKind::WeakSignature => Some(self.sha1_ca()?),
            _ => None,
        };
        let issuer = match (kind, &sha1_ca) {
            (CertKind::UntrustedRoot, _) => {
                Some((&self.untrusted_intermediate, "untrusted-intermediate"))
            }
            (CertKind::SelfSigned, _) => None,
            (_, Some(sha1)) => Some((&sha1.ca, "sha1")),
            _ => Some((&self.intermediate, "intermediate")),
        };
        let by_intermediate = matches!(issuer, Some((_, "intermediate")));
        // The SHA-1 CA publishes no CRL and no certificate file: its leaves name none.
        if let Some((_, file)) = issuer.filter(|(_, file)| *file != "sha1") {
            params.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![self.url(&format!("{file}.crl"))],
            }];
            let ocsp = by_intermediate.then(|| self.ocsp_url(responder));
            params.custom_extensions = vec![aia_extension(
                &self.url(&format!("{file}.der")),
                ocsp.as_deref(),
            )];
        }

        let mut key_pkcs8 = None;
        let (leaf, key): (rcgen::Certificate, Arc<dyn SigningKey>) = if kind == CertKind::WeakKey {
            let rsa = WeakRsaKey::generate()?;
            let ca = &self.intermediate;
            (params.signed_by(&rsa, &ca.cert, &ca.key)?, Arc::new(rsa))
        } else {
            let key_pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
            key_pkcs8 = Some(key_pair.serialize_der());
            let pkcs8 = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
            let signing = self.provider.key_provider.load_private_key(pkcs8)?;
            let leaf = match issuer {
                Some((ca, _)) => params.signed_by(&key_pair, &ca.cert, &ca.key)?,
                None => params.self_signed(&key_pair)?,
            };
            (leaf, signing)
        };

        let leaf_der = match &sha1_ca {
            Some(sha1) => CertificateDer::from(resign_sha1(leaf.der(), &sha1.rsa)?),
            None => leaf.der().clone(),
        };
        let mut chain = vec![leaf_der];
        match (kind, &sha1_ca) {
            (CertKind::SelfSigned | CertKind::MissingIntermediate, _) => {}
            (CertKind::UntrustedRoot, _) => chain.push(self.untrusted_intermediate_der().clone()),
            (_, Some(sha1)) => chain.push(sha1.ca.cert.der().clone()),
            _ => chain.push(self.intermediate_der().clone()),
        }
        Ok(IssuedLeaf {
            chain,
            key,
            serial,
            by_intermediate,
            key_pkcs8,
        })
    }

    /// The trusted intermediate's CRL (DER) listing `revoked` serials.
    pub(crate) fn intermediate_crl(&self, revoked: &[Vec<u8>]) -> Result<Vec<u8>, PkiError> {
        crl(&self.intermediate, revoked)
    }

    /// The untrusted intermediate's (empty) CRL, so its leaves' CRL URL also answers.
    pub(crate) fn untrusted_intermediate_crl(&self) -> Result<Vec<u8>, PkiError> {
        crl(&self.untrusted_intermediate, &[])
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "trustlabel test fleet");
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.key_identifier_method = KeyIdMethod::Sha256;
    params
}

fn new_root(name: &str) -> Result<Ca, PkiError> {
    let mut params = ca_params(name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = params.self_signed(&key)?;
    Ok(Ca { cert, key })
}

fn new_intermediate(name: &str, root: &Ca) -> Result<Ca, PkiError> {
    let mut params = ca_params(name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = params.signed_by(&key, &root.cert, &root.key)?;
    Ok(Ca { cert, key })
}

/// An intermediate of `root` with a 2048-bit RSA key (rcgen signs with it through ring
/// as sha256WithRSAEncryption; `sha1_sign` re-signs its leaves with SHA-1).
fn new_sha1_ca(root: &Ca) -> Result<Sha1Ca, PkiError> {
    use rsa::pkcs8::EncodePrivateKey;
    let rsa = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .map_err(|e| PkiError::WeakKey(WeakKeyError::Generate(e)))?;
    let pkcs8 = rsa
        .to_pkcs8_der()
        .map_err(|e| PkiError::RsaEncoding(e.to_string()))?;
    let key = KeyPair::from_pkcs8_der_and_sign_algo(
        &PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
        &rcgen::PKCS_RSA_SHA256,
    )?;
    let mut params = ca_params("trustlabel fleet SHA-1 intermediate");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &root.cert, &root.key)?;
    Ok(Sha1Ca {
        ca: Ca { cert, key },
        rsa,
    })
}

/// An end-entity certificate for signing OCSP answers on the intermediate's behalf.
fn new_ocsp_delegate(intermediate: &Ca) -> Result<Ca, PkiError> {
    let mut params = ca_params("trustlabel fleet OCSP responder");
    params.is_ca = IsCa::ExplicitNoCa;
    params.not_after = OffsetDateTime::now_utc() + Duration::days(90);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = params.signed_by(&key, &intermediate.cert, &intermediate.key)?;
    Ok(Ca { cert, key })
}

fn crl(ca: &Ca, revoked: &[Vec<u8>]) -> Result<Vec<u8>, PkiError> {
    let now = OffsetDateTime::now_utc();
    let params = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(7),
        crl_number: SerialNumber::from_slice(&[1]),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: now - REVOKED_DAYS_AGO,
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(&ca.cert, &ca.key)?.der().to_vec())
}

/// 16 random bytes, positive and without a leading zero byte, so the DER INTEGER is the
/// same bytes a parser hands back (the CRL test compares them directly).
fn random_serial() -> Vec<u8> {
    let mut serial: [u8; 16] = rand::random();
    serial[0] = (serial[0] & 0x7f) | 0x40;
    serial.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};

    fn pki() -> Pki {
        Pki::new(
            "demo.test",
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .unwrap()
    }

    fn dns_names(cert: &X509Certificate<'_>) -> Vec<String> {
        let san = cert.subject_alternative_name().unwrap().unwrap();
        san.value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(d.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn leaf_validity_and_names_match_their_kind() {
        let pki = pki();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let day = 86_400;
        for (kind, starts_before_now, ends_in_days) in [
            (CertKind::Good, true, 90),
            (CertKind::Expired, true, -10),
            (CertKind::NotYetValid, false, 100),
            (CertKind::ExpiringSoon, true, 10),
        ] {
            let issued = pki.issue("site.demo.test", kind).unwrap();
            let (_, cert) = X509Certificate::from_der(issued.leaf()).unwrap();
            let validity = cert.validity();
            assert_eq!(
                validity.not_before.timestamp() < now,
                starts_before_now,
                "{kind:?}"
            );
            let ends = (validity.not_after.timestamp() - now) as f64 / day as f64;
            assert!(
                (ends - ends_in_days as f64).abs() < 0.01,
                "{kind:?}: {ends}"
            );
            assert_eq!(dns_names(&cert), ["site.demo.test"], "{kind:?}");
        }
        let wrong = pki.issue("site.demo.test", CertKind::WrongHost).unwrap();
        let (_, cert) = X509Certificate::from_der(wrong.leaf()).unwrap();
        assert_eq!(dns_names(&cert), [WRONG_HOST_SAN]);
    }

    #[test]
    fn chains_and_issuers_match_their_kind() {
        let pki = pki();
        let (_, intermediate) = X509Certificate::from_der(pki.intermediate_der()).unwrap();
        let (_, untrusted) = X509Certificate::from_der(pki.untrusted_intermediate_der()).unwrap();
        let (_, root) = X509Certificate::from_der(pki.root_der()).unwrap();
        intermediate
            .verify_signature(Some(root.public_key()))
            .unwrap();
        for (kind, chain_len) in [
            (CertKind::Good, 2),
            (CertKind::MissingIntermediate, 1),
            (CertKind::SelfSigned, 1),
            (CertKind::UntrustedRoot, 2),
            (CertKind::WeakKey, 2),
            (CertKind::WeakSignature, 2),
        ] {
            let issued = pki.issue("site.demo.test", kind).unwrap();
            assert_eq!(issued.chain.len(), chain_len, "{kind:?}");
            let (_, leaf) = X509Certificate::from_der(issued.leaf()).unwrap();
            let sent_issuer = issued
                .chain
                .get(1)
                .map(|der| X509Certificate::from_der(der).unwrap().1);
            let signer = match kind {
                CertKind::SelfSigned => leaf.public_key(),
                CertKind::UntrustedRoot => untrusted.public_key(),
                CertKind::WeakSignature => sent_issuer.as_ref().unwrap().public_key(),
                _ => intermediate.public_key(),
            };
            leaf.verify_signature(Some(signer)).unwrap();
            assert_eq!(leaf.raw_serial(), issued.serial.as_slice());
            let sha1 = leaf.signature_algorithm.algorithm.to_id_string() == "1.2.840.113549.1.1.5";
            assert_eq!(sha1, kind == CertKind::WeakSignature, "{kind:?}");
            assert_eq!(
                leaf.tbs_certificate.signature.algorithm, leaf.signature_algorithm.algorithm,
                "{kind:?}: the TBS names the algorithm the certificate is signed with"
            );
        }
        // The SHA-1 CA is certified by the trusted root.
        let weak = pki
            .issue("sha1.demo.test", CertKind::WeakSignature)
            .unwrap();
        let (_, sha1_ca) = X509Certificate::from_der(&weak.chain[1]).unwrap();
        sha1_ca.verify_signature(Some(root.public_key())).unwrap();
        let weak = pki.issue("weak.demo.test", CertKind::WeakKey).unwrap();
        let (_, leaf) = X509Certificate::from_der(weak.leaf()).unwrap();
        match leaf.public_key().parsed().unwrap() {
            x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 1024),
            other => panic!("expected RSA, got {other:?}"),
        }
    }

    #[test]
    fn leaves_point_at_the_pki_host() {
        let issued = pki().issue("site.demo.test", CertKind::Good).unwrap();
        let (_, leaf) = X509Certificate::from_der(issued.leaf()).unwrap();
        let mut crl_urls = Vec::new();
        let mut aia_urls = Vec::new();
        for ext in leaf.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CRLDistributionPoints(points) => {
                    for point in points.iter() {
                        if let Some(x509_parser::extensions::DistributionPointName::FullName(
                            names,
                        )) = &point.distribution_point
                        {
                            for name in names {
                                if let GeneralName::URI(uri) = name {
                                    crl_urls.push(uri.to_string());
                                }
                            }
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for desc in &aia.accessdescs {
                        if let GeneralName::URI(uri) = desc.access_location {
                            aia_urls.push(uri.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(crl_urls, ["http://pki.demo.test/intermediate.crl"]);
        assert_eq!(
            aia_urls,
            [
                "http://pki.demo.test/intermediate.der",
                "http://ocsp.demo.test/"
            ]
        );
    }
}
