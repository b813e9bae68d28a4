//! What the review page over the store reads and writes: the flights with their photo
//! coverage, a flight's candidates with their decisions, and an inspector's decision (the
//! latest in `decisions`, every one in `decision_log`).

use sqlx::Row;

use crate::{Backend, Store, StoreError};

/// A stored flight, for lists and maps.
#[derive(Debug, Clone, PartialEq)]
pub struct FlightRow {
    pub flight_id: String,
    pub river: String,
    /// The first photo's time, or the journal's creation without photos (UTC microseconds).
    pub time_utc_us: i64,
    pub frames: i64,
    pub candidates: i64,
    pub confirmed: i64,
    /// Candidates with an inspector's decision.
    pub decided: i64,
    /// The photos' ground coverage: `(min_lat, max_lat, min_lon, max_lon)` in degrees; `None`
    /// without a photo on the ground.
    pub bbox_deg: Option<(f64, f64, f64, f64)>,
}

/// A flight's candidate and its decision.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub flight_id: String,
    pub candidate_id: i64,
    pub class_name: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub ce90_m: f64,
    pub sightings: i64,
    /// Confirmed by the flight's rule (enough sightings), before any inspector.
    pub confirmed: bool,
    pub confidence_max: f64,
    pub site_id: Option<i64>,
    /// `confirmed`/`rejected`, who, when (ISO 8601 UTC).
    pub verdict: Option<String>,
    pub inspector: Option<String>,
    pub decided_utc: Option<String>,
}

/// An inspector's verdict on a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Confirmed,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Rejected => "rejected",
        }
    }

    /// `confirmed` or `rejected` (also `confirm`, `reject`), any case.
    pub fn parse(s: &str) -> Option<Verdict> {
        match s.trim().to_ascii_lowercase().as_str() {
            "confirmed" | "confirm" => Some(Verdict::Confirmed),
            "rejected" | "reject" => Some(Verdict::Rejected),
            _ => None,
        }
    }
}

/// One decision as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedDecision {
    pub id: i64,
    pub flight_id: String,
    pub candidate_id: i64,
    pub verdict: String,
    pub inspector: String,
    pub decided_utc: String,
}

