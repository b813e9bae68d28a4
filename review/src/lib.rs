//! Qianliyan review tools: scoring a target-discovery contest; the post-flight review page
//! ([`report`]) and the evidence package of confirmed candidates ([`evidence`]), both read
//! from a flight folder ([`flight`]).
//!
//! Skills contests place target points along a river; teams' drones report points; a judge
//! scores the teams. The pure core ([`score`], [`leaderboard`]) takes targets, reports and
//! [`settings::ScoreSettings`] and returns per-team results: it knows no files. [`input`]
//! turns GeoJSON text into targets and reports, [`checks`] finds the input mistakes a judge
//! must hear about (swapped coordinates, GCJ-02 offsets, duplicates, unknown classes), and
//! [`render`] writes the terminal table, CSV and HTML. The `review` binary does the I/O.
//!
//! ```
//! use qly_core::geodesy::GeoPoint;
//! use review::model::{Report, TeamReports, Target};
//! use review::settings::ScoreSettings;
//!
//! let t = GeoPoint::new(30.0, 120.0).unwrap();
//! let targets = vec![Target::at("T1", t)];
//! let team = TeamReports {
//!     team: "A".into(),
//!     reports: vec![Report::at("r1", t.destination(90.0, 3.0)), Report::at("r2", t.destination(0.0, 500.0))],
//! };
//! let board = review::leaderboard::score_contest(&targets, &[team], &ScoreSettings::default()).unwrap();
//! // 0.5 discovery + 0.4 location (3 m is within 5 m), no time so no speed credit, one false report.
//! assert!((board[0].result.score - 100.0 * (0.9 - 0.05)).abs() < 1e-9);
//! ```

pub mod checks;
pub mod dataset;
pub mod evidence;
pub mod fixture;
pub mod flight;
pub mod input;
pub mod leaderboard;
pub mod matching;
pub mod model;
pub mod patrol;
pub mod record;
pub mod render;
pub mod report;
pub mod river_fixture;
pub mod score;
pub mod serve;
pub mod settings;
pub mod tlog;
