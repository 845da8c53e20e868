//! Strict-Transport-Security (RFC 6797 §6.1).
//!
//! Strict on purpose: a header a browser may reject gives no protection, so anything
//! outside the grammar (a repeated directive, a value on a flag, a stray comma from two
//! merged headers) is an error rather than a best guess.

/// A syntactically valid STS header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hsts {
    /// Seconds; saturates at `u64::MAX` instead of failing, as browsers clamp huge values.
    pub max_age: u64,
    pub include_subdomains: bool,
    pub preload: bool,
}

/// Why an STS header value is not valid; browsers ignore such a header entirely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HstsError {
    #[error("empty value")]
    Empty,
    #[error("no max-age directive")]
    MissingMaxAge,
    #[error("max-age is not a number of seconds")]
    BadMaxAge,
    #[error("directive `{0}` appears more than once")]
    DuplicateDirective(String),
    #[error("directive `{0}` takes no value")]
    UnexpectedValue(String),
    #[error("malformed directive")]
    Malformed,
    /// A comma outside quotes: typically two headers folded into one line.
    #[error("several comma-separated values")]
    MultipleValues,
    #[error("unterminated quoted string")]
    UnterminatedQuote,
}

/// Parses one STS header value. Directive names are case-insensitive, values may be
/// quoted, unknown directives are ignored (as the RFC requires) but must be well formed.
pub fn parse(value: &str) -> Result<Hsts, HstsError> {
    if value.trim_matches(is_ows).is_empty() {
        return Err(HstsError::Empty);
    }
    let mut seen: Vec<String> = Vec::new();
    let mut max_age = None;
    let mut include_subdomains = false;
    let mut preload = false;
    for raw in split_directives(value)? {
        let raw = raw.trim_matches(is_ows);
        if raw.is_empty() {
            continue; // the grammar allows empty directives (`;;`, trailing `;`)
        }
        let (name, raw_value) = match raw.split_once('=') {
            Some((name, v)) => (name.trim_matches(is_ows), Some(v.trim_matches(is_ows))),
            None => (raw, None),
        };
        if !is_token(name) {
            return Err(HstsError::Malformed);
        }
        let name = name.to_ascii_lowercase();
        let directive_value = match raw_value.map(unquote) {
            Some(Err(_)) if name == "max-age" => return Err(HstsError::BadMaxAge),
            other => other.transpose()?,
        };
        if seen.contains(&name) {
            return Err(HstsError::DuplicateDirective(name));
        }
        match name.as_str() {
            "max-age" => {
                let v = directive_value.ok_or(HstsError::BadMaxAge)?;
                max_age = Some(parse_delta_seconds(&v).ok_or(HstsError::BadMaxAge)?);
            }
            "includesubdomains" | "preload" => {
                if directive_value.is_some() {
                    return Err(HstsError::UnexpectedValue(name));
                }
                if name == "preload" {
                    preload = true;
                } else {
                    include_subdomains = true;
                }
            }
            _ => {}
        }
        seen.push(name);
    }
    Ok(Hsts {
        max_age: max_age.ok_or(HstsError::MissingMaxAge)?,
        include_subdomains,
        preload,
    })
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits on `;` outside quoted strings, so `foo="a;b"` stays one directive.
/// A comma outside quotes is never valid STS syntax, so it is reported here.
fn split_directives(value: &str) -> Result<Vec<&str>, HstsError> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
        } else if c == '"' {
            in_quote = true;
        } else if c == ',' {
            return Err(HstsError::MultipleValues);
        } else if c == ';' {
            parts.push(&value[start..i]);
            start = i + 1;
        }
    }
    if in_quote {
        return Err(HstsError::UnterminatedQuote);
    }
    parts.push(&value[start..]);
    Ok(parts)
}

/// A directive value: a token, or a quoted-string with its escapes removed.
fn unquote(v: &str) -> Result<String, HstsError> {
    let Some(inner) = v.strip_prefix('"') else {
        return if is_token(v) {
            Ok(v.to_string())
        } else {
            Err(HstsError::Malformed)
        };
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or(HstsError::UnterminatedQuote)?),
            // The closing quote must end the value: `"1"2` is not a quoted-string.
            '"' if chars.as_str().is_empty() => return Ok(out),
            '"' => return Err(HstsError::Malformed),
            c => out.push(c),
        }
    }
    Err(HstsError::UnterminatedQuote)
}

/// RFC 9110 token: non-empty, visible ASCII except delimiters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn parse_delta_seconds(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str) -> Hsts {
        parse(value).unwrap_or_else(|e| panic!("{value:?} should parse: {e}"))
    }

    #[test]
    fn a_typical_preload_header_parses_fully() {
        assert_eq!(
            ok("max-age=63072000; includeSubDomains; preload"),
            Hsts {
                max_age: 63_072_000,
                include_subdomains: true,
                preload: true
            }
        );
    }

    #[test]
    fn names_are_case_insensitive_and_values_may_be_quoted() {
        let h = ok("MAX-AGE=\"600\"; INCLUDESUBDOMAINS");
        assert_eq!(h.max_age, 600);
        assert!(h.include_subdomains);
        assert!(!h.preload);
    }

    #[test]
    fn whitespace_empty_directives_and_unknown_directives_are_tolerated() {
        assert_eq!(ok(" ;; max-age = 5 ;; foo=\"a;b\"; bar ;").max_age, 5);
    }

    #[test]
    fn a_huge_max_age_saturates_instead_of_failing() {
        assert_eq!(ok("max-age=99999999999999999999999999").max_age, u64::MAX);
    }

    #[test]
    fn max_age_zero_parses_so_the_check_can_call_it_disabled() {
        assert_eq!(ok("max-age=0").max_age, 0);
    }

    #[test]
    fn invalid_headers_are_rejected_with_the_reason() {
        let cases: &[(&str, HstsError)] = &[
            ("", HstsError::Empty),
            ("  \t", HstsError::Empty),
            ("includeSubDomains", HstsError::MissingMaxAge),
            ("max-age", HstsError::BadMaxAge),
            ("max-age=", HstsError::BadMaxAge),
            ("max-age=abc", HstsError::BadMaxAge),
            ("max-age=-1", HstsError::BadMaxAge),
            ("max-age=+1", HstsError::BadMaxAge),
            ("max-age=1.5", HstsError::BadMaxAge),
            (
                "max-age=1; Max-Age=2",
                HstsError::DuplicateDirective("max-age".into()),
            ),
            (
                "max-age=1; includeSubDomains=yes",
                HstsError::UnexpectedValue("includesubdomains".into()),
            ),
            ("max-age=1, max-age=2", HstsError::MultipleValues),
            ("max-age=1,", HstsError::MultipleValues),
            ("max-age=\"1\"2", HstsError::BadMaxAge),
            ("foo=\"1\"2; max-age=1", HstsError::Malformed),
            ("foo=; max-age=1", HstsError::Malformed),
            ("max-age=\"1", HstsError::UnterminatedQuote),
            ("max-age=1; é", HstsError::Malformed),
            ("max-âge=1", HstsError::Malformed),
            ("=1", HstsError::Malformed),
        ];
        for (value, want) in cases {
            assert_eq!(parse(value).as_ref(), Err(want), "input {value:?}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for value in [
            "\"",
            "\\",
            "max-age=\"\\",
            ";=;=\"",
            "\u{0}\u{7f}\u{10ffff}",
            "===",
        ] {
            let _ = parse(value);
        }
    }
}
