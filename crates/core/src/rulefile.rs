//! Helpers shared by the loaders of data files (policy, catalog, config), so each reports
//! errors the same way: `file:line: reason`.

/// 1-based line of a byte offset (counted in bytes, so any offset is safe, even one
/// that falls inside a multi-byte character).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn lines_count_from_one_and_survive_odd_offsets() {
        let text = "a\nbộ\nc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        assert_eq!(line_of(text, 4), 2, "inside a multi-byte char");
        assert_eq!(line_of(text, 99), 3);
    }
}
