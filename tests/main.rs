//! The integration tests: one binary (the workspace is linked once, not once per file),
//! one module per capability (but `tests/hostile_fleet.rs`, whose memory bound needs a
//! process of its own), all against real peers on loopback: the fleet's TLS/HTTP
//! sites and DNS server, Debian's OpenSSL and PostgreSQL, headless Chromium, and the
//! `trustlabel` binary itself for the CLI.

mod common;

mod address_safety;
mod batch_api;
mod blocked;
mod browser_accessibility;
mod browser_owner_staff;
mod browser_public;
mod browser_registry;
mod certificates;
mod cli;
mod cli_postgres;
mod cli_publish;
mod discovery;
mod dns_mail;
mod exposure;
mod fleet_rig;
mod header_policies;
mod headers;
mod layers;
mod legacy_fleet;
mod legacy_openssl;
mod must_fire;
mod notify;
mod ocsp_judge;
mod ocsp_openssl;
mod openapi;
mod page_fetches;
mod pages;
mod revocation;
mod rules_cli;
mod security_txt;
mod software_feeds;
mod tls_vulns;
mod transport;
mod vn_forms;
mod vn_notices;
mod vn_spam;
mod web_selfscan;
mod worker;
// issue 16: fast on the real internet
mod capacity;
mod politeness;
