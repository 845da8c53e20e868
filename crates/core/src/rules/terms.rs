//! Whole-word vocabulary matching over Vietnamese and English text.
//!
//! A term matches a run of words of the text when the words are the same after NFC and
//! lower-casing (diacritics significant), or when the text's words carry no diacritics
//! at all and equal the term's words with its diacritics removed. So "Chính sách bảo
//! mật" matches "chinh sach bao mat" (typed without accents, as spammers and old
//! keyboards do) and its NFD form, while "nợ hư" never matches the term "nổ hũ".
//! A set built [`TermSet::with_tone_slips`] also matches, for terms of two words or
//! more, text whose tone marks differ but whose vowel letters are the same ("nỗ hủ" for
//! "nổ hũ", the hỏi/ngã slip spammers make on purpose); a one-word term never does
//! ("kèo", a bet, is not "kẹo", a sweet). Other sets keep tones significant: "tiền sự"
//! (a criminal record) is not "tiền sử" (a medical history).
//!
//! All terms of a set are searched at once (Aho-Corasick over the folded words), so the
//! cost is linear in the text whatever the size of the vocabulary.

use crate::page::text::{exact_form, folded_form, tone_folded};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A page text split into words, ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    exact: Vec<String>,
    /// The words without diacritics, joined as " w1 w2 ... ".
    folded: String,
    /// Byte offset in `folded` of each word (after its leading space).
    starts: Vec<usize>,
}

impl Tokens {
    pub fn new(text: &str) -> Tokens {
        let exact: Vec<String> = exact_form(text)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let mut folded = String::from(" ");
        let mut starts = Vec::with_capacity(exact.len());
        for word in &exact {
            starts.push(folded.len());
            // Folding word by word keeps the two forms aligned one word to one word.
            folded.push_str(folded_form(word).trim());
            folded.push(' ');
        }
        Tokens {
            exact,
            folded,
            starts,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Word index of a byte offset in `folded` that starts a word.
    fn word_at(&self, offset: usize) -> Option<usize> {
        self.starts.binary_search(&offset).ok()
    }
}

/// One occurrence of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermMatch {
    /// Index of the term in the set.
    pub term: usize,
    /// Index of its first word in the text.
    pub word: usize,
}

#[derive(Debug, Clone)]
pub struct TermSet {
    automaton: AhoCorasick,
    /// Per term: its words in exact form.
    terms: Vec<Vec<String>>,
    /// Per term of two words or more: its words without tone marks; empty for one-word
    /// terms (which must match exactly or unaccented).
    toneless: Vec<Vec<String>>,
    display: Vec<String>,
}

/// Whether a word has no diacritic at all.
fn unaccented_word(w: &str) -> bool {
    w.is_ascii() || folded_form(w).trim() == w
}

impl TermSet {
    /// A set of terms; the error names a term that has no words (only punctuation).
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Result<TermSet, String> {
        TermSet::build(terms, false)
    }

    /// A set whose terms of two words or more also match with other tone marks (see
    /// the module docs).
    pub fn with_tone_slips<'a>(
        terms: impl IntoIterator<Item = &'a str>,
    ) -> Result<TermSet, String> {
        TermSet::build(terms, true)
    }

