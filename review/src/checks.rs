//! The input mistakes a judge must hear about before trusting a score: swapped coordinates
//! (an error), and as warnings: reports on a GCJ-02 offset, duplicates, unknown classes,
//! reports far from every target, missing or negative times.
//!
//! Pure: raw features and targets in, reports and warnings out. Every message names the file
//! and, where there is one, the feature.

use std::fmt;

use qly_core::datum::{in_gcj02_region, Datum};
use qly_core::geodesy::GeoPoint;
use qly_i18n::Lang;

use crate::input::{InputError, RawFeature};
use crate::model::{Report, Target};
use crate::settings::ScoreSettings;

/// A report this far from every target is outside the contest area (swap test, warning).
pub const CONTEST_AREA_M: f64 = 5_000.0;
/// Two reports of one team closer than this are duplicates.
pub const DUPLICATE_WITHIN_M: f64 = 1.0;
/// The GCJ-02 offset in a river town is a few hundred metres; a team whose median miss lies
/// in this band, and whom a GCJ-02 conversion brings at least 4x closer, gets a warning.
pub const GCJ02_OFFSET_BAND_M: (f64, f64) = (200.0, 1_000.0);

/// Something a judge should look at; the score is still computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub file: String,
    /// The feature concerned, when it is one feature.
    pub feature: Option<String>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.feature {
            Some(feature) => write!(f, "{}: {}: {}", self.file, feature, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The nearest target to `p` and its distance.
fn nearest(p: GeoPoint, targets: &[Target]) -> Option<(&Target, f64)> {
    targets
        .iter()
        .map(|t| (t, p.distance_m(t.position)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// Turns raw report features into WGS-84 reports: a pair that only makes sense read the other
/// way round is an error (it would silently find nothing), an out-of-range pair is an error,
/// and `datum` converts the rest to WGS-84.
pub fn locate_reports(
    file: &str,
    raw: &[RawFeature],
    targets: &[Target],
    datum: Datum,
) -> Result<Vec<Report>, InputError> {
    let mut out = Vec::with_capacity(raw.len());
    for f in raw {
        let as_written = GeoPoint::new(f.second, f.first);
        let near_as_written = as_written
            .as_ref()
            .ok()
            .and_then(|p| nearest(*p, targets))
            .map(|(_, d)| d);
        let in_area = near_as_written.is_some_and(|d| d <= CONTEST_AREA_M);
        if !in_area {
            if let Some((target, d)) = GeoPoint::new(f.first, f.second)
                .ok()
                .and_then(|p| nearest(p, targets))
                .filter(|(_, d)| *d <= CONTEST_AREA_M)
            {
                let why = match (&as_written, near_as_written) {
                    (Err(e), _) => format!("where {e}"),
                    (Ok(_), Some(d)) => format!("{:.0} km from the nearest target", d / 1000.0),
                    (Ok(_), None) => "with no target to compare".to_string(),
                };
                return Err(InputError::Swapped {
                    file: file.to_string(),
                    feature: f.label.clone(),
                    first: f.first,
                    second: f.second,
                    why,
                    target: target.id.clone(),
                    swapped_distance_m: d,
                });
            }
        }
        let position = as_written.map_err(|e| InputError::Feature {
            file: file.to_string(),
            feature: f.label.clone(),
            problem: format!("{e} (GeoJSON is [longitude, latitude])"),
        })?;
        out.push(Report {
            id: f.id.clone(),
            position: Some(datum.to_wgs84(position)),
            class: f.class.clone(),
            attributes: f.attributes.clone(),
            time_s: f.time_s,
            autonomous: f.autonomous,
            approved: f.approved,
        });
    }
    Ok(out)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The GCJ-02 warning, if a team's reports (read as `datum`) sit on the offset a GCJ-02
/// conversion removes, or `--datum gcj02` was given to reports that were already WGS-84.
fn gcj02_warning(
    team: &str,
    file: &str,
    reports: &[Report],
    targets: &[Target],
    datum: Datum,
    lang: Lang,
) -> Option<Warning> {
    let positions: Vec<GeoPoint> = reports.iter().filter_map(|r| r.position).collect();
    if positions.is_empty() || targets.is_empty() || !positions.iter().all(|p| in_gcj02_region(*p))
    {
        return None;
    }
    let miss = |ps: &mut dyn Iterator<Item = GeoPoint>| {
        median(
            ps.filter_map(|p| nearest(p, targets))
                .map(|(_, d)| d)
                .collect(),
        )
    };
    let as_read = miss(&mut positions.iter().copied())?;
    let (alternative, advice) = match datum {
        Datum::Gcj02 => (
            // Undo our conversion: the reports as the file wrote them.
            miss(&mut positions.iter().map(|p| Datum::Gcj02.from_wgs84(*p)))?,
            lang.t_args("check-gcj02-drop", &[("team", team.into())]),
        ),
        _ => (
            miss(&mut positions.iter().map(|p| Datum::Gcj02.to_wgs84(*p)))?,
            lang.t_args("check-gcj02-add", &[("team", team.into())]),
        ),
    };
    let (lo, hi) = GCJ02_OFFSET_BAND_M;
    (lo..=hi).contains(&as_read).then_some(())?;
    (alternative * 4.0 <= as_read).then_some(())?;
    Some(Warning {
        file: file.to_string(),
        feature: None,
        message: lang.t_args(
            "check-gcj02",
            &[
                ("as_read", format!("{as_read:.0}").into()),
                ("alternative", format!("{alternative:.0}").into()),
                ("advice", advice.into()),
            ],
        ),
    })
}

/// Where a team's reports came from, for the warnings to name.
#[derive(Debug, Clone, Copy)]
pub struct ReportSource<'a> {
    pub team: &'a str,
    pub file: &'a str,
    /// Names of the file's features, in file order.
    pub labels: &'a [String],
    /// The datum the file was read in (the reports are WGS-84 already).
    pub datum: Datum,
}

/// Everything suspicious about a team's reports (already located with `source.datum`), in
/// `lang`.
pub fn report_warnings(
    source: ReportSource<'_>,
    reports: &[Report],
    targets: &[Target],
    settings: &ScoreSettings,
    lang: Lang,
) -> Vec<Warning> {
    let ReportSource {
        team,
        file,
        labels,
        datum,
    } = source;
    let label = |i: usize| {
        labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("report \"{}\"", reports[i].id))
    };
    let mut out = Vec::new();
    let warn = |out: &mut Vec<Warning>, feature: Option<String>, message: String| {
        out.push(Warning {
            file: file.to_string(),
            feature,
            message,
        })
    };

    if let Some(w) = gcj02_warning(team, file, reports, targets, datum, lang) {
        out.push(w);
    }

    // Duplicates: same point, or same id.
    for i in 0..reports.len() {
        for j in 0..i {
            if reports[i].id == reports[j].id {
                warn(
                    &mut out,
                    Some(label(i)),
                    lang.t_args("check-repeats-id", &[("other", label(j).into())]),
                );
            }
            if let (Some(a), Some(b)) = (reports[i].position, reports[j].position) {
                let d = a.distance_m(b);
                if d <= DUPLICATE_WITHIN_M {
                    warn(
                        &mut out,
                        Some(label(i)),
                        lang.t_args(
                            "check-duplicate",
                            &[
                                ("other", label(j).into()),
                                ("metres", format!("{d:.2}").into()),
                            ],
                        ),
                    );
                }
            }
        }
    }

    // Classes.
    let classes = crate::input::target_classes(targets);
    if settings.require_same_class && !classes.is_empty() {
        let known = classes.iter().cloned().collect::<Vec<_>>().join(", ");
        for (i, r) in reports.iter().enumerate() {
            match &r.class {
                None => warn(
                    &mut out,
                    Some(label(i)),
                    lang.t_args("check-no-class", &[("known", known.as_str().into())]),
                ),
                Some(c) if !classes.contains(c) => warn(
                    &mut out,
                    Some(label(i)),
                    lang.t_args(
                        "check-unknown-class",
                        &[
                            ("class", c.as_str().into()),
                            ("known", known.as_str().into()),
                        ],
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    // Far from everything.
    for (i, r) in reports.iter().enumerate() {
        if let Some((t, d)) = r.position.and_then(|p| nearest(p, targets)) {
            if d > CONTEST_AREA_M {
                warn(
                    &mut out,
                    Some(label(i)),
                    lang.t_args(
                        "check-far",
                        &[
                            ("km", format!("{:.1}", d / 1000.0).into()),
                            ("target", t.id.as_str().into()),
                        ],
                    ),
                );
            }
        }
    }

    // Times.
    let untimed = reports.iter().filter(|r| r.time_s.is_none()).count();
    if settings.weights.speed > 0.0 && untimed > 0 {
        warn(
            &mut out,
            None,
            lang.t_args(
                "check-untimed",
                &[("untimed", untimed.into()), ("total", reports.len().into())],
            ),
        );
    }
    for (i, r) in reports.iter().enumerate() {
        if let Some(t) = r.time_s.filter(|t| *t < 0.0) {
            warn(
                &mut out,
                Some(label(i)),
                lang.t_args(
                    "check-before-start",
                    &[("seconds", format!("{:.0}", -t).into())],
                ),
            );
        }
    }
    out
}
