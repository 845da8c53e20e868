//! The Atom feed of label changes. Public, so it says which status a site moved between
//! and when, never why (reasons name findings).

use super::i18n::Lang;
use super::settings::PublishSettings;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trustlabel_core::policy::LabelStatus;
use trustlabel_store::SiteChange;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The entry times in the display zone with its offset (the same instant as UTC).
fn rfc3339(settings: &PublishSettings, at: OffsetDateTime) -> String {
    settings.zone.local(at).format(&Rfc3339).unwrap_or_default()
}

/// `changes` newest first. The feed's own `updated` is its newest entry (or the epoch
/// when there is none), never the current time, so the static export is deterministic.
pub fn render(settings: &PublishSettings, changes: &[SiteChange]) -> String {
    let lang = Lang::Vi;
    let base = &settings.public_url;
    let updated = changes
        .first()
        .map(|c| c.change.transition.at)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    out.push_str(&format!(
        "  <title>{} — {}</title>\n",
        escape(lang.t().label_name),
        escape(&settings.branding.authority_name)
    ));
    out.push_str(&format!("  <id>{}/feed.atom</id>\n", escape(base)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{}/feed.atom\"/>\n",
        escape(base)
    ));
    out.push_str(&format!("  <link href=\"{}/\"/>\n", escape(base)));
    out.push_str(&format!(
        "  <updated>{}</updated>\n",
        rfc3339(settings, updated)
    ));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        escape(&settings.branding.authority_name)
    ));
    for c in changes {
        let t = &c.change.transition;
        let host = trustlabel_core::target::display_host(&c.host);
        let url = super::verify_url(settings, &c.host);
        out.push_str("  <entry>\n");
        out.push_str(&format!(
            "    <id>{}/changes/{}</id>\n",
            escape(base),
            c.change.id
        ));
        out.push_str(&format!(
            "    <title>{}: {} → {}</title>\n",
            escape(&host),
            lang.status(t.from),
            lang.status(t.to)
        ));
        out.push_str(&format!("    <link href=\"{}\"/>\n", escape(&url)));
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            rfc3339(settings, t.at)
        ));
        let day = settings.zone.local(t.at).date();
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            escape(
                &lang.change_summary(
                    &host,
                    &format!(
                        "{:02}/{:02}/{}",
                        day.day(),
                        u8::from(day.month()),
                        day.year()
                    ),
                    t.from,
                    t.to,
                    c.grade
                        .filter(|_| !matches!(
                            t.to,
                            LabelStatus::Unreachable | LabelStatus::Blocked
                        ))
                        .map(|g| g.to_string())
                        .as_deref(),
                    c.change.scan_id.is_none(),
                )
            )
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}
