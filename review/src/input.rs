//! GeoJSON text to targets and raw report features (RFC 7946: `[longitude, latitude]`).
//!
//! Reports also come as CSV ([`parse_csv_features`]): a header line naming the columns, one
//! report a line, the same properties as below.
//!
//! Each feature is a Point with optional properties `id` (string or number), `class`
//! (string), `time` (seconds after the start as a number, or an ISO 8601 / RFC 3339
//! date-time with a UTC offset, which needs the contest start), `autonomous` and `approved`
//! (booleans) and `attributes` (an object of characteristics). Coordinates of reports stay
//! raw here: whether they are swapped can only be judged against the targets
//! ([`crate::checks::locate_reports`]).

use std::collections::{BTreeMap, BTreeSet};

use geojson::{GeoJson, GeometryValue, JsonValue};
use jiff::Timestamp;
use qly_core::geodesy::GeoPoint;

use crate::model::Target;

/// A file's contents could not be used; every variant names the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("{file}: not GeoJSON: {message}")]
    NotGeoJson { file: String, message: String },
    #[error("{file}: no features: expected a FeatureCollection of Point features")]
    Empty { file: String },
    #[error("{file}: {crs_name}: only WGS-84 (RFC 7946 longitude/latitude) is read; convert the file, or for GCJ-02 reports give --datum TEAM=gcj02")]
    OtherCrs { file: String, crs_name: String },
    #[error("{file}: {feature}: {problem}")]
    Feature {
        file: String,
        feature: String,
        problem: String,
    },
    #[error("{file}: {feature}: coordinates look swapped: [{first}, {second}] is read as longitude {first}, latitude {second}, {why}; read the other way round it lies {swapped_distance_m:.0} m from target {target}. GeoJSON (RFC 7946) is [longitude, latitude]: swap the pair in the file")]
    Swapped {
        file: String,
        feature: String,
        first: f64,
        second: f64,
        why: String,
        target: String,
        swapped_distance_m: f64,
    },
    #[error("{file}: line {line}: {problem}")]
    Csv {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("{file}: target id '{id}' is used by {first} and {second}")]
    DuplicateTargetId {
        file: String,
        id: String,
        first: String,
        second: String,
    },
}

/// One Point feature as written, coordinates unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    /// How to name the feature in a message: `feature 3 (id "r3")`.
    pub label: String,
    pub id: String,
    /// First coordinate as written (longitude, if the file is right).
    pub first: f64,
    /// Second coordinate as written (latitude, if the file is right).
    pub second: f64,
    pub class: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub time_s: Option<f64>,
    pub autonomous: bool,
    pub approved: bool,
}

/// Parses the contest start or a report time: RFC 3339 / ISO 8601 with a UTC offset.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    s.trim().parse::<Timestamp>().map_err(|e| {
        format!("'{s}' is not an ISO 8601 date-time with a UTC offset (e.g. 2026-05-01T09:30:00+08:00): {e}")
    })
}

fn feature_error(file: &str, feature: &str, problem: impl Into<String>) -> InputError {
    InputError::Feature {
        file: file.to_string(),
        feature: feature.to_string(),
        problem: problem.into(),
    }
}

/// A CRS member (GeoJSON 2008) naming something other than WGS-84 longitude/latitude.
fn foreign_crs(members: Option<&geojson::JsonObject>) -> Option<String> {
    let crs = members?.get("crs")?;
    let name = crs
        .pointer("/properties/name")
        .and_then(JsonValue::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| crs.to_string());
    let upper = name.to_ascii_uppercase();
    let wgs84 = [
        "CRS84",
        "EPSG::4326",
        "EPSG:4326",
        "EPSG::4490",
        "EPSG:4490",
        "WGS84",
    ]
    .iter()
    .any(|ok| upper.ends_with(ok) || upper == *ok);
    (!wgs84).then(|| format!("the file declares CRS '{name}'"))
}

fn scalar_text(v: &JsonValue) -> Option<String> {
    match v {
        JsonValue::String(s) => Some(s.clone()),
        JsonValue::Number(n) => Some(n.to_string()),
        JsonValue::Bool(b) => Some(b.to_string()),
        JsonValue::Null => Some(String::new()),
        _ => None,
    }
}

