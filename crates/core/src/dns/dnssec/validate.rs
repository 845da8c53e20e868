//! Validating record sets and DNSKEY sets (RFC 4035 §5): which signature, made by which
//! key of which zone, and when validation fails, the one reason an owner can act on.

use super::crypto::{
    SigProblem, algorithm_supported, digest_supported, ds_matches, key_tag, verify_rrsig,
};
use crate::dns::name::Name;
use crate::dns::wire::{Dnskey, Ds, RData, RType, Record, Rrsig};

/// A zone whose DNSKEY set was validated from a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneKeys {
    pub zone: Name,
    /// The zone keys of its DNSKEY set (only these may sign its data).
    pub keys: Vec<Dnskey>,
}

/// How a record set fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetCheck {
    /// Signed by the zone with a key of its validated set.
    Secure {
        key_tag: u16,
        algorithm: u8,
        /// The wildcard the answer was expanded from, when it was.
        wildcard: Option<Name>,
    },
    /// Signed only with algorithms this validator does not know: to be treated as
    /// unsigned (RFC 4035 §5.2).
    Unsupported(String),
    /// Signed by a zone below the one validated: validate that zone first.
    DeeperSigner(Name),
    Bogus(String),
}

/// The records of one set in a section.
pub fn rrset<'a>(records: &'a [Record], owner: &Name, rtype: RType) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| r.rtype == rtype && r.name == *owner)
        .collect()
}

/// The RRSIGs in a section covering one set.
pub fn rrsigs_for<'a>(records: &'a [Record], owner: &Name, rtype: RType) -> Vec<&'a Rrsig> {
    records
        .iter()
        .filter(|r| r.name == *owner)
        .filter_map(|r| match &r.rdata {
            RData::Rrsig(sig) if sig.type_covered == rtype => Some(sig),
            _ => None,
        })
        .collect()
}

/// Validates one record set with the keys of `zone`: the first signature that verifies
/// decides; otherwise the most telling problem is the reason.
pub fn check_rrset(
    owner: &Name,
    records: &[&Record],
    sigs: &[&Rrsig],
    zone: &ZoneKeys,
    now: i64,
) -> SetCheck {
    let Some(first) = records.first() else {
        return SetCheck::Bogus(format!("no records at {owner}"));
    };
    let what = format!("the {} records of {owner}", first.rtype);
    if sigs.is_empty() {
        return SetCheck::Bogus(format!(
            "{what} carry no signature (RRSIG), though {} is signed",
            zone.zone
        ));
    }
    let mut problems: Vec<SigProblem> = Vec::new();
    let mut foreign: Option<&Name> = None;
    let mut supported_seen = false;
    for sig in sigs {
        if sig.signer != zone.zone {
            // A signer strictly between the zone and the owner is a zone not yet walked.
            if sig.signer.is_subdomain_of(&zone.zone) && owner.is_subdomain_of(&sig.signer) {
                return SetCheck::DeeperSigner(sig.signer.clone());
            }
            foreign.get_or_insert(&sig.signer);
            continue;
        }
        if !algorithm_supported(sig.algorithm) {
            continue;
        }
        supported_seen = true;
        let candidates: Vec<&Dnskey> = zone
            .keys
            .iter()
            .filter(|k| k.algorithm == sig.algorithm && key_tag(k) == sig.key_tag)
            .collect();
        if candidates.is_empty() {
            problems.push(SigProblem::Mismatch);
            continue;
        }
        for key in candidates {
            match verify_rrsig(sig, owner, records, key, now) {
                Ok(()) => {
                    let wildcard = (usize::from(sig.labels) < owner.label_count()).then(|| {
                        let base = owner.suffix(usize::from(sig.labels));
                        base.child(b"*").unwrap_or(base)
                    });
                    return SetCheck::Secure {
                        key_tag: sig.key_tag,
                        algorithm: sig.algorithm,
                        wildcard,
                    };
                }
                Err(problem) => problems.push(problem),
            }
        }
    }
    if !supported_seen {
        if let Some(signer) = foreign {
            return SetCheck::Bogus(format!(
                "{what} are signed by {signer}, not by their zone {}",
                zone.zone
            ));
        }
        let algorithms: Vec<String> = sigs.iter().map(|s| s.algorithm.to_string()).collect();
        return SetCheck::Unsupported(format!(
            "{what} are signed only with algorithms this validator does not support ({})",
            algorithms.join(", ")
        ));
    }
    SetCheck::Bogus(format!("{what}: {}", most_telling(&problems, sigs, zone)))
}

