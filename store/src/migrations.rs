//! The schema's versions, one list per backend, compiled in (sqlx's `migrate!` macro would
//! read the same folders but needs sqlx's proc-macro crate, which compiles both database
//! drivers a second time for the build host).
//!
//! To change the schema, add `NNNN_what.sql` to both folders with the same version and
//! meaning, and a line for each below; never edit a released file (sqlx refuses a store
//! whose applied migration's checksum changed).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;

use crate::Backend;

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "flights and sites",
        include_str!("../migrations/sqlite/0001_flights_and_sites.sql"),
    ),
    (
        2,
        "contest uploads and decision log",
        include_str!("../migrations/sqlite/0002_contest_uploads_and_decision_log.sql"),
    ),
];

const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "flights and sites",
        include_str!("../migrations/postgres/0001_flights_and_sites.sql"),
    ),
    (
        2,
        "contest uploads and decision log",
        include_str!("../migrations/postgres/0002_contest_uploads_and_decision_log.sql"),
    ),
];

pub(crate) fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions_and_tables() {
        assert_eq!(
            SQLITE.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
            POSTGRES.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>()
        );
        let tables = |sql: &str| {
            sql.lines()
                .filter_map(|l| l.strip_prefix("CREATE TABLE "))
                .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        };
        for (s, p) in SQLITE.iter().zip(POSTGRES) {
            assert_eq!(tables(s.2), tables(p.2));
            assert!(!tables(s.2).is_empty());
        }
    }
}
