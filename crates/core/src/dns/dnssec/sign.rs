//! A small Ed25519 zone signer: the test fleet's DNS server signs its zone with it (so
//! the demo and the benchmarks walk real chains of trust), and the validator's unit
//! tests build their zones with it.
//!
//! Pure and deterministic (Ed25519 needs no randomness; keys come from seeds). Because it
//! shares the canonical form with the validator, agreeing with it proves little on its
//! own: the validator is proven against zones signed by ldns and served by NSD, real
//! Debian software, in the integration tests (`tests/dnssec_nsd.rs`).

use super::crypto::{ds_for, key_tag, signed_data};
use crate::dns::name::Name;
use crate::dns::wire::{CLASS_IN, Dnskey, Ds, RData, RType, Record, Rrsig};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::collections::BTreeMap;

pub const ED25519: u8 = 15;

#[derive(Debug, thiserror::Error)]
#[error("bad Ed25519 seed")]
pub struct SignerError;

/// A zone with a key-signing key (which signs the DNSKEY set and is named by the
/// parent's DS) and a zone-signing key (which signs everything else).
pub struct ZoneSigner {
    zone: Name,
    ksk: Ed25519KeyPair,
    zsk: Ed25519KeyPair,
}

impl std::fmt::Debug for ZoneSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneSigner")
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

impl ZoneSigner {
    pub fn from_seeds(zone: Name, ksk: [u8; 32], zsk: [u8; 32]) -> Result<ZoneSigner, SignerError> {
        Ok(ZoneSigner {
            zone,
            ksk: Ed25519KeyPair::from_seed_unchecked(&ksk).map_err(|_| SignerError)?,
            zsk: Ed25519KeyPair::from_seed_unchecked(&zsk).map_err(|_| SignerError)?,
        })
    }

    pub fn zone(&self) -> &Name {
        &self.zone
    }

    fn key(pair: &Ed25519KeyPair, flags: u16) -> Dnskey {
        Dnskey {
            flags,
            protocol: 3,
            algorithm: ED25519,
            public_key: pair.public_key().as_ref().to_vec(),
        }
    }

    pub fn ksk(&self) -> Dnskey {
        ZoneSigner::key(&self.ksk, 257)
    }

    pub fn zsk(&self) -> Dnskey {
        ZoneSigner::key(&self.zsk, 256)
    }

    /// The DNSKEY set as records.
    pub fn dnskey_records(&self, ttl: u32) -> Vec<Record> {
        [self.ksk(), self.zsk()]
            .into_iter()
            .map(|key| Record {
                name: self.zone.clone(),
                rtype: RType::DNSKEY,
                class: CLASS_IN,
                ttl,
                rdata: RData::Dnskey(key),
            })
            .collect()
    }

    /// The DS record the parent publishes (or a validator is given as anchor).
    pub fn ds(&self) -> Ds {
        ds_for(&self.zone, &self.ksk())
    }

    /// An RRSIG over one record set (all `records` share owner and type): the DNSKEY set
    /// is signed with the KSK, everything else with the ZSK.
    pub fn sign(&self, records: &[Record], inception: u32, expiration: u32) -> Option<Record> {
        let first = records.first()?;
        let (pair, key) = if first.rtype == RType::DNSKEY {
            (&self.ksk, self.ksk())
        } else {
            (&self.zsk, self.zsk())
        };
        let owner = &first.name;
        let labels = owner.label_count() - usize::from(owner.is_wildcard());
        let mut sig = Rrsig {
            type_covered: first.rtype,
            algorithm: ED25519,
            labels: u8::try_from(labels).ok()?,
            original_ttl: first.ttl,
            expiration,
            inception,
            key_tag: key_tag(&key),
            signer: self.zone.clone(),
            signature: vec![],
        };
        let rdatas: Vec<Vec<u8>> = records.iter().map(|r| r.rdata.canonical()).collect();
        let data = signed_data(&sig, owner, first.rtype, &rdatas);
        sig.signature = pair.sign(&data).as_ref().to_vec();
        Some(Record {
            name: owner.clone(),
            rtype: RType::RRSIG,
            class: CLASS_IN,
            ttl: first.ttl,
            rdata: RData::Rrsig(sig),
        })
    }
}

