//! Any bytes as a `/.well-known/security.txt` body (RFC 9116), fed to the bounded parser
//! and judged at a fixed time. The parser is total: any input is a file with fields and
//! named problems, read within its byte and line caps. A panic or a hang here is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::macros::datetime;
use trustlabel_core::checks::parse::security_txt::{self, MAX_LINES};

fuzz_target!(|data: &[u8]| {
    let file = security_txt::parse(data);
    assert!(file.fields.len() <= MAX_LINES);
    let judgement = file.judge(
        datetime!(2026-12-05 00:00 UTC),
        &["https://example.test/.well-known/security.txt"],
    );
    for problem in &judgement.problems {
        let _ = problem.to_string();
    }
});
