//! One flight folder into the store, in one transaction.
//!
//! - **Idempotent**: flights are keyed by the flight header's id (a ULID). A flight already
//!   stored from the same journal (SHA-256) changes nothing, except that the inspectors'
//!   decisions are brought up to the decisions file's; from a different journal it is refused.
//! - **Atomic**: everything, sites included, is written in one transaction; a process killed
//!   half-way leaves the store as it was.
//! - **Concurrent**: ingests are serialised by the database (SQLite: `BEGIN IMMEDIATE` takes
//!   the write lock at once and others wait on the busy timeout; PostgreSQL: a transaction
//!   advisory lock), because assigning a finding to a site reads the sites another ingest may
//!   be creating.
//!
//! Sites ([`crate::gate`]): each confirmed candidate of the flight joins the nearest site of
//! its class that lies within their combined predicted error and holds no other candidate of
//! this flight, or starts a new site; a plume whose source lies at an outfall site is that
//! outfall's plume (a flag on the flight's pass), not a site of its own. Then every site
//! inside the flight's photo footprints ([`crate::coverage`]) gets a *pass* of this flight
//! (seen or not, and for an outfall whether a plume of this flight rose at it), and every new
//! site gets a pass of each other stored flight whose photos covered it, so the history does
//! not depend on the order flights are ingested in.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_flight::decisions::{read_decisions, Decision, Verdict};
use qly_flight::folder::FlightFolder;
use qly_flight::header::{sha256_file, FlightHeader, FlightSource};
use qly_flight::record::CandidateRecord;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::coverage::{self, Corners};
use crate::gate::{self, Estimate, InfoSum};
use crate::{Backend, Store, StoreError};

/// The PostgreSQL advisory lock key that serialises ingests ("qly" 19).
const PG_INGEST_LOCK: i64 = 0x0071_6c79_0019;

/// How far around a candidate to look for sites beyond its own 3-sigma extent, metres: room
/// for the site's own error (a site's fused error is smaller than its findings').
const SITE_SEARCH_MARGIN_M: f64 = 30.0;

/// What to record with the flight.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// The river (or patrol route) the flight patrolled: "the last patrol of this river" is
    /// the latest flight with this name.
    pub river: String,
}

/// What an ingest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored(IngestSummary),
    /// The flight was there already; only decisions that differ were updated.
    AlreadyStored {
        flight_id: String,
        decisions_changed: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestSummary {
    pub flight_id: String,
    pub frames: u64,
    /// Frames with no known ground under the camera (no footprint: they cover nothing).
    pub frames_without_ground: u64,
    pub candidates: u64,
    pub confirmed: u64,
    pub sites_new: u64,
    pub sites_matched: u64,
    /// Confirmed candidates whose predicted error is unusable (no site).
    pub candidates_without_error: u64,
    /// Confirmed plumes rising at an outfall site (recorded on that site's pass, no site of
    /// their own).
    pub plumes_at_outfalls: u64,
    /// Passes recorded: this flight's over sites, and earlier flights' over the new sites.
    pub passes: u64,
    pub decisions: u64,
}

/// Progress inside the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestProgress {
    Frames { done: u64, total: u64 },
    Candidates { done: u64, total: u64 },
    Sites { done: u64, total: u64 },
}

struct Frame {
    boot: u32,
    image_index: u64,
    t_utc_us: i64,
    file: String,
    corners: Corners,
    bbox: (f64, f64, f64, f64),
}

struct Prepared {
    folder: PathBuf,
    header: FlightHeader,
    journal_sha256: String,
    frames: Vec<Frame>,
    frames_total: u64,
    candidates: Vec<(CandidateRecord, bool)>,
    decisions: Vec<Decision>,
    first_photo_utc_us: Option<i64>,
    last_photo_utc_us: Option<i64>,
}

