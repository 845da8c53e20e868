//! A statement assembled piece by piece (the filtered site list), for both engines.
//!
//! sqlx's `QueryBuilder<Any>` writes `?` placeholders, which PostgreSQL rejects; this one
//! numbers them `$1, $2, …`, which both engines accept, and collects the values as
//! `AnyArguments` in the same order.

use crate::StoreError;
use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Encode, Type};
use std::fmt::Write;

#[derive(Default)]
pub(crate) struct SqlBuilder {
    text: String,
    arguments: AnyArguments<'static>,
    /// The first value that could not be encoded; reported by [`SqlBuilder::finish`], so
    /// the pushes can be chained.
    error: Option<String>,
}

impl SqlBuilder {
    pub(crate) fn new(text: &str) -> SqlBuilder {
        SqlBuilder {
            text: text.to_string(),
            ..SqlBuilder::default()
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut SqlBuilder {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut SqlBuilder
    where
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        if let Err(e) = self.arguments.add(value) {
            self.error.get_or_insert_with(|| e.to_string());
        }
        // Writing to a String cannot fail.
        let _ = write!(self.text, "${}", self.arguments.len());
        self
    }

    /// Appends `values` as a comma-separated list of placeholders (for `IN (…)`).
    pub(crate) fn push_bind_list<T, I>(&mut self, values: I) -> &mut SqlBuilder
    where
        I: IntoIterator<Item = T>,
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// The statement text and its arguments, ready for `sqlx::query_with`.
    pub(crate) fn finish(self) -> Result<(String, AnyArguments<'static>), StoreError> {
        match self.error {
            Some(e) => Err(StoreError::Encode(format!("query argument: {e}"))),
            None => Ok((self.text, self.arguments)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = SqlBuilder::new("SELECT 1 WHERE a = ");
        sql.push_bind(7_i64)
            .push(" AND b IN (")
            .push_bind_list(["x".to_string(), "y".to_string()])
            .push(")");
        let (text, arguments) = sql.finish().unwrap();
        assert_eq!(text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(arguments.len(), 3);
    }
}
