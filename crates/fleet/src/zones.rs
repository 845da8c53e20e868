//! The fleet's DNS zones: the records its DNS server serves besides the sites' addresses
//! (mail, CAA, name servers, TLSA), signed with the core's Ed25519 signer so scans of the
//! fleet walk a real chain of trust from the fleet's own trust anchors.
//!
//! Zones must not nest. An anchored zone (the default) is delegated from a signed parent
//! zone the fleet builds for it (`test.` for `example.test`), with a DS record when the
//! zone is signed; the parents are the trust anchors scanners of the fleet are given, so
//! a signed zone validates, an unsigned one is a proven insecure delegation and one with
//! expired signatures is bogus. An unanchored zone has no parent: no anchor covers it.
//! The fleet's default zone is the registrable domain of its domain, with the records of
//! a well-run domain that sends and receives no mail.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use trustlabel_core::dns::dnssec::TrustAnchor;
use trustlabel_core::dns::dnssec::sign::{AuthZone, ZoneSigner};
use trustlabel_core::dns::wire::{CLASS_IN, Tlsa};
use trustlabel_core::dns::{Name, RData, RType, Record};

/// A record the fleet's DNS server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRecord {
    pub name: String,
    pub data: RecordData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Ns(String),
    Mx {
        preference: u16,
        exchange: String,
    },
    /// One TXT record; longer than 255 bytes it is split into strings.
    Txt(String),
    Caa {
        flags: u8,
        tag: String,
        value: String,
    },
    Tlsa(Tlsa),
}

impl ZoneRecord {
    pub fn new(name: &str, data: RecordData) -> ZoneRecord {
        ZoneRecord {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            data,
        }
    }

    pub fn txt(name: &str, text: &str) -> ZoneRecord {
        ZoneRecord::new(name, RecordData::Txt(text.to_string()))
    }

    pub fn mx(name: &str, preference: u16, exchange: &str) -> ZoneRecord {
        ZoneRecord::new(
            name,
            RecordData::Mx {
                preference,
                exchange: exchange.to_string(),
            },
        )
    }

    pub fn caa_issue(name: &str, issuer: &str) -> ZoneRecord {
        ZoneRecord::new(
            name,
            RecordData::Caa {
                flags: 0,
                tag: "issue".into(),
                value: issuer.to_string(),
            },
        )
    }

    /// The record on the wire, `None` when a name in it is not a valid domain name.
    pub fn to_record(&self) -> Option<Record> {
        let name = Name::parse(&self.name).ok()?;
        let (rtype, rdata) = match &self.data {
            RecordData::A(ip) => (RType::A, RData::A(*ip)),
            RecordData::Aaaa(ip) => (RType::AAAA, RData::Aaaa(*ip)),
            RecordData::Cname(target) => (RType::CNAME, RData::Name(Name::parse(target).ok()?)),
            RecordData::Ns(target) => (RType::NS, RData::Name(Name::parse(target).ok()?)),
            RecordData::Mx {
                preference,
                exchange,
            } => (
                RType::MX,
                RData::Mx {
                    preference: *preference,
                    exchange: Name::parse(exchange).ok()?,
                },
            ),
            RecordData::Txt(text) => (
                RType::TXT,
                RData::Txt(text.as_bytes().chunks(255).map(<[u8]>::to_vec).collect()),
            ),
            RecordData::Caa { flags, tag, value } => (
                RType::CAA,
                RData::Caa {
                    flags: *flags,
                    tag: tag.as_bytes().to_vec(),
                    value: value.as_bytes().to_vec(),
                },
            ),
            RecordData::Tlsa(t) => (RType::TLSA, RData::Tlsa(t.clone())),
        };
        Some(Record {
            name,
            rtype,
            class: CLASS_IN,
            ttl: 60,
            rdata,
        })
    }

    /// The record in zone-file form, for other DNS servers (the tests' NSD).
    pub fn to_zone_line(&self) -> Option<String> {
        self.to_record().map(|r| r.to_text())
    }
}

