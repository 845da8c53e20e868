//! Diacritic-insensitive text matching for search.
//!
//! People type Vietnamese names without tone marks ("bo tai chinh") or with them
//! ("Bộ Tài chính"); both must find the same site. Text is folded once when it is stored
//! (the `search_key` column) and the query is folded the same way, so the database only
//! compares plain ASCII.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-case, without combining marks, `đ` as `d`, runs of non-alphanumerics as one
/// space. Letters of other scripts are kept (lower-cased) rather than dropped, so a
/// query in them still matches itself.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The stored search key of a site: every field a visitor may search by, folded, with
/// the host in both its Unicode and its ASCII form.
pub fn search_key(
    host: &str,
    organisation: &str,
    category: &str,
    province: &str,
    parent: &str,
) -> String {
    let unicode = crate::target::display_host(host);
    let mut parts = vec![fold(&unicode)];
    if unicode != host {
        parts.push(fold(host));
    }
    parts.extend([fold(organisation), fold(category), fold(province)]);
    if !parent.is_empty() {
        parts.push(fold(parent));
    }
    // `|` never survives folding, so a query cannot match across two fields.
    format!("|{}|", parts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_fold_to_what_people_type_without_marks() {
        assert_eq!(fold("Bộ Tài chính"), "bo tai chinh");
        assert_eq!(fold("Sở Y tế Đà Nẵng"), "so y te da nang");
        assert_eq!(fold("ĐẠI HỌC Quốc gia"), "dai hoc quoc gia");
        assert_eq!(fold("  bo   tai-chinh.gov.vn "), "bo tai chinh gov vn");
    }

    #[test]
    fn decomposed_input_folds_like_precomposed() {
        let decomposed = "Bo\u{0302}\u{0323} Ta\u{0300}i";
        assert_eq!(fold(decomposed), fold("Bộ Tài"));
    }

    #[test]
    fn the_search_key_holds_every_field_and_both_host_forms() {
        let (ascii, _) = crate::target::normalise_host("bộtàichính.gov.vn").unwrap();
        let key = search_key(&ascii, "Bộ Tài chính", "government", "Hà Nội", "");
        assert!(key.contains("bo tai chinh"), "{key}");
        assert!(key.contains("botaichinh gov vn"), "{key}");
        assert!(key.contains(&fold(&ascii)), "{key}");
        assert!(key.contains("ha noi"), "{key}");
        assert!(
            !key.contains("chinh ha"),
            "fields must not run together: {key}"
        );
    }
}
