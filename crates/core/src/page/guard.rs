//! Bounds the parser's work on hostile HTML before it sees the page.
//!
//! html5ever is linear in most inputs but not in nesting depth: every start tag of an
//! ordinary element checks the stack of open elements for an open `<p>`, so N nested
//! `<div>`s cost O(N²) — 40,000 of them (200 KB) took 16 s in a measurement, and a
//! 2 MB page of them would take hours. A hacked or hostile page must not stall a scan,
//! so before parsing, a cheap byte scanner estimates the nesting depth and removes the
//! start tags that would push it past a cap (and their end tags). The text between
//! them is kept, so nothing a visitor could read is lost; only structure beyond the
//! cap (far deeper than any real page) is flattened.
//!
//! The estimate counts only elements that nest: void elements (`<br>`, `<img>`...),
//! self-closed tags and elements the parser closes implicitly (`<p>`, `<li>`, `<td>`,
//! `<option>`...) do not deepen it, and raw-text elements (`<script>`, `<style>`...)
//! are skipped to their end tag so their content is never read as tags.

/// Elements with no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "frame", "basefont", "bgsound",
];

/// Elements the parser closes when a sibling opens, so unclosed ones do not nest.
const IMPLIED_END: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb",
    "rt", "rtc", "rp", "html", "head", "body", "colgroup", "caption",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// What [`flatten_deep_nesting`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuardReport {
    /// Start tags removed because they nested deeper than the cap.
    pub tags_removed: usize,
}

/// `html` with every start tag that would nest deeper than `max_depth` removed (and as
/// many matching end tags). Borrowed unchanged when nothing needed removing.
pub fn flatten_deep_nesting(
    html: &str,
    max_depth: usize,
) -> (std::borrow::Cow<'_, str>, GuardReport) {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied_to = 0; // bytes of `html` already copied into `out`
    let mut depth = 0usize;
    let mut excess = 0usize; // removed start tags whose end tags are still to come
    let mut report = GuardReport::default();
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let start = i + off;
        let rest = &bytes[start + 1..];
        if rest.starts_with(b"!--") {
            i = find(&bytes[start..], b"-->").map_or(bytes.len(), |p| start + p + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = tag_end(bytes, name_start + name_len);
        let self_closed = end >= 2 && bytes[end - 2] == b'/';
        let nests = !VOID.contains(&name.as_str())
            && !IMPLIED_END.contains(&name.as_str())
            && !RAW_TEXT.contains(&name.as_str());
        let mut remove = false;
        if closing {
            if nests {
                if excess > 0 {
                    excess -= 1;
                    remove = true;
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
        } else if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = find_ignore_case(&bytes[end..], close.as_bytes()).map_or(bytes.len(), |p| end + p);
            continue;
        } else if nests && !self_closed {
            if depth >= max_depth {
                excess += 1;
                remove = true;
                report.tags_removed += 1;
            } else {
                depth += 1;
            }
        }
        if remove {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied_to..start]);
            // Keep a word boundary where the tag was, as the parser would.
            buf.push(' ');
            copied_to = end;
        }
        i = end;
    }
    match out {
        None => (std::borrow::Cow::Borrowed(html), report),
        Some(mut buf) => {
            buf.push_str(&html[copied_to..]);
            (std::borrow::Cow::Owned(buf), report)
        }
    }
}

/// Index just past the `>` that ends a tag whose name ends at `from`, skipping quoted
/// attribute values; the end of input when there is none.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (k, &b) in bytes[from..].iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return from + k + 1,
            None => {}
        }
    }
    bytes.len()
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|b| *b == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `needle` must be lower-case ASCII.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_unchanged() {
        let page = "<html><body><div><p>a<p>b<ul><li>x<li>y</ul><img src=a.png><br>\
                    <script>if (a<b) { document.write('<div><div>') }</script></div>";
        let (out, report) = flatten_deep_nesting(page, 3);
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!(report.tags_removed, 0);
    }

    #[test]
    fn nesting_past_the_cap_is_flattened_but_text_is_kept() {
        let page = format!(
            "{}deep text{}<a href=/x>after</a>",
            "<div>".repeat(10),
            "</div>".repeat(10)
        );
        let (out, report) = flatten_deep_nesting(&page, 4);
        assert_eq!(report.tags_removed, 6);
        assert_eq!(out.matches("<div>").count(), 4);
        assert_eq!(out.matches("</div>").count(), 4);
        assert!(out.contains("deep text"));
        assert!(out.contains("<a href=/x>after</a>"));
    }

    #[test]
    fn quoted_angle_brackets_and_comments_do_not_confuse_the_scan() {
        let page = "<div title='a>b'><!-- <div><div><div> --><span>x</span></div>";
        let (out, report) = flatten_deep_nesting(page, 2);
        assert_eq!(report.tags_removed, 0, "{out}");
    }
}
