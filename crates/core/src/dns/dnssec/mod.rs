//! DNSSEC validation without I/O: the cryptography, the proofs of non-existence and the
//! walk from a trust anchor down to a name (RFC 4033–4035, RFC 5155), plus a small
//! signer for the test fleet.

pub mod anchor;
pub mod crypto;
pub mod denial;
pub mod sign;
pub mod validate;
pub mod walk;

pub use anchor::{ROOT_ANCHORS, TrustAnchor, parse_anchors, root_anchors};
pub use validate::{SetCheck, ZoneKeys, check_rrset, rrset, rrsigs_for};
pub use walk::{Outcome, Walk};

#[cfg(test)]
mod tests;
