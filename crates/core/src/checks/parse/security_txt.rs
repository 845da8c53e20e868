//! `security.txt` (RFC 9116): a total, bounded parser and the file's own rules.
//!
//! [`parse`] turns any bytes into a [`SecurityTxt`] (fields in order, whether an OpenPGP
//! cleartext signature wraps them, what broke the syntax); it reads at most [`MAX_BYTES`]
//! and [`MAX_LINES`], so a hostile answer costs nothing. [`SecurityTxt::judge`] applies
//! the RFC's requirements at a given time: the MUST rules become [`Problem`]s, the
//! expiry and the canonical URL are reported apart so the check can name them. A
//! signature is recognised by its framing only: the scanner holds no key to verify it.

use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use url::Url;

/// Bytes read; the rest is ignored (and [`SecurityTxt::truncated`] set).
pub const MAX_BYTES: usize = crate::evidence::SECURITY_TXT_CAP;
/// Lines read; the rest is ignored (and [`SecurityTxt::truncated`] set).
pub const MAX_LINES: usize = 1000;
/// Characters of a line or value quoted in a problem.
const QUOTE: usize = 80;

const SIGNED_HEADER: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const SIGNATURE_BEGIN: &str = "-----BEGIN PGP SIGNATURE-----";
const SIGNATURE_END: &str = "-----END PGP SIGNATURE-----";

/// The fields whose value must be a URI (web URIs over https).
const URI_FIELDS: [&str; 7] = [
    "contact",
    "encryption",
    "acknowledgments",
    "policy",
    "hiring",
    "csaf",
    "canonical",
];

/// One `Name: value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// 1-based line number in the file as fetched.
    pub line: usize,
    /// As written (compare case-insensitively).
    pub name: String,
    /// Leading and trailing whitespace removed.
    pub value: String,
}

/// What the RFC forbids, found in the syntax or in the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not UTF-8 (offset of the first bad byte).
    NotUtf8 {
        offset: usize,
    },
    /// A line that is neither a field, a comment nor blank.
    BadLine {
        line: usize,
        text: String,
    },
    /// The cleartext signature framing is broken (what is missing or extra).
    BadSignatureFraming(&'static str),
    NoContact,
    NoExpires,
    DuplicateExpires {
        count: usize,
    },
    /// `Expires` is not an RFC 3339 date-time.
    BadExpires {
        value: String,
    },
    /// A field that must be a URI is not one (`security@example.gov.vn` without `mailto:`).
    NotUri {
        field: String,
        value: String,
    },
    /// A web URI over plain http, where RFC 9116 requires https.
    NotHttps {
        field: String,
        value: String,
    },
    DuplicatePreferredLanguages {
        count: usize,
    },
    BadLanguageTag {
        value: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotUtf8 { offset } => write!(f, "not UTF-8 (byte {offset})"),
            Problem::BadLine { line, text } => {
                write!(
                    f,
                    "line {line} is not a field, a comment or blank: `{text}`"
                )
            }
            Problem::BadSignatureFraming(what) => {
                write!(f, "broken OpenPGP cleartext signature: {what}")
            }
            Problem::NoContact => f.write_str("no Contact field (one or more are required)"),
            Problem::NoExpires => f.write_str("no Expires field (exactly one is required)"),
            Problem::DuplicateExpires { count } => {
                write!(
                    f,
                    "Expires appears {count} times (exactly once is required)"
                )
            }
            Problem::BadExpires { value } => {
                write!(f, "Expires `{value}` is not an RFC 3339 date-time")
            }
            Problem::NotUri { field, value } => write!(f, "{field} `{value}` is not a URI"),
            Problem::NotHttps { field, value } => {
                write!(f, "{field} `{value}` is a web URI without https")
            }
            Problem::DuplicatePreferredLanguages { count } => write!(
                f,
                "Preferred-Languages appears {count} times (at most once is allowed)"
            ),
            Problem::BadLanguageTag { value } => {
                write!(
                    f,
                    "Preferred-Languages `{value}` is not a list of language tags"
                )
            }
        }
    }
}

