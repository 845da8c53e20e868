//! League tables: per ministry (the top of an organisation's hierarchy), per province
//! and per category, how many sites are in scope, assessed and labelled, their grades and
//! their most frequent open findings, read in one consistent snapshot.

use super::publish::count;
use super::{Store, StoreError, codec};
use sqlx::Row;
use std::collections::BTreeMap;
use trustlabel_core::finding::{FindingId, Severity};
use trustlabel_core::policy::Grade;

/// What a league table groups sites by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeagueBy {
    /// The ministry or provincial body a site's organisation answers to (the
    /// organisation itself when it answers to no one in the list).
    Ministry,
    Province,
    Category,
}

impl LeagueBy {
    fn column(self) -> &'static str {
        match self {
            LeagueBy::Ministry => "CASE WHEN t.parent = '' THEN t.organisation ELSE t.parent END",
            LeagueBy::Province => "t.province",
            LeagueBy::Category => "t.category",
        }
    }
}

/// One group's figures. "In scope" is what the programme's goal counts: the sites known
/// to collect personal data, and those not assessed yet (in scope until a scan shows
/// they collect none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeagueRow {
    pub group: String,
    pub sites: u64,
    /// Not read by any scan yet: never scanned, or only unreachable or blocked so far.
    pub not_assessed: u64,
    /// Assessed and found collecting personal data.
    pub collecting: u64,
    /// Of those, holding the label (labelled or at risk).
    pub collecting_labelled: u64,
    pub labelled: u64,
    /// Sites per grade of their latest assessment.
    pub grades: Vec<(Grade, u64)>,
    /// Sites per open finding (of their latest scan), with the finding's severity.
    pub open: Vec<(FindingId, Severity, u64)>,
}

impl LeagueRow {
    pub fn in_scope(&self) -> u64 {
        self.collecting + self.not_assessed
    }
}

const HOLDS_LABEL: &str = "l.status IN ('labelled', 'at_risk')";
/// No scan has read the site yet: never scanned, or only unreachable or blocked so far
/// (nothing known about personal data). Such a site stays in scope; otherwise a site
/// that blocks the scanner from its first scan would drop out of its group's figures.
const NOT_YET_READ: &str = "l.status IS NULL OR l.status = 'not_assessed' \
     OR (l.collects_personal_data IS NULL AND l.status IN ('unreachable', 'blocked'))";

impl Store {
    pub async fn league(&self, by: LeagueBy) -> Result<Vec<LeagueRow>, StoreError> {
        let group = by.column();
        let mut tx = self.db.begin_snapshot().await?;
        let mut rows: BTreeMap<String, LeagueRow> = BTreeMap::new();
        let counts = sqlx::query(&format!(
            "SELECT {group} AS grp, COUNT(*) AS sites, \
             CAST(SUM(CASE WHEN {NOT_YET_READ} THEN 1 ELSE 0 END) AS BIGINT) AS not_assessed, \
             CAST(SUM(CASE WHEN l.collects_personal_data = 1 THEN 1 ELSE 0 END) AS BIGINT) AS collecting, \
             CAST(SUM(CASE WHEN l.collects_personal_data = 1 AND {HOLDS_LABEL} THEN 1 ELSE 0 END) AS BIGINT) AS collecting_labelled, \
             CAST(SUM(CASE WHEN {HOLDS_LABEL} THEN 1 ELSE 0 END) AS BIGINT) AS labelled \
             FROM targets t LEFT JOIN labels l ON l.target_id = t.id GROUP BY {group}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for row in &counts {
            let name: String = row.try_get("grp")?;
            rows.insert(
                name.clone(),
                LeagueRow {
                    group: name,
                    sites: count(row.try_get("sites")?),
                    not_assessed: count(row.try_get("not_assessed")?),
                    collecting: count(row.try_get("collecting")?),
                    collecting_labelled: count(row.try_get("collecting_labelled")?),
                    labelled: count(row.try_get("labelled")?),
                    ..LeagueRow::default()
                },
            );
        }
        let grades = sqlx::query(&format!(
            "SELECT {group} AS grp, l.grade AS grade, COUNT(*) AS n \
             FROM targets t JOIN labels l ON l.target_id = t.id \
             WHERE l.grade IS NOT NULL AND l.status NOT IN ('not_assessed', 'unreachable', 'blocked') \
             GROUP BY {group}, l.grade"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for row in &grades {
            let name: String = row.try_get("grp")?;
            let grade: Grade = codec::parse_enum("labels.grade", row.try_get("grade")?)?;
            if let Some(r) = rows.get_mut(&name) {
                r.grades.push((grade, count(row.try_get("n")?)));
            }
        }
        let open = sqlx::query(&format!(
            "SELECT {group} AS grp, o.finding_id AS finding_id, o.severity AS severity, \
             COUNT(*) AS n FROM open_findings o JOIN targets t ON t.id = o.target_id \
             GROUP BY {group}, o.finding_id, o.severity"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for row in &open {
            let name: String = row.try_get("grp")?;
            let id: FindingId =
                codec::parse_enum("open_findings.finding_id", row.try_get("finding_id")?)?;
            let severity =
                codec::parse_severity("open_findings.severity", row.try_get("severity")?)?;
            if let Some(r) = rows.get_mut(&name) {
                r.open.push((id, severity, count(row.try_get("n")?)));
            }
        }
        tx.commit().await?;
        let mut out: Vec<LeagueRow> = rows.into_values().collect();
        for r in &mut out {
            r.grades.sort();
            r.open
                .sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        }
        Ok(out)
    }
}
