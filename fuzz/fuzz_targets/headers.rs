//! Any header value, fed to the security-header parsers (HSTS, CSP, Set-Cookie with its
//! cookie dates, Referrer-Policy) and to the `charset` reading of `Content-Type`. They
//! are total: any text is a value or a reasoned error. A panic or a hang here is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use trustlabel_core::checks::parse::{csp, hsts, referrer, set_cookie};
use trustlabel_core::page::charset;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = hsts::parse(&text);
    for policy in csp::parse_header(&text) {
        for name in ["script-src", "object-src", "frame-ancestors", "default-src"] {
            if let Some(d) = policy.effective(name) {
                let _ = d.has_nonce_or_hash();
            }
        }
    }
    let _ = csp::parse_policy(&text);
    if let Ok(cookie) = set_cookie::parse(&text) {
        let _ = cookie.prefix();
        let _ = cookie.stored_by_browsers(true);
        let _ = cookie.is_removal(OffsetDateTime::UNIX_EPOCH);
    }
    let _ = referrer::effective(text.split('\n'));
    // `Content-Type` with a charset parameter, then the same bytes as a page that names
    // its charset in a `<meta>` tag.
    let _ = charset::decode(b"<p>x</p>", Some(&text));
    let _ = charset::decode(data, None);
});