fn prepare(dir: &Path) -> Result<Prepared, StoreError> {
    let folder = FlightFolder::new(dir);
    let records = folder.read_records()?;
    let view = &records.view;
    let bad = |reason: String| StoreError::Flight {
        folder: dir.to_path_buf(),
        reason,
    };
    let header = view.header.clone().ok_or_else(|| {
        bad(
            "the journal has no flight header (written before flight ids existed): a flight \
             is stored by its id"
                .into(),
        )
    })?;
    if header.datum != "WGS-84" {
        return Err(bad(format!(
            "journal header datum {:?}: expected \"WGS-84\"",
            header.datum
        )));
    }
    let journal = folder.journal();
    let journal_sha256 = sha256_file(&journal).map_err(|source| StoreError::Io {
        path: journal.clone(),
        source,
    })?;
    let mut frames = Vec::new();
    for f in view.frames.values() {
        if let Some(corners) = coverage::footprint(&header.camera, &f.camera) {
            frames.push(Frame {
                boot: f.boot,
                image_index: f.image_index,
                t_utc_us: f.t_utc_us,
                file: f.file.clone(),
                bbox: coverage::bbox(&corners),
                corners,
            });
        }
    }
    let rule = view.confirmation();
    let mut candidates = Vec::new();
    for c in &view.candidates {
        let finite = [c.lat_deg, c.lon_deg, c.error.ce90_m, c.error.cep50_m]
            .iter()
            .chain(c.error.cov_en_m2.iter().flatten())
            .all(|v| v.is_finite());
        if !finite || GeoPoint::new(c.lat_deg, c.lon_deg).is_err() {
            return Err(bad(format!(
                "journal candidate {}: position or error not a finite WGS-84 value \
                 (lat {}, lon {}, ce90 {} m)",
                c.id, c.lat_deg, c.lon_deg, c.error.ce90_m
            )));
        }
        candidates.push((c.clone(), rule.confirms(c)));
    }
    let decisions_path = folder.decisions();
    let decisions = if decisions_path.exists() {
        let ids: BTreeSet<u64> = view.candidates.iter().map(|c| c.id).collect();
        read_decisions(&decisions_path, &ids, Some(&header.flight_id))?.decisions
    } else {
        Vec::new()
    };
    Ok(Prepared {
        folder: dir.to_path_buf(),
        first_photo_utc_us: view.frames.values().map(|f| f.t_utc_us).min(),
        last_photo_utc_us: view.frames.values().map(|f| f.t_utc_us).max(),
        frames_total: view.frames.len() as u64,
        header,
        journal_sha256,
        frames,
        candidates,
        decisions,
    })
}

/// A site as stored.
struct SiteRow {
    id: i64,
    class_name: String,
    anchor: GeoPoint,
    sum: InfoSum,
    lat_deg: f64,
    lon_deg: f64,
    cov_m2: [[f64; 2]; 2],
}

const SITE_COLUMNS: &str = "s.id, s.class_name, s.anchor_lat_deg, s.anchor_lon_deg, \
    s.info_ee, s.info_en, s.info_nn, s.info_e, s.info_n, s.lat_deg, s.lon_deg, \
    s.cov_ee_m2, s.cov_en_m2, s.cov_nn_m2";

fn site_row(r: &AnyRow) -> Result<SiteRow, sqlx::Error> {
    Ok(SiteRow {
        id: r.try_get(0)?,
        class_name: r.try_get(1)?,
        anchor: GeoPoint {
            lat_deg: r.try_get(2)?,
            lon_deg: r.try_get(3)?,
        },
        sum: InfoSum {
            info: [r.try_get(4)?, r.try_get(5)?, r.try_get(6)?],
            info_pos: [r.try_get(7)?, r.try_get(8)?],
        },
        lat_deg: r.try_get(9)?,
        lon_deg: r.try_get(10)?,
        cov_m2: {
            let en: f64 = r.try_get(12)?;
            [[r.try_get(11)?, en], [en, r.try_get(13)?]]
        },
    })
}

impl SiteRow {
    /// The site's estimate in the plane of `frame`.
    fn estimate_in(&self, frame: &LocalFrame) -> Estimate {
        Estimate::projected(frame, self.lat_deg, self.lon_deg, self.cov_m2)
    }
}

fn candidate_estimate(c: &CandidateRecord, frame: &LocalFrame) -> Estimate {
    Finding::of(c).estimate_in(frame)
}

/// `(min_lat, max_lat, min_lon, max_lon)` of a square `radius_m` around a point.
fn square(p: GeoPoint, radius_m: f64) -> (f64, f64, f64, f64) {
    let f = LocalFrame::at(p);
    let sw = f.unproject(-radius_m, -radius_m);
    let ne = f.unproject(radius_m, radius_m);
    (sw.lat_deg, ne.lat_deg, sw.lon_deg, ne.lon_deg)
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirmed => "confirmed",
        Verdict::Rejected => "rejected",
    }
}

