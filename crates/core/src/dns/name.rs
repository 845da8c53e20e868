//! Domain names as DNS carries them: labels of bytes, compared without regard to ASCII
//! case, ordered canonically (RFC 4034 §6.1) so NSEC chains can be followed.

use std::cmp::Ordering;
use std::fmt;

/// Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
const MAX_LABEL_LEN: usize = 63;

/// A fully qualified name: its labels, leftmost first, the root being none at all.
#[derive(Debug, Clone, Default, Eq)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty label in `{0}`")]
    EmptyLabel(String),
    #[error("label longer than 63 bytes in `{0}`")]
    LongLabel(String),
    #[error("name longer than 255 bytes: `{0}`")]
    LongName(String),
    #[error("bad escape in `{0}`")]
    BadEscape(String),
}

impl Name {
    pub fn root() -> Name {
        Name::default()
    }

    /// Parses presentation format: `example.com`, `example.com.`, `.` (the root), with
    /// `\.` and `\DDD` escapes. Relative names are taken as fully qualified.
    pub fn parse(text: &str) -> Result<Name, NameError> {
        let text = text.trim();
        if text.is_empty() || text == "." {
            return Ok(Name::root());
        }
        let bytes = text.as_bytes();
        let mut labels = Vec::new();
        let mut label = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    let digits = bytes.get(i + 1..i + 4);
                    match digits {
                        Some(d) if d.iter().all(u8::is_ascii_digit) => {
                            let value =
                                d.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
                            let byte = u8::try_from(value)
                                .map_err(|_| NameError::BadEscape(text.to_string()))?;
                            label.push(byte);
                            i += 4;
                        }
                        _ => {
                            let next = *bytes
                                .get(i + 1)
                                .ok_or_else(|| NameError::BadEscape(text.to_string()))?;
                            label.push(next);
                            i += 2;
                        }
                    }
                }
                b'.' => {
                    if label.is_empty() {
                        return Err(NameError::EmptyLabel(text.to_string()));
                    }
                    labels.push(std::mem::take(&mut label));
                    i += 1;
                }
                other => {
                    label.push(other);
                    i += 1;
                }
            }
        }
        if !label.is_empty() {
            labels.push(label);
        }
        Name::from_labels(labels).map_err(|e| match e {
            NameError::LongLabel(_) => NameError::LongLabel(text.to_string()),
            NameError::LongName(_) => NameError::LongName(text.to_string()),
            other => other,
        })
    }

    /// A name from its labels, leftmost first.
    pub fn from_labels(labels: Vec<Vec<u8>>) -> Result<Name, NameError> {
        let name = Name { labels };
        if name.labels.iter().any(Vec::is_empty) {
            return Err(NameError::EmptyLabel(name.to_string()));
        }
        if name.labels.iter().any(|l| l.len() > MAX_LABEL_LEN) {
            return Err(NameError::LongLabel(name.to_string()));
        }
        if name.wire_len() > MAX_NAME_LEN {
            return Err(NameError::LongName(name.to_string()));
        }
        Ok(name)
    }

    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// How many labels, the root not counted (the RRSIG `labels` field's measure, once
    /// a leading `*` is left out).
    pub fn label_count(&self) -> usize {
        self.labels.len()
    }

    pub fn is_root(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn is_wildcard(&self) -> bool {
        self.labels.first().is_some_and(|l| l.as_slice() == b"*")
    }

    /// Length in wire format without compression.
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// The name one label shorter; the root's parent is `None`.
    pub fn parent(&self) -> Option<Name> {
        (!self.labels.is_empty()).then(|| Name {
            labels: self.labels[1..].to_vec(),
        })
    }

    /// The rightmost `count` labels (`count` at most [`Name::label_count`]).
    pub fn suffix(&self, count: usize) -> Name {
        let skip = self.labels.len().saturating_sub(count);
        Name {
            labels: self.labels[skip..].to_vec(),
        }
    }

    /// `label.self`; fails when the result would be too long.
    pub fn child(&self, label: &[u8]) -> Result<Name, NameError> {
        let mut labels = Vec::with_capacity(self.labels.len() + 1);
        labels.push(label.to_vec());
        labels.extend(self.labels.iter().cloned());
        Name::from_labels(labels)
    }

    /// `prefix` (a relative name such as `_dmarc` or `_25._tcp`) in front of this name.
    pub fn prepend(&self, prefix: &str) -> Result<Name, NameError> {
        let relative = Name::parse(prefix)?;
        let mut labels = relative.labels;
        labels.extend(self.labels.iter().cloned());
        Name::from_labels(labels)
    }

    /// True when `self` is `other` or below it (case-insensitive).
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        other.labels.len() <= self.labels.len()
            && self.labels[self.labels.len() - other.labels.len()..]
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// The same name in lower case: the canonical form signatures are computed over.
    pub fn to_lowercase(&self) -> Name {
        Name {
            labels: self.labels.iter().map(|l| l.to_ascii_lowercase()).collect(),
        }
    }

    /// Appends the uncompressed wire form.
    pub fn write_wire(&self, out: &mut Vec<u8>) {
        for label in &self.labels {
            // `from_labels` keeps every label at most 63 bytes long.
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }

    /// The uncompressed wire form in lower case (RFC 4034 §6.2).
    pub fn canonical_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        self.to_lowercase().write_wire(&mut out);
        out
    }

    /// Presentation form without the final dot (`example.com`; the root is `.`).
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// The name as the ASCII host name the rest of trustlabel uses (lower case, no final
    /// dot), when every label is one.
    pub fn to_host(&self) -> String {
        self.to_lowercase().to_string()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for label in &self.labels {
            state.write_usize(label.len());
            for b in label {
                state.write_u8(b.to_ascii_lowercase());
            }
        }
    }
}

