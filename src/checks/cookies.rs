//! TODO
use crate::evidence::Evidence;
use crate::finding::Finding;

pub(super) fn check(_evidence: &Evidence, _out: &mut Vec<Finding>) {}