fn time_of(
    file: &str,
    label: &str,
    v: &JsonValue,
    start: Option<Timestamp>,
) -> Result<Option<f64>, InputError> {
    match v {
        JsonValue::Null => Ok(None),
        JsonValue::Number(n) => match n.as_f64() {
            Some(t) if t.is_finite() => Ok(Some(t)),
            _ => Err(feature_error(
                file,
                label,
                format!("time {n} is not a finite number of seconds"),
            )),
        },
        JsonValue::String(s) => {
            if let Ok(t) = s.trim().parse::<f64>() {
                if t.is_finite() {
                    return Ok(Some(t));
                }
            }
            let ts =
                parse_timestamp(s).map_err(|e| feature_error(file, label, format!("time {e}")))?;
            let Some(start) = start else {
                return Err(feature_error(
                    file,
                    label,
                    format!("time '{s}' is a date-time, so the contest start is needed (--start)"),
                ));
            };
            let span = ts.duration_since(start);
            Ok(Some(span.as_secs_f64()))
        }
        other => Err(feature_error(
            file,
            label,
            format!("time must be seconds or an ISO 8601 date-time, got {other}"),
        )),
    }
}

fn bool_of(
    file: &str,
    label: &str,
    key: &str,
    v: Option<&JsonValue>,
    default: bool,
) -> Result<bool, InputError> {
    match v {
        None | Some(JsonValue::Null) => Ok(default),
        Some(JsonValue::Bool(b)) => Ok(*b),
        Some(other) => Err(feature_error(
            file,
            label,
            format!("'{key}' must be true or false, got {other}"),
        )),
    }
}

/// Reads the Point features of a GeoJSON text. `file` names the source in errors; `start`
/// turns date-time `time`s into seconds after the start.
pub fn parse_features(
    file: &str,
    text: &str,
    start: Option<Timestamp>,
) -> Result<Vec<RawFeature>, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let gj: GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| InputError::NotGeoJson {
            file: file.to_string(),
            message: e.to_string(),
        })?;
    let features = match gj {
        GeoJson::FeatureCollection(fc) => {
            if let Some(crs_name) = foreign_crs(fc.foreign_members.as_ref()) {
                return Err(InputError::OtherCrs {
                    file: file.to_string(),
                    crs_name,
                });
            }
            fc.features
        }
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(_) => return Err(InputError::NotGeoJson {
            file: file.to_string(),
            message:
                "a bare geometry has no properties: expected a FeatureCollection of Point features"
                    .into(),
        }),
    };
    if features.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let props = f.properties.clone().unwrap_or_default();
        let id = props
            .get("id")
            .and_then(scalar_text)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                f.id.as_ref().map(|id| match id {
                    geojson::feature::Id::String(s) => s.clone(),
                    geojson::feature::Id::Number(n) => n.to_string(),
                })
            });
        let label = match &id {
            Some(id) => format!("feature {} (id \"{id}\")", i + 1),
            None => format!("feature {}", i + 1),
        };
        let id = id.unwrap_or_else(|| format!("#{}", i + 1));
        let Some(geometry) = &f.geometry else {
            return Err(feature_error(
                file,
                &label,
                "has no geometry: expected a Point",
            ));
        };
        let GeometryValue::Point { coordinates } = &geometry.value else {
            return Err(feature_error(
                file,
                &label,
                format!("is a {}, expected a Point", geometry.value.type_name()),
            ));
        };
        let c = coordinates.as_slice();
        if c.len() < 2 || !c[0].is_finite() || !c[1].is_finite() {
            return Err(feature_error(
                file,
                &label,
                format!("coordinates {c:?} are not [longitude, latitude]"),
            ));
        }
        let class = match props.get("class") {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::String(s)) if s.trim().is_empty() => None,
            Some(JsonValue::String(s)) => Some(s.trim().to_string()),
            Some(other) => {
                return Err(feature_error(
                    file,
                    &label,
                    format!("class must be a string, got {other}"),
                ))
            }
        };
        let mut attributes = BTreeMap::new();
        match props.get("attributes") {
            None | Some(JsonValue::Null) => {}
            Some(JsonValue::Object(map)) => {
                for (k, v) in map {
                    let Some(text) = scalar_text(v) else {
                        return Err(feature_error(
                            file,
                            &label,
                            format!("attribute '{k}' must be a string, number or boolean"),
                        ));
                    };
                    attributes.insert(k.clone(), text);
                }
            }
            Some(other) => {
                return Err(feature_error(
                    file,
                    &label,
                    format!("attributes must be an object, got {other}"),
                ))
            }
        }
        let time_s = match props.get("time") {
            None => None,
            Some(v) => time_of(file, &label, v, start)?,
        };
        out.push(RawFeature {
            autonomous: bool_of(file, &label, "autonomous", props.get("autonomous"), false)?,
            approved: bool_of(file, &label, "approved", props.get("approved"), true)?,
            label,
            id,
            first: c[0],
            second: c[1],
            class,
            attributes,
            time_s,
        });
    }
    Ok(out)
}

