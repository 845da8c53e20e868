//! A cursor over the elements of one DER constructed value.
//!
//! OCSP messages are a handful of nested SEQUENCEs with optional context-tagged fields.
//! Walking them element by element with explicit tag checks keeps the parser total: every
//! unexpected byte becomes an [`OcspError::Malformed`] naming the field, never a panic,
//! and raw slices stay available for the parts that are hashed or signed.

use super::OcspError;
use time::OffsetDateTime;
use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};

pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    /// What the enclosing value is, for error messages.
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// `input` must hold exactly one element (nothing after it); returns the element.
    pub(crate) fn whole(input: &'a [u8], what: &'static str) -> Result<Any<'a>, OcspError> {
        let mut reader = Reader { rest: input, what };
        let (element, _) = reader.next(what)?;
        reader.end()?;
        Ok(element)
    }

    /// The elements inside a constructed `element` whose tag must be `tag`.
    pub(crate) fn inside(
        element: &Any<'a>,
        tag: Tag,
        what: &'static str,
    ) -> Result<Reader<'a>, OcspError> {
        expect(element, Class::Universal, tag, true, what)?;
        Ok(Reader {
            rest: element.data,
            what,
        })
    }

    /// The elements inside a constructed context-specific `[n]` element.
    pub(crate) fn inside_context(
        element: &Any<'a>,
        n: u32,
        what: &'static str,
    ) -> Result<Reader<'a>, OcspError> {
        expect(element, Class::ContextSpecific, Tag(n), true, what)?;
        Ok(Reader {
            rest: element.data,
            what,
        })
    }

    /// The next element and its complete encoding (tag, length and content).
    pub(crate) fn next(&mut self, what: &'static str) -> Result<(Any<'a>, &'a [u8]), OcspError> {
        if self.rest.is_empty() {
            return Err(OcspError::Malformed(what));
        }
        let (rest, element) = Any::from_der(self.rest).map_err(|_| OcspError::Malformed(what))?;
        let raw = &self.rest[..self.rest.len() - rest.len()];
        if !minimal_length(raw, element.data.len()) {
            return Err(OcspError::Malformed(what));
        }
        self.rest = rest;
        Ok((element, raw))
    }

    /// The next element, which must be a universal `tag`.
    pub(crate) fn next_universal(
        &mut self,
        tag: Tag,
        constructed: bool,
        what: &'static str,
    ) -> Result<Any<'a>, OcspError> {
        let (element, _) = self.next(what)?;
        expect(&element, Class::Universal, tag, constructed, what)?;
        Ok(element)
    }

    /// The next element if it is context-specific `[n]` (an OPTIONAL or DEFAULT field).
    pub(crate) fn optional_context(
        &mut self,
        n: u32,
        what: &'static str,
    ) -> Result<Option<Any<'a>>, OcspError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let before = self.rest;
        let (element, _) = self.next(what)?;
        if element.header.class() == Class::ContextSpecific && element.header.tag() == Tag(n) {
            Ok(Some(element))
        } else {
            self.rest = before;
            Ok(None)
        }
    }

    /// The next element if it is `[n] EXPLICIT` around one universal `tag`: the inner
    /// element.
    pub(crate) fn optional_explicit(
        &mut self,
        n: u32,
        tag: Tag,
        constructed: bool,
        what: &'static str,
    ) -> Result<Option<Any<'a>>, OcspError> {
        let Some(wrapper) = self.optional_context(n, what)? else {
            return Ok(None);
        };
        let mut inner = Reader::inside_context(&wrapper, n, what)?;
        let element = inner.next_universal(tag, constructed, what)?;
        inner.end()?;
        Ok(Some(element))
    }

    /// The next element, a GeneralizedTime, as a UTC time.
    pub(crate) fn next_time(&mut self, what: &'static str) -> Result<OffsetDateTime, OcspError> {
        time(
            &self.next_universal(Tag::GeneralizedTime, false, what)?,
            what,
        )
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails when elements are left over: DER has exactly one encoding per value.
    pub(crate) fn end(&self) -> Result<(), OcspError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(OcspError::Malformed(self.what))
        }
    }
}

