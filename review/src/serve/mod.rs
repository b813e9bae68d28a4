//! `review serve`: the review of the store and the contest hub over HTTP (axum on tokio).
//!
//! - [`review_routes`]: the flights and outfall sites of the store as GeoJSON and pages, a
//!   flight's candidates, and inspectors' decisions saved in the store (who and when, each
//!   logged).
//! - [`contest_routes`] over [`contest`]: teams upload their reports with their own tokens
//!   ([`auth`]), each accepted upload is stored before it is answered and rescored at once; a
//!   self-refreshing leaderboard; the final table as CSV and HTML for the judges.
//! - [`state`]: what the handlers share; [`error`]: refusals as a status and a message.
//!
//! Plain HTTP: TLS belongs to a reverse proxy in front (README).

pub mod auth;
pub mod contest;
pub mod contest_routes;
pub mod error;
pub mod pages;
pub mod review_routes;
pub mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use qly_i18n::Lang;
use qly_store::{Store, StoreError};
use serde::Deserialize;

use contest::{Contest, ContestError};
use state::{AppState, Inspectors};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The store's URL (as `review ingest --store`).
    pub store: String,
    pub listen: SocketAddr,
    /// The contest file, for contest mode.
    pub contest: Option<PathBuf>,
    /// The inspectors file: when given, decisions need an inspector's token.
    pub inspectors: Option<PathBuf>,
    pub lang: Lang,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Contest(#[from] ContestError),
    #[error("{path}: {problem}")]
    Inspectors { path: PathBuf, problem: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// What started, for the caller to announce.
#[derive(Debug, Clone)]
pub struct Started {
    pub addr: SocketAddr,
    pub store: String,
    /// Contest name, teams, targets, uploads counted from the store.
    pub contest: Option<(String, usize, usize, usize)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectorsFile {
    inspectors: Vec<InspectorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectorEntry {
    name: String,
    token_sha256: String,
}

fn read_inspectors(path: &Path) -> Result<Inspectors, ServeError> {
    let bad = |problem: String| ServeError::Inspectors {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let f: InspectorsFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let mut out = Inspectors {
        names: Vec::new(),
        tokens: Vec::new(),
    };
    for i in f.inspectors {
        let name = i.name.trim().to_string();
        if name.is_empty() {
            return Err(bad("an inspector has an empty name".into()));
        }
        let h = auth::parse_hash(&i.token_sha256).ok_or_else(|| {
            bad(format!(
                "inspector {name}: token_sha256 must be 64 hex digits (printf %s TOKEN | sha256sum)"
            ))
        })?;
        if out.tokens.contains(&h) {
            return Err(bad(format!(
                "inspector {name}: the token hash is another inspector's"
            )));
        }
        out.names.push(name);
        out.tokens.push(h);
    }
    if out.names.is_empty() {
        return Err(bad("no [[inspectors]]".into()));
    }
    Ok(out)
}

/// The application: every route over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let max_upload = state
        .contest
        .as_ref()
        .map_or(contest::DEFAULT_MAX_UPLOAD_BYTES, |c| c.max_upload_bytes);
    Router::new()
        .merge(review_routes::routes())
        .merge(contest_routes::routes(max_upload))
        .with_state(state)
}

/// Opens the store, loads the contest (rebuilding its board from the store), listens, calls
/// `started` once the port is bound, and serves until SIGINT/SIGTERM; then lets the requests
/// in flight finish and closes the store.
pub async fn run(opts: ServeOptions, started: impl FnOnce(&Started)) -> Result<(), ServeError> {
    // Before binding: a signal right after the announcement is a graceful stop.
    let stop = qly_cli::shutdown_signal();
    let store = Store::open(&opts.store).await?;
    let contest = match &opts.contest {
        Some(p) => Some(Contest::load(p, &store, opts.lang).await?),
        None => None,
    };
    let inspectors = opts
        .inspectors
        .as_deref()
        .map(read_inspectors)
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: opts.listen,
        source,
    })?;
    let info = Started {
        addr,
        store: store.name().to_string(),
        contest: contest.as_ref().map(|c| {
            let b = c.board();
            (
                c.name.clone(),
                c.teams.len(),
                c.targets.len(),
                b.entries.len(),
            )
        }),
    };
    let state = Arc::new(AppState {
        store: store.clone(),
        contest,
        inspectors,
        lang: opts.lang,
        started_utc_us: jiff::Timestamp::now().as_microsecond(),
        history: state::HistoryCache::default(),
    });
    started(&info);
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(stop)
        .await
        .map_err(ServeError::Serve);
    store.close().await;
    result
}
