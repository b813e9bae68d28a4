//! What a contest is made of: the judges' targets and a team's reports.

use std::collections::BTreeMap;

use qly_core::geodesy::GeoPoint;

/// A point the judges placed (WGS-84).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub position: GeoPoint,
    /// The kind of target (e.g. `outfall`, `plume`); when given, only a report of the same
    /// class can find it.
    pub class: Option<String>,
    /// Further characteristics (SUAS: shape, colours, letter, orientation) that earn
    /// classification credit when a report repeats them.
    pub attributes: BTreeMap<String, String>,
}

/// A point a team reported (already converted to WGS-84).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    /// `None` for a report without a location (SUAS allows these; they earn no location
    /// credit and cannot pass a distance gate).
    pub position: Option<GeoPoint>,
    pub class: Option<String>,
    pub attributes: BTreeMap<String, String>,
    /// Seconds after the contest start at which the report reached its final form; `None`
    /// when the file gives no time (the report then earns no speed credit).
    pub time_s: Option<f64>,
    /// Found without a person in the loop (SUAS autonomy credit).
    pub autonomous: bool,
    /// `false` when the judges rejected the report (SUAS: thumbnail not approved); a
    /// rejected report finds nothing and counts as a false report.
    pub approved: bool,
}

impl Report {
    /// A plain report at a position, with no class, time or attributes.
    pub fn at(id: impl Into<String>, position: GeoPoint) -> Report {
        Report {
            id: id.into(),
            position: Some(position),
            class: None,
            attributes: BTreeMap::new(),
            time_s: None,
            autonomous: false,
            approved: true,
        }
    }
}

impl Target {
    /// A plain target at a position, with no class or attributes.
    pub fn at(id: impl Into<String>, position: GeoPoint) -> Target {
        Target {
            id: id.into(),
            position,
            class: None,
            attributes: BTreeMap::new(),
        }
    }
}

/// One team's entry: its name and its reports in the order the file gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamReports {
    pub team: String,
    pub reports: Vec<Report>,
}
