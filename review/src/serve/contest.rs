//! Contest mode: the contest file (targets, rules, judges' and teams' token hashes), the
//! teams' uploads and the live leaderboard.
//!
//! A team's latest accepted upload is its entry: it holds all the team's reports so far, as
//! the file `review score --team` reads (GeoJSON or CSV). Each upload is checked as `review
//! score` checks a file (a malformed one is refused with the feature or line at fault), then
//! stored in the store in its own transaction, and only then counted and answered: a server
//! killed at any point has either not answered (the team sends again) or has the upload in
//! the store, from which [`Contest::load`] rebuilds the board. Scores are recomputed over all
//! teams on each upload with the scoring of `review score`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use qly_core::datum::Datum;
use qly_i18n::Lang;
use qly_store::{Store, StoreError};
use serde::Deserialize;

use crate::checks::{locate_reports, report_warnings, ReportSource, Warning};
use crate::input::{parse_reports, parse_timestamp, targets_from, InputError, ReportFormat};
use crate::leaderboard::{score_contest, Standing};
use crate::model::{Report, Target, TeamReports};
use crate::score::ScoreError;
use crate::settings::{Preset, RuleOverrides, ScoreSettings};

use super::auth::{self, TokenHash};

/// Uploads larger than this are refused (413) unless the contest file says otherwise.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 1 << 20;
/// How often the leaderboard page asks for news, unless the contest file says otherwise.
pub const DEFAULT_REFRESH_S: u32 = 5;

/// The contest file as written (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContestFile {
    /// The contest's key in the store: uploads are kept under it.
    name: String,
    title: Option<String>,
    /// The judges' targets (GeoJSON), relative to the contest file.
    targets: PathBuf,
    start: Option<String>,
    #[serde(default)]
    preset: Preset,
    time_limit_s: Option<f64>,
    max_upload_bytes: Option<usize>,
    refresh_s: Option<u32>,
    judges: TokenEntry,
    teams: Vec<TeamEntry>,
    #[serde(default)]
    rules: RuleOverrides,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token_sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamEntry {
    name: String,
    token_sha256: String,
    /// The datum the team's reports are in (default WGS84).
    datum: Option<String>,
}

/// Why a contest cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ContestError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A team as configured.
#[derive(Debug, Clone)]
pub struct Team {
    pub name: String,
    pub datum: Datum,
}

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Judges,
    /// The team's index in [`Contest::teams`].
    Team(usize),
}

/// A team's counted entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub upload_id: i64,
    pub received_utc_us: i64,
    pub reports: Vec<Report>,
    pub warnings: Vec<Warning>,
}

/// The board at one moment: each team's entry, its number of uploads and the standings.
#[derive(Debug, Clone, Default)]
pub struct Board {
    pub entries: BTreeMap<String, Entry>,
    pub uploads: BTreeMap<String, i64>,
    /// Every configured team, those without an upload with no reports.
    pub standings: Vec<Standing>,
    /// Goes up by one with each counted upload (the page's cue to redraw).
    pub version: u64,
    pub updated_utc_us: i64,
    /// Stored uploads that no longer read (the targets or teams changed since): named to the
    /// judges, not counted.
    pub problems: Vec<String>,
}

impl Board {
    /// The warnings of every counted entry, team by team.
    pub fn warnings(&self) -> Vec<Warning> {
        self.entries
            .values()
            .flat_map(|e| e.warnings.iter().cloned())
            .chain(self.problems.iter().map(|p| Warning {
                file: "store".into(),
                feature: None,
                message: p.clone(),
            }))
            .collect()
    }
}

/// A running contest.
#[derive(Debug)]
pub struct Contest {
    pub name: String,
    pub title: String,
    pub targets: Vec<Target>,
    pub start: Option<Timestamp>,
    pub settings: ScoreSettings,
    pub teams: Vec<Team>,
    pub max_upload_bytes: usize,
    pub refresh_s: u32,
    pub lang: Lang,
    /// The judges' hash first, then the teams' in order.
    tokens: Vec<TokenHash>,
    board: RwLock<Arc<Board>>,
    /// Serialises board updates (the store has already ordered the uploads by id).
    update: tokio::sync::Mutex<()>,
}

/// What an accepted upload earned.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub upload_id: i64,
    pub received_utc_us: i64,
    pub reports: usize,
    pub warnings: Vec<Warning>,
    pub board: Arc<Board>,
}

fn now_utc_us() -> i64 {
    Timestamp::now().as_microsecond()
}

