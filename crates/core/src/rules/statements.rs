//! Statements: what a sentence says, recognised by groups of words that stand close
//! together, not by one word anywhere on the page.
//!
//! A privacy notice states its purpose when a sentence says that the data is used *for*
//! something ("chỉ được sử dụng để giao hàng"), not when the word "mục đích" appears
//! ("Mục đích của chính sách bảo mật là…" is the policy's own goal). So a [`Pattern`] is a
//! few groups of terms that must all occur within a window of words of one another, in
//! order when the wording requires it; a refusal is a pattern too, for the look-alikes.
//!
//! What a page says is cut into [`units`]: sentences, each read under the heading of its
//! section, list items together with the sentence that introduces them, and a table's
//! label cell together with the cell beside it.
//!
//! Literals are read before the words: an e-mail address, a phone number, a URL and any
//! other number become the words [`EMAIL`], [`PHONE`], [`URL`] and [`NUMBER`], which rule
//! terms write as `<email>`, `<phone>`, `<url>` and `<number>`. So "liên hệ
//! dpo@example.vn" names a contact, while "email" in a list of collected data does not.

use super::terms::{TermSet, Tokens};
use crate::page::{Region, TextBlock};

/// The word an e-mail address becomes (`<email>` in rule terms).
pub const EMAIL: &str = "zzemailzz";
/// The word a phone number becomes (`<phone>`).
pub const PHONE: &str = "zzphonezz";
/// The word a web address becomes (`<url>`).
pub const URL: &str = "zzurlzz";
/// The word any other number becomes (`<number>`).
pub const NUMBER: &str = "zznumberzz";

/// Words of a unit before which nothing is said: longer units are cut.
const MAX_UNIT_CHARS: usize = 1_500;
/// Words followed by a full stop that do not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "TP", "Tp", "tp", "Q", "P", "TX", "TT", "ThS", "TS", "PGS", "GS", "BS", "KS", "St", "Mr", "Ms",
    "Dr", "No", "Co", "Ltd", "Inc", "v", "Tel", "ĐT",
];
/// Words in a block that can only be a label or a heading, never a statement.
const LABEL_WORDS: usize = 8;

/// A rule term with its literal placeholder spelled out (`<email>` → [`EMAIL`]).
pub fn term_words(term: &str) -> String {
    term.replace("<email>", EMAIL)
        .replace("<phone>", PHONE)
        .replace("<url>", URL)
        .replace("<number>", NUMBER)
}

/// Groups of terms that must co-occur (see the module docs).
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Each group with the number of its distinct terms that must occur.
    groups: Vec<(TermSet, usize)>,
    /// Largest distance, in words, between the first and the last match used.
    window: usize,
    /// The groups must occur in the order given.
    ordered: bool,
    /// Phrases whose words no group may use ("để lại" is no "để").
    except: Option<TermSet>,
}

impl Pattern {
    pub fn new(groups: Vec<(TermSet, usize)>, window: usize, ordered: bool) -> Pattern {
        Pattern {
            groups,
            window,
            ordered,
            except: None,
        }
    }

    /// The same pattern, its groups kept off the words of `except`.
    pub fn except(mut self, except: TermSet) -> Pattern {
        self.except = (!except.is_empty()).then_some(except);
        self
    }

