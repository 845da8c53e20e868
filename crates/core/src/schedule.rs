//! Which sites to re-scan now, and in what order: the scheduler's decision, pure.
//!
//! Every target is re-scanned once per cadence (per category, default daily). Each
//! site's slot is shifted by a fixed amount derived from its host name (up to
//! `jitter` of the cadence), so a list that was first scanned in one burst drifts apart
//! instead of hitting the queue all at once every day, while each site's own interval
//! stays stable. Queue order: a person's request first (priority 0, set by whoever
//! queued it), then at-risk sites (their grace period is running), then sites never
//! assessed, then routine re-scans, oldest first.

use crate::policy::LabelStatus;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// Queue priorities; higher runs first. Owner and staff requests are queued with 0.
pub const PRIORITY_AT_RISK: i64 = -10;
pub const PRIORITY_NEVER_ASSESSED: i64 = -20;
pub const PRIORITY_ROUTINE: i64 = -30;

/// How often sites are re-scanned.
#[derive(Debug, Clone, PartialEq)]
pub struct Cadence {
    pub default: Duration,
    /// By target category (e.g. `e-commerce` weekly, `ministry` daily).
    pub by_category: HashMap<String, Duration>,
    /// The largest shift of a site's slot, as a fraction of its cadence (0 to 1).
    pub jitter: f64,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            default: Duration::days(1),
            by_category: HashMap::new(),
            jitter: 0.1,
        }
    }
}

impl Cadence {
    pub fn for_category(&self, category: &str) -> Duration {
        self.by_category
            .get(category)
            .copied()
            .unwrap_or(self.default)
    }

    /// When the site is next due after a scan at `last`.
    pub fn next_due(&self, host: &str, category: &str, last: OffsetDateTime) -> OffsetDateTime {
        let period = self.for_category(category);
        let fraction = self.jitter.clamp(0.0, 1.0) * host_fraction(host);
        last + period - period * fraction
    }
}

/// What the scheduler needs to know of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSchedule {
    pub target_id: i64,
    pub host: String,
    pub category: String,
    pub status: LabelStatus,
    /// Start of the latest stored scan.
    pub last_scanned: Option<OffsetDateTime>,
    /// A queued or running job exists: nothing to add.
    pub pending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueScan {
    pub target_id: i64,
    pub priority: i64,
}

/// The sites to queue at `now`, in queue order, at most `limit` of them (the rest are
/// still due at the next tick).
pub fn due_scans(
    sites: &[SiteSchedule],
    cadence: &Cadence,
    now: OffsetDateTime,
    limit: usize,
) -> Vec<DueScan> {
    let mut due: Vec<(i64, Option<OffsetDateTime>, DueScan)> = sites
        .iter()
        .filter(|s| !s.pending)
        .filter_map(|s| {
            let priority = match (s.last_scanned, s.status) {
                (None, _) => PRIORITY_NEVER_ASSESSED,
                (Some(_), LabelStatus::AtRisk) => PRIORITY_AT_RISK,
                (Some(_), _) => PRIORITY_ROUTINE,
            };
            let is_due = match s.last_scanned {
                None => true,
                Some(last) => cadence.next_due(&s.host, &s.category, last) <= now,
            };
            is_due.then_some((
                priority,
                s.last_scanned,
                DueScan {
                    target_id: s.target_id,
                    priority,
                },
            ))
        })
        .collect();
    // Highest priority first; within one, the longest-waiting site first.
    due.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.target_id.cmp(&b.2.target_id))
    });
    due.into_iter().take(limit).map(|(_, _, d)| d).collect()
}

/// A stable number in [0, 1) from the host name (FNV-1a), the same on every machine
/// and run, so a site keeps its slot.
fn host_fraction(host: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in host.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

    fn site(id: i64, status: LabelStatus, last: Option<OffsetDateTime>) -> SiteSchedule {
        SiteSchedule {
            target_id: id,
            host: format!("site{id}.example.vn"),
            category: "ministry".into(),
            status,
            last_scanned: last,
            pending: false,
        }
    }

    #[test]
    fn a_site_is_due_once_per_cadence_give_or_take_its_jitter() {
        let cadence = Cadence::default();
        let fresh = site(1, LabelStatus::Labelled, Some(NOW - Duration::hours(12)));
        let old = site(2, LabelStatus::Labelled, Some(NOW - Duration::hours(25)));
        let due = due_scans(&[fresh, old], &cadence, NOW, 100);
        assert_eq!(
            due,
            vec![DueScan {
                target_id: 2,
                priority: PRIORITY_ROUTINE
            }]
        );
        for host in ["a.gov.vn", "b.gov.vn", "portal.hanoi.gov.vn"] {
            let next = cadence.next_due(host, "x", NOW);
            assert!(next <= NOW + Duration::days(1), "{host}");
            assert!(
                next >= NOW + Duration::days(1) - Duration::hours(3),
                "{host}"
            );
            assert_eq!(next, cadence.next_due(host, "x", NOW), "stable slot");
        }
    }

    #[test]
    fn the_jitter_spreads_sites_scanned_together() {
        let cadence = Cadence::default();
        let slots: std::collections::BTreeSet<_> = (0..200)
            .map(|i| cadence.next_due(&format!("site{i}.gov.vn"), "x", NOW))
            .collect();
        let spread = *slots.last().unwrap() - *slots.first().unwrap();
        assert!(slots.len() > 190, "distinct slots: {}", slots.len());
        assert!(spread > Duration::hours(2), "spread {spread}");
    }

    #[test]
    fn categories_have_their_own_cadence() {
        let mut cadence = Cadence::default();
        cadence
            .by_category
            .insert("e-commerce".into(), Duration::days(7));
        let mut shop = site(1, LabelStatus::Labelled, Some(NOW - Duration::days(2)));
        shop.category = "e-commerce".into();
        let ministry = site(2, LabelStatus::Labelled, Some(NOW - Duration::days(2)));
        let due = due_scans(&[shop, ministry], &cadence, NOW, 100);
        assert_eq!(due.iter().map(|d| d.target_id).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn at_risk_then_never_assessed_then_routine_oldest_first_and_pending_skipped() {
        let cadence = Cadence::default();
        let mut pending = site(1, LabelStatus::NotAssessed, None);
        pending.pending = true;
        let sites = [
            pending,
            site(2, LabelStatus::Labelled, Some(NOW - Duration::days(2))),
            site(3, LabelStatus::Labelled, Some(NOW - Duration::days(5))),
            site(4, LabelStatus::NotAssessed, None),
            site(5, LabelStatus::AtRisk, Some(NOW - Duration::days(2))),
        ];
        let order: Vec<(i64, i64)> = due_scans(&sites, &cadence, NOW, 100)
            .into_iter()
            .map(|d| (d.target_id, d.priority))
            .collect();
        assert_eq!(
            order,
            [
                (5, PRIORITY_AT_RISK),
                (4, PRIORITY_NEVER_ASSESSED),
                (3, PRIORITY_ROUTINE),
                (2, PRIORITY_ROUTINE)
            ]
        );
        assert_eq!(due_scans(&sites, &cadence, NOW, 2).len(), 2);
    }
}
