//! Authenticated denial of existence (RFC 4035 §5.4 with NSEC, RFC 5155 with NSEC3):
//! what a signed "no such record" proves about a name on the way to the target. This is
//! how a validator learns that a delegation is unsigned (insecure) rather than stripped
//! of its signatures by an attacker (bogus).

use super::validate::{SetCheck, ZoneKeys, check_rrset, rrset, rrsigs_for};
use crate::dns::name::Name;
use crate::dns::wire::{Message, Nsec3, RData, RType};

/// Iterations above this make NSEC3 proofs count as insecure, as RFC 9276 §3.2 allows
/// validators to decide (BIND and Unbound use 150).
pub const MAX_NSEC3_ITERATIONS: u16 = 150;

/// What a signed answer without DS records proves about `child`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsAbsence {
    /// `child` exists in the same zone (no delegation there): keep walking.
    NotACut,
    /// `child` is delegated without DS: everything below is unsigned.
    InsecureDelegation(String),
    /// `child` does not exist.
    NoSuchName(String),
}

/// Proves that `child` has no DS record, from the authority section of a NODATA or
/// NXDOMAIN answer of `zone`. `Err` carries the reason the answer is bogus.
pub fn prove_no_ds(
    child: &Name,
    zone: &ZoneKeys,
    message: &Message,
    now: i64,
) -> Result<DsAbsence, String> {
    let mut problems = Vec::new();
    let nsec = validated(message, zone, RType::NSEC, now, &mut problems);
    let nsec3 = validated(message, zone, RType::NSEC3, now, &mut problems);
    if !nsec.is_empty() {
        return nsec_proof(child, &zone.zone, &nsec);
    }
    if !nsec3.is_empty() {
        return nsec3_proof(child, &zone.zone, &nsec3);
    }
    match problems.first() {
        Some(problem) => Err(problem.clone()),
        None => Err(format!(
            "the answer that {child} has no DS record carries no signed NSEC or NSEC3 proof, though {} is signed",
            zone.zone
        )),
    }
}

/// The NSEC (or NSEC3) records of the authority section whose signatures verify, one per
/// owner.
fn validated(
    message: &Message,
    zone: &ZoneKeys,
    rtype: RType,
    now: i64,
    problems: &mut Vec<String>,
) -> Vec<(Name, RData)> {
    let mut owners: Vec<&Name> = message
        .authority
        .iter()
        .filter(|r| r.rtype == rtype)
        .map(|r| &r.name)
        .collect();
    owners.sort();
    owners.dedup();
    let mut out = Vec::new();
    for owner in owners {
        let records = rrset(&message.authority, owner, rtype);
        let sigs = rrsigs_for(&message.authority, owner, rtype);
        match check_rrset(owner, &records, &sigs, zone, now) {
            SetCheck::Secure { .. } => {
                if let Some(first) = records.first() {
                    out.push((owner.clone(), first.rdata.clone()));
                }
            }
            SetCheck::Bogus(why) => problems.push(why),
            SetCheck::Unsupported(why) => problems.push(why),
            SetCheck::DeeperSigner(signer) => {
                problems.push(format!("{rtype} of {owner} is signed by {signer}"))
            }
        }
    }
    out
}

fn bitmap_verdict(child: &Name, types: &[RType], how: &str) -> Result<DsAbsence, String> {
    if types.contains(&RType::DS) {
        return Err(format!(
            "{how} lists a DS record at {child}, yet the answer had none"
        ));
    }
    if types.contains(&RType::NS) && !types.contains(&RType::SOA) {
        return Ok(DsAbsence::InsecureDelegation(format!(
            "{how} shows {child} delegated (NS) without a DS record"
        )));
    }
    Ok(DsAbsence::NotACut)
}

fn nsec_proof(child: &Name, zone: &Name, nsecs: &[(Name, RData)]) -> Result<DsAbsence, String> {
    for (owner, rdata) in nsecs {
        let RData::Nsec { next, types } = rdata else {
            continue;
        };
        if owner == child {
            return bitmap_verdict(child, types, &format!("the NSEC record of {owner}"));
        }
        let wraps = next <= owner;
        let covers = owner < child && (wraps || child < next);
        if covers && owner.is_subdomain_of(zone) {
            if next.is_subdomain_of(child) && next != child {
                // An empty non-terminal: names exist below `child`, nothing at it.
                return Ok(DsAbsence::NotACut);
            }
            return Ok(DsAbsence::NoSuchName(format!(
                "the NSEC record {owner} → {next} shows that {child} does not exist"
            )));
        }
    }
    Err(format!(
        "no NSEC record in the answer matches or covers {child}"
    ))
}