/// How a zone is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signing {
    #[default]
    Signed,
    /// Signatures that expired yesterday: validating resolvers refuse the zone.
    Expired,
    Unsigned,
}

/// What a zone says about mail before its own records are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailDefaults {
    /// Null MX, SPF `-all`, DMARC `p=reject`: a domain that sends and receives no mail,
    /// which the mail checks accept as it is.
    #[default]
    NonSending,
    /// Nothing: the zone's records say everything.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    pub apex: String,
    pub signing: Signing,
    pub mail: MailDefaults,
    /// A CAA record allowing the fleet's CA (whose identity is the registrable domain of
    /// its OCSP URL).
    pub caa: bool,
    pub records: Vec<ZoneRecord>,
    /// Delegated from a signed parent that is a trust anchor (see the module notes).
    pub anchored: bool,
    /// The zone's name server instead of the fleet's `ns1.<domain>` (which answers over
    /// IPv4 and IPv6); the fleet gives it the DNS server's IPv4 address only.
    pub name_server: Option<String>,
}

impl ZoneSpec {
    /// A signed zone with the defaults of a well-run domain that sends no mail.
    pub fn new(apex: &str) -> ZoneSpec {
        ZoneSpec {
            apex: apex.trim_end_matches('.').to_ascii_lowercase(),
            signing: Signing::Signed,
            mail: MailDefaults::NonSending,
            caa: true,
            records: Vec::new(),
            anchored: true,
            name_server: None,
        }
    }

    /// No parent zone and so no trust anchor covers it.
    pub fn unanchored(mut self) -> ZoneSpec {
        self.anchored = false;
        self
    }

    pub fn with_name_server(mut self, host: &str) -> ZoneSpec {
        self.name_server = Some(host.trim_end_matches('.').to_ascii_lowercase());
        self
    }

    pub fn with_signing(mut self, signing: Signing) -> ZoneSpec {
        self.signing = signing;
        self
    }

    pub fn with_mail(mut self, mail: MailDefaults) -> ZoneSpec {
        self.mail = mail;
        self
    }

    pub fn without_caa(mut self) -> ZoneSpec {
        self.caa = false;
        self
    }

    pub fn with_record(mut self, record: ZoneRecord) -> ZoneSpec {
        self.records.push(record);
        self
    }

    pub fn with_records(mut self, records: impl IntoIterator<Item = ZoneRecord>) -> ZoneSpec {
        self.records.extend(records);
        self
    }

    /// Every record of the zone: the defaults, then its own.
    pub(crate) fn all_records(&self, ca_identity: &str, ns_host: &str) -> Vec<ZoneRecord> {
        let apex = &self.apex;
        let mut out = vec![ZoneRecord::new(apex, RecordData::Ns(ns_host.to_string()))];
        if self.caa {
            out.push(ZoneRecord::caa_issue(apex, ca_identity));
        }
        if self.mail == MailDefaults::NonSending {
            out.push(ZoneRecord::mx(apex, 0, "."));
            out.push(ZoneRecord::txt(apex, "v=spf1 -all"));
            out.push(ZoneRecord::txt(
                &format!("_dmarc.{apex}"),
                "v=DMARC1; p=reject;",
            ));
        }
        out.extend(self.records.iter().cloned());
        out
    }
}

/// Deterministic key seeds for a zone (the fleet is rebuilt identically every start).
fn seeds(apex: &str) -> ([u8; 32], [u8; 32]) {
    use sha2::{Digest, Sha256};
    let ksk = Sha256::digest(format!("trustlabel fleet KSK {apex}"));
    let zsk = Sha256::digest(format!("trustlabel fleet ZSK {apex}"));
    (ksk.into(), zsk.into())
}