impl Store {
    /// Every flight with its counts and photo coverage, in time order.
    pub async fn flights(&self) -> Result<Vec<FlightRow>, StoreError> {
        let err = |e| self.db_error("reading flights", e);
        let rows = sqlx::query(
            "SELECT f.flight_id, f.river, COALESCE(f.first_photo_utc_us, f.created_utc_us), \
             f.frames, f.candidates, f.confirmed, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM decisions d WHERE d.flight_id = f.flight_id) \
             FROM flights f ORDER BY 3, 1",
        )
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(FlightRow {
                flight_id: r.try_get(0).map_err(err)?,
                river: r.try_get(1).map_err(err)?,
                time_utc_us: r.try_get(2).map_err(err)?,
                frames: r.try_get(3).map_err(err)?,
                candidates: r.try_get(4).map_err(err)?,
                confirmed: r.try_get(5).map_err(err)?,
                decided: r.try_get(6).map_err(err)?,
                bbox_deg: None,
            });
        }
        // The spatial index holds each photo's bounds: the flight's are their union.
        let bbox_sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT f.flight_id, MIN(r.min_lat), MAX(r.max_lat), MIN(r.min_lon), \
                 MAX(r.max_lon) FROM frames f JOIN frames_rtree r ON r.id = f.id \
                 GROUP BY f.flight_id"
            }
            Backend::Postgres => {
                "SELECT flight_id, MIN(ST_YMin(footprint)), MAX(ST_YMax(footprint)), \
                 MIN(ST_XMin(footprint)), MAX(ST_XMax(footprint)) FROM frames \
                 GROUP BY flight_id"
            }
        };
        let rows = sqlx::query(bbox_sql)
            .fetch_all(self.pool())
            .await
            .map_err(err)?;
        for r in &rows {
            let id: String = r.try_get(0).map_err(err)?;
            let g = |i| r.try_get::<f64, _>(i).map_err(err);
            let b = (g(1)?, g(2)?, g(3)?, g(4)?);
            if let Some(f) = out.iter_mut().find(|f| f.flight_id == id) {
                f.bbox_deg = Some(b);
            }
        }
        Ok(out)
    }

    /// A flight's candidates with their decisions, by id; `NoFlight` for an unknown flight.
    pub async fn flight_candidates(
        &self,
        flight_id: &str,
    ) -> Result<Vec<CandidateRow>, StoreError> {
        let err = |e| self.db_error("reading candidates", e);
        let known: Option<String> =
            sqlx::query_scalar("SELECT flight_id FROM flights WHERE flight_id = $1")
                .bind(flight_id)
                .fetch_optional(self.pool())
                .await
                .map_err(err)?;
        if known.is_none() {
            return Err(StoreError::NoFlight {
                store: self.name().to_string(),
                flight_id: flight_id.to_string(),
            });
        }
        let rows = sqlx::query(
            "SELECT c.flight_id, c.candidate_id, c.class_name, c.lat_deg, c.lon_deg, c.ce90_m, \
             c.sightings, c.confirmed, c.confidence_max, c.site_id, d.verdict, d.inspector, \
             d.decided_utc FROM candidates c LEFT JOIN decisions d \
             ON d.flight_id = c.flight_id AND d.candidate_id = c.candidate_id \
             WHERE c.flight_id = $1 ORDER BY c.candidate_id",
        )
        .bind(flight_id)
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(CandidateRow {
                flight_id: r.try_get(0).map_err(err)?,
                candidate_id: r.try_get(1).map_err(err)?,
                class_name: r.try_get(2).map_err(err)?,
                lat_deg: r.try_get(3).map_err(err)?,
                lon_deg: r.try_get(4).map_err(err)?,
                ce90_m: r.try_get(5).map_err(err)?,
                sightings: r.try_get(6).map_err(err)?,
                confirmed: r.try_get::<i64, _>(7).map_err(err)? != 0,
                confidence_max: r.try_get(8).map_err(err)?,
                site_id: r.try_get(9).map_err(err)?,
                verdict: r.try_get(10).map_err(err)?,
                inspector: r.try_get(11).map_err(err)?,
                decided_utc: r.try_get(12).map_err(err)?,
            });
        }
        Ok(out)
    }

    /// Records an inspector's decision on a candidate, in one transaction: the candidate's
    /// current decision and a line in the log. `NoCandidate` when the flight has no such
    /// candidate.
    pub async fn decide(
        &self,
        flight_id: &str,
        candidate_id: i64,
        verdict: Verdict,
        inspector: &str,
        decided_utc: &str,
    ) -> Result<LoggedDecision, StoreError> {
        let err = |e| self.db_error("recording a decision", e);
        let mut tx = match self.backend() {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        }
        .map_err(err)?;
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT candidate_id FROM candidates WHERE flight_id = $1 AND candidate_id = $2",
        )
        .bind(flight_id)
        .bind(candidate_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(err)?;
        if known.is_none() {
            return Err(StoreError::NoCandidate {
                store: self.name().to_string(),
                flight_id: flight_id.to_string(),
                candidate_id,
            });
        }
        sqlx::query(
            "INSERT INTO decisions (flight_id, candidate_id, verdict, inspector, decided_utc) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (flight_id, candidate_id) DO UPDATE SET \
             verdict = excluded.verdict, inspector = excluded.inspector, \
             decided_utc = excluded.decided_utc",
        )
        .bind(flight_id)
        .bind(candidate_id)
        .bind(verdict.as_str())
        .bind(inspector)
        .bind(decided_utc)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO decision_log (flight_id, candidate_id, verdict, inspector, decided_utc) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(flight_id)
        .bind(candidate_id)
        .bind(verdict.as_str())
        .bind(inspector)
        .bind(decided_utc)
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(LoggedDecision {
            id,
            flight_id: flight_id.to_string(),
            candidate_id,
            verdict: verdict.as_str().to_string(),
            inspector: inspector.to_string(),
            decided_utc: decided_utc.to_string(),
        })
    }

    /// The decisions logged on one candidate, oldest first.
    pub async fn decision_log(
        &self,
        flight_id: &str,
        candidate_id: i64,
    ) -> Result<Vec<LoggedDecision>, StoreError> {
        let err = |e| self.db_error("reading the decision log", e);
        let rows = sqlx::query(
            "SELECT id, flight_id, candidate_id, verdict, inspector, decided_utc \
             FROM decision_log WHERE flight_id = $1 AND candidate_id = $2 ORDER BY id",
        )
        .bind(flight_id)
        .bind(candidate_id)
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(LoggedDecision {
                id: r.try_get(0).map_err(err)?,
                flight_id: r.try_get(1).map_err(err)?,
                candidate_id: r.try_get(2).map_err(err)?,
                verdict: r.try_get(3).map_err(err)?,
                inspector: r.try_get(4).map_err(err)?,
                decided_utc: r.try_get(5).map_err(err)?,
            });
        }
        Ok(out)
    }
}
