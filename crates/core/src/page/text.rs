//! Text normalisation for matching Vietnamese and English vocabulary.
//!
//! Vietnamese text reaches us in several byte forms that render identically: precomposed
//! (NFC, what most editors save), decomposed (NFD, common from macOS and from
//! windows-1258, whose tone marks are combining characters) and unaccented (typed
//! without a Vietnamese keyboard, or written that way on purpose by spammers to dodge
//! filters). Matching therefore works on two forms of every text:
//!
//! - [`exact_form`]: NFC, lower-cased, words separated by single spaces. Diacritics are
//!   significant, so "nổ hũ" (a slot game) does not match "nợ hư".
//! - [`folded_form`]: the same with every diacritic removed and `đ` read as `d`, so
//!   "Chính sách bảo mật" matches "chinh sach bao mat".
//!
//! Both forms start and end with a space so that a term matches whole words only by
//! searching for `" term "`. A run of letters and a run of digits are two words even
//! when nothing separates them: inline markup glues "đổi thưởng<b>10</b>" into
//! "thưởng10", and spammers write brand names both as "W88" and "W 88".
//!
//! [`tone_folded`] is a third form for comparing two words that are known to match
//! once folded: it drops the five tone marks but keeps the vowel letters (ă â ê ô ơ ư
//! đ), so a hỏi/ngã slip ("nỗ hủ" for "nổ hũ") still reads the same while "bán cá"
//! (selling fish) never reads "bắn cá".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Unicode NFC: the canonical form stored in facts and quoted in findings.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// Lower-cased NFC words, space-separated and space-padded (see the module docs).
pub fn exact_form(text: &str) -> String {
    words(text.nfc().flat_map(char::to_lowercase))
}

/// Lower-cased words without diacritics, space-separated and space-padded.
pub fn folded_form(text: &str) -> String {
    words(fold_chars(text))
}

/// Lower-case, diacritic-free characters of `text` (`đ` → `d`).
fn fold_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'đ' => 'd',
            other => other,
        })
}

/// Joins the alphanumeric runs of `chars` with single spaces, padded with one space on
/// each side. Everything that is not a letter or digit separates words, and so does the
/// boundary between letters and digits ("thưởng10" reads "thưởng 10").
fn words(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::from(" ");
    // Whether the last character pushed was a digit (None after a space).
    let mut last_digit: Option<bool> = None;
    for c in chars {
        if c.is_alphanumeric() || is_combining_mark(c) {
            let digit = c.is_numeric();
            if last_digit.is_some_and(|d| d != digit) && !is_combining_mark(c) {
                out.push(' ');
            }
            out.push(c);
            last_digit = Some(digit);
        } else if !out.ends_with(' ') {
            out.push(' ');
            last_digit = None;
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The tone marks (huyền, sắc, hỏi, ngã, nặng) as combining characters.
const TONE_MARKS: [char; 5] = ['\u{300}', '\u{301}', '\u{309}', '\u{303}', '\u{323}'];

/// `word` (already lower-case) without its tone marks, vowel letters kept, in NFC (see
/// the module docs).
pub fn tone_folded(word: &str) -> String {
    word.nfd()
        .filter(|c| !TONE_MARKS.contains(c))
        .nfc()
        .collect()
}

/// An identifier (input name, id, URL path) reduced to lower-case ASCII letters and
/// digits, so `so_dien_thoai`, `soDienThoai` and `so-dien-thoai` all read `sodienthoai`.
pub fn identifier(text: &str) -> String {
    fold_chars(text).filter(|c| c.is_alphanumeric()).collect()
}

/// Whether any character carries a Vietnamese diacritic (or `đ`): text written with
/// accents is matched against accented terms only.
pub fn has_diacritics(text: &str) -> bool {
    text.nfd()
        .any(|c| is_combining_mark(c) || c == 'đ' || c == 'Đ')
}

/// Collapses whitespace runs to one space and trims: how page text is stored.
pub fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max` characters of `text`, with `…` when cut: findings quote page text,
/// and a hostile page must not be able to bloat them.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NFC: &str = "Chính sách bảo mật";

    #[test]
    fn nfd_and_nfc_give_the_same_forms() {
        let nfd: String = NFC.nfd().collect();
        assert_ne!(nfd, NFC, "the fixture really is decomposed");
        assert_eq!(exact_form(&nfd), exact_form(NFC));
        assert_eq!(exact_form(NFC), " chính sách bảo mật ");
        assert_eq!(nfc(&nfd), NFC);
    }

    #[test]
    fn folding_removes_accents_and_reads_d_bar_as_d() {
        assert_eq!(folded_form(NFC), " chinh sach bao mat ");
        assert_eq!(folded_form("ĐĂNG KÝ nhận thưởng!"), " dang ky nhan thuong ");
        assert_eq!(folded_form("chinh  sach\nbao-mat"), " chinh sach bao mat ");
    }

    #[test]
    fn letters_and_digits_are_separate_words() {
        assert_eq!(exact_form("Đổi thưởng10 W88"), " đổi thưởng 10 w 88 ");
        assert_eq!(folded_form("hi88vip"), " hi 88 vip ");
        assert_eq!(exact_form("13/2023/NĐ-CP"), " 13 2023 nđ cp ");
    }

    #[test]
    fn tone_folding_keeps_vowel_letters() {
        assert_eq!(tone_folded("nỗ"), tone_folded("nổ"));
        assert_eq!(tone_folded("hủ"), tone_folded("hũ"));
        assert_ne!(tone_folded("bán"), tone_folded("bắn"));
        assert_ne!(tone_folded("đời"), tone_folded("đổi"));
        assert_eq!(tone_folded("thưởng"), "thương");
    }

    #[test]
    fn accents_stay_significant_in_the_exact_form() {
        assert_ne!(exact_form("nổ hũ"), exact_form("nợ hư"));
        assert_eq!(folded_form("nổ hũ"), folded_form("no hu"));
    }

    #[test]
    fn identifiers_ignore_case_separators_and_accents() {
        assert_eq!(identifier("so_dien_thoai"), "sodienthoai");
        assert_eq!(identifier("soDienThoai"), "sodienthoai");
        assert_eq!(identifier("Số điện thoại"), "sodienthoai");
        assert_eq!(identifier("user[email]"), "useremail");
    }

    #[test]
    fn diacritics_are_detected_in_either_form() {
        assert!(has_diacritics("bảo mật"));
        let nfd: String = "bảo mật".nfd().collect();
        assert!(has_diacritics(&nfd));
        assert!(has_diacritics("Đà"));
        assert!(!has_diacritics("bao mat"));
    }

    #[test]
    fn excerpts_are_bounded_and_marked() {
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("ab\u{7}c", 10), "ab c");
    }
}