fn now_utc_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl Store {
    /// Ingests the flight folder `dir` (see the module doc).
    pub async fn ingest(
        &self,
        dir: &Path,
        options: &IngestOptions,
        mut progress: impl FnMut(IngestProgress) + Send,
    ) -> Result<IngestOutcome, StoreError> {
        let dir_owned = dir.to_path_buf();
        let p = tokio::task::spawn_blocking(move || prepare(&dir_owned))
            .await
            .map_err(|e| StoreError::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::other(e),
            })??;
        let flight_id = p.header.flight_id.to_string();
        let err = |action: &str| {
            let action = format!("{action} (flight {flight_id}, {})", dir.display());
            move |e| self.db_error(&action, e)
        };
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        }
        .map_err(err("starting the transaction"))?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_INGEST_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(err("waiting for the ingest lock"))?;
        }
        let stored: Option<String> =
            sqlx::query_scalar("SELECT journal_sha256 FROM flights WHERE flight_id = $1")
                .bind(&flight_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(err("looking the flight up"))?;
        if let Some(stored) = stored {
            if stored != p.journal_sha256 {
                return Err(StoreError::JournalChanged {
                    flight_id,
                    stored,
                    now: p.journal_sha256,
                    folder: p.folder,
                });
            }
            let changed = upsert_decisions(&mut tx, &flight_id, &p.decisions)
                .await
                .map_err(err("updating decisions"))?;
            tx.commit().await.map_err(err("committing"))?;
            return Ok(IngestOutcome::AlreadyStored {
                flight_id,
                decisions_changed: changed,
            });
        }
        let summary = self
            .write_flight(&mut tx, &p, options, &mut progress)
            .await
            .map_err(err("writing"))?;
        tx.commit().await.map_err(err("committing"))?;
        Ok(IngestOutcome::Stored(summary))
    }

    async fn write_flight(
        &self,
        conn: &mut AnyConnection,
        p: &Prepared,
        options: &IngestOptions,
        progress: &mut (impl FnMut(IngestProgress) + Send),
    ) -> Result<IngestSummary, sqlx::Error> {
        let h = &p.header;
        let flight_id = h.flight_id.to_string();
        let confirmed: Vec<&CandidateRecord> = p
            .candidates
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(c, _)| c)
            .collect();
        sqlx::query(
            "INSERT INTO flights (flight_id, river, created_utc_us, first_photo_utc_us, \
             last_photo_utc_us, source, vehicle_id, software, model_sha256, min_sightings, \
             folder, journal_sha256, frames, frames_without_ground, candidates, confirmed, \
             ingested_utc_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&flight_id)
        .bind(&options.river)
        .bind(h.created_utc_us)
        .bind(p.first_photo_utc_us)
        .bind(p.last_photo_utc_us)
        .bind(match h.source {
            FlightSource::Live => "live",
            FlightSource::Batch => "batch",
        })
        .bind(&h.vehicle.id)
        .bind(&h.software)
        .bind(&h.model.sha256)
        .bind(i64::from(h.min_sightings))
        .bind(p.folder.display().to_string())
        .bind(&p.journal_sha256)
        .bind(p.frames_total as i64)
        .bind((p.frames_total - p.frames.len() as u64) as i64)
        .bind(p.candidates.len() as i64)
        .bind(confirmed.len() as i64)
        .bind(now_utc_us())
        .execute(&mut *conn)
        .await?;

        let total = p.frames.len() as u64;
        for (k, f) in p.frames.iter().enumerate() {
            let corners = serde_json::to_string(&f.corners).unwrap_or_default();
            let sql = match self.backend {
                Backend::Sqlite => {
                    "INSERT INTO frames (flight_id, boot, image_index, t_utc_us, file, corners) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
                }
                Backend::Postgres => {
                    "INSERT INTO frames (flight_id, boot, image_index, t_utc_us, file, corners, \
                     footprint) VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromText($7, 4326)) \
                     RETURNING id"
                }
            };
            let mut q = sqlx::query_scalar::<_, i64>(sql)
                .bind(&flight_id)
                .bind(i64::from(f.boot))
                .bind(f.image_index as i64)
                .bind(f.t_utc_us)
                .bind(&f.file)
                .bind(corners);
            if self.backend == Backend::Postgres {
                q = q.bind(coverage::wkt(&f.corners));
            }
            let id = q.fetch_one(&mut *conn).await?;
            if self.backend == Backend::Sqlite {
                let (a, b, c, d) = f.bbox;
                sqlx::query(
                    "INSERT INTO frames_rtree (id, min_lat, max_lat, min_lon, max_lon) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(a)
                .bind(b)
                .bind(c)
                .bind(d)
                .execute(&mut *conn)
                .await?;
            }
            if (k + 1) % 100 == 0 || k + 1 == p.frames.len() {
                progress(IngestProgress::Frames {
                    done: k as u64 + 1,
                    total,
                });
            }
        }

        let total = p.candidates.len() as u64;
        for (k, (c, ok)) in p.candidates.iter().enumerate() {
            let e = &c.error;
            sqlx::query(
                "INSERT INTO candidates (flight_id, candidate_id, class_name, lat_deg, lon_deg, \
                 cov_ee_m2, cov_en_m2, cov_nn_m2, cep50_m, ce90_m, sightings, confirmed, \
                 first_t_utc_us, last_t_utc_us, confidence_max, best_file, best_bbox_px) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17)",
            )
            .bind(&flight_id)
            .bind(c.id as i64)
            .bind(&c.class_name)
            .bind(c.lat_deg)
            .bind(c.lon_deg)
            .bind(e.cov_en_m2[0][0])
            .bind(e.cov_en_m2[0][1])
            .bind(e.cov_en_m2[1][1])
            .bind(e.cep50_m)
            .bind(e.ce90_m)
            .bind(i64::from(c.sightings))
            .bind(i64::from(*ok))
            .bind(c.first_t_utc_us)
            .bind(c.last_t_utc_us)
            .bind(f64::from(c.confidence_max))
            .bind(&c.best.file)
            .bind(serde_json::to_string(&c.best.bbox_px).unwrap_or_default())
            .execute(&mut *conn)
            .await?;
            if (k + 1) % 100 == 0 || k + 1 == p.candidates.len() {
                progress(IngestProgress::Candidates {
                    done: k as u64 + 1,
                    total,
                });
            }
        }
        let decisions = upsert_decisions(conn, &flight_id, &p.decisions).await?;

        // Sites: outfalls (and any other class) first, so that a plume rising at an outfall
        // this flight found is that outfall's plume rather than a site of its own.
        let mut ordered = confirmed.clone();
        ordered.sort_by_key(|c| (c.class_name == "plume", c.id));
        let mut taken: HashSet<i64> = HashSet::new();
        let mut new_sites: Vec<i64> = Vec::new();
        let (mut matched, mut without_error, mut plumes_at_outfalls) = (0u64, 0u64, 0u64);
        let total = ordered.len() as u64;
        for (k, c) in ordered.iter().enumerate() {
            progress(IngestProgress::Sites {
                done: k as u64,
                total,
            });
            let here = GeoPoint {
                lat_deg: c.lat_deg,
                lon_deg: c.lon_deg,
            };
            let frame = LocalFrame::at(here);
            let mine = candidate_estimate(c, &frame);
            let mut sum = InfoSum::default();
            if sum.add(&mine).is_none() {
                without_error += 1;
                continue;
            }
            let radius = 3.1 * gate::sigma_max_m(&c.error.cov_en_m2)
                + 3.1 * gate::PLUME_SOURCE_SIGMA_M
                + SITE_SEARCH_MARGIN_M;
            let near = self.sites_in(conn, square(here, radius)).await?;
            if c.class_name == "plume"
                && near.iter().any(|s| {
                    s.class_name == "outfall"
                        && gate::plume_at_outfall(&mine, &s.estimate_in(&frame))
                })
            {
                plumes_at_outfalls += 1;
                continue;
            }
            let best = near
                .into_iter()
                .filter(|s| s.class_name == c.class_name && !taken.contains(&s.id))
                .map(|s| (gate::distance2(&mine, &s.estimate_in(&frame), 0.0), s))
                .filter(|(d2, _)| *d2 <= gate::SAME_SITE_CHI2)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
            let site_id = match best {
                Some((_, mut s)) => {
                    let anchor = LocalFrame::at(s.anchor);
                    s.sum.add(&candidate_estimate(c, &anchor));
                    self.update_site(conn, &s).await?;
                    matched += 1;
                    s.id
                }
                None => {
                    let id = self.create_site(conn, c, here, sum).await?;
                    new_sites.push(id);
                    id
                }
            };
            taken.insert(site_id);
            sqlx::query(
                "UPDATE candidates SET site_id = $1 WHERE flight_id = $2 AND candidate_id = $3",
            )
            .bind(site_id)
            .bind(&flight_id)
            .bind(c.id as i64)
            .execute(&mut *conn)
            .await?;
        }

        // This flight's passes: the sites under its photos, and those it saw.
        let plumes: Vec<Finding> = confirmed
            .iter()
            .filter(|c| c.class_name == "plume")
            .map(|c| Finding::of(c))
            .collect();
        let mut passes = 0u64;
        let mut over: Vec<SiteRow> = Vec::new();
        if let Some(bbox) = union_bbox(p.frames.iter().map(|f| f.bbox)) {
            for s in self.sites_in(conn, bbox).await? {
                let covered = p.frames.iter().any(|f| {
                    inside_bbox(f.bbox, s.lat_deg, s.lon_deg)
                        && coverage::contains(&f.corners, s.lat_deg, s.lon_deg)
                });
                if covered || taken.contains(&s.id) {
                    over.push(s);
                }
            }
        }
        for id in &taken {
            if !over.iter().any(|s| s.id == *id) {
                over.extend(self.site(conn, *id).await?);
            }
        }
        for s in &over {
            let plume = s.class_name == "outfall" && plume_at(&plumes, s);
            insert_pass(conn, s.id, &flight_id, taken.contains(&s.id), plume).await?;
            passes += 1;
        }

        // Earlier flights' passes over the sites this flight found first.
        for id in &new_sites {
            let Some(s) = self.site(conn, *id).await? else {
                continue;
            };
            let mut flights: Vec<String> = self
                .frames_at(conn, s.lat_deg, s.lon_deg, &flight_id)
                .await?;
            flights.sort();
            flights.dedup();
            for other in flights {
                let plume = if s.class_name == "outfall" {
                    plume_at(&plumes_of(conn, &other).await?, &s)
                } else {
                    false
                };
                passes += insert_pass(conn, s.id, &other, false, plume).await?;
            }
        }

        Ok(IngestSummary {
            flight_id,
            frames: p.frames_total,
            frames_without_ground: p.frames_total - p.frames.len() as u64,
            candidates: p.candidates.len() as u64,
            confirmed: confirmed.len() as u64,
            sites_new: new_sites.len() as u64,
            sites_matched: matched,
            candidates_without_error: without_error,
            plumes_at_outfalls,
            passes,
            decisions,
        })
    }

    /// The sites whose position lies in the box (through the spatial index).
    async fn sites_in(
        &self,
        conn: &mut AnyConnection,
        (min_lat, max_lat, min_lon, max_lon): (f64, f64, f64, f64),
    ) -> Result<Vec<SiteRow>, sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "SELECT {SITE_COLUMNS} FROM sites s JOIN sites_rtree r ON r.id = s.id \
                 WHERE r.max_lat >= $1 AND r.min_lat <= $2 AND r.max_lon >= $3 \
                 AND r.min_lon <= $4 ORDER BY s.id"
            ),
            Backend::Postgres => format!(
                "SELECT {SITE_COLUMNS} FROM sites s \
                 WHERE s.geom && ST_MakeEnvelope($3, $1, $4, $2, 4326) ORDER BY s.id"
            ),
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(min_lat)
            .bind(max_lat)
            .bind(min_lon)
            .bind(max_lon)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(site_row)
            .collect()
    }

    async fn site(
        &self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<Option<SiteRow>, sqlx::Error> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM sites s WHERE s.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .as_ref()
            .map(site_row)
            .transpose()
    }

    /// The other flights whose photo footprints hold the point.
    async fn frames_at(
        &self,
        conn: &mut AnyConnection,
        lat_deg: f64,
        lon_deg: f64,
        except_flight: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT f.flight_id, f.corners FROM frames f JOIN frames_rtree r ON r.id = f.id \
                 WHERE r.min_lat <= $1 AND r.max_lat >= $1 AND r.min_lon <= $2 \
                 AND r.max_lon >= $2 AND f.flight_id <> $3"
            }
            Backend::Postgres => {
                "SELECT f.flight_id, f.corners FROM frames f \
                 WHERE f.footprint && ST_SetSRID(ST_MakePoint($2, $1), 4326) \
                 AND f.flight_id <> $3"
            }
        };
        let rows = sqlx::query(sql)
            .bind(lat_deg)
            .bind(lon_deg)
            .bind(except_flight)
            .fetch_all(&mut *conn)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let corners: String = r.try_get(1)?;
            let corners: Corners =
                serde_json::from_str(&corners).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            if coverage::contains(&corners, lat_deg, lon_deg) {
                out.push(r.try_get(0)?);
            }
        }
        Ok(out)
    }

    async fn create_site(
        &self,
        conn: &mut AnyConnection,
        c: &CandidateRecord,
        anchor: GeoPoint,
        sum: InfoSum,
    ) -> Result<i64, sqlx::Error> {
        let est = sum.estimate().unwrap_or(Estimate {
            e_m: 0.0,
            n_m: 0.0,
            cov_m2: c.error.cov_en_m2,
        });
        let pos = LocalFrame::at(anchor).unproject(est.e_m, est.n_m);
        let sql = match self.backend {
            Backend::Sqlite => {
                "INSERT INTO sites (class_name, anchor_lat_deg, anchor_lon_deg, info_ee, info_en, \
                 info_nn, info_e, info_n, lat_deg, lon_deg, cov_ee_m2, cov_en_m2, cov_nn_m2) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
            }
            Backend::Postgres => {
                "INSERT INTO sites (class_name, anchor_lat_deg, anchor_lon_deg, info_ee, info_en, \
                 info_nn, info_e, info_n, lat_deg, lon_deg, cov_ee_m2, cov_en_m2, cov_nn_m2, \
                 geom) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 ST_SetSRID(ST_MakePoint($10, $9), 4326)) RETURNING id"
            }
        };
        let id: i64 = sqlx::query_scalar(sql)
            .bind(&c.class_name)
            .bind(anchor.lat_deg)
            .bind(anchor.lon_deg)
            .bind(sum.info[0])
            .bind(sum.info[1])
            .bind(sum.info[2])
            .bind(sum.info_pos[0])
            .bind(sum.info_pos[1])
            .bind(pos.lat_deg)
            .bind(pos.lon_deg)
            .bind(est.cov_m2[0][0])
            .bind(est.cov_m2[0][1])
            .bind(est.cov_m2[1][1])
            .fetch_one(&mut *conn)
            .await?;
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "INSERT INTO sites_rtree (id, min_lat, max_lat, min_lon, max_lon) \
                 VALUES ($1, $2, $2, $3, $3)",
            )
            .bind(id)
            .bind(pos.lat_deg)
            .bind(pos.lon_deg)
            .execute(&mut *conn)
            .await?;
        }
        Ok(id)
    }

    async fn update_site(&self, conn: &mut AnyConnection, s: &SiteRow) -> Result<(), sqlx::Error> {
        let Some(est) = s.sum.estimate() else {
            return Ok(());
        };
        let pos = LocalFrame::at(s.anchor).unproject(est.e_m, est.n_m);
        let sql = match self.backend {
            Backend::Sqlite => {
                "UPDATE sites SET info_ee = $2, info_en = $3, info_nn = $4, info_e = $5, \
                 info_n = $6, lat_deg = $7, lon_deg = $8, cov_ee_m2 = $9, cov_en_m2 = $10, \
                 cov_nn_m2 = $11 WHERE id = $1"
            }
            Backend::Postgres => {
                "UPDATE sites SET info_ee = $2, info_en = $3, info_nn = $4, info_e = $5, \
                 info_n = $6, lat_deg = $7, lon_deg = $8, cov_ee_m2 = $9, cov_en_m2 = $10, \
                 cov_nn_m2 = $11, geom = ST_SetSRID(ST_MakePoint($8, $7), 4326) WHERE id = $1"
            }
        };
        sqlx::query(sql)
            .bind(s.id)
            .bind(s.sum.info[0])
            .bind(s.sum.info[1])
            .bind(s.sum.info[2])
            .bind(s.sum.info_pos[0])
            .bind(s.sum.info_pos[1])
            .bind(pos.lat_deg)
            .bind(pos.lon_deg)
            .bind(est.cov_m2[0][0])
            .bind(est.cov_m2[0][1])
            .bind(est.cov_m2[1][1])
            .execute(&mut *conn)
            .await?;
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "UPDATE sites_rtree SET min_lat = $2, max_lat = $2, min_lon = $3, max_lon = $3 \
                 WHERE id = $1",
            )
            .bind(s.id)
            .bind(pos.lat_deg)
            .bind(pos.lon_deg)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

