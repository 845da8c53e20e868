//! Any bytes as an advisory feed (retire.js repository, OSV records, CISA KEV catalog):
//! the parser is total, so the answer is feed data or an error naming the file and a
//! line or JSON path, never a panic; and whatever parses joins the built-in software
//! rules without a panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustlabel_core::feeds::{self, FeedText, Feeds};
use trustlabel_core::rules::PageRules;

fuzz_target!(|data: &[u8]| {
    match feeds::parse("fuzz.json", data) {
        Ok(parsed) => {
            let text = FeedText {
                file: "fuzz.json",
                bytes: data,
                installed: None,
                builtin: false,
            };
            let joined = Feeds::from_parsed(vec![(text, parsed)]);
            if let Ok(rules) = PageRules::builtin() {
                let _ = rules.software.with_feeds(&joined);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
