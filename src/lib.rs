//! trustlabel: scanner and publishing service for a national website trust label.
//!
//! Pipeline: targets → collect (all network I/O) → evidence → checks (pure) → findings →
//! policy (pure) → store (all SQL). See ARCHITECTURE.md for the map.

pub mod api_tokens;
pub mod auth;
pub mod capacity;
pub mod config;
pub mod discovery;
pub mod notify;
pub mod publish;
pub mod report;
pub mod scan;
pub mod web;
pub mod worker;
