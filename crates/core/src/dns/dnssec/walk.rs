//! The chain of trust from an anchor down to one name, as a sans-I/O state machine: it
//! says which question to ask next, the collector asks a resolver and feeds the answer
//! back, and at the end the walk says secure, insecure (and where), bogus (and why) or
//! indeterminate. Every step is written down for the evidence.
//!
//! The walk goes top-down one label at a time, asking for the DS set of each name below
//! the last secure zone: a DS set opens the next zone (whose DNSKEY set it must vouch
//! for), a signed denial shows either a name inside the same zone or an unsigned
//! delegation. This is what a validating resolver does, spelled out so each conclusion
//! can be explained to a site owner.

use super::anchor::{TrustAnchor, covering};
use super::denial::{DsAbsence, prove_no_ds};
use super::validate::{
    KeysCheck, SetCheck, ZoneKeys, check_dnskeys, check_rrset, rrset, rrsigs_for,
};
use crate::dns::name::Name;
use crate::dns::wire::{Ds, Message, Question, RData, RType, Rcode};

/// Questions one walk may ask; a name has at most 127 labels, real ones far fewer.
pub const MAX_WALK_QUERIES: usize = 40;

/// Where a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The name's zone is signed and chained to the anchor; its keys are here.
    Secure(ZoneKeys),
    /// A delegation on the way has no DS (or only unsupported algorithms).
    Insecure { at: Name, why: String },
    /// Signed data that does not validate: validating resolvers refuse the name.
    Bogus { at: Name, why: String },
    /// No conclusion: no anchor covers the name, or the resolver failed.
    Indeterminate { why: String },
}

#[derive(Debug, Clone)]
enum State {
    AnchorKeys(TrustAnchor),
    Ds { child: Name },
    Keys { child: Name, ds: Vec<Ds> },
    Done(Outcome),
}

#[derive(Debug, Clone)]
pub struct Walk {
    target: Name,
    now: i64,
    state: State,
    zone: Option<ZoneKeys>,
    /// The deepest name known to be in `zone` (or its apex).
    position: Name,
    trail: Vec<String>,
    learned: Vec<ZoneKeys>,
    asked: usize,
}

impl Walk {
    /// A walk to `target` from the deepest of `known` (secure zones validated before,
    /// from a cache) or of `anchors` that covers it, whichever is deeper.
    pub fn new(target: Name, anchors: &[TrustAnchor], known: Option<ZoneKeys>, now: i64) -> Walk {
        let mut walk = Walk {
            target: target.clone(),
            now,
            state: State::Done(Outcome::Indeterminate {
                why: format!("no trust anchor covers {target}"),
            }),
            zone: None,
            position: Name::root(),
            trail: Vec::new(),
            learned: Vec::new(),
            asked: 0,
        };
        let anchor = covering(anchors, &target);
        let known = known.filter(|k| target.is_subdomain_of(&k.zone));
        match (anchor, known) {
            (anchor, Some(known))
                if anchor.is_none_or(|a| known.zone.label_count() >= a.zone.label_count()) =>
            {
                walk.trail.push(format!(
                    "{}: secure (validated earlier in this run)",
                    known.zone
                ));
                walk.position = known.zone.clone();
                walk.zone = Some(known);
                walk.advance();
            }
            (Some(anchor), _) => walk.state = State::AnchorKeys(anchor.clone()),
            (None, _) => {}
        }
        walk
    }

