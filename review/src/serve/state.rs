//! What every request handler shares.

use qly_i18n::Lang;
use qly_store::Store;

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
}

/// The inspectors allowed to record decisions: names and token hashes.
#[derive(Debug, Clone)]
pub struct Inspectors {
    pub names: Vec<String>,
    pub tokens: Vec<TokenHash>,
}
