//! The list's URL parameters: checked ([`ListParams::check`]: a misspelt status or an
//! impossible page is an error that names the parameter, never silently ignored), turned
//! into a store query, and written back into links that keep the other filters.

use super::i18n::Lang;
use serde::Deserialize;
use trustlabel_core::fold::fold;
use trustlabel_core::policy::LabelStatus;
use trustlabel_store::{SiteQuery, SortKey, View};

/// What the list page and the API accept, as typed in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    /// One status or a comma-separated list.
    pub status: Option<String>,
    pub category: Option<String>,
    pub province: Option<String>,
    /// `assessed`, `not_assessed` or empty for all.
    pub view: Option<String>,
    /// `host`, `organisation`, `status`, `grade`, `last_assessed`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub lang: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The largest page the API serves in one response.
pub const MAX_PER_PAGE: u64 = 500;

/// The longest search text: names and hosts are far shorter, and a longer pattern only
/// costs the database (SQLite refuses `LIKE` patterns over 50,000 bytes).
pub const MAX_SEARCH_CHARS: usize = 200;

/// Every parameter the list and the API understand.
pub const PARAMETERS: [&str; 10] = [
    "q", "status", "category", "province", "view", "sort", "order", "page", "per_page", "lang",
];

const VIEWS: [&str; 2] = ["assessed", "not_assessed"];
const SORTS: [&str; 5] = ["host", "organisation", "status", "grade", "last_assessed"];
const ORDERS: [&str; 2] = ["asc", "desc"];