/// The targets of a parsed file: coordinates must be valid WGS-84 and ids unique.
pub fn targets_from(file: &str, raw: &[RawFeature]) -> Result<Vec<Target>, InputError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for f in raw {
        if let Some(first) = seen.insert(&f.id, &f.label) {
            return Err(InputError::DuplicateTargetId {
                file: file.to_string(),
                id: f.id.clone(),
                first: first.to_string(),
                second: f.label.clone(),
            });
        }
        let position = GeoPoint::new(f.second, f.first).map_err(|e| {
            feature_error(
                file,
                &f.label,
                format!("{e} (GeoJSON is [longitude, latitude])"),
            )
        })?;
        out.push(Target {
            id: f.id.clone(),
            position,
            class: f.class.clone(),
            attributes: f.attributes.clone(),
        });
    }
    Ok(out)
}

/// The classes the targets use (empty when none has one).
pub fn target_classes(targets: &[Target]) -> BTreeSet<String> {
    targets.iter().filter_map(|t| t.class.clone()).collect()
}

/// The formats a team's reports come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    GeoJson,
    Csv,
}

impl ReportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::GeoJson => "geojson",
            ReportFormat::Csv => "csv",
        }
    }

    /// `geojson` or `csv`.
    pub fn from_name(name: &str) -> Option<ReportFormat> {
        match name {
            "geojson" | "json" => Some(ReportFormat::GeoJson),
            "csv" => Some(ReportFormat::Csv),
            _ => None,
        }
    }

    /// From a file name's extension (`.csv`), else from the text: GeoJSON starts with `{`.
    pub fn guess(name: &str, text: &str) -> ReportFormat {
        if name.to_ascii_lowercase().ends_with(".csv") {
            return ReportFormat::Csv;
        }
        if name.to_ascii_lowercase().ends_with("json") {
            return ReportFormat::GeoJson;
        }
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('{') | Some('[') | None => ReportFormat::GeoJson,
            Some(_) => ReportFormat::Csv,
        }
    }
}

/// Reads reports in `format` ([`parse_features`] or [`parse_csv_features`]).
pub fn parse_reports(
    file: &str,
    text: &str,
    format: ReportFormat,
    start: Option<Timestamp>,
) -> Result<Vec<RawFeature>, InputError> {
    match format {
        ReportFormat::GeoJson => parse_features(file, text, start),
        ReportFormat::Csv => parse_csv_features(file, text, start),
    }
}

/// Splits one CSV line (RFC 4180: fields in double quotes may hold commas and `""`).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() && !was_quoted {
            field.clear();
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
            was_quoted = false;
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("a quoted field is not closed (multi-line fields are not read)".into());
    }
    fields.push(field);
    Ok(fields.into_iter().map(|f| f.trim().to_string()).collect())
}

