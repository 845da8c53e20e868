//! The legacy TLS prober's sans-I/O core: ClientHello bytes out, server bytes in.
//!
//! rustls refuses SSLv3, TLS 1.0/1.1 and weak suites by design, so it cannot tell us a
//! server still accepts them. This module builds hellos by hand and parses the server's
//! first flight (ServerHello, HelloRetryRequest, Alert, Certificate, ServerKeyExchange)
//! with total parsers; it never touches a socket, so it is unit-tested and fuzzed on
//! bytes alone. The socket driver and the probe strategy live in `collect::legacy`.

pub mod forge;
pub mod hello;
pub mod probe_records;
pub mod reaction;
pub mod server;
pub mod suites;
pub mod wire;

pub use hello::{HelloExtras, HelloSpec, client_hello};
pub use reaction::{Reaction, ReactionReader};
pub use server::{Alert, Flight, KxLayout, ServerAnswer, ServerFlight, ServerHello};
pub use suites::{CipherSuite, Mode, SuiteTable, Weakness};
