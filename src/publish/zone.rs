//! The time zone people read dates in: `Asia/Ho_Chi_Minh` unless `[publish] timezone`
//! says otherwise. Stored times stay UTC; pages show local dates and times with the
//! zone's offset, and the open data carries ISO 8601 times with that offset, so a scan
//! at 01:00 in Hà Nội is dated that day, not the day before.

use time::{OffsetDateTime, UtcOffset};

/// The zone of a national registry in Vietnam.
pub const DEFAULT_ZONE: &str = "Asia/Ho_Chi_Minh";

#[derive(Debug, Clone)]
pub struct DisplayZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a time zone name of the IANA database (e.g. Asia/Ho_Chi_Minh)")]
pub struct UnknownZone {
    pub name: String,
}

impl DisplayZone {
    pub fn named(name: &str) -> Result<DisplayZone, UnknownZone> {
        let name = name.trim();
        jiff::tz::TimeZone::get(name)
            .map(|tz| DisplayZone {
                name: name.to_string(),
                tz,
            })
            .map_err(|_| UnknownZone {
                name: name.to_string(),
            })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same instant, at the zone's offset then (daylight saving included where a
    /// zone has it).
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        let offset = jiff::Timestamp::from_second(at.unix_timestamp())
            .map(|ts| self.tz.to_offset(ts).seconds())
            .ok()
            .and_then(|secs| UtcOffset::from_whole_seconds(secs).ok())
            .unwrap_or(UtcOffset::UTC);
        at.to_offset(offset)
    }
}

impl Default for DisplayZone {
    fn default() -> Self {
        // The bundled database always has it; UTC only if a build ever lacks it.
        DisplayZone::named(DEFAULT_ZONE).unwrap_or_else(|_| DisplayZone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        })
    }
}

impl PartialEq for DisplayZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn vietnam_is_seven_hours_ahead_so_early_morning_is_the_next_day() {
        let zone = DisplayZone::default();
        assert_eq!(zone.name(), "Asia/Ho_Chi_Minh");
        let local = zone.local(datetime!(2026-03-01 19:26 UTC));
        assert_eq!(local, datetime!(2026-03-02 02:26 +7));
        assert_eq!(local.offset().whole_hours(), 7);
    }

    #[test]
    fn zones_with_daylight_saving_follow_it() {
        let paris = DisplayZone::named("Europe/Paris").unwrap();
        assert_eq!(
            paris
                .local(datetime!(2026-01-15 12:00 UTC))
                .offset()
                .whole_hours(),
            1
        );
        assert_eq!(
            paris
                .local(datetime!(2026-07-15 12:00 UTC))
                .offset()
                .whole_hours(),
            2
        );
    }

    #[test]
    fn an_unknown_name_is_refused() {
        assert!(DisplayZone::named("Asia/Saigon_Typo").is_err());
    }
}
