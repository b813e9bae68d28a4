//! What every request handler shares.

use std::sync::Arc;
use std::time::{Duration, Instant};

use qly_i18n::Lang;
use qly_store::{History, Store, StoreError};

use super::auth::TokenHash;
use super::contest::Contest;

/// The server's state: the store, the contest (when one runs), the inspectors (when the
/// decisions need tokens) and the pages' language.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub contest: Option<Contest>,
    pub inspectors: Option<Inspectors>,
    pub lang: Lang,
    /// When the server started (UTC microseconds): with the board's version, tells a page
    /// that the server restarted.
    pub started_utc_us: i64,
    /// The sites' history as last read, for the site map and the review page.
    pub history: HistoryCache,
}

/// How long a read of the sites' history serves the site map before it is read again.
/// Flights ingested by another process (`review ingest`) show within this time; decisions
/// made through this server show at once (they clear it).
pub const HISTORY_FRESH_FOR: Duration = Duration::from_secs(2);

/// The sites' history, read from the store at most once per [`HISTORY_FRESH_FOR`]: many
/// readers of the site map at once wait for one read instead of each reading every flight,
/// site and pass.
#[derive(Debug, Default)]
pub struct HistoryCache {
    slot: tokio::sync::Mutex<Option<(Instant, Arc<History>)>>,
}

impl HistoryCache {
    /// The history, read again when older than [`HISTORY_FRESH_FOR`] or cleared.
    pub async fn get(&self, store: &Store) -> Result<Arc<History>, StoreError> {
        let mut slot = self.slot.lock().await;
        if let Some((at, h)) = slot.as_ref() {
            if at.elapsed() < HISTORY_FRESH_FOR {
                return Ok(h.clone());
            }
        }
        let h = Arc::new(store.history().await?);
        *slot = Some((Instant::now(), h.clone()));
        Ok(h)
    }

    /// Forgets the history (after a change made through this server).
    pub async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

/// The inspectors allowed to record decisions: names and token hashes.
#[derive(Debug, Clone)]
pub struct Inspectors {
    pub names: Vec<String>,
    pub tokens: Vec<TokenHash>,
}