    /// Whether every group occurs (`count` distinct terms of it) within the window.
    pub fn matches(&self, tokens: &Tokens) -> bool {
        let blocked: Vec<std::ops::Range<usize>> = self
            .except
            .as_ref()
            .map(|set| {
                set.find(tokens)
                    .into_iter()
                    .map(|m| m.word..m.word + set.word_count(m.term))
                    .collect()
            })
            .unwrap_or_default();
        let found: Vec<Vec<(usize, usize)>> = self
            .groups
            .iter()
            .map(|(set, count)| {
                let mut m: Vec<(usize, usize)> = set
                    .find(tokens)
                    .into_iter()
                    .filter(|m| {
                        let words = m.word..m.word + set.word_count(m.term);
                        !blocked
                            .iter()
                            .any(|b| b.start < words.end && words.start < b.end)
                    })
                    .map(|m| (m.word, m.term))
                    .collect();
                if *count > 1 {
                    m = non_overlapping(m, set);
                }
                m.sort_unstable();
                m
            })
            .collect();
        if found.iter().any(Vec::is_empty) {
            return false;
        }
        // Every match of every group is a candidate start of the window.
        let mut starts: Vec<usize> = found.iter().flatten().map(|(w, _)| *w).collect();
        starts.sort_unstable();
        starts.dedup();
        starts.into_iter().any(|start| self.fits(&found, start))
    }

    /// Whether the groups are satisfied by matches in `start ..= start + window`.
    fn fits(&self, found: &[Vec<(usize, usize)>], start: usize) -> bool {
        let end = start + self.window;
        let mut after = start;
        for ((_, count), matches) in self.groups.iter().zip(found) {
            let inside = matches.iter().filter(|(w, _)| *w >= start && *w <= end);
            if *count > 1 {
                let mut terms: Vec<usize> = inside.map(|(_, t)| *t).collect();
                terms.sort_unstable();
                terms.dedup();
                if terms.len() < *count {
                    return false;
                }
                continue;
            }
            let next = if self.ordered {
                inside.map(|(w, _)| *w).find(|w| *w >= after)
            } else {
                inside.map(|(w, _)| *w).next()
            };
            match next {
                Some(w) => after = w,
                None => return false,
            }
        }
        true
    }
}

/// Matches that share no word, the longest kept where they overlap: "họ và tên"
/// names one kind of data, not also "tên".
fn non_overlapping(mut matches: Vec<(usize, usize)>, set: &TermSet) -> Vec<(usize, usize)> {
    matches.sort_by_key(|(w, t)| (*w, std::cmp::Reverse(set.word_count(*t))));
    let mut kept: Vec<(usize, usize)> = Vec::with_capacity(matches.len());
    let mut free_from = 0;
    for (w, t) in matches {
        if w >= free_from {
            free_from = w + set.word_count(t);
            kept.push((w, t));
        }
    }
    kept
}

/// Tokens of a unit of text, its literals read first.
pub fn unit_tokens(text: &str) -> Tokens {
    Tokens::new(&mark_literals(text))
}

/// `text` with e-mail addresses, web addresses, phone numbers and other numbers
/// replaced by their placeholder words.
pub fn mark_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        let bare = word.trim_matches(|c: char| "()[]<>\"'“”,;:".contains(c));
        let lower = bare.to_ascii_lowercase();
        if is_email(bare) {
            out.push_str(&word.replace(bare, &format!(" {EMAIL} ")));
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            out.push_str(&word.replace(bare, &format!(" {URL} ")));
        } else {
            out.push_str(word);
        }
        out.push_str(space);
    }
    mark_numbers(&out)
}

fn is_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    let domain = domain.trim_end_matches('.');
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
}

