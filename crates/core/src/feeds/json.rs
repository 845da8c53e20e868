//! Walking a parsed JSON document with the path of every value at hand, so a schema
//! fault names where it is (`$.vulnerabilities[3].cveID`) in a file that has no
//! meaningful lines (feeds are often one long line).

use super::FeedError;
use serde_json::Value;

/// A value of the document and the JSON path that leads to it.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    pub file: &'a str,
    pub value: &'a Value,
    path: &'a PathPart<'a>,
}

/// The path as a chain of parts, built without allocating until an error needs it.
pub(crate) enum PathPart<'a> {
    Root,
    Key(&'a PathPart<'a>, &'a str),
    Index(&'a PathPart<'a>, usize),
}

impl PathPart<'_> {
    fn render(&self) -> String {
        match self {
            PathPart::Root => "$".to_string(),
            PathPart::Key(parent, key) => format!("{}.{key}", parent.render()),
            PathPart::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

impl<'a> Node<'a> {
    pub fn root(file: &'a str, value: &'a Value) -> Node<'a> {
        Node {
            file,
            value,
            path: &PathPart::Root,
        }
    }

    /// A schema fault at this value.
    pub fn error(&self, reason: impl Into<String>) -> FeedError {
        FeedError::Schema {
            file: self.file.to_string(),
            path: self.path.render(),
            reason: reason.into(),
        }
    }

    /// Calls `f` with the member `key` (a fault when `self` is not an object or lacks
    /// it).
    pub fn field<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T, FeedError>,
    ) -> Result<T, FeedError> {
        self.opt_field(key, f)?
            .ok_or_else(|| self.error(format!("`{key}` is required")))
    }

    /// Calls `f` with the member `key` when present and not null.
    pub fn opt_field<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T, FeedError>,
    ) -> Result<Option<T>, FeedError> {
        let object = self
            .value
            .as_object()
            .ok_or_else(|| self.error("must be an object"))?;
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                let path = PathPart::Key(self.path, key);
                f(Node {
                    file: self.file,
                    value,
                    path: &path,
                })
                .map(Some)
            }
        }
    }

    /// `f` over each element of an array.
    pub fn each<T>(
        &self,
        mut f: impl FnMut(Node<'_>) -> Result<T, FeedError>,
    ) -> Result<Vec<T>, FeedError> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.error("must be an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let path = PathPart::Index(self.path, i);
                f(Node {
                    file: self.file,
                    value,
                    path: &path,
                })
            })
            .collect()
    }

    /// `f` over each member of an object, with its key.
    pub fn members<T>(
        &self,
        mut f: impl FnMut(&str, Node<'_>) -> Result<T, FeedError>,
    ) -> Result<Vec<T>, FeedError> {
        let object = self
            .value
            .as_object()
            .ok_or_else(|| self.error("must be an object"))?;
        object
            .iter()
            .map(|(key, value)| {
                let path = PathPart::Key(self.path, key);
                f(
                    key,
                    Node {
                        file: self.file,
                        value,
                        path: &path,
                    },
                )
            })
            .collect()
    }

    pub fn string(&self) -> Result<String, FeedError> {
        self.value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.error("must be a string"))
    }

    /// An array of strings.
    pub fn strings(&self) -> Result<Vec<String>, FeedError> {
        self.each(|item| item.string())
    }
}
