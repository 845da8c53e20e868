//! DNS without I/O: names, the wire format, and DNSSEC validation. The collector sends
//! the questions and hands the answers here; everything that decides what an answer
//! means is pure and tested with canned answers.

pub mod dnssec;
pub mod name;
pub mod wire;

pub use name::{Name, NameError};
pub use wire::{Message, Question, RData, RType, Rcode, Record, parse_message};
pub mod caa;
pub mod tlsa;
