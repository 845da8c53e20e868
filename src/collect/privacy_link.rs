//! Finds the links of a home page that look like its privacy notice.
//!
//! A deliberately small stopgap behind one function, [`find_links`]: the page analysis
//! (`src/page/`, with charset decoding, NFC/NFD and diacritic folding) owns the real
//! matcher and replaces this body when it lands. Until then this recognises the usual
//! Vietnamese and English wordings in precomposed (NFC) or unaccented form, in the link
//! text or in the URL slug, on UTF-8 pages.

use crate::evidence::HttpResponse;
use regex::Regex;
use url::Url;

/// Link text or URL fragments (lower case) that name a privacy notice.
const VOCABULARY: [&str; 14] = [
    "chính sách bảo mật",
    "chinh sach bao mat",
    "chinh-sach-bao-mat",
    "chính sách riêng tư",
    "chinh-sach-rieng-tu",
    "bảo vệ dữ liệu cá nhân",
    "bao ve du lieu ca nhan",
    "bao-ve-du-lieu",
    "dữ liệu cá nhân",
    "quyền riêng tư",
    "quyen rieng tu",
    "quyen-rieng-tu",
    "privacy",
    "bảo mật thông tin",
];

/// Absolute http(s) URLs of the links whose text or address uses privacy vocabulary, in
/// document order (the first is the best guess). Off-site links are included: the caller
/// decides what it may fetch.
pub fn find_links(page_url: &Url, response: &HttpResponse) -> Vec<Url> {
    let (Ok(anchor), Ok(href), Ok(tag)) = (
        Regex::new(r"(?is)<a\b([^>]*)>(.*?)</a\s*>"),
        Regex::new(r#"(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#),
        Regex::new(r"(?s)<[^>]*>"),
    ) else {
        return Vec::new();
    };
    let html = String::from_utf8_lossy(&response.body.bytes);
    let mut found: Vec<Url> = Vec::new();
    for a in anchor.captures_iter(&html) {
        let (Some(attributes), Some(inner)) = (a.get(1), a.get(2)) else {
            continue;
        };
        let Some(target) = href
            .captures(attributes.as_str())
            .and_then(|h| h.get(1).or(h.get(2)).or(h.get(3)))
        else {
            continue;
        };
        let target = target.as_str().trim().replace("&amp;", "&");
        let text = tag.replace_all(inner.as_str(), " ").to_lowercase();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let address = target.to_lowercase();
        if !VOCABULARY
            .iter()
            .any(|word| text.contains(word) || address.contains(word))
        {
            continue;
        }
        if let Ok(url) = page_url.join(&target) {
            if matches!(url.scheme(), "http" | "https") && !found.contains(&url) {
                found.push(url);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Body;

    fn page(html: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            version: "HTTP/1.1".into(),
            headers: vec![],
            body: Body {
                bytes: html.as_bytes().to_vec(),
                truncated: false,
                timed_out: false,
                content_encoding: None,
                decode_error: None,
            },
            elapsed_ms: 1,
        }
    }

    fn links(html: &str) -> Vec<String> {
        let base = Url::parse("https://portal.gov.vn/vi/").unwrap();
        find_links(&base, &page(html))
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn vietnamese_text_slugs_and_english_are_recognised() {
        assert_eq!(
            links(
                "<a href='/gioi-thieu'>Giới thiệu</a><a class=x href=\"/cs\">Chính Sách <b>Bảo Mật</b></a>"
            ),
            ["https://portal.gov.vn/cs"]
        );
        assert_eq!(
            links("<A HREF=chinh-sach-bao-mat.html>Điều khoản</A>"),
            ["https://portal.gov.vn/vi/chinh-sach-bao-mat.html"]
        );
        assert_eq!(
            links("<a href=\"/p?a=1&amp;b=2\">Privacy Policy</a>"),
            ["https://portal.gov.vn/p?a=1&b=2"]
        );
        assert_eq!(
            links("<a href=\"/bv\">Bao ve du lieu ca nhan</a>"),
            ["https://portal.gov.vn/bv"]
        );
    }

    #[test]
    fn other_links_and_non_web_targets_are_ignored() {
        assert_eq!(
            links("<a href=\"/tin-tuc\">Tin tức</a>"),
            Vec::<String>::new()
        );
        assert_eq!(
            links("<a href=\"mailto:privacy@portal.gov.vn\">privacy</a><a>privacy</a>"),
            Vec::<String>::new()
        );
        assert_eq!(
            links("<a href=\"https://policies.google.com/privacy\">Google privacy</a>"),
            ["https://policies.google.com/privacy"],
            "off-site links are returned; the collector refuses to fetch them"
        );
    }
}
