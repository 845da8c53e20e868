//! Parsers for the security header grammars: pure and total over any input.
//!
//! They are public so that fuzzing (and other tools) can drive them directly. Each one
//! follows what browsers do with the header, not just what the RFC allows, because a
//! check must judge the protection a visitor actually gets: a header a browser ignores
//! protects nobody, however close to valid it looks.

pub mod csp;
pub mod hsts;
pub mod referrer;
pub mod security_txt;
pub mod set_cookie;
pub mod structured;

mod cookie_date;
