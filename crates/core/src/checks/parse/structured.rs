//! Structured Field Values (RFC 8941 §4.2): the `Item` form, as the HTML standard reads
//! `Cross-Origin-Opener-Policy` and `Cross-Origin-Embedder-Policy` with it.
//!
//! Total and strict like the RFC's parsing algorithm: any deviation (trailing text, a
//! second comma-separated member, an upper-case parameter key) fails the whole field,
//! and HTML then applies the header's default. A repeated header is combined with `, `
//! before parsing (Fetch "get a structured field value"), so it fails too.

/// A bare item (RFC 8941 §3.3), with only what the callers need kept.
#[derive(Debug, Clone, PartialEq)]
pub enum BareItem {
    Integer(i64),
    Decimal(f64),
    String(String),
    Token(String),
    ByteSequence(String),
    Boolean(bool),
}

/// An item: a bare item and its parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub bare: BareItem,
    pub params: Vec<(String, BareItem)>,
}

impl Item {
    /// The token, when the bare item is one (the policies are tokens).
    pub fn token(&self) -> Option<&str> {
        match &self.bare {
            BareItem::Token(t) => Some(t),
            _ => None,
        }
    }
}

/// Parses a field value as an Item; `None` when it is not one.
pub fn parse_item(value: &str) -> Option<Item> {
    let mut p = Parser {
        input: value.trim_matches(['\t', ' ']).as_bytes(),
        at: 0,
    };
    let bare = p.bare_item()?;
    let params = p.parameters()?;
    (p.at == p.input.len()).then_some(Item { bare, params })
}

/// The one Item of every line of a header combined as Fetch combines them.
pub fn parse_header<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Item> {
    let combined: Vec<&str> = values.into_iter().collect();
    if combined.is_empty() {
        return None;
    }
    parse_item(&combined.join(", "))
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn bare_item(&mut self) -> Option<BareItem> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b'*' | b'a'..=b'z' | b'A'..=b'Z' => Some(BareItem::Token(self.token())),
            b':' => self.byte_sequence(),
            b'?' => self.boolean(),
            _ => None,
        }
    }

    fn parameters(&mut self) -> Option<Vec<(String, BareItem)>> {
        let mut params: Vec<(String, BareItem)> = Vec::new();
        while self.peek() == Some(b';') {
            self.at += 1;
            while self.peek() == Some(b' ') {
                self.at += 1;
            }
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.at += 1;
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            // A repeated key overwrites the earlier value, keeping its place.
            match params.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => params.push((key, value)),
            }
        }
        Some(params)
    }

    fn key(&mut self) -> Option<String> {
        let start = self.at;
        match self.next()? {
            b'a'..=b'z' | b'*' => {}
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(&c) {
                self.at += 1;
            } else {
                break;
            }
        }
        Some(String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    fn token(&mut self) -> String {
        let start = self.at;
        self.at += 1;
        while let Some(c) = self.peek() {
            if is_tchar(c) || c == b':' || c == b'/' {
                self.at += 1;
            } else {
                break;
            }
        }
        String::from_utf8_lossy(&self.input[start..self.at]).into_owned()
    }

    fn number(&mut self) -> Option<BareItem> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let digits_start = self.at;
        let mut dot = None;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => self.at += 1,
                b'.' if dot.is_none() => {
                    if self.at - digits_start > 12 {
                        return None;
                    }
                    dot = Some(self.at);
                    self.at += 1;
                }
                _ => break,
            }
            let len = self.at - digits_start;
            if (dot.is_none() && len > 15) || (dot.is_some() && len > 16) {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.input[start..self.at]).ok()?;
        match dot {
            None => {
                if self.at == digits_start {
                    return None;
                }
                text.parse().ok().map(BareItem::Integer)
            }
            Some(d) => {
                let fraction = self.at - d - 1;
                if !(1..=3).contains(&fraction) || d == digits_start {
                    return None;
                }
                text.parse().ok().map(BareItem::Decimal)
            }
        }
    }

    fn string(&mut self) -> Option<BareItem> {
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.next()? {
                b'\\' => match self.next()? {
                    c @ (b'"' | b'\\') => out.push(char::from(c)),
                    _ => return None,
                },
                b'"' => return Some(BareItem::String(out)),
                c @ 0x20..=0x7e => out.push(char::from(c)),
                _ => return None,
            }
        }
    }

    fn byte_sequence(&mut self) -> Option<BareItem> {
        self.at += 1;
        let start = self.at;
        loop {
            match self.next()? {
                b':' => {
                    let body = &self.input[start..self.at - 1];
                    return Some(BareItem::ByteSequence(
                        String::from_utf8_lossy(body).into_owned(),
                    ));
                }
                c if c.is_ascii_alphanumeric() || b"+/=".contains(&c) => {}
                _ => return None,
            }
        }
    }

    fn boolean(&mut self) -> Option<BareItem> {
        self.at += 1;
        match self.next()? {
            b'0' => Some(BareItem::Boolean(false)),
            b'1' => Some(BareItem::Boolean(true)),
            _ => None,
        }
    }
}

/// tchar (RFC 9110 §5.6.2).
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> Option<String> {
        parse_item(value).and_then(|i| i.token().map(str::to_string))
    }

    #[test]
    fn tokens_with_parameters_parse() {
        assert_eq!(token("same-origin").as_deref(), Some("same-origin"));
        assert_eq!(token("  same-origin\t").as_deref(), Some("same-origin"));
        let item = parse_item("require-corp; report-to=\"coep\"; x; y=?0; z=1.5").unwrap();
        assert_eq!(item.token(), Some("require-corp"));
        assert_eq!(
            item.params,
            [
                ("report-to".to_string(), BareItem::String("coep".into())),
                ("x".to_string(), BareItem::Boolean(true)),
                ("y".to_string(), BareItem::Boolean(false)),
                ("z".to_string(), BareItem::Decimal(1.5)),
            ]
        );
        // Tokens are case-sensitive: the caller compares them exactly.
        assert_eq!(token("Same-Origin").as_deref(), Some("Same-Origin"));
    }

    #[test]
    fn anything_but_one_item_fails_the_field() {
        for bad in [
            "",
            "same-origin, same-origin",
            "same-origin same-origin",
            "same-origin;",
            "same-origin; Report-To=\"x\"",
            "same-origin; a=",
            "\"unterminated",
            "'same-origin'",
            "-",
            "1.",
            "1.2345",
            "1234567890123456",
            "?2",
            ":not base64!:",
            "same-origin;report-to=\"a\\b\"",
        ] {
            assert_eq!(parse_item(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn other_bare_items_are_items_but_not_tokens() {
        assert_eq!(
            parse_item("\"same-origin\"").map(|i| i.bare),
            Some(BareItem::String("same-origin".into()))
        );
        assert_eq!(
            parse_item("42").map(|i| i.bare),
            Some(BareItem::Integer(42))
        );
        assert_eq!(
            parse_item("?1").map(|i| i.bare),
            Some(BareItem::Boolean(true))
        );
        assert_eq!(
            parse_item(":aGk=:").map(|i| i.bare),
            Some(BareItem::ByteSequence("aGk=".into()))
        );
        assert_eq!(token("\"same-origin\""), None);
    }

    #[test]
    fn repeated_header_lines_are_combined_before_parsing() {
        assert_eq!(
            parse_header(["same-origin"])
                .and_then(|i| i.token().map(str::to_string))
                .as_deref(),
            Some("same-origin")
        );
        assert_eq!(parse_header(["same-origin", "same-origin"]), None);
        assert_eq!(parse_header(std::iter::empty()), None);
    }
}
