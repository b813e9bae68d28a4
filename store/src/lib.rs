//! The store: every patrol's flight in one database, and the outfall sites they found,
//! tracked across patrols.
//!
//! Two backends with one schema: an embedded SQLite file (the default, for an inspector's
//! laptop; spatial index: SQLite's R*Tree) and PostgreSQL with PostGIS (a bureau's server;
//! spatial index: GiST). Both go through sqlx's `Any` driver, so every query but the spatial
//! index's is the same text on both; the tests run the same cases against both. Migrations are
//! sqlx's (versioned, checksummed, recorded in `_sqlx_migrations`), one folder per backend
//! (`migrations/sqlite`, `migrations/postgres`), compiled into the binary.
//!
//! - [`Store::ingest`] adds one flight folder in one transaction: idempotent (a flight id
//!   already stored changes nothing but newer inspector decisions), atomic, and safe with
//!   many ingests at once (they are serialised: SQLite's write lock, a PostgreSQL advisory
//!   lock), see [`ingest`].
//! - [`Store::history`] reads the sites back for [`history`]'s questions.
//! - [`review`]: the flights, a flight's candidates and the inspectors' decisions made through
//!   `review serve` (each logged with who and when); [`uploads`]: contest teams' uploads to
//!   `review serve`, stored before the server answers.

pub mod coverage;
pub mod export;
pub mod gate;
pub mod history;
pub mod ingest;
mod migrations;
pub mod review;
pub mod uploads;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use history::{History, SiteQuery, SiteSummary, TimelineEntry};
pub use ingest::{IngestOptions, IngestOutcome, IngestProgress};
pub use review::{CandidateRow, FlightRow, LoggedDecision, Verdict};
pub use uploads::{ContestUploads, Upload};

/// The embedded store's file when no `--store` is given.
pub const DEFAULT_STORE_FILE: &str = "qianliyan-store.sqlite";

/// How long an SQLite writer waits for another's transaction to end before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "store {url:?}: expected postgres://USER@HOST/DB (PostgreSQL with PostGIS), \
         sqlite:PATH or a file path: {reason}"
    )]
    Url { url: String, reason: String },
    #[error("store {store}: {action}: {source}")]
    Db {
        store: String,
        action: String,
        source: sqlx::Error,
    },
    #[error("store {store}: migrating the schema: {source}")]
    Migrate {
        store: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] qly_flight::read::ReadError),
    #[error(transparent)]
    Decisions(#[from] qly_flight::decisions::DecisionsError),
    #[error("{folder}: {reason}")]
    Flight { folder: PathBuf, reason: String },
    #[error(
        "flight {flight_id} is already stored from a different journal (SHA-256 {stored}, \
         now {now}, {folder}): a flight is ingested once, after it has landed"
    )]
    JournalChanged {
        flight_id: String,
        stored: String,
        now: String,
        folder: PathBuf,
    },
    #[error("store {store}: no site {site_id}")]
    NoSite { store: String, site_id: i64 },
    #[error("store {store}: no flight {flight_id}")]
    NoFlight { store: String, flight_id: String },
    #[error("store {store}: flight {flight_id} has no candidate {candidate_id}")]
    NoCandidate {
        store: String,
        flight_id: String,
        candidate_id: i64,
    },
}

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl Location {
    /// `postgres://...` / `postgresql://...`, `sqlite:PATH` / `sqlite://PATH`, or a path.
    pub fn parse(url: &str) -> Result<Location, StoreError> {
        let bad = |reason: &str| StoreError::Url {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(bad("no file name"));
        }
        if path.contains("://") {
            return Err(bad("unknown scheme"));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// For messages: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let user_pass = &u[s + 3..at];
                    let user = user_pass.split(':').next().unwrap_or("");
                    format!("{}{user}{}", &u[..s + 3], &u[at..])
                }
                _ => u.clone(),
            },
        }
    }
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    name: String,
}

