//! Contest uploads: every report file a team sent to `review serve` and the server accepted,
//! kept whole in the store before the server answers, so that a killed server loses nothing
//! it accepted and rebuilds its leaderboard from them when it starts again.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Store, StoreError};

/// One accepted upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Order of acceptance within the store (larger: later).
    pub id: i64,
    pub team: String,
    pub received_utc_us: i64,
    /// `geojson` or `csv`.
    pub format: String,
    pub body: String,
    pub body_sha256: String,
}

/// How many uploads each team has made, and the latest of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContestUploads {
    /// Each team's latest upload, by team name.
    pub latest: Vec<Upload>,
    /// `(team, number of uploads)`, by team name.
    pub counts: Vec<(String, i64)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Stores an accepted upload of `team` in `contest` and returns it with its id. It is
    /// committed (and, for SQLite, synced to disk: `synchronous = FULL`, the default) when
    /// this returns.
    pub async fn add_upload(
        &self,
        contest: &str,
        team: &str,
        received_utc_us: i64,
        format: &str,
        body: &str,
    ) -> Result<Upload, StoreError> {
        let sha = hex(&Sha256::digest(body.as_bytes()));
        let err = |e| self.db_error("storing a contest upload", e);
        let mut tx = match self.backend() {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        }
        .map_err(err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contest_uploads (contest, team, received_utc_us, format, body, \
             body_sha256) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(contest)
        .bind(team)
        .bind(received_utc_us)
        .bind(format)
        .bind(body)
        .bind(&sha)
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(Upload {
            id,
            team: team.to_string(),
            received_utc_us,
            format: format.to_string(),
            body: body.to_string(),
            body_sha256: sha,
        })
    }

    /// Each team's latest upload in `contest` and every team's count of uploads.
    pub async fn contest_uploads(&self, contest: &str) -> Result<ContestUploads, StoreError> {
        let err = |e| self.db_error("reading contest uploads", e);
        let rows = sqlx::query(
            "SELECT u.id, u.team, u.received_utc_us, u.format, u.body, u.body_sha256 \
             FROM contest_uploads u WHERE u.contest = $1 AND u.id = \
             (SELECT MAX(v.id) FROM contest_uploads v WHERE v.contest = $1 AND v.team = u.team) \
             ORDER BY u.team",
        )
        .bind(contest)
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        let mut out = ContestUploads::default();
        for r in &rows {
            out.latest.push(Upload {
                id: r.try_get(0).map_err(err)?,
                team: r.try_get(1).map_err(err)?,
                received_utc_us: r.try_get(2).map_err(err)?,
                format: r.try_get(3).map_err(err)?,
                body: r.try_get(4).map_err(err)?,
                body_sha256: r.try_get(5).map_err(err)?,
            });
        }
        let rows = sqlx::query(
            "SELECT team, CAST(COUNT(*) AS BIGINT) FROM contest_uploads WHERE contest = $1 \
             GROUP BY team ORDER BY team",
        )
        .bind(contest)
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        for r in &rows {
            out.counts
                .push((r.try_get(0).map_err(err)?, r.try_get(1).map_err(err)?));
        }
        Ok(out)
    }
}
