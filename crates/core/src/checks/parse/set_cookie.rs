//! Set-Cookie, parsed the way a browser stores it (RFC 6265bis §5.6, §5.7).
//!
//! The browser algorithm is deliberately lenient (nameless cookies, unknown attributes,
//! bad dates ignored), so this parser is too: judging a cookie by a stricter grammar than
//! the browser's would miss cookies that browsers really store.

use time::OffsetDateTime;

/// Browsers refuse a name plus value longer than this.
const MAX_NAME_VALUE_LEN: usize = 4096;
/// Browsers ignore an attribute whose value is longer than this.
const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;

/// One cookie as a browser would record it from a Set-Cookie line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// May be empty: browsers accept `Set-Cookie: value` as a nameless cookie.
    pub name: String,
    pub value: String,
    pub secure: bool,
    pub http_only: bool,
    /// `None` when the attribute is absent.
    pub same_site: Option<SameSite>,
    /// Lower-cased, leading dot removed; `None` when absent or empty (host-only cookie).
    pub domain: Option<String>,
    /// `None` when absent or not starting with `/` (browsers then use the default path).
    pub path: Option<String>,
    /// Seconds; may be zero or negative (the cookie is then deleted at once).
    pub max_age: Option<i64>,
    /// `None` when absent or unparsable (browsers then ignore it).
    pub expires: Option<OffsetDateTime>,
}

/// The SameSite attribute's value; browsers treat an unknown value like an absent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
    Unrecognized,
}

/// Name prefixes that make browsers enforce extra rules at storage time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookiePrefix {
    /// `__Secure-`: must be Secure.
    Secure,
    /// `__Host-`: must be Secure, host-only (no Domain) and `Path=/`.
    Host,
}

/// Why browsers would drop a Set-Cookie line without storing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SetCookieError {
    #[error("contains a control character")]
    ControlCharacter,
    #[error("neither name nor value")]
    Empty,
    #[error("name and value longer than {MAX_NAME_VALUE_LEN} bytes")]
    TooLong,
}

/// Parses one Set-Cookie header value.
pub fn parse(line: &str) -> Result<SetCookie, SetCookieError> {
    if line.chars().any(|c| c != '\t' && c.is_ascii_control()) {
        return Err(SetCookieError::ControlCharacter);
    }
    let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
    let (name, value) = pair.split_once('=').unwrap_or(("", pair));
    let (name, value) = (trim_wsp(name), trim_wsp(value));
    if name.len() + value.len() > MAX_NAME_VALUE_LEN {
        return Err(SetCookieError::TooLong);
    }
    if name.is_empty() && value.is_empty() {
        return Err(SetCookieError::Empty);
    }
    let mut cookie = SetCookie {
        name: name.to_string(),
        value: value.to_string(),
        secure: false,
        http_only: false,
        same_site: None,
        domain: None,
        path: None,
        max_age: None,
        expires: None,
    };
    // Later attributes of the same name override earlier ones, as in browser storage.
    for av in attributes.split(';') {
        let (key, val) = av.split_once('=').unwrap_or((av, ""));
        let (key, val) = (trim_wsp(key), trim_wsp(val));
        if val.len() > MAX_ATTRIBUTE_VALUE_LEN {
            continue;
        }
        match key.to_ascii_lowercase().as_str() {
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            "samesite" => cookie.same_site = Some(same_site(val)),
            "domain" if !val.is_empty() => {
                let domain = val.strip_prefix('.').unwrap_or(val);
                cookie.domain = Some(domain.to_ascii_lowercase());
            }
            "path" => cookie.path = val.starts_with('/').then(|| val.to_string()),
            "max-age" => {
                if let Some(seconds) = max_age(val) {
                    cookie.max_age = Some(seconds);
                }
            }
            "expires" => {
                if let Some(at) = super::cookie_date::parse(val) {
                    cookie.expires = Some(at);
                }
            }
            _ => {}
        }
    }
    Ok(cookie)
}