/// The NSEC chain of a zone (RFC 4034 §4): `names` maps every owner name of the zone
/// (apex included) to the types it holds; RRSIG and NSEC are added to each bitmap.
pub fn nsec_chain(zone: &Name, names: &BTreeMap<Name, Vec<RType>>, ttl: u32) -> Vec<Record> {
    let mut owners: Vec<&Name> = names.keys().filter(|n| n.is_subdomain_of(zone)).collect();
    owners.sort();
    owners
        .iter()
        .enumerate()
        .map(|(i, owner)| {
            let next = owners.get(i + 1).copied().unwrap_or(zone);
            let mut types = names.get(*owner).cloned().unwrap_or_default();
            types.extend([RType::RRSIG, RType::NSEC]);
            types.sort();
            types.dedup();
            Record {
                name: (*owner).clone(),
                rtype: RType::NSEC,
                class: CLASS_IN,
                ttl,
                rdata: RData::Nsec {
                    next: next.clone(),
                    types,
                },
            }
        })
        .collect()
}

/// One zone's records as an authoritative server answers from them: signed on the fly
/// (with an NSEC chain for denials) when a signer is given, plain otherwise. Delegated
/// names (NS below the apex) get their DS set or an NSEC proving there is none; a
/// question at or below a delegation gets a referral.
#[derive(Debug)]
pub struct AuthZone {
    apex: Name,
    signer: Option<ZoneSigner>,
    sets: BTreeMap<(Name, RType), Vec<Record>>,
    nsec: BTreeMap<Name, Record>,
    /// Signature validity (RRSIG inception and expiration, 32-bit seconds).
    pub validity: (u32, u32),
}

/// The answer of an authoritative zone to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAnswer {
    pub rcode: crate::dns::wire::Rcode,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
}

impl AuthZone {
    /// `records` must all be at or below `apex`; a SOA and the DNSKEY set (when signed)
    /// are added here.
    pub fn new(
        apex: Name,
        signer: Option<ZoneSigner>,
        records: Vec<Record>,
        validity: (u32, u32),
    ) -> AuthZone {
        const TTL: u32 = 60;
        let mut sets: BTreeMap<(Name, RType), Vec<Record>> = BTreeMap::new();
        let soa = Record {
            name: apex.clone(),
            rtype: RType::SOA,
            class: CLASS_IN,
            ttl: TTL,
            rdata: RData::Soa(crate::dns::wire::Soa {
                mname: apex.child(b"ns").unwrap_or_else(|_| apex.clone()),
                rname: apex.child(b"hostmaster").unwrap_or_else(|_| apex.clone()),
                serial: 1,
                refresh: 3600,
                retry: 600,
                expire: 86400,
                minimum: TTL,
            }),
        };
        let keys = signer
            .as_ref()
            .map(|s| s.dnskey_records(TTL))
            .unwrap_or_default();
        for record in records.into_iter().chain([soa]).chain(keys) {
            if record.name.is_subdomain_of(&apex) {
                let set = sets.entry((record.name.clone(), record.rtype)).or_default();
                if !set.contains(&record) {
                    set.push(record);
                }
            }
        }
        let mut names: BTreeMap<Name, Vec<RType>> = BTreeMap::new();
        for (name, rtype) in sets.keys() {
            names.entry(name.clone()).or_default().push(*rtype);
        }
        let nsec = if signer.is_some() {
            nsec_chain(&apex, &names, TTL)
                .into_iter()
                .map(|r| (r.name.clone(), r))
                .collect()
        } else {
            BTreeMap::new()
        };
        AuthZone {
            apex,
            signer,
            sets,
            nsec,
            validity,
        }
    }

    pub fn apex(&self) -> &Name {
        &self.apex
    }

    pub fn signer(&self) -> Option<&ZoneSigner> {
        self.signer.as_ref()
    }

