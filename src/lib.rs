//! trustlabel: scanner and publishing service for a national website trust label.
//!
//! Pipeline: targets → collect (all network I/O) → evidence → checks (pure) → findings →
//! policy (pure) → store (all SQL). See ARCHITECTURE.md for the map.

pub mod auth;
pub mod catalog;
pub mod checks;
pub mod collect;
pub mod config;
pub mod evidence;
pub mod exposures;
pub mod finding;
pub mod fleet;
pub mod fold;
pub mod notify;
pub mod page;
pub mod policy;
pub mod publish;
pub mod report;
pub mod rulefile;
pub mod rules;
pub mod scan;
pub mod schedule;
pub mod store;
pub mod target;
pub mod tlsprobe;
pub mod web;
pub mod worker;
