//! Any bytes as a fetched page: charset sniffing, the nesting guard, html5ever and the
//! walk that collects forms, links, resources and text, then the built-in page rules
//! reading the facts (privacy fields and notice link, software detection). The first
//! byte picks the `Content-Type` the response declares.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trustlabel_core::evidence::{Body, Header, HttpResponse};
use trustlabel_core::page::{PageLimits, analyse_page};
use trustlabel_core::rules::PageRules;

const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=windows-1258"),
    Some("text/html"),
    Some("text/html; charset=\"utf-16le\""),
    Some("application/xhtml+xml"),
];

fn rules() -> &'static PageRules {
    static RULES: OnceLock<PageRules> = OnceLock::new();
    RULES.get_or_init(|| PageRules::builtin().expect("built-in page rules"))
}

fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    let headers = CONTENT_TYPES[usize::from(*which) % CONTENT_TYPES.len()]
        .map(|ct| Header {
            name: "content-type".into(),
            value: ct.into(),
            invalid_utf8: false,
        })
        .into_iter()
        .collect();
    let response = HttpResponse {
        status: 200,
        version: "HTTP/1.1".into(),
        headers,
        body: Body {
            bytes: body.to_vec(),
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 0,
    };
    let limits = PageLimits {
        max_depth: 64,
        max_elements: 20_000,
        ..PageLimits::default()
    };
    let facts = analyse_page("https://fuzz.example.gov.vn/a/b", &response, &limits);
    let rules = rules();
    let _ = rules.privacy.notice_link_to_fetch(&facts);
    for form in &facts.forms {
        for input in &form.inputs {
            let _ = rules.privacy.classify(input);
        }
    }
    let _ = rules.software.detect(&facts);
});