fn union_bbox(boxes: impl Iterator<Item = (f64, f64, f64, f64)>) -> Option<(f64, f64, f64, f64)> {
    boxes.reduce(|a, b| (a.0.min(b.0), a.1.max(b.1), a.2.min(b.2), a.3.max(b.3)))
}

fn inside_bbox(b: (f64, f64, f64, f64), lat: f64, lon: f64) -> bool {
    lat >= b.0 && lat <= b.1 && lon >= b.2 && lon <= b.3
}

/// A position and its predicted error.
struct Finding {
    lat_deg: f64,
    lon_deg: f64,
    cov_m2: [[f64; 2]; 2],
}

impl Finding {
    fn of(c: &CandidateRecord) -> Finding {
        Finding {
            lat_deg: c.lat_deg,
            lon_deg: c.lon_deg,
            cov_m2: c.error.cov_en_m2,
        }
    }

    fn estimate_in(&self, frame: &LocalFrame) -> Estimate {
        Estimate::projected(frame, self.lat_deg, self.lon_deg, self.cov_m2)
    }
}

fn plume_at(plumes: &[Finding], s: &SiteRow) -> bool {
    let frame = LocalFrame::at(GeoPoint {
        lat_deg: s.lat_deg,
        lon_deg: s.lon_deg,
    });
    let site = s.estimate_in(&frame);
    plumes
        .iter()
        .any(|p| gate::plume_at_outfall(&p.estimate_in(&frame), &site))
}