impl SetCookie {
    /// The prefix browsers recognise (case-insensitively, per RFC 6265bis). A nameless
    /// cookie whose value looks prefixed counts too: browsers refuse it so that it cannot
    /// pose as a prefixed cookie.
    pub fn prefix(&self) -> Option<CookiePrefix> {
        let subject = if self.name.is_empty() {
            &self.value
        } else {
            &self.name
        };
        let starts = |p: &str| {
            subject
                .get(..p.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(p))
        };
        if starts("__Host-") {
            Some(CookiePrefix::Host)
        } else if starts("__Secure-") {
            Some(CookiePrefix::Secure)
        } else {
            None
        }
    }

    /// Whether a browser would store this cookie from a response on a secure
    /// (`https`) or insecure origin: Secure and prefixed cookies are refused over
    /// plain http, and prefixed cookies must keep their prefix's promises.
    pub fn stored_by_browsers(&self, secure_origin: bool) -> bool {
        if self.secure && !secure_origin {
            return false;
        }
        match self.prefix() {
            None => true,
            Some(_) if self.name.is_empty() => false,
            Some(CookiePrefix::Secure) => self.secure,
            Some(CookiePrefix::Host) => {
                self.secure && self.domain.is_none() && self.path.as_deref() == Some("/")
            }
        }
    }

    /// Whether this line deletes the cookie rather than sets it: Max-Age ≤ 0, or
    /// (without Max-Age, which takes precedence) an Expires not after `now`.
    pub fn is_removal(&self, now: OffsetDateTime) -> bool {
        match (self.max_age, self.expires) {
            (Some(seconds), _) => seconds <= 0,
            (None, Some(at)) => at <= now,
            (None, None) => false,
        }
    }
}