/// Phone numbers (8 digits or more, starting like a Vietnamese number: 0…, +84…, 1900,
/// 1800) and then every other run of digits.
fn mark_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit()
            || (c == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            || (c == '(' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        let glued = i > 0 && chars[i - 1].is_alphanumeric();
        if !starts_number || glued {
            out.push(c);
            i += 1;
            continue;
        }
        // The longest run of digits and the separators phone numbers are written with.
        let mut j = i;
        let mut digits = String::new();
        while j < chars.len() {
            let d = chars[j];
            if d.is_ascii_digit() {
                digits.push(d);
            } else {
                // Separators phone numbers are written with, as long as digits follow.
                let is_sep = |c: &char| " .-()+".contains(*c);
                let run = chars[j..].iter().take_while(|c| is_sep(c)).count();
                let digit_follows = chars.get(j + run).is_some_and(char::is_ascii_digit);
                if !is_sep(&d) || run > 3 || !digit_follows || digits.len() >= 12 {
                    break;
                }
            }
            j += 1;
        }
        let phone = digits.len() >= 8
            && ["0", "84", "1900", "1800"]
                .iter()
                .any(|p| digits.starts_with(p));
        if phone {
            out.push_str(&format!(" {PHONE} "));
            i = j;
        } else {
            // Not a phone: each run of digits (and its decimal marks) is one number.
            let mut k = i;
            while k < chars.len()
                && (chars[k].is_ascii_digit()
                    || ((chars[k] == '.' || chars[k] == ',')
                        && chars.get(k + 1).is_some_and(char::is_ascii_digit)
                        && k > i))
            {
                k += 1;
            }
            if k == i {
                out.push(c);
                i += 1;
            } else {
                out.push_str(&format!(" {NUMBER} "));
                i = k;
            }
        }
    }
    out
}

/// A unit of what a page says: a sentence (or a list, or a table cell) and the heading,
/// introduction or label cell it is read under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// "Heading: introduction: " or empty.
    pub prefix: String,
    pub body: String,
    /// A list read under its heading or introduction, or a table cell read under its
    /// label cell: what the heading or label names is what the items are.
    pub listed: bool,
}

impl Unit {
    fn new(prefix: String, body: &str) -> Unit {
        let body = cut(body.to_string());
        Unit {
            prefix,
            body,
            listed: false,
        }
    }

    fn listed(prefix: String, body: &str) -> Unit {
        Unit {
            listed: true,
            ..Unit::new(prefix, body)
        }
    }

    /// The prefix and the body, as shown to owners.
    pub fn text(&self) -> String {
        format!("{}{}", self.prefix, self.body)
    }
}

/// The units of what a page says (see the module docs), from its visible blocks.
/// Navigation and menus (blocks that are mostly links) say nothing.
pub fn units(blocks: &[TextBlock]) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut section: Option<&str> = None;
    let mut intro: Option<String> = None;
    let mut label: Option<&str> = None;
    let mut list: Vec<&str> = Vec::new();
    let prefix = |section: Option<&str>, intro: Option<&str>| -> String {
        let mut p = String::new();
        for part in [section, intro].into_iter().flatten() {
            p.push_str(part.trim_end_matches(':'));
            p.push_str(": ");
        }
        p
    };
    let flush_list =
        |out: &mut Vec<Unit>, list: &mut Vec<&str>, section: Option<&str>, intro: Option<&str>| {
            if !list.is_empty() {
                out.push(Unit::listed(prefix(section, intro), &list.join("; ")));
                list.clear();
            }
        };
    for block in blocks {
        let text = block.text.as_str();
        let menu = block.link_chars * 2 > text.chars().count();
        if block.region == Region::Nav || menu {
            continue;
        }
        let words = text.split_whitespace().count();
        let is_item = block.item && !is_cell(block) || starts_with_bullet(text);
        if block.heading == 1 {
            flush_list(&mut out, &mut list, section, intro.as_deref());
            section = None;
            intro = None;
            label = None;
            continue;
        }
        if block.heading > 1 || (!block.item && is_pseudo_heading(text, words)) {
            flush_list(&mut out, &mut list, section, intro.as_deref());
            section = Some(text);
            intro = None;
            label = None;
            continue;
        }
        if is_item {
            list.push(text);
            continue;
        }
        flush_list(&mut out, &mut list, section, intro.as_deref());
        if is_cell(block) {
            if let Some(name) = label.take() {
                let p = prefix(section, Some(name));
                out.extend(sentences(text).map(|s| Unit::listed(p.clone(), s)));
            } else if words <= LABEL_WORDS && !ends_sentence(text) {
                label = Some(text);
            } else {
                let p = prefix(section, intro.as_deref());
                out.extend(sentences(text).map(|s| Unit::new(p.clone(), s)));
            }
            continue;
        }
        label = None;
        if text.trim_end().ends_with(':') {
            intro = Some(text.to_string());
            if words > LABEL_WORDS {
                // An introducing sentence says something too ("Chúng tôi thu thập:").
                out.push(Unit::new(prefix(section, None), text));
            }
            continue;
        }
        intro = None;
        if words <= 2 {
            continue;
        }
        let p = prefix(section, None);
        out.extend(sentences(text).map(|s| Unit::new(p.clone(), s)));
    }
    flush_list(&mut out, &mut list, section, intro.as_deref());
    out
}