impl Contest {
    /// Reads the contest file and its targets, and rebuilds the board from the uploads the
    /// store holds for this contest.
    pub async fn load(path: &Path, store: &Store, lang: Lang) -> Result<Contest, ContestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ContestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut contest = Contest::from_toml(path, &text, lang)?;
        contest.reload(store).await?;
        Ok(contest)
    }

    /// The contest a file's text describes (its targets read relative to `path`), with an
    /// empty board.
    pub fn from_toml(path: &Path, text: &str, lang: Lang) -> Result<Contest, ContestError> {
        let invalid = |problem: String| ContestError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let f: ContestFile = toml::from_str(text).map_err(|e| ContestError::Toml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if f.name.trim().is_empty() {
            return Err(invalid(
                "name is empty: it keys the contest's uploads in the store".into(),
            ));
        }
        let settings = f
            .rules
            .apply(f.preset.settings(f.time_limit_s.unwrap_or(1800.0)));
        settings
            .validate()
            .map_err(|e| invalid(format!("rules: {e}")))?;
        let start = f
            .start
            .as_deref()
            .map(parse_timestamp)
            .transpose()
            .map_err(|e| invalid(format!("start {e}")))?;
        let targets_path = path.parent().unwrap_or(Path::new(".")).join(&f.targets);
        let targets_file = targets_path.display().to_string();
        let targets_text =
            std::fs::read_to_string(&targets_path).map_err(|source| ContestError::Read {
                path: targets_path.clone(),
                source,
            })?;
        let raw = crate::input::parse_features(&targets_file, &targets_text, start)?;
        let targets = targets_from(&targets_file, &raw)?;
        let hash = |who: &str, text: &str| {
            auth::parse_hash(text).ok_or_else(|| {
                invalid(format!(
                    "{who}: token_sha256 must be 64 hex digits (printf %s TOKEN | sha256sum), \
                     got {:?}",
                    text
                ))
            })
        };
        let mut tokens = vec![hash("judges", &f.judges.token_sha256)?];
        let mut teams = Vec::new();
        if f.teams.is_empty() {
            return Err(invalid(
                "no [[teams]]: a contest needs at least one team".into(),
            ));
        }
        for t in &f.teams {
            let name = t.name.trim();
            if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "team name {:?}: must be non-empty, without '/' or control characters",
                    t.name
                )));
            }
            if teams.iter().any(|x: &Team| x.name == name) {
                return Err(invalid(format!("team {name:?} is given twice")));
            }
            let h = hash(&format!("team {name}"), &t.token_sha256)?;
            if tokens.contains(&h) {
                return Err(invalid(format!(
                    "team {name}: its token hash is also another team's or the judges': \
                     each party needs a token of its own"
                )));
            }
            tokens.push(h);
            let datum = match &t.datum {
                Some(d) => d
                    .parse()
                    .map_err(|e| invalid(format!("team {name}: datum {d}: {e}")))?,
                None => Datum::default(),
            };
            teams.push(Team {
                name: name.to_string(),
                datum,
            });
        }
        let title = f
            .title
            .clone()
            .unwrap_or_else(|| lang.t("board-default-title"));
        let contest = Contest {
            name: f.name.trim().to_string(),
            title,
            targets,
            start,
            settings,
            teams,
            max_upload_bytes: f.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES),
            refresh_s: f.refresh_s.unwrap_or(DEFAULT_REFRESH_S).max(1),
            lang,
            tokens,
            board: RwLock::new(Arc::new(Board::default())),
            update: tokio::sync::Mutex::new(()),
        };
        // Scores the empty board once: settings and targets that cannot be scored stop here.
        let empty = contest.rebuild(BTreeMap::new(), BTreeMap::new(), Vec::new(), 0)?;
        contest.set_board(empty);
        Ok(contest)
    }

    /// Rebuilds the board from the store's uploads for this contest.
    pub async fn reload(&mut self, store: &Store) -> Result<(), ContestError> {
        let stored = store.contest_uploads(&self.name).await?;
        let mut entries = BTreeMap::new();
        let mut problems = Vec::new();
        for u in &stored.latest {
            let Some(team) = self.team_index(&u.team) else {
                problems.push(format!(
                    "upload {} of team {:?} is not counted: the contest file no longer names the team",
                    u.id, u.team
                ));
                continue;
            };
            let format = ReportFormat::from_name(&u.format).unwrap_or(ReportFormat::GeoJson);
            match self.check_upload(team, &format!("upload {}", u.id), &u.body, format) {
                Ok((reports, warnings)) => {
                    entries.insert(
                        u.team.clone(),
                        Entry {
                            upload_id: u.id,
                            received_utc_us: u.received_utc_us,
                            reports,
                            warnings,
                        },
                    );
                }
                Err(e) => problems.push(format!(
                    "upload {} of team {} is not counted: it no longer reads: {e}",
                    u.id, u.team
                )),
            }
        }
        for p in &problems {
            tracing::error!("contest {}: {p}", self.name);
        }
        let uploads = stored.counts.into_iter().collect();
        let board = self.rebuild(entries, uploads, problems, 0)?;
        self.set_board(board);
        Ok(())
    }

    fn set_board(&self, board: Board) {
        let mut guard = self.board.write().unwrap_or_else(|e| e.into_inner());
        *guard = Arc::new(board);
    }

    /// The board now (cheap: shared).
    pub fn board(&self) -> Arc<Board> {
        self.board.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Scores every team (those without an entry with no reports).
    fn rebuild(
        &self,
        entries: BTreeMap<String, Entry>,
        uploads: BTreeMap<String, i64>,
        problems: Vec<String>,
        version: u64,
    ) -> Result<Board, ScoreError> {
        let teams: Vec<TeamReports> = self
            .teams
            .iter()
            .map(|t| TeamReports {
                team: t.name.clone(),
                reports: entries
                    .get(&t.name)
                    .map(|e| e.reports.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let standings = score_contest(&self.targets, &teams, &self.settings)?;
        Ok(Board {
            entries,
            uploads,
            standings,
            version,
            updated_utc_us: now_utc_us(),
            problems,
        })
    }

    pub fn team_index(&self, name: &str) -> Option<usize> {
        self.teams.iter().position(|t| t.name == name)
    }

    /// Whose token this is.
    pub fn identify(&self, token: &str) -> Option<Role> {
        auth::find(token, &self.tokens).map(|i| match i {
            0 => Role::Judges,
            i => Role::Team(i - 1),
        })
    }

    /// Reads an upload of team `team` as `review score` reads a team's file: its reports
    /// (WGS-84) and the warnings a judge should see. `file` names it in messages.
    pub fn check_upload(
        &self,
        team: usize,
        file: &str,
        text: &str,
        format: ReportFormat,
    ) -> Result<(Vec<Report>, Vec<Warning>), InputError> {
        let t = &self.teams[team];
        let raw = parse_reports(file, text, format, self.start)?;
        let reports = locate_reports(file, &raw, &self.targets, t.datum)?;
        let labels: Vec<String> = raw.iter().map(|f| f.label.clone()).collect();
        let warnings = report_warnings(
            ReportSource {
                team: &t.name,
                file,
                labels: &labels,
                datum: t.datum,
            },
            &reports,
            &self.targets,
            &self.settings,
            self.lang,
        );
        Ok((reports, warnings))
    }

    /// Stores an upload already read by [`Contest::check_upload`], then counts it: the
    /// board is rescored. The upload is in the store when this returns `Ok`.
    pub async fn accept(
        &self,
        store: &Store,
        team: usize,
        format: ReportFormat,
        text: &str,
        reports: Vec<Report>,
        warnings: Vec<Warning>,
    ) -> Result<Accepted, StoreError> {
        let name = &self.teams[team].name;
        let received_utc_us = now_utc_us();
        let stored = store
            .add_upload(&self.name, name, received_utc_us, format.name(), text)
            .await?;
        let _serial = self.update.lock().await;
        let old = self.board();
        let mut entries = old.entries.clone();
        let mut uploads = old.uploads.clone();
        *uploads.entry(name.clone()).or_insert(0) += 1;
        let n_reports = reports.len();
        // Two uploads of one team at once: the one the store took last counts.
        let newer = entries.get(name).is_none_or(|e| e.upload_id < stored.id);
        if newer {
            entries.insert(
                name.clone(),
                Entry {
                    upload_id: stored.id,
                    received_utc_us,
                    reports,
                    warnings: warnings.clone(),
                },
            );
        }
        let board = match self.rebuild(entries, uploads, old.problems.clone(), old.version + 1) {
            Ok(b) => b,
            // The settings and targets were scored at start; this cannot fail on reports.
            Err(e) => {
                tracing::error!(
                    "contest {}: rescoring after upload {}: {e}",
                    self.name,
                    stored.id
                );
                (*old).clone()
            }
        };
        self.set_board(board);
        Ok(Accepted {
            upload_id: stored.id,
            received_utc_us,
            reports: n_reports,
            warnings,
            board: self.board(),
        })
    }
}
