//! The walk over a small signed hierarchy built with the fleet's signer: one zone per
//! case of the issue (valid, expired signatures, broken chain, unsigned) and the
//! corners of the protocol (names inside a zone, empty non-terminals, aliases, NSEC3
//! opt-out, unsupported algorithms, resolver failures).

use super::anchor::TrustAnchor;
use super::denial::{base32hex_encode, nsec3_hash};
use super::sign::{AuthZone, ZoneSigner};
use super::validate::{SetCheck, check_rrset, rrset, rrsigs_for};
use super::walk::{Outcome, Walk};
use crate::dns::name::Name;
use crate::dns::wire::{
    CLASS_IN, Ds, Flags, Message, Nsec3, Question, RData, RType, Rcode, Record,
};

const NOW: i64 = 1_800_000_000;
const VALID: (u32, u32) = ((NOW - 86_400) as u32, (NOW + 86_400) as u32);
const EXPIRED: (u32, u32) = ((NOW - 3 * 86_400) as u32, (NOW - 86_400) as u32);

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn record(name: &str, rdata: RData) -> Record {
    let rtype = match &rdata {
        RData::A(_) => RType::A,
        RData::Aaaa(_) => RType::AAAA,
        RData::Txt(_) => RType::TXT,
        RData::Ds(_) => RType::DS,
        RData::Mx { .. } => RType::MX,
        RData::Nsec3(_) => RType::NSEC3,
        _ => RType::NS,
    };
    Record {
        name: n(name),
        rtype,
        class: CLASS_IN,
        ttl: 60,
        rdata,
    }
}

fn ns(name: &str) -> Record {
    record(name, RData::Name(n("ns.test")))
}

fn a(name: &str) -> Record {
    record(name, RData::A([192, 0, 2, 1].into()))
}

fn signer(zone: &str, seed: u8) -> ZoneSigner {
    ZoneSigner::from_seeds(n(zone), [seed; 32], [seed.wrapping_add(100); 32]).unwrap()
}

/// A set of zones answering like one authoritative server (or a resolver with CD set):
/// the deepest zone holding the name answers, except a DS question at a zone's apex,
/// which its parent answers.
struct Hierarchy {
    zones: Vec<AuthZone>,
    /// Questions that fail as if the resolver timed out.
    failing: Vec<(Name, RType)>,
}

impl Hierarchy {
    fn ask(&self, q: &Question) -> Result<Message, String> {
        if self.failing.contains(&(q.name.clone(), q.rtype)) {
            return Err("timed out".into());
        }
        let mut candidates: Vec<&AuthZone> = self
            .zones
            .iter()
            .filter(|z| q.name.is_subdomain_of(z.apex()))
            .collect();
        candidates.sort_by_key(|z| std::cmp::Reverse(z.apex().label_count()));
        if q.rtype == RType::DS && candidates.first().is_some_and(|z| *z.apex() == q.name) {
            candidates.remove(0);
        }
        let zone = candidates.first().ok_or("REFUSED")?;
        let answer = zone.answer(&q.name, q.rtype, true);
        Ok(Message {
            id: 1,
            flags: Flags {
                response: true,
                ..Flags::default()
            },
            rcode: answer.rcode,
            questions: vec![q.clone()],
            answers: answer.answers,
            authority: answer.authority,
            additional: vec![],
            edns: None,
        })
    }

    fn walk(&self, target: &str, anchors: &[TrustAnchor]) -> Walk {
        let mut walk = Walk::new(n(target), anchors, None, NOW);
        while let Some(q) = walk.question() {
            let answer = self.ask(&q);
            walk.feed(answer.as_ref().map_err(|e| e.clone()));
        }
        walk
    }
}

fn anchor(signer: &ZoneSigner) -> Vec<TrustAnchor> {
    vec![TrustAnchor {
        zone: signer.zone().clone(),
        ds: vec![signer.ds()],
        keys: vec![],
    }]
}