fn is_cell(block: &TextBlock) -> bool {
    block.cell
}

fn cut(text: String) -> String {
    if text.len() <= MAX_UNIT_CHARS {
        return text;
    }
    let mut end = MAX_UNIT_CHARS;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn starts_with_bullet(text: &str) -> bool {
    text.starts_with(['-', '•', '+', '*', '–', '·'])
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end().ends_with(['.', ';', '!', '?'])
}

/// A line that numbers a section ("3. Thời gian lưu trữ", "II. QUYỀN CỦA BẠN", "Điều 4.
/// …") or is written all in capitals, with no sentence or introduction ending: a heading
/// written as a paragraph. Capitals make a heading of a longer line too ("4. NHỮNG NGƯỜI
/// HOẶC TỔ CHỨC CÓ THỂ ĐƯỢC TIẾP CẬN VỚI THÔNG TIN…").
fn is_pseudo_heading(text: &str, words: usize) -> bool {
    if words == 0 || words > 30 || ends_sentence(text) || text.trim_end().ends_with(':') {
        return false;
    }
    let first = text.split_whitespace().next().unwrap_or("");
    let numbered = {
        let stem = first.trim_end_matches(['.', ')', ':']);
        let digits = !stem.is_empty()
            && stem
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        // "3." and "II." and "a)", or "2.4" (a sub-section needs no final stop).
        (first.len() > stem.len()
            && !stem.is_empty()
            && (digits
                || stem.chars().all(|c| "IVXLC".contains(c))
                || (stem.chars().count() == 1 && stem.chars().all(char::is_alphabetic))))
            || (digits && stem.contains('.'))
    };
    let lower_first = first.to_lowercase();
    let article = ["điều", "mục", "chương", "phần"].contains(&lower_first.as_str());
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let capitals = words >= 2 && letters.len() >= 6 && letters.iter().all(|c| !c.is_lowercase());
    capitals || (words <= 12 && (numbered || article))
}

/// Sentences of a block: cut after `.`, `!` or `?` followed by a space and a capital
/// letter, a digit or an opening quote or bracket, except after a common abbreviation
/// ("TP. Hồ Chí Minh").
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut cuts = Vec::new();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let word_before = text[..i]
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            if c == '.' && ABBREVIATIONS.contains(&word_before) {
                continue;
            }
            let rest = &text[i + c.len_utf8()..];
            let trimmed = rest.trim_start();
            if trimmed.len() < rest.len() {
                if let Some(n) = trimmed.chars().next() {
                    if n.is_uppercase() || n.is_ascii_digit() || "\"“([".contains(n) {
                        cuts.push(i + c.len_utf8());
                    }
                }
            }
        }
    }
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for at in cuts {
        pieces.push(&text[from..at]);
        from = at;
    }
    pieces.push(&text[from..]);
    // A sentence that only points back ("Điều này…", "Nó…") continues the one before.
    let mut joined: Vec<&str> = Vec::with_capacity(pieces.len());
    let mut start = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let trimmed = piece.trim_start();
        let anaphor = ["Điều này", "Nó ", "This ", "It "]
            .iter()
            .any(|a| trimmed.starts_with(a));
        if i > 0 && anaphor {
            if let Some(last) = joined.pop() {
                let from = start - last.len();
                joined.push(&text[from..start + piece.len()]);
                start += piece.len();
                continue;
            }
        }
        joined.push(&text[start..start + piece.len()]);
        start += piece.len();
    }
    joined
        .into_iter()
        .map(str::trim)
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(groups: &[&[&str]], window: usize, ordered: bool) -> Pattern {
        Pattern::new(
            groups
                .iter()
                .map(|g| {
                    let terms: Vec<String> = g.iter().map(|t| term_words(t)).collect();
                    (TermSet::new(terms.iter().map(String::as_str)).unwrap(), 1)
                })
                .collect(),
            window,
            ordered,
        )
    }

    #[test]
    fn groups_must_stand_close_together_and_in_order_when_asked() {
        let p = pattern(&[&["sử dụng"], &["thông tin"], &["để"]], 8, true);
        assert!(p.matches(&unit_tokens(
            "Chúng tôi sử dụng thông tin của bạn để giao hàng."
        )));
        assert!(!p.matches(&unit_tokens(
            "Để bảo vệ thông tin, chúng tôi sử dụng mã hóa."
        )));
        let far = "Chúng tôi sử dụng nhiều biện pháp kỹ thuật hiện đại của các hãng lớn trên thế giới cho thông tin và để";
        assert!(!p.matches(&unit_tokens(far)));
    }

    #[test]
    fn literals_become_words() {
        let text = mark_literals(
            "Liên hệ: dpo@bank.example.vn, (028) 3821 6868 hoặc 1900 6868; lưu 05 năm; https://a.example/x",
        );
        assert!(text.contains(EMAIL), "{text}");
        assert_eq!(text.matches(PHONE).count(), 2, "{text}");
        assert!(text.contains(&format!("{NUMBER}  năm")), "{text}");
        assert!(text.contains(URL), "{text}");
        let p = pattern(&[&["liên hệ"], &["<email>", "<phone>"]], 6, false);
        assert!(p.matches(&unit_tokens(
            "Mọi thắc mắc xin liên hệ lienhe@example.gov.vn."
        )));
        assert!(!p.matches(&unit_tokens("Liên hệ qua email hoặc điện thoại.")));
    }

    #[test]
    fn sentences_are_cut_before_capitals() {
        let s: Vec<&str> = sentences("Một câu. Hai câu! ba tiếp theo. 3 năm.").collect();
        assert_eq!(s, vec!["Một câu.", "Hai câu! ba tiếp theo.", "3 năm."]);
    }

    fn block(text: &str, heading: u8, item: bool, cell: bool) -> TextBlock {
        TextBlock {
            text: text.into(),
            heading,
            item: item || cell,
            cell,
            region: Region::Main,
            link_chars: 0,
        }
    }

    #[test]
    fn units_read_sentences_under_headings_lists_and_label_cells() {
        let blocks = vec![
            block("Chính sách bảo mật", 1, false, false),
            block("1. Thông tin thu thập", 0, false, false),
            block("Chúng tôi thu thập các thông tin sau:", 0, false, false),
            block("Họ tên", 0, true, false),
            block("Email", 0, true, false),
            block("Thời gian lưu trữ", 2, false, false),
            block("Lưu 5 năm. Sau đó xóa.", 0, false, false),
            block("Mục đích xử lý", 0, false, true),
            block("Trả kết quả hồ sơ.", 0, false, true),
        ];
        let texts: Vec<String> = units(&blocks).iter().map(Unit::text).collect();
        assert_eq!(
            texts,
            vec![
                "1. Thông tin thu thập: Chúng tôi thu thập các thông tin sau: Họ tên; Email",
                "Thời gian lưu trữ: Lưu 5 năm.",
                "Thời gian lưu trữ: Sau đó xóa.",
                "Thời gian lưu trữ: Mục đích xử lý: Trả kết quả hồ sơ.",
            ]
        );
    }
}
