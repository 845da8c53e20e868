//! The CISA Known Exploited Vulnerabilities catalog (JSON): `catalogVersion`,
//! `dateReleased`, `vulnerabilities[].cveID`. Only the CVE ids and the release date
//! matter to the label; the other fields are read for their type only when present.

use super::json::Node;
use super::{FeedError, cve_id, date_prefix};
use std::collections::BTreeSet;
use time::Date;

#[derive(Debug, Clone)]
pub struct Catalog {
    pub version: String,
    pub date_released: Date,
    pub cves: BTreeSet<String>,
}

pub(super) fn parse(root: Node<'_>) -> Result<Catalog, FeedError> {
    let version = root.field("catalogVersion", |n| n.string())?;
    let date_released = root.field("dateReleased", |n| date_prefix(&n))?;
    let ids = root.field("vulnerabilities", |list| {
        list.each(|entry| {
            entry.opt_field("dateAdded", |n| date_prefix(&n))?;
            entry.field("cveID", |n| cve_id(&n))
        })
    })?;
    Ok(Catalog {
        version,
        date_released,
        cves: ids.into_iter().collect(),
    })
}