/// `test.` (the anchor) with children: good (signed, with `www`, an alias and an empty
/// non-terminal), expired (signatures in the past), broken (DS names another key),
/// unsigned (no DS), oddalg (DS with an algorithm nobody implements).
fn hierarchy() -> (Hierarchy, Vec<TrustAnchor>) {
    let root = signer("test", 1);
    let good = signer("good.test", 2);
    let expired = signer("expired.test", 3);
    let broken = signer("broken.test", 4);
    let stranger = signer("broken.test", 5);
    let mut parent = vec![
        ns("good.test"),
        record("good.test", RData::Ds(good.ds())),
        ns("expired.test"),
        record("expired.test", RData::Ds(expired.ds())),
        ns("broken.test"),
        record("broken.test", RData::Ds(stranger.ds())),
        ns("unsigned.test"),
        ns("oddalg.test"),
        record(
            "oddalg.test",
            RData::Ds(Ds {
                key_tag: 1,
                algorithm: 253,
                digest_type: 2,
                digest: vec![0; 32],
            }),
        ),
    ];
    parent.push(a("ns.test"));
    let zones = vec![
        AuthZone::new(n("test"), Some(root), parent, VALID),
        AuthZone::new(
            n("good.test"),
            Some(good),
            vec![
                a("www.good.test"),
                Record {
                    rtype: RType::CNAME,
                    ..record("alias.good.test", RData::Name(n("www.good.test")))
                },
                a("_25._tcp.mx.good.test"),
            ],
            VALID,
        ),
        AuthZone::new(
            n("expired.test"),
            Some(expired),
            vec![a("www.expired.test")],
            EXPIRED,
        ),
        AuthZone::new(
            n("broken.test"),
            Some(broken),
            vec![a("www.broken.test")],
            VALID,
        ),
        AuthZone::new(
            n("unsigned.test"),
            None,
            vec![a("www.unsigned.test")],
            VALID,
        ),
        AuthZone::new(n("oddalg.test"), None, vec![a("www.oddalg.test")], VALID),
    ];
    let anchors = anchor(zones[0].signer().unwrap());
    (
        Hierarchy {
            zones,
            failing: vec![],
        },
        anchors,
    )
}

#[test]
fn a_signed_name_is_secure_in_its_own_zone() {
    let (h, anchors) = hierarchy();
    let walk = h.walk("www.good.test", &anchors);
    match walk.outcome() {
        Some(Outcome::Secure(keys)) => assert_eq!(keys.zone, n("good.test")),
        other => panic!("{other:?}\n{:#?}", walk.trail()),
    }
    // test. DNSKEY, DS good.test, DNSKEY good.test, DS www.good.test
    assert_eq!(walk.asked(), 4, "{:#?}", walk.trail());
    assert_eq!(walk.learned().len(), 2);
    // The A set itself validates with the zone's keys.
    let Some(Outcome::Secure(keys)) = walk.outcome() else {
        unreachable!()
    };
    let answer = h
        .ask(&Question {
            name: n("www.good.test"),
            rtype: RType::A,
        })
        .unwrap();
    let set = rrset(&answer.answers, &n("www.good.test"), RType::A);
    let sigs = rrsigs_for(&answer.answers, &n("www.good.test"), RType::A);
    assert!(matches!(
        check_rrset(&n("www.good.test"), &set, &sigs, keys, NOW),
        SetCheck::Secure { .. }
    ));
    // A tampered answer does not.
    let mut tampered: Vec<Record> = set.into_iter().cloned().collect();
    tampered[0].rdata = RData::A([192, 0, 2, 99].into());
    let tampered: Vec<&Record> = tampered.iter().collect();
    assert!(matches!(
        check_rrset(&n("www.good.test"), &tampered, &sigs, keys, NOW),
        SetCheck::Bogus(why) if why.contains("does not verify")
    ));
}

