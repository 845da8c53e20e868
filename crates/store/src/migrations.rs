//! Migrations embedded at compile time, one list per backend (`migrations/sqlite/`,
//! `migrations/postgres/`), applied by each backend when it opens the database.
//!
//! `sqlx::migrate!` would do this but needs sqlx's `macros` feature, which the crate does
//! not enable; the versions, descriptions and SQL here are exactly what `migrate!` would
//! derive from the file names, so switching to it later keeps every checksum (a test
//! checks each list against its directory).

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};
use std::borrow::Cow;

/// `(version, description, SQL)` in version order.
pub(super) type MigrationList = &'static [(i64, &'static str, &'static str)];

pub(super) const SQLITE: MigrationList = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "publish",
        include_str!("../migrations/sqlite/0002_publish.sql"),
    ),
    (
        3,
        "lifecycle",
        include_str!("../migrations/sqlite/0003_lifecycle.sql"),
    ),
    (
        4,
        "decisions",
        include_str!("../migrations/sqlite/0004_decisions.sql"),
    ),
    (
        5,
        "registry",
        include_str!("../migrations/sqlite/0005_registry.sql"),
    ),
    (
        6,
        "batches",
        include_str!("../migrations/sqlite/0006_batches.sql"),
    ),
    (
        7,
        "discovery",
        include_str!("../migrations/sqlite/0007_discovery.sql"),
    ),
];

pub(super) const POSTGRES: MigrationList = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "publish",
        include_str!("../migrations/postgres/0002_publish.sql"),
    ),
    (
        3,
        "lifecycle",
        include_str!("../migrations/postgres/0003_lifecycle.sql"),
    ),
    (
        4,
        "decisions",
        include_str!("../migrations/postgres/0004_decisions.sql"),
    ),
    (
        5,
        "registry",
        include_str!("../migrations/postgres/0005_registry.sql"),
    ),
    (
        6,
        "batches",
        include_str!("../migrations/postgres/0006_batches.sql"),
    ),
    (
        7,
        "discovery",
        include_str!("../migrations/postgres/0007_discovery.sql"),
    ),
];

#[derive(Debug, Clone, Copy)]
pub(super) struct Embedded(pub(super) MigrationList);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.migrations()) })
    }
}

impl Embedded {
    pub(super) fn migrations(self) -> Vec<Migration> {
        self.0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::migrate::Migrator;

    /// The lists are hand-kept: a file added to a directory but not to its list would
    /// never run, and a list entry that differs from what `migrate!`/the sqlx CLI derive
    /// from the directory would break their checksums.
    #[tokio::test]
    async fn embedded_migrations_match_the_migrations_directories() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let from_dir = Migrator::new(dir.clone()).await.unwrap();
            let key = |m: &Migration| (m.version, m.description.to_string(), m.checksum.to_vec());
            assert_eq!(
                from_dir.iter().map(key).collect::<Vec<_>>(),
                Embedded(list)
                    .migrations()
                    .iter()
                    .map(key)
                    .collect::<Vec<_>>(),
                "{}",
                dir.display()
            );
        }
    }

    /// Both backends keep the same tables and columns, so the rest of the store (and
    /// anyone reading the schema) sees one model.
    #[test]
    fn both_backends_create_the_same_tables_and_columns() {
        fn shape(list: MigrationList) -> Vec<String> {
            let mut names = Vec::new();
            for (_, _, sql) in list {
                for line in sql.lines().map(str::trim) {
                    if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                        names.push(format!("table {}", rest.trim_end_matches(" (")));
                    } else if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                        let words: Vec<&str> = rest.split_whitespace().take(4).collect();
                        names.push(format!("alter {}", words.join(" ")));
                    } else if line.starts_with("CREATE INDEX") {
                        names.push(line.split(" ON ").next().unwrap_or(line).to_string());
                    } else if !line.starts_with("--")
                        && !line.is_empty()
                        && !line.starts_with(')')
                        && !line.starts_with("CHECK")
                        && !line.starts_with("PRIMARY KEY")
                    {
                        let column = line.split_whitespace().next().unwrap_or("");
                        names.push(format!("column {column}"));
                    }
                }
            }
            names
        }
        assert_eq!(shape(SQLITE), shape(POSTGRES));
    }
}