/// A parameter with a value the list cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}={value:?}: {problem}")]
pub struct ParamError {
    pub parameter: String,
    pub value: String,
    pub problem: ParamProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamProblem {
    #[error("expected one of {}", .0.join(", "))]
    NotOneOf(Vec<String>),
    #[error("expected a whole number from {min} to {max}")]
    OutOfRange { min: u64, max: u64 },
    #[error("longer than {0} characters")]
    TooLong(usize),
    #[error("unknown parameter (known: {})", PARAMETERS.join(", "))]
    Unknown,
    #[error("given more than once")]
    Repeated,
}

impl ParamError {
    fn new(parameter: &str, value: &str, problem: ParamProblem) -> ParamError {
        ParamError {
            parameter: parameter.to_string(),
            value: value.chars().take(80).collect(),
            problem,
        }
    }
}

impl ListParams {
    /// Reads a query string. `strict` (the API) refuses parameters it does not know; the
    /// pages ignore them, since shared links collect tracking parameters (`fbclid`).
    pub fn parse(query: &str, strict: bool) -> Result<ListParams, ParamError> {
        let mut params = ListParams::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "q" => &mut params.q,
                "status" => &mut params.status,
                "category" => &mut params.category,
                "province" => &mut params.province,
                "view" => &mut params.view,
                "sort" => &mut params.sort,
                "order" => &mut params.order,
                "page" => &mut params.page,
                "per_page" => &mut params.per_page,
                "lang" => &mut params.lang,
                other if strict => {
                    return Err(ParamError::new(other, &value, ParamProblem::Unknown));
                }
                _ => continue,
            };
            if slot.is_some() {
                return Err(ParamError::new(&key, &value, ParamProblem::Repeated));
            }
            *slot = Some(value.into_owned());
        }
        Ok(params)
    }

    /// Refuses values the list cannot honour, naming the parameter and what it accepts.
    /// Empty values mean "not given" (what an empty filter menu submits).
    pub fn check(&self) -> Result<(), ParamError> {
        let one_of = |name: &str, value: Option<&str>, allowed: &[&str]| match value {
            Some(v) if !allowed.contains(&v) => Err(ParamError::new(
                name,
                v,
                ParamProblem::NotOneOf(allowed.iter().map(|s| s.to_string()).collect()),
            )),
            _ => Ok(()),
        };
        if let Some(status) = non_empty(&self.status) {
            let names: Vec<&str> = LabelStatus::ALL.iter().map(|s| s.as_str()).collect();
            for part in status.split(',') {
                one_of("status", Some(part.trim()), &names)?;
            }
        }
        one_of("view", non_empty(&self.view), &VIEWS)?;
        one_of("sort", non_empty(&self.sort), &SORTS)?;
        one_of("order", non_empty(&self.order), &ORDERS)?;
        one_of("lang", non_empty(&self.lang), &["vi", "en"])?;
        let number = |name: &str, value: Option<&str>, max: u64| match value {
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(()),
                _ => Err(ParamError::new(
                    name,
                    v,
                    ParamProblem::OutOfRange { min: 1, max },
                )),
            },
            None => Ok(()),
        };
        number("page", non_empty(&self.page), u64::from(u32::MAX))?;
        number("per_page", non_empty(&self.per_page), MAX_PER_PAGE)?;
        if let Some(q) = non_empty(&self.q) {
            if q.chars().count() > MAX_SEARCH_CHARS {
                return Err(ParamError::new(
                    "q",
                    q,
                    ParamProblem::TooLong(MAX_SEARCH_CHARS),
                ));
            }
        }
        Ok(())
    }

    pub fn view(&self) -> View {
        match non_empty(&self.view) {
            Some("assessed") => View::Assessed,
            Some("not_assessed") => View::NotAssessed,
            _ => View::All,
        }
    }

    pub fn statuses(&self) -> Vec<LabelStatus> {
        non_empty(&self.status)
            .map(|s| s.split(',').filter_map(|p| p.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    pub fn sort(&self) -> SortKey {
        match non_empty(&self.sort) {
            Some("organisation") => SortKey::Organisation,
            Some("status") => SortKey::Status,
            Some("grade") => SortKey::Grade,
            Some("last_assessed") => SortKey::LastAssessed,
            _ => SortKey::Host,
        }
    }

    pub fn sort_name(&self) -> &'static str {
        match self.sort() {
            SortKey::Host => "host",
            SortKey::Organisation => "organisation",
            SortKey::Status => "status",
            SortKey::Grade => "grade",
            SortKey::LastAssessed => "last_assessed",
        }
    }

    pub fn descending(&self) -> bool {
        non_empty(&self.order) == Some("desc")
    }

    /// 1-based.
    pub fn page(&self) -> u64 {
        non_empty(&self.page)
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    pub fn per_page(&self, default: u64) -> u64 {
        non_empty(&self.per_page)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
            .clamp(1, MAX_PER_PAGE)
    }

    pub fn search(&self) -> Option<&str> {
        non_empty(&self.q)
    }

    pub fn category(&self) -> Option<&str> {
        non_empty(&self.category)
    }

    pub fn province(&self) -> Option<&str> {
        non_empty(&self.province)
    }

    pub fn to_query(&self, per_page_default: u64) -> SiteQuery {
        let per_page = self.per_page(per_page_default);
        SiteQuery {
            search: self.search().map(fold).filter(|s| !s.is_empty()),
            statuses: self.statuses(),
            category: self.category().map(str::to_string),
            province: self.province().map(str::to_string),
            view: self.view(),
            sort: self.sort(),
            descending: self.descending(),
            offset: (self.page() - 1).saturating_mul(per_page),
            limit: per_page,
        }
    }

    /// The same list on another page.
    pub fn with_page(&self, page: u64) -> ListParams {
        ListParams {
            page: (page > 1).then(|| page.to_string()),
            ..self.clone()
        }
    }

    /// URL query string (without `?`) for these parameters in `lang`; empty when all
    /// are defaults.
    pub fn query_string(&self, lang: Lang) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut add = |key: &'static str, value: Option<&str>| {
            if let Some(v) = value {
                pairs.push((key, v.to_string()));
            }
        };
        add("q", self.search());
        add("status", non_empty(&self.status));
        add("category", self.category());
        add("province", self.province());
        add("view", non_empty(&self.view));
        add("sort", non_empty(&self.sort));
        add("order", non_empty(&self.order));
        add("page", non_empty(&self.page).filter(|p| *p != "1"));
        add("per_page", non_empty(&self.per_page));
        if lang == Lang::En {
            pairs.push(("lang", "en".into()));
        }
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        let refused = |query: &str| {
            ListParams::parse(query, true)
                .and_then(|p| p.check().map(|_| p))
                .expect_err(query)
        };
        let e = refused("status=labeled");
        assert_eq!(
            (e.parameter.as_str(), e.value.as_str()),
            ("status", "labeled")
        );
        assert!(e.to_string().contains("labelled"), "{e}");
        assert_eq!(refused("status=labelled,nonsense").value, "nonsense");
        assert_eq!(refused("sort=drop+table").parameter, "sort");
        assert_eq!(refused("order=up").parameter, "order");
        assert_eq!(refused("view=some").parameter, "view");
        for bad in [
            "per_page=0",
            "per_page=100000",
            "per_page=ten",
            "page=0",
            "page=-3",
        ] {
            assert!(
                matches!(refused(bad).problem, ParamProblem::OutOfRange { .. }),
                "{bad}"
            );
        }
        let long = format!("q={}", "a".repeat(50_000));
        assert_eq!(
            refused(&long).problem,
            ParamProblem::TooLong(MAX_SEARCH_CHARS)
        );
        assert!(refused(&long).value.len() <= 80, "the message stays short");
        assert_eq!(refused("stauts=labelled").problem, ParamProblem::Unknown);
        assert_eq!(refused("page=1&page=2").problem, ParamProblem::Repeated);
    }

    #[test]
    fn good_and_empty_values_pass_and_pages_ignore_unknown_parameters() {
        let p = ListParams::parse(
            "status=labelled,at_risk&category=&sort=grade&order=desc&page=2&per_page=500&q=B%E1%BB%99",
            true,
        )
        .unwrap();
        p.check().unwrap();
        assert_eq!(p.statuses(), [LabelStatus::Labelled, LabelStatus::AtRisk]);
        assert_eq!((p.page(), p.per_page(50)), (2, 500));
        let shared = ListParams::parse("fbclid=abc&status=labelled", false).unwrap();
        shared.check().unwrap();
        assert_eq!(shared.statuses(), [LabelStatus::Labelled]);
    }

    #[test]
    fn the_query_is_folded_and_links_keep_the_filters() {
        let p = ListParams {
            q: Some("Bộ Tài chính".into()),
            province: Some("Hà Nội".into()),
            page: Some("3".into()),
            ..ListParams::default()
        };
        let q = p.to_query(20);
        assert_eq!(q.search.as_deref(), Some("bo tai chinh"));
        assert_eq!((q.offset, q.limit), (40, 20));
        let link = p.with_page(4).query_string(Lang::En);
        assert!(link.contains("province=H%C3%A0+N%E1%BB%99i"), "{link}");
        assert!(
            link.contains("page=4") && link.ends_with("lang=en"),
            "{link}"
        );
        assert!(!p.with_page(1).query_string(Lang::Vi).contains("page"));
    }
}
