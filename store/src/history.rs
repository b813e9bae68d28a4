//! The sites' history, read from the store, and the questions an inspector asks of it:
//! every site with its first and last sighting and how many patrols passed it, saw it and saw
//! a plume at it; the sites new since the last patrol of a river; the known sites that patrol
//! passed and did not see; the known outfalls where it saw a plume; one site's timeline.
//!
//! "Passed" means the site lay inside one of the flight's photo footprints (see
//! [`crate::ingest`]); a site the flight never photographed is neither seen nor missed. The
//! "last patrol" of a river is its latest flight by first photo time; "earlier" means the
//! river's flights before it. Answers are computed here from the loaded rows, so both
//! backends answer identically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use qly_flight::record::HorizontalError;
use sqlx::Row;

use crate::{Store, StoreError};

/// A stored flight.
#[derive(Debug, Clone, PartialEq)]
pub struct FlightInfo {
    pub flight_id: String,
    pub river: String,
    /// The first photo's time, or the journal's creation without photos (UTC microseconds).
    pub time_utc_us: i64,
    /// The folder it was ingested from.
    pub folder: PathBuf,
}

/// A stored site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInfo {
    pub id: i64,
    pub class_name: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub error: HorizontalError,
}

/// A flight over a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub site_id: i64,
    pub flight: usize,
    pub seen: bool,
    pub plume: bool,
}

/// A confirmed candidate of a site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteCandidate {
    pub site_id: i64,
    pub flight: usize,
    pub candidate_id: u64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub ce90_m: f64,
    pub sightings: u32,
    pub confidence_max: f64,
    pub first_t_utc_us: i64,
    pub last_t_utc_us: i64,
    /// The best photo, as the journal names it (relative to the flight folder).
    pub best_file: String,
    pub best_bbox_px: [f32; 4],
    /// The inspector's decision on it: `confirmed`/`rejected`, who, when.
    pub decision: Option<(String, Option<String>, Option<String>)>,
}

/// Everything the questions need, loaded once.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// In time order (then id).
    pub flights: Vec<FlightInfo>,
    pub sites: Vec<SiteInfo>,
    pub passes: Vec<Pass>,
    pub candidates: Vec<SiteCandidate>,
}

/// Which sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteQuery {
    All,
    /// Seen by the last patrol and by none before it.
    New,
    /// Seen before, passed by the last patrol and not seen.
    NotSeen,
    /// Outfalls seen before, with a plume at them in the last patrol.
    PlumeAgain,
}

/// A site's history in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSummary {
    pub id: i64,
    pub class_name: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub ce90_m: f64,
    pub first_seen_utc_us: Option<i64>,
    pub last_seen_utc_us: Option<i64>,
    pub flights_passed: u32,
    pub flights_seen: u32,
    pub flights_with_plume: u32,
    pub first_flight: Option<String>,
    pub last_flight: Option<String>,
    /// The latest decision on any of its candidates, e.g. `confirmed (Li Wei, 2027-...)`.
    pub decision: Option<String>,
}

/// One flight's row in a site's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub flight_id: String,
    pub river: String,
    pub time_utc_us: i64,
    /// The flight's photos covered the site.
    pub passed: bool,
    pub seen: bool,
    pub plume: bool,
    pub candidate: Option<SiteCandidate>,
    /// The candidate's best photo, in the folder the flight was ingested from.
    pub best_photo: Option<PathBuf>,
}