    /// The set plus its signature, when the zone is signed and DNSSEC was asked for.
    pub fn signed(&self, set: &[Record], dnssec: bool) -> Vec<Record> {
        let mut out = set.to_vec();
        if dnssec {
            if let Some(sig) = self
                .signer
                .as_ref()
                .and_then(|s| s.sign(set, self.validity.0, self.validity.1))
            {
                out.push(sig);
            }
        }
        out
    }

    /// The delegation point (NS below the apex) at or above `name`, if any.
    fn cut_above(&self, name: &Name) -> Option<Name> {
        let mut current = Some(name.clone());
        while let Some(n) = current {
            if n == self.apex {
                return None;
            }
            if self.sets.contains_key(&(n.clone(), RType::NS)) {
                return Some(n);
            }
            current = n.parent();
        }
        None
    }

    fn exists(&self, name: &Name) -> bool {
        self.sets
            .range((name.clone(), RType(0))..)
            .next()
            .is_some_and(|((n, _), _)| n.is_subdomain_of(name))
    }

    /// The NSEC proving `name` has no records of the asked type (its own) or does not
    /// exist (the one covering it).
    fn nsec_for(&self, name: &Name) -> Option<&Record> {
        self.nsec
            .get(name)
            .or_else(|| self.nsec.range(..name.clone()).next_back().map(|(_, r)| r))
            .or_else(|| self.nsec.values().next_back())
    }

    fn soa(&self, dnssec: bool) -> Vec<Record> {
        self.sets
            .get(&(self.apex.clone(), RType::SOA))
            .map(|set| self.signed(set, dnssec))
            .unwrap_or_default()
    }

    fn denial(&self, name: &Name, dnssec: bool, rcode: crate::dns::wire::Rcode) -> AuthAnswer {
        let mut authority = self.soa(dnssec);
        if dnssec {
            let mut proofs: Vec<&Record> = self.nsec_for(name).into_iter().collect();
            if rcode == crate::dns::wire::Rcode::NXDOMAIN {
                // RFC 4035 §3.1.3.2: also prove no wildcard could have matched.
                if let Ok(wildcard) = self.apex.child(b"*") {
                    if let Some(w) = self.nsec_for(&wildcard) {
                        if !proofs.contains(&w) {
                            proofs.push(w);
                        }
                    }
                }
            }
            for proof in proofs {
                authority.extend(self.signed(std::slice::from_ref(proof), true));
            }
        }
        AuthAnswer {
            rcode,
            answers: vec![],
            authority,
        }
    }

    /// Answers one question (the name must be at or below the apex).
    pub fn answer(&self, name: &Name, rtype: RType, dnssec: bool) -> AuthAnswer {
        use crate::dns::wire::Rcode;
        if let Some(cut) = self.cut_above(name) {
            if !(rtype == RType::DS && *name == cut) {
                // A referral: the child zone is served elsewhere.
                let mut authority = self.sets[&(cut.clone(), RType::NS)].clone();
                match self.sets.get(&(cut.clone(), RType::DS)) {
                    Some(ds) => authority.extend(self.signed(ds, dnssec)),
                    None if dnssec => {
                        if let Some(proof) = self.nsec.get(&cut) {
                            authority.extend(self.signed(std::slice::from_ref(proof), true));
                        }
                    }
                    None => {}
                }
                return AuthAnswer {
                    rcode: Rcode::NOERROR,
                    answers: vec![],
                    authority,
                };
            }
        }
        if let Some(set) = self.sets.get(&(name.clone(), rtype)) {
            return AuthAnswer {
                rcode: Rcode::NOERROR,
                answers: self.signed(set, dnssec),
                authority: vec![],
            };
        }
        if rtype != RType::DS {
            if let Some(cname) = self.sets.get(&(name.clone(), RType::CNAME)) {
                return AuthAnswer {
                    rcode: Rcode::NOERROR,
                    answers: self.signed(cname, dnssec),
                    authority: vec![],
                };
            }
        }
        if self.exists(name) {
            self.denial(name, dnssec, Rcode::NOERROR)
        } else {
            self.denial(name, dnssec, Rcode::NXDOMAIN)
        }
    }
}
