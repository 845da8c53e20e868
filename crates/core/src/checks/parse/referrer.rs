//! Referrer-Policy (W3C Referrer Policy §4.1 and Fetch's header parsing).
//!
//! The header is a comma-separated list so that sites can name a new policy and an
//! older fallback; browsers use the *last* token they recognise, across all header lines.

/// The policies a browser recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrerPolicy {
    NoReferrer,
    NoReferrerWhenDowngrade,
    SameOrigin,
    Origin,
    StrictOrigin,
    OriginWhenCrossOrigin,
    StrictOriginWhenCrossOrigin,
    UnsafeUrl,
}

impl ReferrerPolicy {
    const ALL: [ReferrerPolicy; 8] = [
        ReferrerPolicy::NoReferrer,
        ReferrerPolicy::NoReferrerWhenDowngrade,
        ReferrerPolicy::SameOrigin,
        ReferrerPolicy::Origin,
        ReferrerPolicy::StrictOrigin,
        ReferrerPolicy::OriginWhenCrossOrigin,
        ReferrerPolicy::StrictOriginWhenCrossOrigin,
        ReferrerPolicy::UnsafeUrl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferrerPolicy::NoReferrer => "no-referrer",
            ReferrerPolicy::NoReferrerWhenDowngrade => "no-referrer-when-downgrade",
            ReferrerPolicy::SameOrigin => "same-origin",
            ReferrerPolicy::Origin => "origin",
            ReferrerPolicy::StrictOrigin => "strict-origin",
            ReferrerPolicy::OriginWhenCrossOrigin => "origin-when-cross-origin",
            ReferrerPolicy::StrictOriginWhenCrossOrigin => "strict-origin-when-cross-origin",
            ReferrerPolicy::UnsafeUrl => "unsafe-url",
        }
    }

    /// One list token; case-insensitive as in browsers, `None` for anything unknown.
    pub fn from_token(token: &str) -> Option<Self> {
        let token = token.trim_matches([' ', '\t']);
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(token))
    }
}

/// The policy browsers apply given every Referrer-Policy header line in order: the last
/// recognised token wins, unknown tokens are skipped. `None` means the browser default
/// (strict-origin-when-cross-origin) applies.
pub fn effective<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<ReferrerPolicy> {
    values
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(ReferrerPolicy::from_token)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_recognised_token_wins_across_lines() {
        assert_eq!(
            effective(["no-referrer, unsafe-url"]),
            Some(ReferrerPolicy::UnsafeUrl)
        );
        assert_eq!(
            effective(["unsafe-url", "strict-origin-when-cross-origin"]),
            Some(ReferrerPolicy::StrictOriginWhenCrossOrigin)
        );
    }

    #[test]
    fn unknown_tokens_are_skipped_not_fatal() {
        assert_eq!(
            effective(["no-referrer, some-future-policy"]),
            Some(ReferrerPolicy::NoReferrer)
        );
        assert_eq!(effective(["", " , ", "nonsense", "ünsafe-url"]), None);
        assert_eq!(effective(std::iter::empty()), None);
    }

    #[test]
    fn tokens_are_case_insensitive_and_trimmed() {
        assert_eq!(
            effective(["  Unsafe-URL\t"]),
            Some(ReferrerPolicy::UnsafeUrl)
        );
    }

    #[test]
    fn every_policy_round_trips_through_its_name() {
        for p in ReferrerPolicy::ALL {
            assert_eq!(ReferrerPolicy::from_token(p.as_str()), Some(p));
        }
    }
}
