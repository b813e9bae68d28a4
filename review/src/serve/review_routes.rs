//! The review of the store: the flights and the outfall sites (GeoJSON and a page), a
//! flight's candidates, and inspectors' decisions saved in the store with the inspector's name
//! and the server's UTC time.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use qly_flight::export::{feature_collection, iso8601_utc_ms};
use qly_store::{CandidateRow, FlightRow, SiteQuery, StoreError, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{self, presented_token};
use super::error::ApiError;
use super::pages;
use super::state::AppState;

/// Decision bodies are small.
const MAX_DECISION_BYTES: usize = 16 * 1024;
/// Longest inspector name kept.
const MAX_INSPECTOR_CHARS: usize = 200;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/review", get(review_page))
        .route("/review/flights/{flight}", get(flight_page))
        .route("/api/flights.geojson", get(flights_geojson))
        .route("/api/sites.geojson", get(sites_geojson))
        .route(
            "/api/flights/{flight}/candidates.geojson",
            get(candidates_geojson),
        )
        .route(
            "/api/decisions",
            post(decide).layer(axum::extract::DefaultBodyLimit::max(MAX_DECISION_BYTES)),
        )
}

/// Which sites a request asks for.
#[derive(Debug, Default, Deserialize)]
pub struct SiteFilter {
    pub river: Option<String>,
    /// `all` (default), `new`, `not-seen`, `plume-again`.
    pub which: Option<String>,
}

impl SiteFilter {
    pub fn query(&self) -> Result<SiteQuery, ApiError> {
        match self.which.as_deref().unwrap_or("all") {
            "" | "all" => Ok(SiteQuery::All),
            "new" => Ok(SiteQuery::New),
            "not-seen" => Ok(SiteQuery::NotSeen),
            "plume-again" => Ok(SiteQuery::PlumeAgain),
            other => Err(ApiError::bad_request(format!(
                "which={other}: expected all, new, not-seen or plume-again"
            ))),
        }
    }

    pub fn river(&self) -> Option<&str> {
        self.river.as_deref().filter(|r| !r.is_empty())
    }
}

fn store_error(what: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NoFlight { flight_id, .. } => {
            ApiError::not_found(format!("no flight {flight_id} in the store"))
        }
        StoreError::NoCandidate {
            flight_id,
            candidate_id,
            ..
        } => ApiError::not_found(format!(
            "flight {flight_id} has no candidate {candidate_id}"
        )),
        e => ApiError::internal(what, &e),
    }
}

async fn index(State(st): State<Arc<AppState>>) -> Html<String> {
    Html(pages::index(&st))
}

