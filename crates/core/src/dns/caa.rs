//! CAA (RFC 8659): which certificate authorities a domain allows to issue for it, and
//! whether that includes the CA that issued the certificate the site serves. A CAA set
//! that leaves out the site's own CA means its next renewal will be refused.

use serde::{Deserialize, Serialize};

/// One CAA record as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaRecord {
    pub flags: u8,
    pub tag: String,
    pub value: String,
}

impl CaaRecord {
    pub fn critical(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// The issuer domain of an `issue`/`issuewild` value (empty: nobody may issue).
    pub fn issuer(&self) -> String {
        self.value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    }

    pub fn to_text(&self) -> String {
        format!("{} {} \"{}\"", self.flags, self.tag, self.value)
    }
}

/// What a CAA set says about a CA (known by its CAA identities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// No `issue` (or `issuewild` for a wildcard) property: any CA may issue.
    Unrestricted,
    Allowed {
        by: String,
    },
    /// The set names other CAs only (or none: `issue ";"`).
    Refused {
        listed: Vec<String>,
    },
    /// A critical property this checker does not know forbids all issuance (§4).
    UnknownCritical {
        tag: String,
    },
}

const KNOWN_TAGS: [&str; 5] = ["issue", "issuewild", "iodef", "issuemail", "contactemail"];

/// Whether `records` (the relevant set of RFC 8659 §3) let a CA with these identities
/// issue a certificate (`wildcard`: for a wildcard name).
pub fn permission(records: &[CaaRecord], identities: &[String], wildcard: bool) -> Permission {
    if let Some(unknown) = records
        .iter()
        .find(|r| r.critical() && !KNOWN_TAGS.contains(&r.tag.to_ascii_lowercase().as_str()))
    {
        return Permission::UnknownCritical {
            tag: unknown.tag.clone(),
        };
    }
    let of = |tag: &str| -> Vec<&CaaRecord> {
        records
            .iter()
            .filter(|r| r.tag.eq_ignore_ascii_case(tag))
            .collect()
    };
    let wild = of("issuewild");
    let relevant = if wildcard && !wild.is_empty() {
        wild
    } else {
        of("issue")
    };
    if relevant.is_empty() {
        return Permission::Unrestricted;
    }
    for record in &relevant {
        let issuer = record.issuer();
        if !issuer.is_empty() && identities.contains(&issuer) {
            return Permission::Allowed {
                by: record.to_text(),
            };
        }
    }
    Permission::Refused {
        listed: relevant
            .iter()
            .map(|r| r.issuer())
            .filter(|i| !i.is_empty())
            .collect(),
    }
}

/// CAA identities of well-known CAs (as they publish them, and as CCADB lists them),
/// found by the domains of their OCSP and certificate URLs, whose names often differ
/// from the identity (Let's Encrypt answers at lencr.org).
const KNOWN_CAS: &[(&[&str], &[&str])] = &[
    (&["lencr.org", "letsencrypt.org"], &["letsencrypt.org"]),
    (
        &[
            "digicert.com",
            "digicert.cn",
            "thawte.com",
            "geotrust.com",
            "rapidssl.com",
            "symcd.com",
            "symcb.com",
        ],
        &[
            "digicert.com",
            "www.digicert.com",
            "thawte.com",
            "geotrust.com",
            "rapidssl.com",
            "symantec.com",
            "digicert.ne.jp",
        ],
    ),
    (
        &[
            "sectigo.com",
            "comodoca.com",
            "usertrust.com",
            "comodo.com",
            "trust-provider.com",
            "zerossl.com",
        ],
        &[
            "sectigo.com",
            "comodoca.com",
            "comodo.com",
            "usertrust.com",
            "trust-provider.com",
            "zerossl.com",
        ],
    ),
    (&["globalsign.com", "globalsign.net"], &["globalsign.com"]),
    (&["pki.goog"], &["pki.goog"]),
    (
        &["amazontrust.com", "amazonaws.com"],
        &[
            "amazon.com",
            "amazontrust.com",
            "awstrust.com",
            "amazonaws.com",
        ],
    ),
    (
        &["godaddy.com", "starfieldtech.com"],
        &["godaddy.com", "starfieldtech.com"],
    ),
    (&["entrust.net"], &["entrust.net", "affirmtrust.com"]),
    (&["buypass.com", "buypass.no"], &["buypass.com"]),
    (&["ssl.com"], &["ssl.com"]),
    (&["certum.pl"], &["certum.pl"]),
    (&["harica.gr"], &["harica.gr"]),
    (&["actalis.it"], &["actalis.it"]),
    (&["microsoft.com"], &["microsoft.com"]),
];

/// The CAA identities a certificate's issuer answers to: from the table of well-known
/// CAs by the domains of the issuer's URLs (OCSP, CA issuers, CRL), and otherwise those
/// URLs' registrable domains themselves. Empty when the certificate names no URL: then
/// nobody can tell whether a CAA set allows its CA.
pub fn ca_identities(urls: &[String]) -> Vec<String> {
    let mut identities: Vec<String> = Vec::new();
    for url in urls {
        let Some(host) = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        else {
            continue;
        };
        let Some(domain) = crate::domain::registrable_domain(&host) else {
            continue;
        };
        match KNOWN_CAS
            .iter()
            .find(|(domains, _)| domains.contains(&domain.as_str()))
        {
            Some((_, ids)) => identities.extend(ids.iter().map(|s| s.to_string())),
            None => identities.push(domain),
        }
    }
    identities.sort();
    identities.dedup();
    identities
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caa(flags: u8, tag: &str, value: &str) -> CaaRecord {
        CaaRecord {
            flags,
            tag: tag.into(),
            value: value.into(),
        }
    }

    #[test]
    fn issue_and_issuewild_decide_for_a_ca() {
        let le = ca_identities(&[
            "http://r11.o.lencr.org".into(),
            "http://r11.i.lencr.org/".into(),
        ]);
        assert_eq!(le, vec!["letsencrypt.org".to_string()]);
        let set = [
            caa(0, "issue", "letsencrypt.org"),
            caa(0, "iodef", "mailto:a@b.vn"),
        ];
        assert!(matches!(
            permission(&set, &le, false),
            Permission::Allowed { .. }
        ));
        let other = [caa(0, "issue", "digicert.com; cansignhttpexchanges=yes")];
        assert_eq!(
            permission(&other, &le, false),
            Permission::Refused {
                listed: vec!["digicert.com".into()]
            }
        );
        let nobody = [caa(0, "issue", ";")];
        assert_eq!(
            permission(&nobody, &le, false),
            Permission::Refused { listed: vec![] }
        );
        let wild = [caa(0, "issue", "letsencrypt.org"), caa(0, "issuewild", ";")];
        assert!(matches!(
            permission(&wild, &le, true),
            Permission::Refused { .. }
        ));
        assert!(matches!(
            permission(&wild, &le, false),
            Permission::Allowed { .. }
        ));
        assert_eq!(
            permission(&[caa(0, "iodef", "mailto:x@y")], &le, false),
            Permission::Unrestricted
        );
        assert!(matches!(
            permission(
                &[caa(128, "future", "x"), caa(0, "issue", "letsencrypt.org")],
                &le,
                false
            ),
            Permission::UnknownCritical { .. }
        ));
        assert_eq!(
            ca_identities(&["http://ocsp.fleet.test/".into()]),
            vec!["fleet.test".to_string()]
        );
        assert!(ca_identities(&[]).is_empty());
    }
}