/// Canonical DNS order (RFC 4034 §6.1): labels compared from the right, each as
/// lower-cased bytes, a name sorting before its own subdomains.
impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        let mut a = self.labels.iter().rev();
        let mut b = other.labels.iter().rev();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => {
                    let ord = x
                        .iter()
                        .map(u8::to_ascii_lowercase)
                        .cmp(y.iter().map(u8::to_ascii_lowercase));
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
            }
        }
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for (i, label) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                match b {
                    b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                        write!(f, "\\{}", b as char)?
                    }
                    0x21..=0x7e => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
        }
        Ok(())
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        let text = String::deserialize(d)?;
        Name::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn parses_prints_and_compares_without_case() {
        assert_eq!(n("Example.COM.").to_string(), "Example.COM");
        assert_eq!(n("example.com"), n("EXAMPLE.com."));
        assert!(n(".").is_root() && n("").is_root());
        assert_eq!(n("a\\.b.c").labels().len(), 2);
        assert_eq!(n("a\\046b.c"), n("a\\.b.c"));
        assert_eq!(n("a\\.b.c").to_string(), "a\\.b.c");
        assert!(Name::parse("a..b").is_err());
        assert!(Name::parse(&"x".repeat(64)).is_err());
        assert!(Name::parse(&vec!["abcdefghi"; 30].join(".")).is_err());
        assert!(Name::parse("a\\999.b").is_err());
    }

    #[test]
    fn canonical_order_follows_rfc_4034() {
        // The example list of RFC 4034 §6.1, in order.
        let ordered = [
            "example",
            "a.example",
            "yljkjljk.a.example",
            "Z.a.example",
            "zABC.a.EXAMPLE",
            "z.example",
            "\\001.z.example",
            "*.z.example",
            "\\200.z.example",
        ];
        for pair in ordered.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn subdomains_parents_and_wire_form() {
        assert!(n("www.Example.com").is_subdomain_of(&n("example.COM")));
        assert!(n("example.com").is_subdomain_of(&n("example.com")));
        assert!(n("x.com").is_subdomain_of(&Name::root()));
        assert!(!n("example.com").is_subdomain_of(&n("www.example.com")));
        assert!(!n("badexample.com").is_subdomain_of(&n("example.com")));
        assert_eq!(n("a.b.c").parent(), Some(n("b.c")));
        assert_eq!(n("a.b.c").suffix(1), n("c"));
        assert_eq!(
            n("mx.example").prepend("_25._tcp").unwrap(),
            n("_25._tcp.mx.example")
        );
        assert_eq!(n("Ab.c").canonical_wire(), b"\x02ab\x01c\x00");
        assert!(n("*.a.b").is_wildcard());
    }
}