    fn build<'a>(
        terms: impl IntoIterator<Item = &'a str>,
        tone_slips: bool,
    ) -> Result<TermSet, String> {
        let mut exact = Vec::new();
        let mut toneless = Vec::new();
        let mut patterns = Vec::new();
        let mut display = Vec::new();
        for term in terms {
            let words: Vec<String> = exact_form(term)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect();
            if words.is_empty() {
                return Err(format!("term `{term}` has no letters or digits"));
            }
            let folded: Vec<String> = words
                .iter()
                .map(|w| folded_form(w).trim().to_string())
                .collect();
            patterns.push(format!(" {} ", folded.join(" ")));
            toneless.push(if tone_slips && words.len() > 1 {
                words.iter().map(|w| tone_folded(w)).collect()
            } else {
                Vec::new()
            });
            exact.push(words);
            display.push(term.trim().to_string());
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| format!("term set too large: {e}"))?;
        Ok(TermSet {
            automaton,
            terms: exact,
            toneless,
            display,
        })
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// How many words a term has.
    pub fn word_count(&self, term: usize) -> usize {
        self.terms.get(term).map_or(1, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The term as written in the rule file.
    pub fn display(&self, term: usize) -> &str {
        self.display.get(term).map_or("", String::as_str)
    }

    /// Every occurrence of every term (see the module docs for what matches).
    pub fn find(&self, tokens: &Tokens) -> Vec<TermMatch> {
        let mut out = Vec::new();
        if tokens.is_empty() || self.is_empty() {
            return out;
        }
        for m in self.automaton.find_overlapping_iter(&tokens.folded) {
            let term = m.pattern().as_usize();
            // The pattern starts with the space before the first word.
            let Some(word) = tokens.word_at(m.start() + 1) else {
                continue;
            };
            let Some(term_words) = self.terms.get(term) else {
                continue;
            };
            let Some(text_words) = tokens.exact.get(word..word + term_words.len()) else {
                continue;
            };
            let same = text_words == term_words.as_slice();
            let unaccented = || text_words.iter().all(|w| unaccented_word(w));
            let other_tones = || {
                self.toneless.get(term).is_some_and(|t| {
                    !t.is_empty() && t.iter().zip(text_words).all(|(a, b)| *a == tone_folded(b))
                })
            };
            if same || unaccented() || other_tones() {
                out.push(TermMatch { term, word });
            }
        }
        out
    }

    /// Whether any term occurs.
    pub fn any(&self, tokens: &Tokens) -> bool {
        !self.find(tokens).is_empty()
    }

    /// Distinct terms found, as written in the rule file, in rule order.
    pub fn found(&self, tokens: &Tokens) -> Vec<usize> {
        let mut terms: Vec<usize> = self.find(tokens).into_iter().map(|m| m.term).collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn set(terms: &[&str]) -> TermSet {
        TermSet::new(terms.iter().copied()).unwrap()
    }

    #[test]
    fn accented_unaccented_and_nfd_text_match_an_accented_term() {
        let terms = set(&["chính sách bảo mật"]);
        for text in [
            "Xem Chính sách bảo mật của chúng tôi",
            "CHINH SACH BAO MAT",
            &"Chính sách bảo mật".nfd().collect::<String>(),
        ] {
            assert!(terms.any(&Tokens::new(text)), "{text}");
        }
    }

    #[test]
    fn other_accents_do_not_match_and_words_are_whole() {
        let terms = set(&["nổ hũ", "casino"]);
        assert!(!terms.any(&Tokens::new("khoản nợ hư hỏng")));
        assert!(!terms.any(&Tokens::new("casinos")));
        assert!(terms.any(&Tokens::new("chơi no hu")));
        assert!(terms.any(&Tokens::new("Casino!")));
    }

    #[test]
    fn other_tone_marks_match_terms_of_two_words_only() {
        let strict = set(&["tiền sự"]);
        assert!(
            !strict.any(&Tokens::new("Tiền sử bệnh")),
            "tones are significant"
        );
        let terms = TermSet::with_tone_slips(["nổ hũ", "kèo", "bắn cá"]).unwrap();
        assert!(terms.any(&Tokens::new("chơi nỗ hủ mỗi ngày")));
        assert!(
            !terms.any(&Tokens::new("mua kẹo cho bé")),
            "one word: exact only"
        );
        assert!(
            !terms.any(&Tokens::new("chợ bán cá tươi")),
            "vowel letters differ"
        );
        assert!(
            terms.any(&Tokens::new("keo thom")),
            "unaccented still matches"
        );
    }

    #[test]
    fn glued_digits_do_not_hide_a_term() {
        let terms = set(&["đổi thưởng", "w88"]);
        let found = terms.found(&Tokens::new("Game đổi thưởng10 tại W88"));
        assert_eq!(found, vec![0, 1]);
    }

    #[test]
    fn overlapping_and_repeated_occurrences_are_all_counted() {
        let terms = set(&["nhà cái", "nhà cái uy tín"]);
        let found = terms.find(&Tokens::new("nhà cái uy tín, nhà cái uy tín"));
        assert_eq!(found.iter().filter(|m| m.term == 0).count(), 2);
        assert_eq!(found.iter().filter(|m| m.term == 1).count(), 2);
    }

    #[test]
    fn a_term_without_words_is_refused() {
        assert!(TermSet::new(["--"]).is_err());
    }
}
