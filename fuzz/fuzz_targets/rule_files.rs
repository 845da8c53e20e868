//! Any text as one of the rule files staff edit (`checks/*.toml`): the first byte picks
//! the loader. A loader answers with rules or `file:line: reason`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::exposures::ExposureRules;
use trustlabel_core::policy::Policy;
use trustlabel_core::rules::{
    Blocklist, PrivacyRules, RuleText, SoftwareRules, SpamRules, TrackerRules,
};

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let source = RuleText {
        file: "fuzz.toml",
        text: &text,
    };
    match which % 8 {
        0 => drop(PrivacyRules::parse(&source)),
        1 => drop(TrackerRules::parse(&source)),
        2 => drop(SoftwareRules::parse(&source)),
        3 => drop(SpamRules::parse(&source)),
        4 => drop(Blocklist::parse(&source)),
        5 => drop(ExposureRules::from_toml("exposures.toml", &text)),
        6 => drop(Policy::from_toml("policy.toml", &text)),
        _ => drop(Catalog::from_toml("findings.toml", &text)),
    }
});
