//! What changed between a site's scans: findings added, resolved and still open, each
//! with the date it was first seen, and the grade before and after. Pure: the scans come
//! in, newest first, as the store keeps them.
//!
//! A finding is "the same" from one scan to the next when its id is: the detail of an
//! expiring certificate or a missing header changes wording as days pass, the fault does
//! not. Its first-seen date is the first scan of its unbroken run up to the scan at hand,
//! so an owner who fixed something and broke it again sees when it came back.
//!
//! Strengths ([`FindingId::is_strength`]: a strict CSP, hardened cookies...) are no
//! faults: earning or losing one is not something "added" or "fixed", and the grade
//! change already says what a lost bonus cost.

use crate::finding::FindingId;
use crate::policy::Grade;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// One stored scan, as far as changes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOutline {
    pub scan_id: i64,
    pub at: OffsetDateTime,
    pub grade: Grade,
    pub findings: BTreeSet<FindingId>,
}

/// The difference between the latest scan and the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub latest_at: OffsetDateTime,
    /// The scan compared with; `None` for a site's first scan.
    pub previous_at: Option<OffsetDateTime>,
    pub grade_before: Option<Grade>,
    pub grade_now: Grade,
    /// New in the latest scan (first seen then).
    pub added: Vec<(FindingId, OffsetDateTime)>,
    /// Open in the previous scan, gone in the latest, with when they had first appeared.
    pub resolved: Vec<(FindingId, OffsetDateTime)>,
    /// Open in both, with when they were first seen.
    pub unchanged: Vec<(FindingId, OffsetDateTime)>,
}

impl Changes {
    /// Whether anything an owner acts on changed.
    pub fn any(&self) -> bool {
        !self.added.is_empty()
            || !self.resolved.is_empty()
            || self.grade_before != Some(self.grade_now)
    }
}

/// The first scan of the unbroken run, from `scans[from]` back, that has `id`.
fn first_seen(scans: &[ScanOutline], from: usize, id: FindingId) -> OffsetDateTime {
    let mut first = scans[from].at;
    for scan in &scans[from..] {
        if !scan.findings.contains(&id) {
            break;
        }
        first = scan.at;
    }
    first
}

/// `scans` newest first; `None` when there is no scan at all.
pub fn changes(scans: &[ScanOutline]) -> Option<Changes> {
    let latest = scans.first()?;
    let previous = scans.get(1);
    let empty = BTreeSet::new();
    let before = previous.map_or(&empty, |p| &p.findings);
    let mut added = Vec::new();
    let mut unchanged = Vec::new();
    for id in latest.findings.iter().filter(|id| !id.is_strength()) {
        let seen = first_seen(scans, 0, *id);
        if before.contains(id) {
            unchanged.push((*id, seen));
        } else {
            added.push((*id, seen));
        }
    }
    let resolved = before
        .iter()
        .filter(|id| !id.is_strength() && !latest.findings.contains(id))
        .map(|id| (*id, first_seen(scans, 1, *id)))
        .collect();
    Some(Changes {
        latest_at: latest.at,
        previous_at: previous.map(|p| p.at),
        grade_before: previous.map(|p| p.grade),
        grade_now: latest.grade,
        added,
        resolved,
        unchanged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn scan(day: u8, grade: Grade, ids: &[FindingId]) -> ScanOutline {
        ScanOutline {
            scan_id: i64::from(day),
            at: datetime!(2026-03-01 08:00 UTC) + time::Duration::days(i64::from(day)),
            grade,
            findings: ids.iter().copied().collect(),
        }
    }

    #[test]
    fn a_fix_is_counted_as_resolved_and_what_remains_keeps_its_first_seen_date() {
        use FindingId::*;
        // Newest first: day 3 fixed HSTS; CSP has been missing since day 1; TLS 1.0
        // appeared on day 3.
        let scans = [
            scan(3, Grade::B, &[HeaderCspMissing, TlsProtoTls10]),
            scan(2, Grade::C, &[HeaderCspMissing, HeaderHstsMissing]),
            scan(1, Grade::C, &[HeaderCspMissing, HeaderHstsMissing]),
        ];
        let c = changes(&scans).unwrap();
        assert_eq!(c.added, [(TlsProtoTls10, scans[0].at)]);
        assert_eq!(c.resolved, [(HeaderHstsMissing, scans[2].at)]);
        assert_eq!(c.unchanged, [(HeaderCspMissing, scans[2].at)]);
        assert_eq!((c.grade_before, c.grade_now), (Some(Grade::C), Grade::B));
        assert!(c.any());
    }

    #[test]
    fn a_fault_that_comes_back_is_dated_from_its_return() {
        use FindingId::*;
        let scans = [
            scan(3, Grade::C, &[HeaderHstsMissing]),
            scan(2, Grade::A, &[]),
            scan(1, Grade::C, &[HeaderHstsMissing]),
        ];
        let c = changes(&scans).unwrap();
        assert_eq!(c.added, [(HeaderHstsMissing, scans[0].at)]);
    }

    #[test]
    fn strengths_are_neither_added_nor_resolved() {
        use FindingId::*;
        let scans = [
            scan(2, Grade::A, &[HeaderCspStrict, HeaderHstsMissing]),
            scan(1, Grade::A, &[CookieHardened, HeaderHstsMissing]),
        ];
        let c = changes(&scans).unwrap();
        assert!(c.added.is_empty() && c.resolved.is_empty(), "{c:?}");
        assert_eq!(c.unchanged, [(HeaderHstsMissing, scans[1].at)]);
        assert!(!c.any());
    }

    #[test]
    fn a_first_scan_adds_everything_and_nothing_is_compared() {
        let c = changes(&[scan(1, Grade::A, &[FindingId::HeaderCspMissing])]).unwrap();
        assert_eq!(c.previous_at, None);
        assert_eq!(c.added.len(), 1);
        assert!(changes(&[]).is_none());
        let same = [scan(2, Grade::A, &[]), scan(1, Grade::A, &[])];
        assert!(!changes(&same).unwrap().any(), "nothing changed");
    }
}
