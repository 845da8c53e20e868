//! trustlabel's pure core: what a scan found (evidence), what it means (checks,
//! findings), and what label follows (policy), with the rule files that steer them.
//!
//! Nothing here does network or database I/O or reads the clock: `now` is a parameter,
//! and the evidence comes from `trustlabel-collect`. The crate's dependencies carry no
//! async runtime, socket, TLS stack or SQL driver, so the compiler keeps it that way.

pub mod catalog;
pub mod changes;
pub mod checks;
pub mod connect_to;
pub mod cookie_rules;
pub mod ct;
pub mod dns;
pub mod domain;
pub mod evaluate;
pub mod evidence;
pub mod exposures;
pub mod feeds;
pub mod finding;
pub mod fold;
pub mod mail;
pub mod ocsp;
pub mod page;
pub mod policy;
pub mod provinces;
pub mod rulefile;
pub mod rules;
pub mod ruleset;
pub mod schedule;
pub mod target;
pub mod tlsprobe;