/// Reads reports from CSV: a header line, then one report a line. Columns (any case, any
/// order): `lat` (or `lat_deg`, `latitude`) and `lon` (or `lon_deg`, `lng`, `longitude`),
/// required; `id`, `class`, `time`, `autonomous`, `approved`, optional; any other column is an
/// attribute. WGS-84 degrees. Empty lines are skipped; an error names the line.
pub fn parse_csv_features(
    file: &str,
    text: &str,
    start: Option<Timestamp>,
) -> Result<Vec<RawFeature>, InputError> {
    let csv_error = |line: usize, problem: String| InputError::Csv {
        file: file.to_string(),
        line,
        problem,
    };
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((head_line, head)) = lines.next() else {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    };
    let head: Vec<String> = csv_fields(head)
        .map_err(|e| csv_error(head_line, e))?
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| head.iter().position(|h| names.contains(&h.as_str()));
    let lat = find(&["lat", "lat_deg", "latitude"]);
    let lon = find(&["lon", "lon_deg", "lng", "long", "longitude"]);
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Err(csv_error(
            head_line,
            format!(
                "the header line names no {} column: expected a header such as \
                 id,lat,lon,class,time (got {})",
                if lat.is_none() { "lat" } else { "lon" },
                head.join(",")
            ),
        ));
    };
    let id = find(&["id"]);
    let class = find(&["class"]);
    let time = find(&["time", "time_s"]);
    let autonomous = find(&["autonomous"]);
    let approved = find(&["approved"]);
    let known = [Some(lat), Some(lon), id, class, time, autonomous, approved];
    let mut out = Vec::new();
    for (line, text) in lines {
        let fields = csv_fields(text).map_err(|e| csv_error(line, e))?;
        if fields.len() != head.len() {
            return Err(csv_error(
                line,
                format!(
                    "{} fields where the header has {} columns",
                    fields.len(),
                    head.len()
                ),
            ));
        }
        let get = |i: Option<usize>| i.map(|i| fields[i].as_str()).filter(|v| !v.is_empty());
        let number = |i: usize, name: &str| -> Result<f64, InputError> {
            let v = fields[i].as_str();
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(csv_error(
                    line,
                    format!("{name} '{v}' is not a number of degrees"),
                )),
            }
        };
        let second = number(lat, &head[lat])?;
        let first = number(lon, &head[lon])?;
        let id_text = get(id).map(str::to_string);
        let label = match &id_text {
            Some(id) => format!("line {line} (id \"{id}\")"),
            None => format!("line {line}"),
        };
        let time_s = match get(time) {
            None => None,
            Some(t) => time_of(file, &label, &JsonValue::String(t.to_string()), start)?,
        };
        let flag = |i: Option<usize>, name: &str, default: bool| -> Result<bool, InputError> {
            match get(i).map(str::to_ascii_lowercase).as_deref() {
                None => Ok(default),
                Some("true" | "1" | "yes") => Ok(true),
                Some("false" | "0" | "no") => Ok(false),
                Some(other) => Err(csv_error(
                    line,
                    format!("{name} must be true or false, got '{other}'"),
                )),
            }
        };
        let attributes = head
            .iter()
            .enumerate()
            .filter(|(i, _)| !known.contains(&Some(*i)))
            .filter(|(i, _)| !fields[*i].is_empty())
            .map(|(i, h)| (h.clone(), fields[i].clone()))
            .collect();
        out.push(RawFeature {
            autonomous: flag(autonomous, "autonomous", false)?,
            approved: flag(approved, "approved", true)?,
            id: id_text.unwrap_or_else(|| format!("#{}", out.len() + 1)),
            label,
            first,
            second,
            class: get(class).map(str::to_string),
            attributes,
            time_s,
        });
    }
    if out.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn csv_reports_read_like_geojson_ones() {
        let text = "\u{feff}id,lat,lon,class,time,colour\n\
                    r1,30.5,120.25,outfall,12.5,\"red, dark\"\n\n\
                    r2,30.6,120.3,plume,,\n";
        let f = parse_csv_features("t.csv", text, None).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].first, f[0].second), (120.25, 30.5));
        assert_eq!(f[0].time_s, Some(12.5));
        assert_eq!(f[0].attributes["colour"], "red, dark");
        assert_eq!(f[1].class.as_deref(), Some("plume"));
        assert_eq!(f[1].time_s, None);
        assert!(f[1].attributes.is_empty());
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv_features("t.csv", "id,lat,lon\nr1,30.5,120\nr2,north,120\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("lat 'north'"), "{e}");
        let e = parse_csv_features("t.csv", "id,x,y\nr1,1,2\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("no lat column"), "{e}");
        let e = parse_csv_features("t.csv", "id,lat,lon\nr1,30.5\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("2 fields"), "{e}");
        assert_eq!(
            ReportFormat::guess("upload", " {\"type\":1}"),
            ReportFormat::GeoJson
        );
        assert_eq!(
            ReportFormat::guess("upload", "id,lat,lon"),
            ReportFormat::Csv
        );
    }
}
