//! Revocation through OCSP (RFC 6960): the answer the server stapled, else the CA's
//! responder named in the leaf's AIA extension. The wire code and the judgement are
//! sans-I/O in `trustlabel_core::ocsp`; this is the fetching and caching around them.
//!
//! An answer counts only when it is provably the CA's and about this certificate (see
//! [`trustlabel_core::ocsp::judge`]); the issuer it is checked against comes from the path the verifier built,
//! never from what the server claims. Anything else (stale, unsigned, about another
//! serial, a responder that is down) is written into the evidence as an attempt, and the
//! collector falls back to the CRL; "good" is never guessed.
//!
//! Responses are cached per (responder URL, CertID) for a bounded time, so the many
//! sites that share one wildcard certificate, and a re-scan within the hour, cost the CA
//! one query. CA responders are built for browser-scale load, so they have their own
//! politeness budget (`CollectorSettings::per_responder`) instead of the per-site one,
//! which would otherwise throttle a whole scan behind one CA.

use super::Collector;
use super::http::{FetchSettings, Payload};
use super::politeness::Politeness;
use super::slots::TimedSlots;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::CertificateDer;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::time::Instant;
use trustlabel_core::evidence::{CertificateInfo, Revocation, RevocationSource};
use trustlabel_core::ocsp::{
    CertId, CertIdHash, IssuerKey, OcspAnswer, REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE,
    encode_request, judge,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Largest OCSP response read. Real ones are a few kilobytes, with a delegated
/// responder's certificate included.
pub const RESPONSE_CAP: usize = 64 * 1024;
/// How long a responder's answer is reused (it is re-judged, freshness included, at
/// every use).
const CACHE_TTL: Duration = Duration::from_secs(3600);
const CACHE_ENTRIES: usize = 4096;
/// A certificate naming more responders than this is asked only at the first ones.
const MAX_RESPONDERS: usize = 3;

/// The collector's OCSP state: cached answers, fetch limits and the responders' budget.
pub struct OcspClient {
    cache: TimedSlots<(String, Vec<u8>), Vec<u8>>,
    fetch: FetchSettings,
    politeness: Politeness,
}

impl OcspClient {
    pub fn new(fetch: FetchSettings, politeness: Politeness) -> Self {
        OcspClient {
            cache: TimedSlots::new(CACHE_TTL, CACHE_ENTRIES),
            fetch,
            politeness,
        }
    }
}

impl Collector {
    /// The OCSP part of the revocation check: the staple, then each responder the leaf
    /// names. `None` when none of them gave a usable answer; why is added to `attempts`.
    pub(super) async fn ocsp_status(
        &self,
        leaf: &CertificateInfo,
        staple_base64: Option<&str>,
        chain_der: &[CertificateDer<'static>],
        extra: &[CertificateDer<'static>],
        deadline: Instant,
        attempts: &mut Vec<String>,
    ) -> Option<Revocation> {
        if staple_base64.is_none() && leaf.aia_ocsp.is_empty() {
            attempts.push("no OCSP staple, and the certificate names no OCSP responder".into());
            return None;
        }
        let (id, issuer) = match self.ocsp_subject(chain_der, extra) {
            Ok(subject) => subject,
            Err(why) => {
                attempts.push(format!("OCSP: {why}"));
                return None;
            }
        };
        if let Some(staple) = staple_base64 {
            let answer = match STANDARD.decode(staple) {
                Ok(der) => judge(&der, &id, &issuer, OffsetDateTime::now_utc()),
                Err(e) => OcspAnswer::Unknown(format!("not base64: {e}")),
            };
            match decided(answer, RevocationSource::OcspStaple) {
                Ok(revocation) => return Some(revocation),
                Err(why) => attempts.push(format!("stapled OCSP response: {why}")),
            }
        }
        for url in leaf.aia_ocsp.iter().take(MAX_RESPONDERS) {
            let answer = match self.ask_responder(url, &id, &issuer, deadline).await {
                Ok(der) => judge(&der, &id, &issuer, OffsetDateTime::now_utc()),
                Err(why) => OcspAnswer::Unknown(why),
            };
            let source = RevocationSource::OcspResponder { url: url.clone() };
            match decided(answer, source) {
                Ok(revocation) => return Some(revocation),
                Err(why) => attempts.push(format!("{url}: {why}")),
            }
        }
        None
    }

    /// The leaf's CertID and the issuer an answer must come from.
    fn ocsp_subject(
        &self,
        chain_der: &[CertificateDer<'static>],
        extra: &[CertificateDer<'static>],
    ) -> Result<(CertId, IssuerKey), String> {
        let leaf = chain_der.first().ok_or("no certificate")?;
        let spki_der = self
            .tls
            .issuer_spki(chain_der, extra)
            .map_err(|e| format!("no trusted issuer to check an answer against ({e:?})"))?;
        let (_, cert) =
            X509Certificate::from_der(leaf).map_err(|e| format!("unreadable certificate: {e}"))?;
        let issuer = IssuerKey {
            name_der: cert.issuer().as_raw().to_vec(),
            spki_der,
        };
        let id =
            CertId::new(CertIdHash::Sha1, &issuer, cert.raw_serial()).map_err(|e| e.to_string())?;
        Ok((id, issuer))
    }

    /// POSTs the request to `url`, or reuses a recent answer. Only a response that
    /// decides something is cached, so a responder that said "try later" is asked again
    /// by the next scan.
    async fn ask_responder(
        &self,
        url: &str,
        id: &CertId,
        issuer: &IssuerKey,
        deadline: Instant,
    ) -> Result<Vec<u8>, String> {
        if !url.starts_with("http://") {
            return Err("only http:// responders are asked (RFC 6960 Appendix A)".into());
        }
        let request = encode_request(id);
        let slot = self.ocsp.cache.slot(&(url.to_string(), request.clone()));
        // Half of the time left is kept for the CRL, should the responder not answer.
        let now = Instant::now();
        let budget = now + deadline.saturating_duration_since(now) / 2;
        let payload = Payload {
            content_type: REQUEST_MEDIA_TYPE,
            accept: RESPONSE_MEDIA_TYPE,
            body: request.into(),
        };
        slot.get_or_try_init(|| async {
            let der = self
                .transfer(
                    url,
                    &self.ocsp.fetch,
                    &self.ocsp.politeness,
                    Some(&payload),
                    budget,
                )
                .await?;
            match judge(&der, id, issuer, OffsetDateTime::now_utc()) {
                OcspAnswer::Unknown(why) => Err(why),
                _ => Ok(der),
            }
        })
        .await
        .cloned()
    }
}

/// The evidence value of a deciding answer, or why the answer decides nothing.
fn decided(answer: OcspAnswer, source: RevocationSource) -> Result<Revocation, String> {
    match answer {
        OcspAnswer::Good => Ok(Revocation::Good { source }),
        OcspAnswer::Revoked { at, reason } => Ok(Revocation::Revoked {
            source,
            revoked_at: Some(at),
            reason,
        }),
        OcspAnswer::Unknown(why) => Err(why),
    }
}
