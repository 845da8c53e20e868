//! Certificate Transparency (RFC 6962 v1) without I/O: the log's JSON answers, the
//! Merkle tree leaves, the tree hash, the signed tree head, and the host names a logged
//! certificate names.
//!
//! The collector fetches; everything that decides whether a log's answer is believable
//! lives here so it can be tested on bytes alone and fuzzed.

pub mod merkle;
pub mod names;
pub mod sightings;
pub mod sth;
pub mod wire;

pub use merkle::{Frontier, FrontierError, leaf_hash};
pub use names::{DiscoveryScope, ScopeError, names_in_certificate, names_in_tbs};
pub use sightings::{Sighting, sightings};
pub use sth::{LogKey, LogKeyError, SignedTreeHead, SthError};
pub use wire::{EntryError, LogEntry, LoggedCertificate, RawEntries, RawEntry, RawSth, WireError};
