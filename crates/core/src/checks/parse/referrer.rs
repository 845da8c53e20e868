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

/// The policy a `<meta name="referrer">` sets (HTML §4.2.5.1 "referrer"), or `None` when
/// browsers ignore it: the content is lower-cased, never trimmed nor split on commas,
/// and the legacy keywords `never`, `default`, `always` and `origin-when-crossorigin`
/// still count. An empty or unknown content leaves the policy as it was.
pub fn from_meta(content: &str) -> Option<ReferrerPolicy> {
    let value = content.to_ascii_lowercase();
    let value = match value.as_str() {
        "never" => "no-referrer",
        // The default referrer policy (Fetch): strict-origin-when-cross-origin.
        "default" => "strict-origin-when-cross-origin",
        "always" => "unsafe-url",
        "origin-when-crossorigin" => "origin-when-cross-origin",
        other => other,
    };
    ReferrerPolicy::ALL
        .into_iter()
        .find(|p| p.as_str() == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_content_is_one_exact_token_with_the_legacy_keywords() {
        assert_eq!(from_meta("No-Referrer"), Some(ReferrerPolicy::NoReferrer));
        assert_eq!(from_meta("never"), Some(ReferrerPolicy::NoReferrer));
        assert_eq!(from_meta("always"), Some(ReferrerPolicy::UnsafeUrl));
        assert_eq!(
            from_meta("default"),
            Some(ReferrerPolicy::StrictOriginWhenCrossOrigin)
        );
        assert_eq!(
            from_meta("origin-when-crossorigin"),
            Some(ReferrerPolicy::OriginWhenCrossOrigin)
        );
        for ignored in [
            "",
            " unsafe-url",
            "unsafe-url ",
            "no-referrer, unsafe-url",
            "bogus",
        ] {
            assert_eq!(from_meta(ignored), None, "{ignored:?}");
        }
    }

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
