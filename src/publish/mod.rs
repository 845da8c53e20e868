//! Publishing: what the public, owners and staff see, rendered the same way by the web
//! server (`crate::web`) and the static export (`export`).
//!
//! Everything here is pure rendering over values the store returned: no SQL, no sockets
//! and no clock (the export writes files, nothing else).

pub mod badge;
pub mod charts;
pub mod export;
pub mod feed;
pub mod html;
pub mod i18n;
pub mod links;
pub mod listing;
pub mod openapi;
pub mod opendata;
pub mod reasons;
pub mod settings;
pub mod zone;

use settings::PublishSettings;
use time::OffsetDateTime;
use trustlabel_core::policy::{Grade, LabelStatus};
use trustlabel_store::SiteRow;

/// When the scheduler will next assess the site (its category's cadence after the last
/// assessment; a site already due is shown as due then).
pub fn next_assessment(row: &SiteRow, settings: &PublishSettings) -> Option<OffsetDateTime> {
    row.last_assessed
        .map(|at| settings.cadence.next_due(&row.host, &row.category, at))
}

/// Until when the label holds without a new passing assessment (the policy's validity
/// period after the last pass, or the end of the grace period once the site is at risk).
pub fn valid_until(row: &SiteRow, settings: &PublishSettings) -> Option<OffsetDateTime> {
    settings
        .label_rules
        .valid_until(row.status, row.last_pass_at, row.at_risk_since)
}

/// The grade the public sees: none while nothing was assessed, and none while the site
/// cannot be reached (an unreachable site was not graded; an F would accuse it of
/// faults nobody saw).
pub fn public_grade(row: &SiteRow) -> Option<Grade> {
    match row.status {
        LabelStatus::NotAssessed | LabelStatus::Unreachable => None,
        _ => row.grade,
    }
}

/// The verification page of a site, as an absolute URL (badges, feed, snippets).
pub fn verify_url(settings: &PublishSettings, host: &str) -> String {
    format!("{}/site/{host}", settings.public_url)
}

pub fn badge_url(settings: &PublishSettings, host: &str) -> String {
    format!("{}/badge/{host}.svg", settings.public_url)
}
