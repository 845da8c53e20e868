//! The SVG badge a site may embed. It shows the *current* status (so a copied image goes
//! stale, and the verification page is the proof) and links to that page.

use super::i18n::Lang;
use maud::html;
use trustlabel_core::policy::{Grade, LabelLevel, LabelStatus};

fn colour(status: LabelStatus) -> &'static str {
    match status {
        LabelStatus::Labelled => "#0f6b2f",
        LabelStatus::AtRisk => "#8a5a00",
        LabelStatus::Revoked | LabelStatus::NotLabelled => "#a11b1b",
        LabelStatus::NotAssessed | LabelStatus::Unreachable | LabelStatus::Blocked => "#4a5560",
    }
}

pub struct BadgeData<'a> {
    pub lang: Lang,
    pub host: &'a str,
    pub status: LabelStatus,
    pub level: Option<LabelLevel>,
    pub grade: Option<Grade>,
    pub authority_short: &'a str,
    pub verify_url: &'a str,
}

pub fn render(b: &BadgeData<'_>) -> String {
    let mut status = b.lang.status(b.status).to_string();
    if let (true, Some(level)) = (b.status.holds_label(), b.level) {
        status = format!("{status} · {}", b.lang.level(level));
    }
    if let Some(grade) = b.grade {
        status = format!("{status} · {grade}");
    }
    let title = format!("{} — {}: {status}", b.lang.t().label_name, b.host);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width="220" height="40" viewBox="0 0 220 40" role="img" aria-label=(title) {
            title { (title) }
            a href=(b.verify_url) target="_top" {
                rect width="220" height="40" rx="4" fill=(colour(b.status)) {}
                rect x="1" y="1" width="218" height="16" rx="3" fill="#ffffff" fill-opacity="0.15" {}
                text x="8" y="13" fill="#ffffff" font-family="Verdana, DejaVu Sans, sans-serif" font-size="10" font-weight="bold" { (b.authority_short) }
                text x="8" y="31" fill="#ffffff" font-family="Verdana, DejaVu Sans, sans-serif" font-size="11" { (status) }
            }
        }
    }
    .into_string()
}