/// A parsed file: facts only; [`SecurityTxt::judge`] applies the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTxt {
    pub fields: Vec<Field>,
    /// Wrapped in an OpenPGP cleartext signature (framing only: never verified).
    pub signed: bool,
    /// Started with a UTF-8 byte order mark (accepted and skipped).
    pub bom: bool,
    /// Longer than [`MAX_BYTES`] or [`MAX_LINES`]: only the beginning was read.
    pub truncated: bool,
    /// Syntax problems, in file order.
    pub syntax: Vec<Problem>,
}

/// The file judged at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The RFC's MUST rules broken, in file order (syntax first).
    pub problems: Vec<Problem>,
    /// The one valid `Expires`, if there is exactly one.
    pub expires: Option<OffsetDateTime>,
    /// `Expires` is not after `now`.
    pub expired: bool,
    /// `Expires` is more than a year after `now` (the RFC recommends less).
    pub expires_far: bool,
    /// `Canonical` values, when present and none is a URL the file was fetched from.
    pub canonical_mismatch: Option<Vec<String>>,
    pub contacts: Vec<String>,
}

impl SecurityTxt {
    /// Values of a field, case-insensitive name, in file order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// The RFC's rules at `now`, for a file fetched from `fetched_from` (the URL asked
    /// for and, after a redirect, where it was found).
    pub fn judge(&self, now: OffsetDateTime, fetched_from: &[&str]) -> Judgement {
        let mut problems = self.syntax.clone();
        let contacts: Vec<String> = self.values("contact").map(str::to_string).collect();
        if contacts.is_empty() {
            problems.push(Problem::NoContact);
        }
        let expires_values: Vec<&str> = self.values("expires").collect();
        let mut expires = None;
        match expires_values.as_slice() {
            [] => problems.push(Problem::NoExpires),
            [one] => match OffsetDateTime::parse(one, &Rfc3339) {
                Ok(at) => expires = Some(at),
                Err(_) => problems.push(Problem::BadExpires { value: quote(one) }),
            },
            many => problems.push(Problem::DuplicateExpires { count: many.len() }),
        }
        for field in &self.fields {
            let name = field.name.to_ascii_lowercase();
            if URI_FIELDS.contains(&name.as_str()) {
                if let Some(p) = uri_problem(&field.name, &field.value) {
                    problems.push(p);
                }
            }
        }
        let languages: Vec<&str> = self.values("preferred-languages").collect();
        if languages.len() > 1 {
            problems.push(Problem::DuplicatePreferredLanguages {
                count: languages.len(),
            });
        }
        for value in languages {
            if !value.split(',').all(|tag| is_language_tag(tag.trim())) {
                problems.push(Problem::BadLanguageTag {
                    value: quote(value),
                });
            }
        }
        let canonical: Vec<String> = self.values("canonical").map(str::to_string).collect();
        let fetched: Vec<Url> = fetched_from
            .iter()
            .filter_map(|u| Url::parse(u).ok())
            .collect();
        let listed = canonical
            .iter()
            .filter_map(|c| Url::parse(c).ok())
            .any(|c| fetched.contains(&c));
        Judgement {
            problems,
            expires,
            expired: expires.is_some_and(|at| at <= now),
            expires_far: expires.is_some_and(|at| at > now + Duration::days(365)),
            canonical_mismatch: (!canonical.is_empty() && !listed).then_some(canonical),
            contacts,
        }
    }
}