    /// The question to ask next, or `None` once the walk is over.
    pub fn question(&self) -> Option<Question> {
        let (name, rtype) = match &self.state {
            State::AnchorKeys(anchor) => (anchor.zone.clone(), RType::DNSKEY),
            State::Ds { child } => (child.clone(), RType::DS),
            State::Keys { child, .. } => (child.clone(), RType::DNSKEY),
            State::Done(_) => return None,
        };
        Some(Question { name, rtype })
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            State::Done(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// What happened, one line per step.
    pub fn trail(&self) -> &[String] {
        &self.trail
    }

    /// Secure zones this walk validated (for a cache shared by later walks).
    pub fn learned(&self) -> &[ZoneKeys] {
        &self.learned
    }

    /// How many questions the walk asked.
    pub fn asked(&self) -> usize {
        self.asked
    }

    fn finish(&mut self, outcome: Outcome) {
        let line = match &outcome {
            Outcome::Secure(z) => format!("{}: secure, in zone {}", self.target, z.zone),
            Outcome::Insecure { at, why } => format!("{at}: insecure ({why})"),
            Outcome::Bogus { at, why } => format!("{at}: bogus ({why})"),
            Outcome::Indeterminate { why } => format!("indeterminate ({why})"),
        };
        self.trail.push(line);
        self.state = State::Done(outcome);
    }

    /// Feeds the answer to [`Walk::question`] (or why there was none).
    pub fn feed(&mut self, answer: Result<&Message, String>) {
        let Some(question) = self.question() else {
            return;
        };
        self.asked += 1;
        let message = match answer {
            Err(why) => {
                return self.finish(Outcome::Indeterminate {
                    why: format!("{} {}: {why}", question.name, question.rtype),
                });
            }
            Ok(message) => message,
        };
        if !matches!(message.rcode, Rcode::NOERROR | Rcode::NXDOMAIN) {
            return self.finish(Outcome::Indeterminate {
                why: format!(
                    "{} {}: the resolver answered {}",
                    question.name, question.rtype, message.rcode
                ),
            });
        }
        match std::mem::replace(
            &mut self.state,
            State::Ds {
                child: Name::root(),
            },
        ) {
            State::AnchorKeys(anchor) => self.anchor_keys(&anchor, message),
            State::Ds { child } => self.ds(&child, message),
            State::Keys { child, ds } => self.keys(&child, &ds, message),
            done @ State::Done(_) => self.state = done,
        }
        if self.outcome().is_none() && self.asked >= MAX_WALK_QUERIES {
            self.finish(Outcome::Indeterminate {
                why: format!("more than {MAX_WALK_QUERIES} questions"),
            });
        }
    }

    fn anchor_keys(&mut self, anchor: &TrustAnchor, message: &Message) {
        let zone = &anchor.zone;
        let records = rrset(&message.answers, zone, RType::DNSKEY);
        let sigs = rrsigs_for(&message.answers, zone, RType::DNSKEY);
        match check_dnskeys(zone, &records, &sigs, &anchor.ds, &anchor.keys, self.now) {
            KeysCheck::Secure(keys) => {
                self.trail.push(format!(
                    "{zone}: DNSKEY set validated by the trust anchor ({})",
                    tags(&keys)
                ));
                self.enter(keys);
            }
            KeysCheck::Unsupported(why) => self.finish(Outcome::Insecure {
                at: zone.clone(),
                why,
            }),
            KeysCheck::Bogus(why) => self.finish(Outcome::Bogus {
                at: zone.clone(),
                why,
            }),
        }
    }

    fn enter(&mut self, keys: ZoneKeys) {
        self.position = keys.zone.clone();
        self.learned.push(keys.clone());
        self.zone = Some(keys);
        self.advance();
    }

    /// Moves one label down toward the target, or ends secure there.
    fn advance(&mut self) {
        let Some(zone) = self.zone.clone() else {
            return;
        };
        if self.position == self.target {
            return self.finish(Outcome::Secure(zone));
        }
        let child = self.target.suffix(self.position.label_count() + 1);
        self.state = State::Ds { child };
    }

    fn ds(&mut self, child: &Name, message: &Message) {
        let Some(zone) = self.zone.clone() else {
            return;
        };
        let records = rrset(&message.answers, child, RType::DS);
        if !records.is_empty() {
            let sigs = rrsigs_for(&message.answers, child, RType::DS);
            return match check_rrset(child, &records, &sigs, &zone, self.now) {
                SetCheck::Secure { key_tag, .. } => {
                    let ds: Vec<Ds> = records
                        .iter()
                        .filter_map(|r| match &r.rdata {
                            RData::Ds(d) => Some(d.clone()),
                            _ => None,
                        })
                        .collect();
                    let listed: Vec<String> = ds
                        .iter()
                        .map(|d| format!("{} {} {}", d.key_tag, d.algorithm, d.digest_type))
                        .collect();
                    self.trail.push(format!(
                        "{child}: DS {} signed by {} (key {key_tag})",
                        listed.join(", "),
                        zone.zone
                    ));
                    self.state = State::Keys {
                        child: child.clone(),
                        ds,
                    };
                }
                SetCheck::Unsupported(why) => self.finish(Outcome::Insecure {
                    at: child.clone(),
                    why,
                }),
                SetCheck::DeeperSigner(signer) => self.finish(Outcome::Bogus {
                    at: child.clone(),
                    why: format!("the DS of {child} is signed by {signer}, not by its parent"),
                }),
                SetCheck::Bogus(why) => self.finish(Outcome::Bogus {
                    at: child.clone(),
                    why: format!("DS of {child}: {why}"),
                }),
            };
        }
        // An alias: a CNAME cannot sit at a zone cut, so the name is inside the zone.
        let cname = rrset(&message.answers, child, RType::CNAME);
        if !cname.is_empty() {
            let sigs = rrsigs_for(&message.answers, child, RType::CNAME);
            return match check_rrset(child, &cname, &sigs, &zone, self.now) {
                SetCheck::Secure { .. } => {
                    self.trail
                        .push(format!("{child}: an alias (CNAME) inside {}", zone.zone));
                    self.position = child.clone();
                    self.advance();
                }
                SetCheck::Unsupported(why) => self.finish(Outcome::Insecure {
                    at: child.clone(),
                    why,
                }),
                SetCheck::DeeperSigner(signer) => self.finish(Outcome::Bogus {
                    at: child.clone(),
                    why: format!("the CNAME of {child} is signed by {signer}"),
                }),
                SetCheck::Bogus(why) => self.finish(Outcome::Bogus {
                    at: child.clone(),
                    why,
                }),
            };
        }
        match prove_no_ds(child, &zone, message, self.now) {
            Ok(DsAbsence::NotACut) => {
                self.trail
                    .push(format!("{child}: no delegation, inside {}", zone.zone));
                self.position = child.clone();
                self.advance();
            }
            Ok(DsAbsence::InsecureDelegation(why)) => self.finish(Outcome::Insecure {
                at: child.clone(),
                why,
            }),
            Ok(DsAbsence::NoSuchName(why)) => self.finish(Outcome::Indeterminate {
                why: format!("{child} does not exist: {why}"),
            }),
            Err(why) => self.finish(Outcome::Bogus {
                at: child.clone(),
                why,
            }),
        }
    }

    fn keys(&mut self, child: &Name, ds: &[Ds], message: &Message) {
        let records = rrset(&message.answers, child, RType::DNSKEY);
        let sigs = rrsigs_for(&message.answers, child, RType::DNSKEY);
        match check_dnskeys(child, &records, &sigs, ds, &[], self.now) {
            KeysCheck::Secure(keys) => {
                self.trail.push(format!(
                    "{child}: DNSKEY set validated by the DS ({})",
                    tags(&keys)
                ));
                self.enter(keys);
            }
            KeysCheck::Unsupported(why) => self.finish(Outcome::Insecure {
                at: child.clone(),
                why,
            }),
            KeysCheck::Bogus(why) => self.finish(Outcome::Bogus {
                at: child.clone(),
                why,
            }),
        }
    }
}

fn tags(keys: &ZoneKeys) -> String {
    let tags: Vec<String> = keys
        .keys
        .iter()
        .map(|k| {
            format!(
                "key {} algorithm {}",
                super::crypto::key_tag(k),
                k.algorithm
            )
        })
        .collect();
    tags.join(", ")
}