/// A zone built for serving: the core's authoritative answerer.
pub(crate) fn build(spec: &ZoneSpec, records: Vec<Record>) -> Option<AuthZone> {
    let apex = Name::parse(&spec.apex).ok()?;
    let signer = match spec.signing {
        Signing::Unsigned => None,
        Signing::Signed | Signing::Expired => {
            let (ksk, zsk) = seeds(&spec.apex);
            ZoneSigner::from_seeds(apex.clone(), ksk, zsk).ok()
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let day = 86_400;
    let validity = match spec.signing {
        Signing::Expired => (now - 10 * day, now - day),
        _ => (now - day, now + 30 * day),
    };
    Some(AuthZone::new(
        apex,
        signer,
        records,
        (validity.0 as u32, validity.1 as u32),
    ))
}

/// The trust anchor of a signed zone.
pub(crate) fn anchor(zone: &AuthZone) -> Option<TrustAnchor> {
    zone.signer().map(|signer| TrustAnchor {
        zone: zone.apex().clone(),
        ds: vec![signer.ds()],
        keys: vec![],
    })
}

fn record(name: Name, rtype: RType, rdata: RData) -> Record {
    Record {
        name,
        rtype,
        class: CLASS_IN,
        ttl: 60,
        rdata,
    }
}

/// Every zone ready to serve, with the signed parents of the anchored ones, and the
/// parents' trust anchors. `a_names` are the fleet's names with their IPv4 address and
/// `ipv6_hosts` those that answer over IPv6 too, with their IPv6 address: each zone gets
/// the ones below its apex.
pub(crate) fn build_all(
    specs: &[ZoneSpec],
    a_names: &[(String, Ipv4Addr)],
    ipv6_hosts: &[(String, Ipv6Addr)],
    ca_identity: &str,
    ns_host: &str,
) -> (Vec<AuthZone>, Vec<TrustAnchor>) {
    let mut built = Vec::new();
    let mut parents: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for spec in specs {
        let Ok(apex) = Name::parse(&spec.apex) else {
            continue;
        };
        let ns = spec
            .name_server
            .clone()
            .unwrap_or_else(|| ns_host.to_string());
        let mut records: Vec<Record> = spec
            .all_records(ca_identity, &ns)
            .iter()
            .filter_map(ZoneRecord::to_record)
            .collect();
        for (name, ip) in a_names {
            if let Ok(n) = Name::parse(name) {
                if n.is_subdomain_of(&apex) {
                    records.push(record(n, RType::A, RData::A(*ip)));
                }
            }
        }
        for (host, ip) in ipv6_hosts {
            if let Ok(n) = Name::parse(host) {
                if n.is_subdomain_of(&apex) {
                    records.push(record(n, RType::AAAA, RData::Aaaa(*ip)));
                }
            }
        }
        let Some(zone) = build(spec, records) else {
            continue;
        };
        if let (true, Some(parent), Ok(ns)) = (spec.anchored, apex.parent(), Name::parse(&ns)) {
            if !parent.is_root() {
                let delegation = parents.entry(parent.to_host()).or_default();
                delegation.push(record(apex.clone(), RType::NS, RData::Name(ns)));
                if let Some(signer) = zone.signer() {
                    delegation.push(record(apex.clone(), RType::DS, RData::Ds(signer.ds())));
                }
            }
        }
        built.push(zone);
    }
    let mut anchors = Vec::new();
    for (apex, delegations) in parents {
        if specs.iter().any(|s| s.apex == apex) {
            continue; // zones do not nest
        }
        let spec = ZoneSpec {
            mail: MailDefaults::None,
            caa: false,
            anchored: false,
            ..ZoneSpec::new(&apex)
        };
        let mut records: Vec<Record> = spec
            .all_records(ca_identity, ns_host)
            .iter()
            .filter_map(ZoneRecord::to_record)
            .collect();
        records.extend(delegations);
        if let Some(zone) = build(&spec, records) {
            anchors.extend(anchor(&zone));
            built.push(zone);
        }
    }
    (built, anchors)
}