/// The problem an owner can act on first: an expired or not yet valid signature, then a
/// signature that does not verify, then a key that is missing.
fn most_telling(problems: &[SigProblem], sigs: &[&Rrsig], zone: &ZoneKeys) -> String {
    let rank = |p: &SigProblem| match p {
        SigProblem::Expired(_) | SigProblem::NotYetValid(_) => 0,
        SigProblem::BadSignature { .. } => 1,
        SigProblem::BadKey { .. } => 2,
        SigProblem::UnsupportedAlgorithm(_) => 3,
        SigProblem::Mismatch => 4,
    };
    match problems.iter().min_by_key(|p| rank(p)) {
        Some(SigProblem::Mismatch) | None => {
            let tags: Vec<String> = sigs.iter().map(|s| s.key_tag.to_string()).collect();
            format!(
                "signed with key tag {} but the DNSKEY set of {} has no such zone key",
                tags.join(", "),
                zone.zone
            )
        }
        Some(problem) => problem.to_string(),
    }
}

/// How a DNSKEY set fared against the DS records (or anchor) that should vouch for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysCheck {
    Secure(ZoneKeys),
    /// The parent's DS records use only algorithms or digests this validator does not
    /// know: the zone counts as unsigned.
    Unsupported(String),
    Bogus(String),
}

/// Validates `zone`'s DNSKEY set (`records` and `sigs` from the answer) with the DS
/// records of its parent (or a trust anchor's DS records and keys).
pub fn check_dnskeys(
    zone: &Name,
    records: &[&Record],
    sigs: &[&Rrsig],
    ds: &[Ds],
    anchor_keys: &[Dnskey],
    now: i64,
) -> KeysCheck {
    let keys: Vec<Dnskey> = records
        .iter()
        .filter_map(|r| match &r.rdata {
            RData::Dnskey(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let usable_ds: Vec<&Ds> = ds
        .iter()
        .filter(|d| algorithm_supported(d.algorithm) && digest_supported(d.digest_type))
        .collect();
    if usable_ds.is_empty() && anchor_keys.is_empty() {
        let list: Vec<String> = ds
            .iter()
            .map(|d| format!("algorithm {} digest {}", d.algorithm, d.digest_type))
            .collect();
        return KeysCheck::Unsupported(format!(
            "the DS records of {zone} use only algorithms or digests this validator does not support ({})",
            list.join(", ")
        ));
    }
    if keys.is_empty() {
        return KeysCheck::Bogus(format!(
            "{zone} publishes no DNSKEY records, though its parent has a DS record for it"
        ));
    }
    let vouched: Vec<&Dnskey> = keys
        .iter()
        .filter(|k| {
            usable_ds.iter().any(|d| ds_matches(zone, d, k))
                || anchor_keys.iter().any(|a| a.rdata() == k.rdata())
        })
        .collect();
    if vouched.is_empty() {
        let wanted: Vec<String> = usable_ds
            .iter()
            .map(|d| d.key_tag.to_string())
            .chain(anchor_keys.iter().map(|k| key_tag(k).to_string()))
            .collect();
        let present: Vec<String> = keys.iter().map(|k| key_tag(k).to_string()).collect();
        return KeysCheck::Bogus(format!(
            "broken chain of trust: the parent's DS names key tag {} but no DNSKEY of {zone} (tags {}) matches it",
            wanted.join(", "),
            present.join(", ")
        ));
    }
    let key_set = ZoneKeys {
        zone: zone.clone(),
        keys: vouched.iter().map(|k| (*k).clone()).collect(),
    };
    match check_rrset(zone, records, sigs, &key_set, now) {
        SetCheck::Secure { .. } => KeysCheck::Secure(ZoneKeys {
            zone: zone.clone(),
            keys: keys
                .into_iter()
                .filter(|k| k.is_zone_key() && !k.is_revoked())
                .collect(),
        }),
        SetCheck::Unsupported(why) => KeysCheck::Unsupported(why),
        SetCheck::DeeperSigner(signer) => {
            KeysCheck::Bogus(format!("the DNSKEY set of {zone} is signed by {signer}"))
        }
        SetCheck::Bogus(why) => KeysCheck::Bogus(format!(
            "{why} (the DNSKEY set must be signed by a key the parent's DS names)"
        )),
    }
}
