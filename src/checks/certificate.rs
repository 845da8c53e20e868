//! TODO
use super::CheckContext;
use crate::evidence::Evidence;
use crate::finding::Finding;

pub(super) fn check(_evidence: &Evidence, _ctx: &CheckContext<'_>, _out: &mut Vec<Finding>) {}
