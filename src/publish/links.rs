//! Where pages link to: the live server's routes, or the files of a static export.
//!
//! Pages are rendered by the same code in both cases; only this decides the URLs, so a
//! static export never contains a link to a route that only the server has.

use super::i18n::Lang;
use super::listing::ListParams;
use trustlabel_store::View;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Routes of `trustlabel serve`; the language travels as `?lang=en`.
    Live,
    /// Relative file paths; Vietnamese pages at the root, English under `en/`.
    /// `depth` is how many directories below its language's root the page is.
    Static { depth: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    pub mode: Mode,
    pub lang: Lang,
}

/// File name of a static list page.
pub fn static_list_file(view: View, page: u64) -> String {
    let base = match view {
        View::All => "index",
        View::Assessed => "assessed",
        View::NotAssessed => "not-assessed",
    };
    if page <= 1 {
        format!("{base}.html")
    } else {
        format!("{base}-{page}.html")
    }
}

/// Host names are ASCII letters, digits, dots and hyphens; anything else in a file name
/// is replaced so a hostile stored value can never leave the export directory.
pub fn safe_file_stem(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

impl Links {
    pub fn live(lang: Lang) -> Links {
        Links {
            mode: Mode::Live,
            lang,
        }
    }

    fn lang_suffix(&self, has_query: bool) -> &'static str {
        match (self.lang, has_query) {
            (Lang::En, false) => "?lang=en",
            (Lang::En, true) => "&lang=en",
            (Lang::Vi, _) => "",
        }
    }

    /// Prefix from this page to its language's root.
    fn tree(&self) -> String {
        match self.mode {
            Mode::Live => "/".into(),
            Mode::Static { depth } => "../".repeat(depth),
        }
    }

    /// Prefix from this page to the export's root (shared files: CSS, data, badges).
    fn root(&self) -> String {
        match (self.mode, self.lang) {
            (Mode::Live, _) => "/".into(),
            (Mode::Static { depth }, Lang::Vi) => "../".repeat(depth),
            (Mode::Static { depth }, Lang::En) => "../".repeat(depth + 1),
        }
    }

    pub fn is_static(&self) -> bool {
        matches!(self.mode, Mode::Static { .. })
    }

    pub fn list(&self, params: &ListParams) -> String {
        match self.mode {
            Mode::Live => {
                let query = params.query_string(self.lang);
                if query.is_empty() {
                    "/".into()
                } else {
                    format!("/?{query}")
                }
            }
            Mode::Static { .. } => {
                format!(
                    "{}{}",
                    self.tree(),
                    static_list_file(params.view(), params.page())
                )
            }
        }
    }

    pub fn view(&self, view: View) -> String {
        let view = match view {
            View::All => None,
            View::Assessed => Some("assessed".to_string()),
            View::NotAssessed => Some("not_assessed".to_string()),
        };
        self.list(&ListParams {
            view,
            ..ListParams::default()
        })
    }

    pub fn site(&self, host: &str) -> String {
        match self.mode {
            Mode::Live => format!("/site/{host}{}", self.lang_suffix(false)),
            Mode::Static { .. } => format!("{}site/{}.html", self.tree(), safe_file_stem(host)),
        }
    }

    pub fn dashboard(&self) -> String {
        match self.mode {
            Mode::Live => format!("/dashboard{}", self.lang_suffix(false)),
            Mode::Static { .. } => format!("{}dashboard.html", self.tree()),
        }
    }

    /// The league tables grouped by `by` (`ministry`, `province`, `category`).
    pub fn league(&self, by: &str) -> String {
        match self.mode {
            Mode::Live => format!("/league?by={by}{}", self.lang_suffix(true)),
            Mode::Static { .. } => format!("{}league-{by}.html", self.tree()),
        }
    }

    pub fn scanner(&self) -> String {
        match self.mode {
            Mode::Live => format!("/scanner{}", self.lang_suffix(false)),
            Mode::Static { .. } => format!("{}scanner.html", self.tree()),
        }
    }

    pub fn criteria(&self) -> String {
        match self.mode {
            Mode::Live => format!("/criteria{}", self.lang_suffix(false)),
            Mode::Static { .. } => format!("{}criteria.html", self.tree()),
        }
    }

    pub fn open_data(&self) -> String {
        match self.mode {
            Mode::Live => format!("/data{}", self.lang_suffix(false)),
            Mode::Static { .. } => format!("{}data.html", self.tree()),
        }
    }

    pub fn css(&self) -> String {
        format!("{}static/style.css", self.root())
    }

    pub fn csv(&self) -> String {
        format!("{}data/sites.csv", self.root())
    }

    pub fn json(&self) -> String {
        format!("{}data/sites.json", self.root())
    }

    pub fn feed(&self) -> String {
        format!("{}feed.atom", self.root())
    }

    /// The OpenAPI description exists only on the server.
    pub fn openapi(&self) -> Option<String> {
        (!self.is_static()).then(|| "/openapi.json".to_string())
    }

    pub fn badge(&self, host: &str) -> String {
        format!("{}badge/{}.svg", self.root(), safe_file_stem(host))
    }

    /// Staff pages exist only on the server.
    pub fn staff(&self) -> Option<String> {
        (!self.is_static()).then(|| format!("/staff{}", self.lang_suffix(false)))
    }

    /// The same page in the other language. `live_path` is the current path and query
    /// without `lang`, `static_file` the current file relative to its language root.
    pub fn other_language(&self, live_path: &str, static_file: &str) -> String {
        match self.mode {
            Mode::Live => {
                let sep = if live_path.contains('?') { '&' } else { '?' };
                match self.lang.other() {
                    Lang::En => format!("{live_path}{sep}lang=en"),
                    Lang::Vi => live_path.to_string(),
                }
            }
            Mode::Static { .. } => match self.lang.other() {
                Lang::En => format!("{}en/{static_file}", self.root()),
                Lang::Vi => format!("{}{static_file}", self.root()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_links_are_relative_and_stay_inside_the_export() {
        let en_site = Links {
            mode: Mode::Static { depth: 1 },
            lang: Lang::En,
        };
        assert_eq!(en_site.css(), "../../static/style.css");
        assert_eq!(en_site.view(View::Assessed), "../assessed.html");
        assert_eq!(en_site.site("a.vn"), "../site/a.vn.html");
        assert_eq!(
            en_site.other_language("", "site/a.vn.html"),
            "../../site/a.vn.html"
        );
        assert_eq!(safe_file_stem("../../etc/passwd"), "_.._etc_passwd");
    }

    #[test]
    fn live_links_carry_the_language() {
        let en = Links::live(Lang::En);
        assert_eq!(en.site("a.vn"), "/site/a.vn?lang=en");
        assert_eq!(en.view(View::NotAssessed), "/?view=not_assessed&lang=en");
        assert_eq!(
            Links::live(Lang::Vi).other_language("/site/a.vn", ""),
            "/site/a.vn?lang=en"
        );
    }
}
