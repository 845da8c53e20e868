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
pub mod security_txt;
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
/// faults nobody saw); the same while the site blocks the scanner.
pub fn public_grade(row: &SiteRow) -> Option<Grade> {
    match row.status {
        LabelStatus::NotAssessed | LabelStatus::Unreachable | LabelStatus::Blocked => None,
        _ => row.grade,
    }
}

/// Fewest sites a finding must be open on before a group's count of it is published: a
/// count of one or two would point at the site itself.
pub const MIN_SITES_PER_PUBLIC_FINDING: u64 = 3;

/// The open findings of a group that may be published: never those that would guide an
/// attacker (exposed files, vulnerable software, signs of compromise) nor strengths (no
/// fault), and only counts of at least [`MIN_SITES_PER_PUBLIC_FINDING`] sites, worst
/// first.
pub fn public_open_findings(
    row: &trustlabel_store::LeagueRow,
) -> Vec<(
    trustlabel_core::finding::FindingId,
    trustlabel_core::finding::Severity,
    u64,
)> {
    use trustlabel_core::finding::Category;
    row.open
        .iter()
        .filter(|(id, _, n)| {
            *n >= MIN_SITES_PER_PUBLIC_FINDING
                && !id.is_strength()
                && !matches!(
                    id.category(),
                    Category::Exposure | Category::Software | Category::Compromise
                )
        })
        .copied()
        .collect()
}

/// The verification page of a site, as an absolute URL (badges, feed, snippets).
pub fn verify_url(settings: &PublishSettings, host: &str) -> String {
    format!("{}/site/{host}", settings.public_url)
}

pub fn badge_url(settings: &PublishSettings, host: &str) -> String {
    format!("{}/badge/{host}.svg", settings.public_url)
}
