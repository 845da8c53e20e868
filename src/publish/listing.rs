//! The list's URL parameters: parsed leniently (a bad value is ignored, never an error
//! page) into a store query, and written back into links that keep the other filters.

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

impl ListParams {
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
    fn bad_values_fall_back_to_defaults() {
        let p = ListParams {
            status: Some("labelled,nonsense".into()),
            page: Some("-3".into()),
            per_page: Some("100000".into()),
            sort: Some("drop table".into()),
            ..ListParams::default()
        };
        assert_eq!(p.statuses(), vec![LabelStatus::Labelled]);
        assert_eq!(p.page(), 1);
        assert_eq!(p.per_page(50), MAX_PER_PAGE);
        assert_eq!(p.sort(), SortKey::Host);
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