fn trim_wsp(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn same_site(val: &str) -> SameSite {
    if val.eq_ignore_ascii_case("strict") {
        SameSite::Strict
    } else if val.eq_ignore_ascii_case("lax") {
        SameSite::Lax
    } else if val.eq_ignore_ascii_case("none") {
        SameSite::None
    } else {
        SameSite::Unrecognized
    }
}

/// `-`? DIGIT+, saturating; anything else makes browsers ignore the attribute.
fn max_age(val: &str) -> Option<i64> {
    let (negative, digits) = match val.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, val),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i64, |acc, b| {
        acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ok(line: &str) -> SetCookie {
        parse(line).unwrap_or_else(|e| panic!("{line:?} should parse: {e}"))
    }

    #[test]
    fn a_hardened_cookie_parses_every_attribute() {
        let c = ok(
            "sid=abc123; Path=/app; Domain=.Example.ORG; Secure; HttpOnly; \
                    SameSite=Strict; Max-Age=3600; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
        );
        assert_eq!(c.name, "sid");
        assert_eq!(c.value, "abc123");
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Strict));
        assert_eq!(c.domain.as_deref(), Some("example.org"));
        assert_eq!(c.path.as_deref(), Some("/app"));
        assert_eq!(c.max_age, Some(3600));
        assert_eq!(c.expires, Some(datetime!(2015-10-21 07:28:00 UTC)));
    }

    #[test]
    fn a_bare_cookie_has_no_attributes() {
        let c = ok("theme=dark");
        assert!(!c.secure && !c.http_only);
        assert_eq!(
            (c.same_site, c.domain, c.path, c.max_age, c.expires),
            (None, None, None, None, None)
        );
    }

    #[test]
    fn attribute_names_are_case_insensitive_and_whitespace_tolerant() {
        let c = ok("  a = b ;SECURE;  httponly ; sAmEsItE = lAx ");
        assert_eq!((c.name.as_str(), c.value.as_str()), ("a", "b"));
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Lax));
    }

    #[test]
    fn flags_count_even_with_a_value_and_the_last_samesite_wins() {
        let c = ok("a=b; Secure=false; SameSite=None; SameSite=Lax");
        assert!(c.secure);
        assert_eq!(c.same_site, Some(SameSite::Lax));
    }

    #[test]
    fn unknown_or_empty_samesite_is_unrecognized() {
        assert_eq!(
            ok("a=b; SameSite=Yes").same_site,
            Some(SameSite::Unrecognized)
        );
        assert_eq!(ok("a=b; SameSite").same_site, Some(SameSite::Unrecognized));
    }

    #[test]
    fn invalid_attribute_values_are_ignored_like_browsers_do() {
        let c = ok("a=b; Max-Age=12abc; Path=relative; Domain=; Expires=someday");
        assert_eq!(
            (c.max_age, c.path, c.domain, c.expires),
            (None, None, None, None)
        );
        assert_eq!(ok("a=b; Max-Age=-5").max_age, Some(-5));
        let long = format!("a=b; Path=/{}", "x".repeat(MAX_ATTRIBUTE_VALUE_LEN));
        assert_eq!(ok(&long).path, None);
    }

    #[test]
    fn a_line_without_equals_is_a_nameless_cookie() {
        let c = ok("justavalue; Secure");
        assert_eq!((c.name.as_str(), c.value.as_str()), ("", "justavalue"));
        assert!(c.secure);
    }

    #[test]
    fn values_may_contain_equals_and_non_ascii() {
        let c = ok("tok=a=b==; Path=/é");
        assert_eq!((c.name.as_str(), c.value.as_str()), ("tok", "a=b=="));
        assert_eq!(c.path.as_deref(), Some("/é"));
    }

    #[test]
    fn lines_browsers_drop_are_errors() {
        assert_eq!(parse(""), Err(SetCookieError::Empty));
        assert_eq!(parse(" = ; Secure"), Err(SetCookieError::Empty));
        assert_eq!(parse("a=b\u{0}c"), Err(SetCookieError::ControlCharacter));
        assert_eq!(parse("a=b;\nSecure"), Err(SetCookieError::ControlCharacter));
        let huge = format!("a={}", "x".repeat(MAX_NAME_VALUE_LEN));
        assert_eq!(parse(&huge), Err(SetCookieError::TooLong));
    }

    #[test]
    fn prefixes_are_recognised_case_insensitively() {
        assert_eq!(ok("__Host-id=1").prefix(), Some(CookiePrefix::Host));
        assert_eq!(ok("__SECURE-id=1").prefix(), Some(CookiePrefix::Secure));
        assert_eq!(ok("__Hostile=1").prefix(), None);
        assert_eq!(ok("__Host-x").prefix(), Some(CookiePrefix::Host));
    }

    #[test]
    fn browsers_refuse_cookies_breaking_their_prefix_or_origin_rules() {
        let stored = |line: &str, https: bool| ok(line).stored_by_browsers(https);
        assert!(stored("__Host-id=1; Secure; Path=/", true));
        assert!(!stored(
            "__Host-id=1; Secure; Path=/; Domain=example.org",
            true
        ));
        assert!(!stored("__Host-id=1; Secure", true));
        assert!(!stored("__Host-id=1; Path=/", true));
        assert!(stored("__Secure-id=1; Secure", true));
        assert!(!stored("__Secure-id=1", true));
        assert!(!stored("__Secure-id=1; Secure", false));
        assert!(!stored("a=1; Secure", false));
        assert!(stored("a=1", false));
        assert!(!stored("__Host-nameless; Secure; Path=/", true));
    }

    #[test]
    fn deletions_are_recognised_with_max_age_taking_precedence() {
        let now = datetime!(2024-01-01 0:00 UTC);
        assert!(ok("a=; Max-Age=0").is_removal(now));
        assert!(ok("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").is_removal(now));
        assert!(!ok("a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT").is_removal(now));
        assert!(!ok("a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT").is_removal(now));
        assert!(!ok("a=1").is_removal(now));
    }

    #[test]
    fn arbitrary_input_never_panics() {
        for line in [
            ";",
            "=;=;=",
            "é=ü; ∞",
            "a=b; Max-Age=-",
            "a=b; Max-Age=99999999999999999999999",
        ] {
            let _ = parse(line);
        }
        assert_eq!(
            ok("a=b; Max-Age=99999999999999999999999").max_age,
            Some(i64::MAX)
        );
    }
}
