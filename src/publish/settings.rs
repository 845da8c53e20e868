//! Publishing settings with their defaults resolved (from `[publish]` in the config).

use super::zone::{DisplayZone, UnknownZone};
use crate::config::PublishSection;
use time::Duration;
use trustlabel_core::policy::LabelRules;
use trustlabel_core::schedule::Cadence;

/// Who publishes: shown on every page; never hard-coded (see DESIGN.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub authority_name: String,
    pub authority_short: String,
    pub contact: Option<String>,
}

/// Who the scanner is, as the scanner page tells owners (so they can allow it through
/// their firewalls): its User-Agent and the addresses it connects from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerIdentity {
    pub user_agent: String,
    /// Addresses or blocks, from `[publish] scanner_addresses`.
    pub source_addresses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublishSettings {
    pub branding: Branding,
    /// Absolute base URL without a trailing slash.
    pub public_url: String,
    pub page_size: u32,
    pub owner_link_ttl: Duration,
    pub rescan_cooldown: Duration,
    /// The scheduler's cadence, for "next assessment".
    pub cadence: Cadence,
    pub session_ttl: Duration,
    pub rate_per_ip: u32,
    pub burst_per_ip: u32,
    /// Grace and validity periods of labels (from the policy), for "valid until".
    pub label_rules: LabelRules,
    /// The zone dates are shown in.
    pub zone: DisplayZone,
    pub scanner: ScannerIdentity,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl PublishSettings {
    /// `listen_url` is used as the public URL when none is configured.
    pub fn from_section(
        s: &PublishSection,
        listen_url: &str,
        label_rules: LabelRules,
    ) -> Result<Self, UnknownZone> {
        let positive = |v: Option<i64>, default: i64| v.filter(|d| *d > 0).unwrap_or(default);
        let zone = match &s.timezone {
            Some(name) => DisplayZone::named(name)?,
            None => DisplayZone::default(),
        };
        Ok(PublishSettings {
            branding: Branding {
                authority_name: s
                    .authority_name
                    .clone()
                    .unwrap_or_else(|| "Cơ quan cấp nhãn (chưa cấu hình)".into()),
                authority_short: s
                    .authority_short
                    .clone()
                    .unwrap_or_else(|| "Nhãn Tín nhiệm mạng".into()),
                contact: s.contact.clone(),
            },
            public_url: s
                .public_url
                .clone()
                .unwrap_or_else(|| listen_url.to_string())
                .trim_end_matches('/')
                .to_string(),
            page_size: s.page_size.unwrap_or(50).clamp(5, 500),
            owner_link_ttl: Duration::days(positive(s.owner_link_days, 30)),
            rescan_cooldown: Duration::minutes(positive(s.rescan_cooldown_minutes, 60)),
            cadence: Cadence::default(),
            session_ttl: Duration::hours(positive(s.session_hours, 8)),
            rate_per_ip: s.rate_per_ip.unwrap_or(20).max(1),
            burst_per_ip: s.burst_per_ip.unwrap_or(60).max(1),
            label_rules,
            zone,
            scanner: ScannerIdentity {
                user_agent: trustlabel_collect::default_user_agent(),
                source_addresses: s.scanner_addresses.clone().unwrap_or_default(),
            },
        })
    }
}

impl Default for PublishSettings {
    fn default() -> Self {
        let listen_url = format!("http://{DEFAULT_LISTEN}");
        PublishSettings::from_section(
            &PublishSection::default(),
            &listen_url,
            LabelRules::default(),
        )
        // The default section names no zone, so this cannot fail.
        .unwrap_or_else(|_| unreachable!("the default zone is built in"))
    }
}
