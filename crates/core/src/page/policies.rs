//! Policies a page declares in its own markup: `<meta http-equiv="Content-Security-Policy">`
//! and `<meta name="referrer">`.
//!
//! Browsers enforce these like the response's headers (HTML §4.2.5.3 "Content security
//! policy state", §4.2.5.1 "referrer"), so a page judged by its headers alone can be
//! wrongly reported as unprotected. This module records facts only — what each element
//! says and where it stands — and the header checks decide what a browser makes of them.

use scraper::{Html, Node};
use serde::{Deserialize, Serialize};

/// Elements of each kind kept: a page with more is hostile, not protected.
const MAX_ELEMENTS: usize = 16;
/// Bytes of one `content` attribute kept (a policy longer than this is cut, and
/// [`MetaCsp::truncated`] says so).
const MAX_CONTENT_BYTES: usize = 8 * 1024;

/// The policies of one page's markup, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaPolicies {
    /// Every `<meta http-equiv="content-security-policy">` (any case).
    pub csp: Vec<MetaCsp>,
    /// The `content` of every `<meta name="referrer">` (any case), as written.
    pub referrer: Vec<String>,
}

/// One `<meta http-equiv="content-security-policy">`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaCsp {
    /// The `content` attribute as written (empty when absent).
    pub content: String,
    /// A child of `<head>`: HTML ignores the element anywhere else.
    pub in_head: bool,
    /// A `<script>` element comes before it in document order: that script ran before
    /// the policy existed.
    pub after_script: bool,
    /// `content` was longer than the bytes kept.
    pub truncated: bool,
}

/// Reads the policy elements of a parsed document (see the module docs).
pub(super) fn collect(document: &Html) -> MetaPolicies {
    let mut found = MetaPolicies::default();
    let mut seen_script = false;
    for node in document.tree.root().descendants() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        match el.name() {
            "script" => seen_script = true,
            "meta" => {
                let content = el.attr("content");
                let named = |attr: &str, value: &str| {
                    el.attr(attr).is_some_and(|v| v.eq_ignore_ascii_case(value))
                };
                if named("http-equiv", "content-security-policy") && found.csp.len() < MAX_ELEMENTS
                {
                    let in_head = node
                        .parent()
                        .and_then(|p| p.value().as_element().map(|e| e.name() == "head"))
                        .unwrap_or(false);
                    let (content, truncated) = bounded(content.unwrap_or(""));
                    found.csp.push(MetaCsp {
                        content,
                        in_head,
                        after_script: seen_script,
                        truncated,
                    });
                }
                if named("name", "referrer") && found.referrer.len() < MAX_ELEMENTS {
                    if let Some(content) = content {
                        found.referrer.push(bounded(content).0);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// At most [`MAX_CONTENT_BYTES`], cut on a character boundary.
fn bounded(text: &str) -> (String, bool) {
    if text.len() <= MAX_CONTENT_BYTES {
        return (text.to_string(), false);
    }
    let mut end = MAX_CONTENT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(html: &str) -> MetaPolicies {
        collect(&Html::parse_document(html))
    }

    #[test]
    fn csp_in_head_before_any_script_is_recorded_as_written() {
        let p = policies(
            "<!doctype html><html><head><META HTTP-EQUIV=\"Content-Security-Policy\" \
             content=\"default-src 'none'\"><script>1</script></head><body></body></html>",
        );
        assert_eq!(
            p.csp,
            [MetaCsp {
                content: "default-src 'none'".into(),
                in_head: true,
                after_script: false,
                truncated: false,
            }]
        );
    }

    #[test]
    fn position_facts_follow_the_parsed_tree() {
        // A meta before <head> is put into the implied head; one in the body stays there.
        let p = policies(
            "<meta http-equiv=content-security-policy content=\"img-src 'none'\">\
             <script src=a.js></script>\
             <meta http-equiv=content-security-policy content=\"script-src 'none'\">\
             <body><p>x</p><meta http-equiv=content-security-policy content=\"object-src 'none'\">",
        );
        let facts: Vec<(bool, bool)> = p.csp.iter().map(|c| (c.in_head, c.after_script)).collect();
        assert_eq!(facts, [(true, false), (true, true), (false, true)]);
    }

    #[test]
    fn referrer_metas_are_kept_in_order_without_trimming() {
        let p = policies(
            "<head><meta name=Referrer content=\" unsafe-url\"><meta name=referrer>\
             </head><body><meta name=\"REFERRER\" content=\"never\"></body>",
        );
        assert_eq!(p.referrer, [" unsafe-url", "never"]);
        assert!(p.csp.is_empty());
    }

    #[test]
    fn hostile_pages_are_bounded() {
        let many = "<meta http-equiv=content-security-policy content=x>".repeat(40);
        assert_eq!(policies(&many).csp.len(), MAX_ELEMENTS);
        let long = format!(
            "<meta http-equiv=content-security-policy content=\"{}\">",
            "é".repeat(MAX_CONTENT_BYTES)
        );
        let csp = &policies(&long).csp[0];
        assert!(csp.truncated && csp.content.len() <= MAX_CONTENT_BYTES);
    }
}