pub fn flights_collection(flights: &[FlightRow]) -> Value {
    let features: Vec<Value> = flights
        .iter()
        .map(|f| {
            let geometry = f.bbox_deg.map(|(s, n, w, e)| {
                json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
            });
            json!({
                "type": "Feature",
                "id": f.flight_id,
                "geometry": geometry,
                "properties": {
                    "flight_id": f.flight_id,
                    "river": f.river,
                    "time_utc": iso8601_utc_ms(f.time_utc_us),
                    "photos": f.frames,
                    "candidates": f.candidates,
                    "confirmed": f.confirmed,
                    "decided": f.decided,
                },
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

fn geojson(v: Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        v.to_string(),
    )
        .into_response()
}

async fn flights_geojson(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let flights = st
        .store
        .flights()
        .await
        .map_err(|e| store_error("reading the flights", e))?;
    Ok(geojson(flights_collection(&flights)))
}

async fn sites_geojson(
    State(st): State<Arc<AppState>>,
    Query(filter): Query<SiteFilter>,
) -> Result<Response, ApiError> {
    let query = filter.query()?;
    let h = st
        .history
        .get(&st.store)
        .await
        .map_err(|e| store_error("reading the sites", e))?;
    let sites = h.select(query, filter.river(), None);
    let layer = qly_store::export::sites_layer(&sites);
    let v = serde_json::to_value(feature_collection(&layer))
        .map_err(|e| ApiError::internal("writing GeoJSON", &e))?;
    Ok(geojson(v))
}

pub fn candidates_collection(cands: &[CandidateRow]) -> Value {
    let features: Vec<Value> = cands
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.candidate_id,
                "geometry": {"type": "Point", "coordinates": [c.lon_deg, c.lat_deg]},
                "properties": {
                    "flight_id": c.flight_id,
                    "candidate_id": c.candidate_id,
                    "class": c.class_name,
                    "ce90_m": c.ce90_m,
                    "sightings": c.sightings,
                    "confirmed_by_flight": c.confirmed,
                    "confidence_max": c.confidence_max,
                    "site_id": c.site_id,
                    "verdict": c.verdict,
                    "inspector": c.inspector,
                    "decided_utc": c.decided_utc,
                },
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

async fn candidates_geojson(
    State(st): State<Arc<AppState>>,
    Path(flight): Path<String>,
) -> Result<Response, ApiError> {
    let cands = st
        .store
        .flight_candidates(&flight)
        .await
        .map_err(|e| store_error("reading the candidates", e))?;
    Ok(geojson(candidates_collection(&cands)))
}

async fn review_page(
    State(st): State<Arc<AppState>>,
    Query(filter): Query<SiteFilter>,
) -> Result<Html<String>, ApiError> {
    let query = filter.query()?;
    let flights = st
        .store
        .flights()
        .await
        .map_err(|e| store_error("reading the flights", e))?;
    let h = st
        .history
        .get(&st.store)
        .await
        .map_err(|e| store_error("reading the sites", e))?;
    let sites = h.select(query, filter.river(), None);
    Ok(Html(pages::review(&flights, &sites, &filter, st.lang)))
}

async fn flight_page(
    State(st): State<Arc<AppState>>,
    Path(flight): Path<String>,
) -> Result<Html<String>, ApiError> {
    let cands = st
        .store
        .flight_candidates(&flight)
        .await
        .map_err(|e| store_error("reading the candidates", e))?;
    Ok(Html(pages::flight(
        &flight,
        &cands,
        st.inspectors.is_some(),
        st.lang,
    )))
}

/// A decision as posted (JSON or a form).
#[derive(Debug, Deserialize)]
struct DecisionBody {
    flight_id: Option<String>,
    candidate_id: Option<Value>,
    verdict: Option<String>,
    inspector: Option<String>,
}

fn field<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("field {name} is missing or empty")))
}

/// The inspector the request speaks for: the token's when inspectors are configured, else
/// the name given.
fn inspector_of(
    st: &AppState,
    headers: &HeaderMap,
    given: &Option<String>,
) -> Result<String, ApiError> {
    if let Some(ins) = &st.inspectors {
        let token = presented_token(headers)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "no token: decisions need an inspector's token ('Authorization: Bearer TOKEN')",
                )
            })?;
        let i = auth::find(&token, &ins.tokens).ok_or_else(|| {
            ApiError::unauthorized("the token is not an inspector's (check for a typo)")
        })?;
        return Ok(ins.names[i].clone());
    }
    let name = field(given, "inspector")?;
    if name.chars().count() > MAX_INSPECTOR_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "field inspector: at most {MAX_INSPECTOR_CHARS} characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

async fn decide(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let from_form = ct.starts_with("application/x-www-form-urlencoded");
    let d: DecisionBody = if from_form {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::bad_request(format!("the form does not read: {e}")))?
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body is not a JSON object {{flight_id, candidate_id, verdict, inspector}}: {e}"
            ))
        })?
    };
    let flight_id = field(&d.flight_id, "flight_id")?.to_string();
    let candidate_id = match &d.candidate_id {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|id| *id >= 0)
    .ok_or_else(|| {
        ApiError::bad_request("field candidate_id is missing or not a whole number >= 0")
    })?;
    let verdict_text = field(&d.verdict, "verdict")?;
    let verdict = Verdict::parse(verdict_text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "field verdict {verdict_text:?}: expected confirmed or rejected"
        ))
    })?;
    let inspector = inspector_of(&st, &headers, &d.inspector)?;
    let decided_utc = Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| Timestamp::now().to_string(), |t| t.to_string());
    let logged = st
        .store
        .decide(&flight_id, candidate_id, verdict, &inspector, &decided_utc)
        .await
        .map_err(|e| store_error("recording the decision", e))?;
    st.history.clear().await;
    if from_form {
        let to = format!("/review/flights/{}", pages::path_segment(&flight_id));
        return Ok(Redirect::to(&to).into_response());
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": logged.id,
            "flight_id": logged.flight_id,
            "candidate_id": logged.candidate_id,
            "verdict": logged.verdict,
            "inspector": logged.inspector,
            "decided_utc": logged.decided_utc,
        })),
    )
        .into_response())
}
