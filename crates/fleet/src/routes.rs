//! What a site answers to a request: exact paths, routes that apply only when a request
//! header contains some text (a site that shows spam only to Googlebot), and a catch-all
//! answer for every other path (a soft-404 site).

use super::http::Resource;
use super::spec::{HeaderCondition, Route, SiteSpec};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub(crate) struct RouteTable {
    /// Per path, in spec order; a conditional entry is tried before the plain one.
    exact: HashMap<String, Vec<(Option<HeaderCondition>, Resource)>>,
    fallback: Option<Resource>,
}

impl RouteTable {
    /// Plain routes; when two share a path the first wins, as in the spec's order.
    pub(crate) fn plain(routes: impl IntoIterator<Item = (String, Resource)>) -> RouteTable {
        let mut table = RouteTable::default();
        for (path, resource) in routes {
            table.insert(path, None, resource);
        }
        table
    }

    pub(crate) fn for_site(spec: &SiteSpec) -> RouteTable {
        let mut table = RouteTable::default();
        for route in &spec.routes {
            table.insert(
                route.path.clone(),
                route.when.clone(),
                Resource::from(route),
            );
        }
        table.fallback = spec.fallback.as_ref().map(Resource::from);
        table
    }

    fn insert(&mut self, path: String, when: Option<HeaderCondition>, resource: Resource) {
        let entries = self.exact.entry(path).or_default();
        if !entries.iter().any(|(w, _)| *w == when) {
            entries.push((when, resource));
        }
    }

    /// The answer for `path` given the request's headers; `None` means "not found".
    pub(crate) fn lookup(&self, path: &str, headers: &[(String, String)]) -> Option<&Resource> {
        let entries = self.exact.get(path);
        let conditional = entries.and_then(|e| {
            e.iter()
                .find(|(w, _)| w.as_ref().is_some_and(|c| c.holds(headers)))
        });
        let plain = entries.and_then(|e| e.iter().find(|(w, _)| w.is_none()));
        conditional
            .or(plain)
            .map(|(_, r)| r)
            .or(self.fallback.as_ref())
    }
}

impl HeaderCondition {
    fn holds(&self, headers: &[(String, String)]) -> bool {
        let needle = self.contains.to_ascii_lowercase();
        headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case(&self.header) && value.to_ascii_lowercase().contains(&needle)
        })
    }
}

impl From<&Route> for Resource {
    fn from(route: &Route) -> Resource {
        Resource {
            status: route.status,
            headers: route.headers.clone(),
            body: route.body.clone().into_bytes(),
            delay: route.delay,
            stream: route.stream.clone(),
            raw_headers: route.raw_headers.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ua: &str) -> Vec<(String, String)> {
        vec![("User-Agent".into(), ua.into())]
    }

    #[test]
    fn conditional_routes_win_when_their_header_matches_and_the_fallback_catches_the_rest() {
        let spec = SiteSpec::good("a.test")
            .with_route(Route::page("/", "spam").when_header("user-agent", "googlebot"))
            .with_route(Route::page("/", "clean"))
            .with_fallback(Route::page("/", "home everywhere"));
        let table = RouteTable::for_site(&spec);
        let body = |path: &str, ua: &str| {
            let r = table.lookup(path, &headers(ua)).unwrap();
            String::from_utf8(r.body.clone()).unwrap()
        };
        assert_eq!(body("/", "Mozilla/5.0 (compatible; Googlebot/2.1)"), "spam");
        assert_eq!(body("/", "trustlabel/0.1"), "clean");
        assert_eq!(body("/.env", "x"), "home everywhere");
        assert!(RouteTable::plain([]).lookup("/", &[]).is_none());
    }
}