/// Parses any bytes; never fails, reads at most [`MAX_BYTES`] and [`MAX_LINES`].
pub fn parse(bytes: &[u8]) -> SecurityTxt {
    let mut file = SecurityTxt::default();
    let mut bytes = bytes;
    if bytes.len() > MAX_BYTES {
        file.truncated = true;
        bytes = &bytes[..MAX_BYTES];
        // The last line is cut: drop it rather than judge half a field.
        if let Some(end) = bytes.iter().rposition(|b| *b == b'\n') {
            bytes = &bytes[..=end];
        }
    }
    if let Some(rest) = bytes.strip_prefix("\u{feff}".as_bytes()) {
        file.bom = true;
        bytes = rest;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(e) => {
            file.syntax.push(Problem::NotUtf8 {
                offset: e.valid_up_to() + usize::from(file.bom) * 3,
            });
            String::from_utf8_lossy(bytes)
        }
    };
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let mut taken = 0usize;
    let mut next = || {
        if taken >= MAX_LINES {
            return None;
        }
        taken += 1;
        lines.next()
    };
    let first = loop {
        match next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            other => break other,
        }
    };
    let Some((first_no, first_line)) = first else {
        return file;
    };
    if first_line.trim_end() == SIGNED_HEADER {
        file.signed = true;
        signed_body(&mut file, &mut next);
    } else {
        content_line(&mut file, first_no, first_line);
        while let Some((no, line)) = next() {
            content_line(&mut file, no, line);
        }
    }
    if taken >= MAX_LINES && lines.any(|(_, l)| !l.trim().is_empty()) {
        file.truncated = true;
    }
    file
}

/// After the signed-message header: armor headers, a blank line, the dash-escaped
/// cleartext, then the signature block.
fn signed_body<'t>(file: &mut SecurityTxt, next: &mut impl FnMut() -> Option<(usize, &'t str)>) {
    // Armor headers (`Hash: SHA256`) up to the blank line.
    loop {
        match next() {
            None => {
                file.syntax.push(Problem::BadSignatureFraming(
                    "no blank line after the header",
                ));
                return;
            }
            Some((_, l)) if l.trim().is_empty() => break,
            Some((no, l)) if !l.contains(':') => {
                file.syntax.push(Problem::BadLine {
                    line: no,
                    text: quote(l),
                });
            }
            Some(_) => {}
        }
    }
    let mut found_signature = false;
    while let Some((no, line)) = next() {
        if line.trim_end() == SIGNATURE_BEGIN {
            found_signature = true;
            break;
        }
        // Dash-escaped lines (RFC 4880 §7.1) carry "- " before the real text.
        let line = line.strip_prefix("- ").unwrap_or(line);
        content_line(file, no, line);
    }
    if !found_signature {
        file.syntax.push(Problem::BadSignatureFraming(
            "no -----BEGIN PGP SIGNATURE----- line",
        ));
        return;
    }
    let mut ended = false;
    while let Some((_, line)) = next() {
        if ended {
            if !line.trim().is_empty() {
                file.syntax.push(Problem::BadSignatureFraming(
                    "text after -----END PGP SIGNATURE-----",
                ));
                return;
            }
        } else if line.trim_end() == SIGNATURE_END {
            ended = true;
        }
    }
    if !ended {
        file.syntax.push(Problem::BadSignatureFraming(
            "no -----END PGP SIGNATURE----- line",
        ));
    }
}

fn content_line(file: &mut SecurityTxt, no: usize, line: &str) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    if trimmed.trim_start().is_empty() || trimmed.starts_with('#') {
        return;
    }
    match trimmed.split_once(':') {
        Some((name, value)) if is_field_name(name) => file.fields.push(Field {
            line: no,
            name: name.to_string(),
            value: value.trim_matches([' ', '\t']).to_string(),
        }),
        _ => file.syntax.push(Problem::BadLine {
            line: no,
            text: quote(trimmed),
        }),
    }
}

/// RFC 5322 `field-name`: printable US-ASCII but `:` (and no spaces).
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

fn uri_problem(field: &str, value: &str) -> Option<Problem> {
    let problem = |make: fn(String, String) -> Problem| Some(make(field.into(), quote(value)));
    match Url::parse(value) {
        Err(_) => problem(|field, value| Problem::NotUri { field, value }),
        Ok(url) if url.scheme() == "http" => {
            problem(|field, value| Problem::NotHttps { field, value })
        }
        Ok(_) if value.contains(char::is_whitespace) => {
            problem(|field, value| Problem::NotUri { field, value })
        }
        Ok(_) => None,
    }
}

/// A BCP 47 tag in its plain shape: subtags of 1-8 letters or digits joined by `-`, the
/// first of letters.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// At most [`QUOTE`] characters of `text`, for a problem's message.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