impl Store {
    /// Opens (creating an SQLite file if missing) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let location = Location::parse(url)?;
        let name = location.describe();
        let db = |action: &str| {
            let name = name.clone();
            let action = action.to_string();
            move |source| StoreError::Db {
                store: name,
                action,
                source,
            }
        };
        let (options, backend) = match &location {
            Location::Sqlite(path) => {
                let url = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .to_url_lossy();
                (
                    AnyConnectOptions::from_url(&url).map_err(db("connecting"))?,
                    Backend::Sqlite,
                )
            }
            Location::Postgres(u) => (
                u.parse::<AnyConnectOptions>()
                    .map_err(|e| StoreError::Url {
                        url: name.clone(),
                        reason: e.to_string(),
                    })?,
                Backend::Postgres,
            ),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = {}",
                            SQLITE_BUSY_TIMEOUT.as_millis()
                        )))
                        .await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(db("connecting"))?;
        let store = Store {
            pool,
            backend,
            name,
        };
        match &location {
            Location::Sqlite(path) => store.migrate_sqlite(path).await?,
            Location::Postgres(_) => store.migrate().await?,
        }
        Ok(store)
    }

    /// SQLite has no lock to hold across a migration (sqlx's migrator locks on PostgreSQL
    /// only), so two first-time opens of one file could both create the tables: an exclusive
    /// lock on a file beside it serialises them.
    async fn migrate_sqlite(&self, path: &Path) -> Result<(), StoreError> {
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".migrate-lock");
        let lock_path = PathBuf::from(lock_path);
        let io = |source| StoreError::Io {
            path: lock_path.clone(),
            source,
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io)?;
        let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
            .await
            .map_err(|e| StoreError::Io {
                path: lock_path.clone(),
                source: std::io::Error::other(e),
            })?
            .map_err(io)?;
        // WAL: readers never wait for the writer (kept in the file once set).
        self.pool
            .execute("PRAGMA journal_mode = WAL")
            .await
            .map_err(|source| self.db_error("setting WAL journal mode", source))?;
        let r = self.migrate().await;
        drop(lock);
        r
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        migrations::migrator(self.backend)
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                store: self.name.clone(),
                source,
            })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store's name for messages (no password).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn db_error(&self, action: &str, source: sqlx::Error) -> StoreError {
        StoreError::Db {
            store: self.name.clone(),
            action: action.to_string(),
            source,
        }
    }

    /// Row counts of the main tables, for checks and summaries.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let mut n = [0i64; 6];
        for (i, table) in [
            "flights",
            "frames",
            "candidates",
            "sites",
            "site_passes",
            "decisions",
        ]
        .iter()
        .enumerate()
        {
            let q = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
            n[i] = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q))
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.db_error(&format!("counting {table}"), e))?;
        }
        Ok(Counts {
            flights: n[0],
            frames: n[1],
            candidates: n[2],
            sites: n[3],
            site_passes: n[4],
            decisions: n[5],
        })
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub flights: i64,
    pub frames: i64,
    pub candidates: i64,
    pub sites: i64,
    pub site_passes: i64,
    pub decisions: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_hide_passwords() {
        assert_eq!(
            Location::parse("x/store.sqlite").unwrap(),
            Location::Sqlite("x/store.sqlite".into())
        );
        assert_eq!(
            Location::parse("sqlite:///tmp/a.db").unwrap(),
            Location::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:a.db").unwrap(),
            Location::Sqlite("a.db".into())
        );
        let pg = Location::parse("postgres://bureau:s3cret@db.example/qly").unwrap();
        assert_eq!(pg.describe(), "postgres://bureau@db.example/qly");
        let e = Location::parse("mysql://x/y").unwrap_err().to_string();
        assert!(
            e.contains("unknown scheme") && e.contains("postgres://"),
            "{e}"
        );
        assert!(Location::parse("").is_err());
    }
}