impl Store {
    /// Loads the flights, sites, passes and site candidates.
    pub async fn history(&self) -> Result<History, StoreError> {
        let pool = self.pool();
        let err = |what: &'static str| move |e| self.db_error(what, e);
        let rows = sqlx::query(
            "SELECT flight_id, river, COALESCE(first_photo_utc_us, created_utc_us), folder \
             FROM flights ORDER BY 3, 1",
        )
        .fetch_all(pool)
        .await
        .map_err(err("reading flights"))?;
        let mut h = History::default();
        for r in &rows {
            h.flights.push(FlightInfo {
                flight_id: r.try_get(0).map_err(err("reading flights"))?,
                river: r.try_get(1).map_err(err("reading flights"))?,
                time_utc_us: r.try_get(2).map_err(err("reading flights"))?,
                folder: PathBuf::from(r.try_get::<String, _>(3).map_err(err("reading flights"))?),
            });
        }
        let index: BTreeMap<String, usize> = h
            .flights
            .iter()
            .enumerate()
            .map(|(i, f)| (f.flight_id.clone(), i))
            .collect();
        let flight_of = |id: String| {
            index.get(&id).copied().ok_or_else(|| StoreError::NoFlight {
                store: self.name().to_string(),
                flight_id: id,
            })
        };
        let rows = sqlx::query(
            "SELECT id, class_name, lat_deg, lon_deg, cov_ee_m2, cov_en_m2, cov_nn_m2 \
             FROM sites ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .map_err(err("reading sites"))?;
        for r in &rows {
            let g = |i| r.try_get::<f64, _>(i).map_err(err("reading sites"));
            h.sites.push(SiteInfo {
                id: r.try_get(0).map_err(err("reading sites"))?,
                class_name: r.try_get(1).map_err(err("reading sites"))?,
                lat_deg: g(2)?,
                lon_deg: g(3)?,
                error: HorizontalError::from_covariance([[g(4)?, g(5)?], [g(5)?, g(6)?]]),
            });
        }
        let rows = sqlx::query("SELECT site_id, flight_id, seen, plume FROM site_passes")
            .fetch_all(pool)
            .await
            .map_err(err("reading passes"))?;
        for r in &rows {
            let g = |i| r.try_get::<i64, _>(i).map_err(err("reading passes"));
            h.passes.push(Pass {
                site_id: g(0)?,
                flight: flight_of(r.try_get(1).map_err(err("reading passes"))?)?,
                seen: g(2)? != 0,
                plume: g(3)? != 0,
            });
        }
        let rows = sqlx::query(
            "SELECT c.site_id, c.flight_id, c.candidate_id, c.lat_deg, c.lon_deg, c.ce90_m, \
             c.sightings, c.confidence_max, c.first_t_utc_us, c.last_t_utc_us, c.best_file, \
             c.best_bbox_px, d.verdict, d.inspector, d.decided_utc \
             FROM candidates c LEFT JOIN decisions d \
             ON d.flight_id = c.flight_id AND d.candidate_id = c.candidate_id \
             WHERE c.site_id IS NOT NULL ORDER BY c.site_id, c.flight_id, c.candidate_id",
        )
        .fetch_all(pool)
        .await
        .map_err(err("reading candidates"))?;
        for r in &rows {
            let e = err("reading candidates");
            let bbox: String = r.try_get(11).map_err(e)?;
            let verdict: Option<String> = r.try_get(12).map_err(e)?;
            h.candidates.push(SiteCandidate {
                site_id: r.try_get(0).map_err(e)?,
                flight: flight_of(r.try_get(1).map_err(e)?)?,
                candidate_id: r.try_get::<i64, _>(2).map_err(e)? as u64,
                lat_deg: r.try_get(3).map_err(e)?,
                lon_deg: r.try_get(4).map_err(e)?,
                ce90_m: r.try_get(5).map_err(e)?,
                sightings: r.try_get::<i64, _>(6).map_err(e)? as u32,
                confidence_max: r.try_get(7).map_err(e)?,
                first_t_utc_us: r.try_get(8).map_err(e)?,
                last_t_utc_us: r.try_get(9).map_err(e)?,
                best_file: r.try_get(10).map_err(e)?,
                best_bbox_px: serde_json::from_str(&bbox).unwrap_or([0.0; 4]),
                decision: match verdict {
                    Some(v) => Some((v, r.try_get(13).map_err(e)?, r.try_get(14).map_err(e)?)),
                    None => None,
                },
            });
        }
        Ok(h)
    }
}

impl History {
    /// The flights in scope (a river, or all), in time order.
    fn scope(&self, river: Option<&str>) -> BTreeSet<usize> {
        (0..self.flights.len())
            .filter(|&i| river.is_none_or(|r| self.flights[i].river == r))
            .collect()
    }

    /// The last patrol of the river (or of all flights): its index.
    pub fn last_patrol(&self, river: Option<&str>) -> Option<usize> {
        self.scope(river).into_iter().next_back()
    }

    /// The index of flight `id`.
    pub fn flight_index(&self, id: &str) -> Option<usize> {
        self.flights.iter().position(|f| f.flight_id == id)
    }

    /// Every site any flight in scope passed, with its history in that scope.
    pub fn summaries(&self, river: Option<&str>) -> Vec<SiteSummary> {
        let scope = self.scope(river);
        self.sites
            .iter()
            .filter_map(|s| self.summary(s, &scope))
            .collect()
    }

