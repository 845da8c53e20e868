//! Hosts a scanned site points at: the links of its home page and the SANs of the
//! certificate it presented, under the discovery scope. A government portal links to its
//! agencies and a shared certificate names its siblings, which is how sites nobody
//! listed come to light without any extra request.

use super::names::DiscoveryScope;
use crate::evidence::{Evidence, TlsProbe};
use crate::page::PageFacts;

/// Where a host was seen on a scanned site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sighting {
    /// A link on the page at `page`.
    Link { host: String, page: String },
    /// A SAN of the leaf certificate `site` presented (`fingerprint`: SHA-256, hex).
    Certificate {
        host: String,
        site: String,
        fingerprint: String,
    },
}

impl Sighting {
    pub fn host(&self) -> &str {
        match self {
            Sighting::Link { host, .. } | Sighting::Certificate { host, .. } => host,
        }
    }
}

fn link_host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https")
        .then(|| parsed.host_str().map(str::to_string))
        .flatten()
}

/// Every in-scope host other than the scanned site itself, once per kind.
pub fn sightings(
    evidence: &Evidence,
    home: Option<&PageFacts>,
    scope: &DiscoveryScope,
) -> Vec<Sighting> {
    let site = evidence.host.as_str();
    let mut out: Vec<Sighting> = Vec::new();
    if let Some(page) = home {
        let hosts = scope.select(
            page.links
                .iter()
                .filter_map(|l| link_host(&l.url))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        out.extend(
            hosts
                .into_iter()
                .filter(|h| h != site)
                .map(|host| Sighting::Link {
                    host,
                    page: page.url.clone(),
                }),
        );
    }
    let leaf = match &evidence.tls {
        Some(TlsProbe::Established(session)) => session.chain.first(),
        Some(TlsProbe::HandshakeFailed { chain, .. }) => chain.first(),
        _ => None,
    };
    if let Some(cert) = leaf {
        let fingerprint = base64_sha256(&cert.der_base64);
        let names = cert
            .san_dns
            .iter()
            .chain(cert.common_name.iter())
            .map(String::as_str);
        for host in scope.select(names) {
            if host != site {
                out.push(Sighting::Certificate {
                    host,
                    site: site.to_string(),
                    fingerprint: fingerprint.clone(),
                });
            }
        }
    }
    out
}

fn base64_sha256(der_base64: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD
        .decode(der_base64)
        .map(|der| hex::encode(sha2::Sha256::digest(der)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence_with_https_headers, leaf};

    #[test]
    fn the_certificate_of_a_scanned_site_names_its_in_scope_siblings() {
        let mut evidence = evidence_with_https_headers(&[]);
        evidence.host = "portal.gov.vn".into();
        let mut cert = leaf("portal.gov.vn");
        cert.san_dns = vec![
            "portal.gov.vn".into(),
            "*.sibling.gov.vn".into(),
            "www.shop.example".into(),
        ];
        evidence.tls = Some(TlsProbe::HandshakeFailed {
            message: String::new(),
            timed_out: false,
            chain: vec![cert],
        });
        let scope = DiscoveryScope::new(&["gov.vn"]).unwrap();
        let seen = sightings(&evidence, None, &scope);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(matches!(
            &seen[0],
            Sighting::Certificate { host, site, .. } if host == "sibling.gov.vn" && site == "portal.gov.vn"
        ));
    }
}
