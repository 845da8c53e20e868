//! Any bytes as a target list (CSV, `#` comments, optional header, IDN hosts): the parser
//! must name bad lines and keep the good ones, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustlabel_core::target;

fuzz_target!(|data: &[u8]| {
    let _ = target::parse_list("fuzz.csv", data);
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines().take(64) {
            if let Ok((host, _)) = target::normalise_host(line) {
                let _ = target::display_host(&host);
            }
        }
    }
});