/// A stored flight's confirmed plumes.
async fn plumes_of(conn: &mut AnyConnection, flight_id: &str) -> Result<Vec<Finding>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT lat_deg, lon_deg, cov_ee_m2, cov_en_m2, cov_nn_m2 FROM candidates \
         WHERE flight_id = $1 AND class_name = 'plume' AND confirmed = 1",
    )
    .bind(flight_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let en: f64 = r.try_get(3)?;
            Ok(Finding {
                lat_deg: r.try_get(0)?,
                lon_deg: r.try_get(1)?,
                cov_m2: [[r.try_get(2)?, en], [en, r.try_get(4)?]],
            })
        })
        .collect()
}

async fn insert_pass(
    conn: &mut AnyConnection,
    site_id: i64,
    flight_id: &str,
    seen: bool,
    plume: bool,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO site_passes (site_id, flight_id, seen, plume) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (site_id, flight_id) DO NOTHING",
    )
    .bind(site_id)
    .bind(flight_id)
    .bind(i64::from(seen))
    .bind(i64::from(plume))
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Brings the stored decisions up to the file's; returns how many rows changed.
async fn upsert_decisions(
    conn: &mut AnyConnection,
    flight_id: &str,
    decisions: &[Decision],
) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    for d in decisions {
        changed += sqlx::query(
            "INSERT INTO decisions (flight_id, candidate_id, verdict, inspector, decided_utc) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (flight_id, candidate_id) DO UPDATE SET verdict = excluded.verdict, \
             inspector = excluded.inspector, decided_utc = excluded.decided_utc \
             WHERE decisions.verdict IS DISTINCT FROM excluded.verdict \
             OR decisions.inspector IS DISTINCT FROM excluded.inspector \
             OR decisions.decided_utc IS DISTINCT FROM excluded.decided_utc",
        )
        .bind(flight_id)
        .bind(d.candidate_id as i64)
        .bind(verdict_name(d.decision))
        .bind(d.inspector.clone())
        .bind(d.decided_utc.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(changed)
}
