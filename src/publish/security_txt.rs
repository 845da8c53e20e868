//! Our own `/.well-known/security.txt` (RFC 9116): how to report a weakness in the label's
//! service to the authority. Written only when the configured contact can be a URI
//! (an e-mail address, `mailto:`, `https://` or `tel:`); an `Expires` half a year ahead,
//! renewed by every answer, and a `Canonical` naming where it is served.

use super::settings::PublishSettings;
use time::{Duration, OffsetDateTime, Time};

/// How far ahead `Expires` points (RFC 9116 recommends less than a year).
pub const VALID_FOR: Duration = Duration::days(180);

pub fn security_txt(settings: &PublishSettings, now: OffsetDateTime) -> Option<String> {
    let contact = settings.branding.contact.as_deref()?.trim();
    let uri = if ["mailto:", "https://", "tel:"]
        .iter()
        .any(|p| contact.starts_with(p))
    {
        contact.to_string()
    } else if contact.contains('@') && !contact.contains(char::is_whitespace) {
        format!("mailto:{contact}")
    } else {
        return None;
    };
    let expires = (now + VALID_FOR).replace_time(Time::MIDNIGHT);
    let expires = expires
        .format(&time::format_description::well_known::Rfc3339)
        .ok()?;
    Some(format!(
        "# {authority}\n\
         Contact: {uri}\n\
         Expires: {expires}\n\
         Preferred-Languages: vi, en\n\
         Canonical: {base}/.well-known/security.txt\n",
        authority = settings.branding.authority_name,
        base = settings.public_url,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn with_contact(contact: Option<&str>) -> PublishSettings {
        let mut s = PublishSettings {
            public_url: "https://tinnhiem.example.vn".into(),
            ..PublishSettings::default()
        };
        s.branding.contact = contact.map(str::to_string);
        s
    }

    #[test]
    fn an_email_contact_becomes_a_mailto_uri_with_a_future_expiry_and_the_canonical_url() {
        let now = datetime!(2026-12-05 10:30 UTC);
        let text = security_txt(&with_contact(Some("attt@example.vn")), now).unwrap();
        assert!(text.contains("Contact: mailto:attt@example.vn\n"), "{text}");
        assert!(text.contains("Expires: 2027-06-03T00:00:00Z\n"), "{text}");
        assert!(text.contains("Canonical: https://tinnhiem.example.vn/.well-known/security.txt\n"));
        let web = security_txt(&with_contact(Some("https://example.vn/lien-he")), now).unwrap();
        assert!(web.contains("Contact: https://example.vn/lien-he\n"));
    }

    #[test]
    fn no_file_without_a_contact_that_can_be_a_uri() {
        let now = datetime!(2026-12-05 10:30 UTC);
        assert!(security_txt(&with_contact(None), now).is_none());
        assert!(security_txt(&with_contact(Some("Phòng An toàn thông tin")), now).is_none());
    }
}