/// The RFC 5155 hash of a name: SHA-1 over the canonical name and salt, iterated.
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> Vec<u8> {
    let sha1 = &ring::digest::SHA1_FOR_LEGACY_USE_ONLY;
    let mut input = name.canonical_wire();
    input.extend_from_slice(salt);
    let mut hash = ring::digest::digest(sha1, &input).as_ref().to_vec();
    for _ in 0..iterations {
        let mut next = hash.clone();
        next.extend_from_slice(salt);
        hash = ring::digest::digest(sha1, &next).as_ref().to_vec();
    }
    hash
}

/// Base32 with the extended hex alphabet (RFC 4648 §7), no padding: NSEC3 owner labels.
pub fn base32hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &c in text {
        let value = match c.to_ascii_uppercase() {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn base32hex_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

struct Hashed<'a> {
    owner_hash: Vec<u8>,
    nsec3: &'a Nsec3,
}

fn nsec3_proof(child: &Name, zone: &Name, records: &[(Name, RData)]) -> Result<DsAbsence, String> {
    let hashed: Vec<Hashed<'_>> = records
        .iter()
        .filter_map(|(owner, rdata)| {
            let RData::Nsec3(nsec3) = rdata else {
                return None;
            };
            // An NSEC3 owner is one hashed label directly under the zone apex.
            if owner.parent().as_ref() != Some(zone) {
                return None;
            }
            let owner_hash = base32hex_decode(owner.labels().first()?)?;
            Some(Hashed { owner_hash, nsec3 })
        })
        .collect();
    let Some(first) = hashed.first() else {
        return Err(format!("no usable NSEC3 record of {zone} in the answer"));
    };
    let params = first.nsec3;
    if params.hash_algorithm != 1 {
        return Ok(DsAbsence::InsecureDelegation(format!(
            "NSEC3 of {zone} uses hash algorithm {}, which this validator does not support",
            params.hash_algorithm
        )));
    }
    if params.iterations > MAX_NSEC3_ITERATIONS {
        return Ok(DsAbsence::InsecureDelegation(format!(
            "NSEC3 of {zone} uses {} iterations, more than the {MAX_NSEC3_ITERATIONS} validators accept (RFC 9276)",
            params.iterations
        )));
    }
    let hash = |name: &Name| nsec3_hash(name, &params.salt, params.iterations);
    let matching = |name: &Name| {
        let h = hash(name);
        hashed.iter().find(|x| x.owner_hash == h)
    };
    let covering = |name: &Name| {
        let h = hash(name);
        hashed.iter().find(|x| {
            let (owner, next) = (&x.owner_hash, &x.nsec3.next_hashed);
            if next <= owner {
                h > *owner || h < *next
            } else {
                *owner < h && h < *next
            }
        })
    };
    if let Some(found) = matching(child) {
        return bitmap_verdict(
            child,
            &found.nsec3.types,
            &format!("the NSEC3 record matching {child}"),
        );
    }
    // Closest encloser proof (RFC 5155 §8.3 and §8.6): an ancestor that exists, and the
    // name one label below it on the way to `child` covered by a span.
    let mut ancestor = child.parent();
    let mut next_closer = child.clone();
    while let Some(candidate) = ancestor {
        if !candidate.is_subdomain_of(zone) {
            break;
        }
        if matching(&candidate).is_some() {
            return match covering(&next_closer) {
                Some(span) if span.nsec3.opt_out() => Ok(DsAbsence::InsecureDelegation(format!(
                    "an opt-out NSEC3 span of {zone} covers {next_closer}: an unsigned delegation"
                ))),
                Some(_) => Ok(DsAbsence::NoSuchName(format!(
                    "NSEC3 records of {zone} show that {next_closer} does not exist"
                ))),
                None => Err(format!(
                    "no NSEC3 record covers {next_closer}, so nothing proves {child} has no DS"
                )),
            };
        }
        next_closer = candidate.clone();
        ancestor = candidate.parent();
    }
    Err(format!(
        "no NSEC3 record matches {child} or an ancestor of it in {zone}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsec3_hash_matches_rfc_5155_appendix_a() {
        // RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        let hash = nsec3_hash(&Name::parse("example").unwrap(), &salt, 12);
        assert_eq!(base32hex_encode(&hash), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
        let hash = nsec3_hash(&Name::parse("a.example").unwrap(), &salt, 12);
        assert_eq!(base32hex_encode(&hash), "35mthgpgcu1qg68fab165klnsnk3dpvl");
        assert_eq!(
            base32hex_decode(b"0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TOM").unwrap(),
            nsec3_hash(&Name::parse("example").unwrap(), &salt, 12)
        );
        assert_eq!(base32hex_decode(b"!"), None);
    }
}