    fn summary(&self, s: &SiteInfo, scope: &BTreeSet<usize>) -> Option<SiteSummary> {
        let passes: Vec<&Pass> = self
            .passes
            .iter()
            .filter(|p| p.site_id == s.id && scope.contains(&p.flight))
            .collect();
        if passes.is_empty() {
            return None;
        }
        let cands: Vec<&SiteCandidate> = self
            .candidates
            .iter()
            .filter(|c| c.site_id == s.id && scope.contains(&c.flight))
            .collect();
        let seen_flights: BTreeSet<usize> = cands.iter().map(|c| c.flight).collect();
        let decision = cands
            .iter()
            .filter_map(|c| c.decision.as_ref().map(|d| (c.flight, d)))
            .max_by_key(|(f, _)| *f)
            .map(|(_, (v, who, when))| {
                let who = [who.as_deref(), when.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                if who.is_empty() {
                    v.clone()
                } else {
                    format!("{v} ({who})")
                }
            });
        Some(SiteSummary {
            id: s.id,
            class_name: s.class_name.clone(),
            lat_deg: s.lat_deg,
            lon_deg: s.lon_deg,
            ce90_m: s.error.ce90_m,
            first_seen_utc_us: cands.iter().map(|c| c.first_t_utc_us).min(),
            last_seen_utc_us: cands.iter().map(|c| c.last_t_utc_us).max(),
            flights_passed: passes.len() as u32,
            flights_seen: seen_flights.len() as u32,
            flights_with_plume: passes.iter().filter(|p| p.plume).count() as u32,
            first_flight: seen_flights
                .first()
                .map(|&f| self.flights[f].flight_id.clone()),
            last_flight: seen_flights
                .last()
                .map(|&f| self.flights[f].flight_id.clone()),
            decision,
        })
    }

    /// The sites `query` selects, relative to flight `as_of` (default: the river's last
    /// patrol), among the river's flights (or all flights).
    pub fn select(
        &self,
        query: SiteQuery,
        river: Option<&str>,
        as_of: Option<usize>,
    ) -> Vec<SiteSummary> {
        let all = self.summaries(river);
        let Some(last) = as_of.or_else(|| self.last_patrol(river)) else {
            return Vec::new();
        };
        if query == SiteQuery::All {
            return all;
        }
        let scope = self.scope(river);
        let earlier: BTreeSet<usize> = scope.iter().copied().filter(|&f| f < last).collect();
        let seen_by = |site: i64, flights: &dyn Fn(usize) -> bool| {
            self.passes
                .iter()
                .any(|p| p.site_id == site && p.seen && flights(p.flight))
        };
        let pass_of = |site: i64| {
            self.passes
                .iter()
                .find(|p| p.site_id == site && p.flight == last)
        };
        all.into_iter()
            .filter(|s| {
                let seen_before = seen_by(s.id, &|f| earlier.contains(&f));
                let now = pass_of(s.id);
                match query {
                    SiteQuery::All => true,
                    SiteQuery::New => now.is_some_and(|p| p.seen) && !seen_before,
                    SiteQuery::NotSeen => now.is_some_and(|p| !p.seen) && seen_before,
                    SiteQuery::PlumeAgain => {
                        s.class_name == "outfall" && now.is_some_and(|p| p.plume) && seen_before
                    }
                }
            })
            .collect()
    }

    /// Site `id`'s timeline: every flight that passed or saw it, in time order.
    pub fn timeline(&self, id: i64) -> Option<Vec<TimelineEntry>> {
        self.sites.iter().find(|s| s.id == id)?;
        let mut flights: BTreeSet<usize> = self
            .passes
            .iter()
            .filter(|p| p.site_id == id)
            .map(|p| p.flight)
            .collect();
        flights.extend(
            self.candidates
                .iter()
                .filter(|c| c.site_id == id)
                .map(|c| c.flight),
        );
        Some(
            flights
                .into_iter()
                .map(|f| {
                    let info = &self.flights[f];
                    let pass = self
                        .passes
                        .iter()
                        .find(|p| p.site_id == id && p.flight == f);
                    let candidate = self
                        .candidates
                        .iter()
                        .find(|c| c.site_id == id && c.flight == f)
                        .cloned();
                    TimelineEntry {
                        flight_id: info.flight_id.clone(),
                        river: info.river.clone(),
                        time_utc_us: info.time_utc_us,
                        passed: pass.is_some(),
                        seen: candidate.is_some(),
                        plume: pass.is_some_and(|p| p.plume),
                        best_photo: candidate.as_ref().map(|c| info.folder.join(&c.best_file)),
                        candidate,
                    }
                })
                .collect(),
        )
    }
}
