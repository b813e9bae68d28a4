//! The contest's HTTP routes: uploads (teams), the live leaderboard (everyone), the final
//! table (judges).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qly_flight::export::iso8601_utc_ms;
use serde_json::{json, Value};

use crate::input::ReportFormat;

use super::auth::presented_token;
use super::contest::{Board, Contest, Role};
use super::error::ApiError;
use super::pages;
use super::state::AppState;

/// The contest routes, under `/contest`; the upload route's body limit is the contest's
/// (one byte over it: a body of exactly the limit is accepted and the handler names the
/// limit when it is passed).
pub fn routes(max_upload_bytes: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/contest/teams/{team}/reports",
            post(upload).layer(DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route("/contest/leaderboard", get(leaderboard_page))
        .route("/contest/leaderboard.json", get(leaderboard_json))
        .route("/contest/results.csv", get(results_csv))
        .route("/contest/results.html", get(results_html))
}

fn contest(st: &AppState) -> Result<&Contest, ApiError> {
    st.contest.as_ref().ok_or_else(|| {
        ApiError::not_found("this server runs no contest (start it with --contest CONTEST.toml)")
    })
}

/// Who presents which token: 401 without one or with one nobody has.
fn role(c: &Contest, headers: &HeaderMap) -> Result<Role, ApiError> {
    let token = presented_token(headers)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "no token: send the team's or judges' token as 'Authorization: Bearer TOKEN'",
            )
        })?;
    c.identify(&token).ok_or_else(|| {
        ApiError::unauthorized("the token is not one of this contest's (check for a typo)")
    })
}

/// The format an upload says it is in (Content-Type), else guessed from its text.
fn upload_format(headers: &HeaderMap, text: &str) -> Result<ReportFormat, ApiError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(ReportFormat::guess("", text));
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    match essence {
        "application/geo+json" | "application/json" => Ok(ReportFormat::GeoJson),
        "text/csv" => Ok(ReportFormat::Csv),
        "" | "text/plain" | "application/octet-stream" | "application/x-www-form-urlencoded" => {
            // curl --data-binary sends form-urlencoded unless told otherwise.
            Ok(ReportFormat::guess("", text))
        }
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {other}: send the reports file itself as the request body, as \
                 application/geo+json (GeoJSON) or text/csv (e.g. curl --data-binary @reports.geojson)"
            ),
        )),
    }
}

async fn upload(
    State(st): State<Arc<AppState>>,
    Path(team_name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let c = contest(&st)?;
    let who = role(c, &headers)?;
    let Some(team) = c.team_index(&team_name) else {
        return Err(ApiError::not_found(format!(
            "no team {team_name:?} in this contest"
        )));
    };
    match who {
        Role::Team(t) if t == team => {}
        Role::Team(t) => {
            return Err(ApiError::forbidden(format!(
                "this token is team {}'s: it cannot submit for team {team_name}",
                c.teams[t].name
            )))
        }
        Role::Judges => {
            return Err(ApiError::forbidden(format!(
                "the judges' token cannot submit for team {team_name}: teams submit with their own"
            )))
        }
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the upload is larger than this contest's limit of {} bytes \
                     (max_upload_bytes in the contest file)",
                    c.max_upload_bytes
                ),
            )
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the upload is not UTF-8 text: invalid byte at offset {}",
            e.valid_up_to()
        ))
    })?;
    let format = upload_format(&headers, text)?;
    let (reports, warnings) = c
        .check_upload(team, "upload", text, format)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let accepted = c
        .accept(&st.store, team, format, text, reports, warnings)
        .await
        .map_err(|e| ApiError::internal("storing the upload", &e))?;
    let standing = accepted
        .board
        .standings
        .iter()
        .find(|s| s.result.team == c.teams[team].name);
    let body = json!({
        "upload_id": accepted.upload_id,
        "team": c.teams[team].name,
        "format": format.name(),
        "reports": accepted.reports,
        "received_utc": iso8601_utc_ms(accepted.received_utc_us),
        "rank": standing.map(|s| s.rank),
        "score": standing.map(|s| s.result.score),
        "warnings": accepted.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The board as JSON (what the page polls).
pub fn board_json(c: &Contest, b: &Board, started_utc_us: i64) -> Value {
    let teams: Vec<Value> = b
        .standings
        .iter()
        .map(|s| {
            let r = &s.result;
            let entry = b.entries.get(&r.team);
            json!({
                "rank": s.rank,
                "team": r.team,
                "score": r.score,
                "found": r.finds.len(),
                "false_reports": r.false_reports.len(),
                "ignored_reports": r.ignored_reports.len(),
                "mean_error_m": r.mean_error_m,
                "median_error_m": r.median_error_m,
                "last_report_s": r.last_report_s,
                "uploads": b.uploads.get(&r.team).copied().unwrap_or(0),
                "last_upload_utc": entry.map(|e| iso8601_utc_ms(e.received_utc_us)),
                "reports": entry.map_or(0, |e| e.reports.len()),
            })
        })
        .collect();
    json!({
        "contest": c.name,
        "title": c.title,
        "version": format!("{started_utc_us}-{}", b.version),
        "updated_utc": iso8601_utc_ms(b.updated_utc_us),
        "targets": c.targets.len(),
        "refresh_s": c.refresh_s,
        "teams": teams,
    })
}

async fn leaderboard_json(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let c = contest(&st)?;
    let b = c.board();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(board_json(c, &b, st.started_utc_us)),
    )
        .into_response())
}

async fn leaderboard_page(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let c = contest(&st)?;
    let b = c.board();
    let data = board_json(c, &b, st.started_utc_us);
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(pages::leaderboard(c, &data, st.lang)),
    )
        .into_response())
}

fn judges_only(c: &Contest, headers: &HeaderMap) -> Result<(), ApiError> {
    match role(c, headers)? {
        Role::Judges => Ok(()),
        Role::Team(t) => Err(ApiError::forbidden(format!(
            "the results need the judges' token; this one is team {}'s",
            c.teams[t].name
        ))),
    }
}

async fn results_csv(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = contest(&st)?;
    judges_only(c, &headers)?;
    let b = c.board();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-results.csv\"",
                    file_stem(&c.name)
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        crate::render::csv(&b.standings, st.lang),
    )
        .into_response())
}

async fn results_html(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = contest(&st)?;
    judges_only(c, &headers)?;
    let b = c.board();
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(crate::render::html(
            &c.title,
            &b.standings,
            &c.settings,
            &b.warnings(),
            st.lang,
        )),
    )
        .into_response())
}

/// A contest name as a file name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect()
}