#[test]
fn names_inside_a_zone_aliases_and_empty_non_terminals_walk_through() {
    let (h, anchors) = hierarchy();
    for target in ["alias.good.test", "_25._tcp.mx.good.test", "good.test"] {
        let walk = h.walk(target, &anchors);
        assert!(
            matches!(walk.outcome(), Some(Outcome::Secure(k)) if k.zone == n("good.test")),
            "{target}: {:#?}",
            walk.trail()
        );
    }
    // A walk resumed from a zone validated earlier asks only what lies below it.
    let first = h.walk("www.good.test", &anchors);
    let known = first.learned().last().cloned();
    let mut walk = Walk::new(n("alias.good.test"), &anchors, known, NOW);
    while let Some(q) = walk.question() {
        let answer = h.ask(&q);
        walk.feed(answer.as_ref().map_err(|e| e.clone()));
    }
    assert_eq!(walk.asked(), 1);
    assert!(matches!(walk.outcome(), Some(Outcome::Secure(_))));
}

#[test]
fn expired_signatures_are_bogus_and_say_when() {
    let (h, anchors) = hierarchy();
    let walk = h.walk("www.expired.test", &anchors);
    match walk.outcome() {
        Some(Outcome::Bogus { at, why }) => {
            assert_eq!(*at, n("expired.test"));
            assert!(why.contains("expired"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ds_naming_another_key_is_a_broken_chain() {
    let (h, anchors) = hierarchy();
    let walk = h.walk("www.broken.test", &anchors);
    match walk.outcome() {
        Some(Outcome::Bogus { at, why }) => {
            assert_eq!(*at, n("broken.test"));
            assert!(why.contains("broken chain of trust"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unsigned_delegation_is_insecure_by_a_signed_nsec() {
    let (h, anchors) = hierarchy();
    let walk = h.walk("www.unsigned.test", &anchors);
    match walk.outcome() {
        Some(Outcome::Insecure { at, why }) => {
            assert_eq!(*at, n("unsigned.test"));
            assert!(why.contains("without a DS"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    let walk = h.walk("www.oddalg.test", &anchors);
    assert!(
        matches!(walk.outcome(), Some(Outcome::Insecure { why, .. }) if why.contains("does not support")),
        "{:?}",
        walk.outcome()
    );
}

#[test]
fn a_denial_stripped_of_its_signatures_is_bogus() {
    let (h, anchors) = hierarchy();
    // A man in the middle removes every RRSIG from the parent's answers.
    let mut walk = Walk::new(n("www.unsigned.test"), &anchors, None, NOW);
    while let Some(q) = walk.question() {
        let mut answer = h.ask(&q).unwrap();
        if q.rtype == RType::DS {
            answer.authority.retain(|r| r.rtype != RType::RRSIG);
        }
        walk.feed(Ok(&answer));
    }
    assert!(
        matches!(walk.outcome(), Some(Outcome::Bogus { .. })),
        "{:?}",
        walk.outcome()
    );
}

#[test]
fn failures_and_names_without_anchor_are_indeterminate() {
    let (mut h, anchors) = hierarchy();
    let walk = h.walk("www.example", &anchors);
    assert!(
        matches!(walk.outcome(), Some(Outcome::Indeterminate { why }) if why.contains("no trust anchor"))
    );
    h.failing.push((n("good.test"), RType::DNSKEY));
    let walk = h.walk("www.good.test", &anchors);
    assert!(
        matches!(walk.outcome(), Some(Outcome::Indeterminate { why }) if why.contains("timed out")),
        "{:?}",
        walk.outcome()
    );
    // A wrong anchor makes the top itself bogus.
    let wrong = anchor(&signer("test", 9));
    let walk = h.walk("www.good.test", &wrong);
    assert!(matches!(walk.outcome(), Some(Outcome::Bogus { at, .. }) if *at == n("test")));
}

#[test]
fn nsec3_opt_out_spans_prove_unsigned_delegations() {
    // A parent signed with NSEC3 (opt-out): the apex and one signed child have NSEC3
    // records; the unsigned child `plain` falls in an opt-out span.
    let root = signer("test", 1);
    let salt = vec![0xab];
    let iterations = 0;
    let hash = |s: &str| nsec3_hash(&n(s), &salt, iterations);
    let mut hashes = [hash("test"), hash("signed.test")];
    hashes.sort();
    let owner = |h: &[u8]| n(&format!("{}.test", base32hex_encode(h)));
    let nsec3 = |own: &[u8], next: &[u8], types: Vec<RType>| Record {
        name: owner(own),
        rtype: RType::NSEC3,
        class: CLASS_IN,
        ttl: 60,
        rdata: RData::Nsec3(Nsec3 {
            hash_algorithm: 1,
            flags: 1,
            iterations,
            salt: salt.clone(),
            next_hashed: next.to_vec(),
            types,
        }),
    };
    let apex_types = |h: &[u8]| {
        if *h == *hash("test") {
            vec![RType::NS, RType::SOA, RType::DNSKEY, RType::RRSIG]
        } else {
            vec![RType::NS, RType::DS, RType::RRSIG]
        }
    };
    let chain = [
        nsec3(&hashes[0], &hashes[1], apex_types(&hashes[0])),
        nsec3(&hashes[1], &hashes[0], apex_types(&hashes[1])),
    ];
    let zone = AuthZone::new(n("test"), Some(root), vec![ns("plain.test")], VALID);
    let anchors = anchor(zone.signer().unwrap());
    let mut top = Walk::new(n("test"), &anchors, None, NOW);
    let dnskey = zone.answer(&n("test"), RType::DNSKEY, true);
    top.feed(Ok(&message(dnskey.answers, vec![], Rcode::NOERROR)));
    let keys = match top.outcome() {
        Some(Outcome::Secure(k)) => k.clone(),
        other => panic!("{other:?}"),
    };
    let signer = zone.signer().unwrap();
    let mut authority = Vec::new();
    for record in &chain {
        authority.push(record.clone());
        authority.push(
            signer
                .sign(std::slice::from_ref(record), VALID.0, VALID.1)
                .unwrap(),
        );
    }
    let mut walk = Walk::new(n("www.plain.test"), &anchors, Some(keys.clone()), NOW);
    assert_eq!(walk.question().unwrap().name, n("plain.test"));
    walk.feed(Ok(&message(vec![], authority.clone(), Rcode::NOERROR)));
    assert!(
        matches!(walk.outcome(), Some(Outcome::Insecure { why, .. }) if why.contains("opt-out")),
        "{:?}",
        walk.outcome()
    );
    // The same span without the opt-out flag proves the name does not exist.
    let strict: Vec<Record> = authority
        .iter()
        .map(|r| match &r.rdata {
            RData::Nsec3(x) => Record {
                rdata: RData::Nsec3(Nsec3 {
                    flags: 0,
                    ..x.clone()
                }),
                ..r.clone()
            },
            _ => r.clone(),
        })
        .collect();
    // Re-sign the modified records.
    let mut resigned = Vec::new();
    for r in strict.iter().filter(|r| r.rtype == RType::NSEC3) {
        resigned.push(r.clone());
        resigned.push(
            signer
                .sign(std::slice::from_ref(r), VALID.0, VALID.1)
                .unwrap(),
        );
    }
    let mut walk = Walk::new(n("www.plain.test"), &anchors, Some(keys), NOW);
    walk.feed(Ok(&message(vec![], resigned, Rcode::NXDOMAIN)));
    assert!(
        matches!(walk.outcome(), Some(Outcome::Indeterminate { why }) if why.contains("does not exist")),
        "{:?}",
        walk.outcome()
    );
}

fn message(answers: Vec<Record>, authority: Vec<Record>, rcode: Rcode) -> Message {
    Message {
        id: 1,
        flags: Flags::default(),
        rcode,
        questions: vec![],
        answers,
        authority,
        additional: vec![],
        edns: None,
    }
}
