//! The cookie-date algorithm of RFC 6265 §5.1.1.
//!
//! Browsers do not parse `Expires` as an HTTP-date: they pick a time, day, month and
//! year out of any token soup, in that order. Using the same algorithm means a cookie
//! we consider expired (a deletion) is one browsers also delete.

use time::{Date, Month, OffsetDateTime, Time};

/// The instant a cookie `Expires` value denotes, or `None` when browsers would ignore
/// the attribute (making the cookie a session cookie).
pub(super) fn parse(value: &str) -> Option<OffsetDateTime> {
    let mut time = None;
    let mut day = None;
    let mut month = None;
    let mut year = None;
    for token in value.as_bytes().split(|&b| is_delimiter(b)) {
        if token.is_empty() {
            continue;
        }
        if time.is_none()
            && let Some(t) = hms(token)
        {
            time = Some(t);
        } else if day.is_none()
            && let Some(d) = leading_digits(token, 1, 2)
        {
            day = Some(d);
        } else if month.is_none()
            && let Some(m) = month_of(token)
        {
            month = Some(m);
        } else if year.is_none()
            && let Some(y) = leading_digits(token, 2, 4)
        {
            year = Some(y);
        }
    }
    let (hour, minute, second) = time?;
    let mut year = year?;
    if (70..=99).contains(&year) {
        year += 1900;
    } else if year <= 69 {
        year += 2000;
    }
    if year < 1601 {
        return None;
    }
    let year = i32::try_from(year).ok()?;
    let date = Date::from_calendar_date(year, month?, u8::try_from(day?).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(date.with_time(time).assume_utc())
}

fn is_delimiter(b: u8) -> bool {
    b == 0x09
        || (0x20..=0x2f).contains(&b)
        || (0x3b..=0x40).contains(&b)
        || (0x5b..=0x60).contains(&b)
        || (0x7b..=0x7e).contains(&b)
}

/// `min..=max` digits at the start of the token, followed by a non-digit or the end.
fn leading_digits(token: &[u8], min: usize, max: usize) -> Option<u32> {
    let n = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    Some(
        token[..n]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

/// `hh:mm:ss` with one or two digits per field, optionally followed by a non-digit.
fn hms(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut fields = [0u32; 3];
    let mut rest = token;
    for (i, field) in fields.iter_mut().enumerate() {
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        *field = leading_digits(rest, 1, 2)?;
        rest = &rest[n..];
        if i < 2 {
            rest = rest.strip_prefix(b":")?;
        }
    }
    Some((fields[0], fields[1], fields[2]))
}

fn month_of(token: &[u8]) -> Option<Month> {
    let prefix = token.get(..3)?.to_ascii_lowercase();
    let names: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let index = names.iter().position(|n| *n == prefix.as_slice())?;
    Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_usual_formats_parse() {
        let want = datetime!(2015-10-21 07:28:00 UTC);
        for value in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
            "21 october 2015 7:28:0",
        ] {
            assert_eq!(parse(value), Some(want), "{value:?}");
        }
    }

    #[test]
    fn two_digit_years_map_like_browsers() {
        assert_eq!(
            parse("01 Jan 70 00:00:00"),
            Some(datetime!(1970-01-01 0:00 UTC))
        );
        assert_eq!(
            parse("01 Jan 69 00:00:00"),
            Some(datetime!(2069-01-01 0:00 UTC))
        );
    }

    #[test]
    fn impossible_or_incomplete_dates_are_ignored() {
        for value in [
            "",
            "garbage",
            "Wed, 21 Oct 2015",
            "30 Feb 2015 00:00:00",
            "21 Oct 1600 00:00:00",
            "21 Oct 2015 24:00:00",
            "21 Xyz 2015 00:00:00",
            "21 Oct 2015 07:28",
            "∞∞ Oct 2015 07:28:00",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn non_ascii_tokens_are_skipped_like_any_other_junk() {
        assert_eq!(
            parse("ünïcödé 21 Oct 2015 07:28:00 ∞"),
            Some(datetime!(2015-10-21 07:28:00 UTC))
        );
    }
}