/// DER writes every length in the fewest octets; the parser underneath also takes BER's
/// longer forms, which would give one value several encodings.
fn minimal_length(raw: &[u8], content_len: usize) -> bool {
    let header = &raw[..raw.len() - content_len];
    // Tag octets: one, or a run ending with a byte whose high bit is clear.
    let tag_len = match header.first() {
        Some(first) if first & 0x1f == 0x1f => {
            match header[1..].iter().position(|b| b & 0x80 == 0) {
                Some(i) => i + 2,
                None => return false,
            }
        }
        Some(_) => 1,
        None => return false,
    };
    let length = &header[tag_len.min(header.len())..];
    match length {
        [short] => *short < 0x80,
        [first, octets @ ..] => {
            usize::from(first & 0x7f) == octets.len()
                && octets.first().is_some_and(|b| *b != 0)
                && content_len >= 0x80
        }
        [] => false,
    }
}

/// Checks class, tag and form of an element.
pub(crate) fn expect(
    element: &Any<'_>,
    class: Class,
    tag: Tag,
    constructed: bool,
    what: &'static str,
) -> Result<(), OcspError> {
    let header = &element.header;
    if header.class() == class && header.tag() == tag && header.is_constructed() == constructed {
        Ok(())
    } else {
        Err(OcspError::Malformed(what))
    }
}

/// A GeneralizedTime element as a UTC time.
pub(crate) fn time(
    element: &Any<'_>,
    what: &'static str,
) -> Result<time::OffsetDateTime, OcspError> {
    expect(element, Class::Universal, Tag::GeneralizedTime, false, what)?;
    element
        .as_generalizedtime()
        .and_then(|t| t.utc_datetime())
        .map_err(|_| OcspError::Malformed(what))
}

/// The content octets of an OBJECT IDENTIFIER element. OIDs are compared as bytes:
/// turning an invalid encoding into dotted text can make it look like a valid one.
pub(crate) fn oid<'a>(element: &Any<'a>, what: &'static str) -> Result<&'a [u8], OcspError> {
    expect(element, Class::Universal, Tag::Oid, false, what)?;
    Ok(element.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_must_be_alone_and_complete() {
        // SEQUENCE { INTEGER 5 }
        let seq = [0x30, 0x03, 0x02, 0x01, 0x05];
        let element = Reader::whole(&seq, "test").unwrap();
        let mut inner = Reader::inside(&element, Tag::Sequence, "test").unwrap();
        let int = inner.next_universal(Tag::Integer, false, "int").unwrap();
        assert_eq!(int.data, [5]);
        assert!(inner.end().is_ok());

        let mut trailing = seq.to_vec();
        trailing.push(0);
        assert_eq!(
            Reader::whole(&trailing, "test").err(),
            Some(OcspError::Malformed("test"))
        );
        for cut in 0..seq.len() {
            assert!(Reader::whole(&seq[..cut], "test").is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn only_minimal_lengths_are_der() {
        // INTEGER 5 with its length written as 0x81 0x01 (BER, not DER).
        assert!(Reader::whole(&[0x02, 0x81, 0x01, 0x05], "t").is_err());
        assert!(Reader::whole(&[0x02, 0x01, 0x05], "t").is_ok());
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7; 0x80]);
        assert!(Reader::whole(&long, "t").is_ok());
        let mut padded = vec![0x04, 0x82, 0x00, 0x80];
        padded.extend([7; 0x80]);
        assert!(Reader::whole(&padded, "t").is_err());
    }

    #[test]
    fn an_absent_optional_field_leaves_the_cursor_in_place() {
        // [0] { INTEGER 1 }, INTEGER 2
        let content = [0xa0, 0x03, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
        let mut r = Reader {
            rest: &content,
            what: "t",
        };
        assert!(r.optional_context(1, "t").unwrap().is_none());
        assert!(r.optional_context(0, "t").unwrap().is_some());
        assert!(r.optional_context(0, "t").unwrap().is_none());
        assert_eq!(
            r.next_universal(Tag::Integer, false, "t").unwrap().data,
            [2]
        );
        assert!(r.is_empty());
    }
}
