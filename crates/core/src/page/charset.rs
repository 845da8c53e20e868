//! Which character encoding a page is in, and its text.
//!
//! The order follows the HTML standard's encoding sniffing, simplified: a byte-order
//! mark wins, then the `charset` of `Content-Type`, then a `<meta charset>` or
//! `<meta http-equiv="Content-Type">` in the first bytes of the page, then a guess.
//! The guess is UTF-8 when the bytes are valid UTF-8 and otherwise windows-1258, the
//! legacy default browsers use for Vietnamese (older .gov.vn and .edu.vn pages were
//! written in it without declaring it). windows-1258 writes tone marks as combining
//! characters, so its text must be NFC-normalised before matching; `text` does that.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1258};
use serde::{Deserialize, Serialize};

/// How far into the page a `<meta>` declaration is looked for. The standard says 1024
/// bytes; real pages put long comments and scripts first, so a little more is read.
const META_PRESCAN_BYTES: usize = 4096;

/// Where the encoding used came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharsetSource {
    ByteOrderMark,
    ContentType,
    Meta,
    /// No usable declaration: valid UTF-8, else the Vietnamese legacy default.
    Sniffed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charset {
    /// WHATWG name of the encoding used, e.g. "UTF-8", "windows-1258".
    pub encoding: String,
    pub source: CharsetSource,
    /// A declaration that names no known encoding, kept so an owner can fix it.
    pub unknown_label: Option<String>,
    /// Some bytes were not valid in the encoding and became U+FFFD.
    pub had_errors: bool,
}

/// Decodes `bytes` into text (not yet normalised) and says how.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, Charset) {
    let mut unknown_label = None;
    let (encoding, source) = if let Some((enc, _)) = Encoding::for_bom(bytes) {
        (enc, CharsetSource::ByteOrderMark)
    } else if let Some(enc) = declared(content_type.and_then(charset_param), &mut unknown_label) {
        (enc, CharsetSource::ContentType)
    } else if let Some(enc) = declared(meta_charset(bytes), &mut unknown_label) {
        (enc, CharsetSource::Meta)
    } else if std::str::from_utf8(bytes).is_ok() {
        (UTF_8, CharsetSource::Sniffed)
    } else {
        (WINDOWS_1258, CharsetSource::Sniffed)
    };
    let (text, used, had_errors) = encoding.decode(bytes);
    (
        text.into_owned(),
        Charset {
            encoding: used.name().to_string(),
            source,
            unknown_label,
            had_errors,
        },
    )
}

/// The encoding a declared label names. The standard reads a declared UTF-16 in a page
/// that is being parsed as bytes as UTF-8, and so do we.
fn declared(label: Option<String>, unknown: &mut Option<String>) -> Option<&'static Encoding> {
    let label = label?;
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => Some(UTF_8),
        Some(enc) => Some(enc),
        None => {
            unknown.get_or_insert(label);
            None
        }
    }
}

/// The `charset` parameter of a `Content-Type` value.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The charset named by the first `<meta>` tag that names one, in the first bytes.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    let lower = head.to_ascii_lowercase();
    let mut at = 0;
    while let Some(pos) = find(&lower[at..], b"<meta") {
        let start = at + pos + 5;
        let end = lower[start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(lower.len(), |p| start + p);
        let tag = &lower[start..end];
        if let Some(p) = find(tag, b"charset") {
            let rest = &tag[p + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                let rest = rest.strip_prefix(b"'").unwrap_or(rest);
                let name: Vec<u8> = rest
                    .iter()
                    .copied()
                    .take_while(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(b))
                    .collect();
                if !name.is_empty() {
                    return Some(String::from_utf8_lossy(&name).into_owned());
                }
            }
        }
        at = end;
    }
    None
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::text::nfc;

    #[test]
    fn the_header_declaration_wins_over_meta() {
        let page = b"<meta charset=\"windows-1258\"><p>abc</p>";
        let (_, cs) = decode(page, Some("text/html; charset=UTF-8"));
        assert_eq!(cs.encoding, "UTF-8");
        assert_eq!(cs.source, CharsetSource::ContentType);
    }

    #[test]
    fn meta_charset_and_http_equiv_are_read() {
        let (_, cs) = decode(b"<html><head><META CHARSET='windows-1258'>", None);
        assert_eq!(
            (cs.encoding.as_str(), cs.source),
            ("windows-1258", CharsetSource::Meta)
        );
        let page =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\">";
        let (_, cs) = decode(page, Some("text/html"));
        assert_eq!(
            (cs.encoding.as_str(), cs.source),
            ("windows-1258", CharsetSource::Meta)
        );
    }

    #[test]
    fn windows_1258_bytes_decode_to_vietnamese_after_nfc() {
        let mut page = b"<meta charset=windows-1258><p>".to_vec();
        // Base letters followed by combining tone marks (0xEC acute, 0xD2 hook above,
        // 0xF2 dot below), as windows-1258 writes them; 0xE1 is a precomposed á.
        page.extend_from_slice(b"Chi\xECnh s\xE1ch ba\xD2o m\xE2\xF2t");
        let (text, cs) = decode(&page, None);
        assert_eq!(cs.encoding, "windows-1258");
        assert!(nfc(&text).contains("Chính sách bảo mật"), "{text}");
        assert!(!cs.had_errors);
    }

    #[test]
    fn undeclared_non_utf8_is_read_as_windows_1258() {
        let (text, cs) = decode(b"<p>m\xE2\xF2t</p>", None);
        assert_eq!(
            (cs.encoding.as_str(), cs.source),
            ("windows-1258", CharsetSource::Sniffed)
        );
        assert!(nfc(&text).contains("mật"));
        let (_, cs) = decode("<p>mật</p>".as_bytes(), None);
        assert_eq!(
            (cs.encoding.as_str(), cs.source),
            ("UTF-8", CharsetSource::Sniffed)
        );
    }

    #[test]
    fn an_unknown_label_is_kept_and_the_next_source_used() {
        let (_, cs) = decode(
            "<p>mật</p>".as_bytes(),
            Some("text/html; charset=tcvn3-abc"),
        );
        assert_eq!(cs.unknown_label.as_deref(), Some("tcvn3-abc"));
        assert_eq!(cs.source, CharsetSource::Sniffed);
    }

    #[test]
    fn a_bom_wins_and_utf16_declarations_read_as_utf8() {
        let (text, cs) = decode(b"\xEF\xBB\xBFabc", Some("text/html; charset=windows-1258"));
        assert_eq!(
            (text.as_str(), cs.source),
            ("abc", CharsetSource::ByteOrderMark)
        );
        let (_, cs) = decode(b"<meta charset=utf-16><p>x", None);
        assert_eq!(cs.encoding, "UTF-8");
    }
}
