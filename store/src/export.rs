//! Sites for people and GIS tools: GeoJSON, GeoPackage (layer `sites`, through the flight
//! crate's writers, so the columns are the same in both) and CSV. WGS-84; GeoJSON in
//! longitude, latitude order as RFC 7946 says.

use std::io::Write;
use std::path::Path;

use qly_core::geodesy::GeoPoint;
use qly_flight::export::{
    iso8601_utc_ms, write_geojson, write_geopackage, ColumnType, ExportError, Layer, PointFeature,
    Value,
};

use crate::history::SiteSummary;

/// The columns of the `sites` layer.
pub const SITE_COLUMNS: &[(&str, ColumnType)] = &[
    ("id", ColumnType::Integer),
    ("class", ColumnType::Text),
    ("ce90_m", ColumnType::Real),
    ("first_seen_utc", ColumnType::DateTime),
    ("last_seen_utc", ColumnType::DateTime),
    ("flights_passed", ColumnType::Integer),
    ("flights_seen", ColumnType::Integer),
    ("flights_with_plume", ColumnType::Integer),
    ("first_flight", ColumnType::Text),
    ("last_flight", ColumnType::Text),
    ("decision", ColumnType::Text),
];

fn opt_text(v: &Option<String>) -> Value {
    v.clone().map_or(Value::Null, Value::Text)
}

/// The sites as a layer.
pub fn sites_layer(sites: &[SiteSummary]) -> Layer {
    Layer {
        name: "sites",
        description: "Outfall and plume sites tracked across patrols (Qianliyan store)",
        columns: SITE_COLUMNS,
        features: sites
            .iter()
            .map(|s| PointFeature {
                position: GeoPoint {
                    lat_deg: s.lat_deg,
                    lon_deg: s.lon_deg,
                },
                values: vec![
                    Value::Integer(s.id),
                    Value::Text(s.class_name.clone()),
                    Value::Real(s.ce90_m),
                    s.first_seen_utc_us.map_or(Value::Null, Value::DateTime),
                    s.last_seen_utc_us.map_or(Value::Null, Value::DateTime),
                    Value::Integer(i64::from(s.flights_passed)),
                    Value::Integer(i64::from(s.flights_seen)),
                    Value::Integer(i64::from(s.flights_with_plume)),
                    opt_text(&s.first_flight),
                    opt_text(&s.last_flight),
                    opt_text(&s.decision),
                ],
            })
            .collect(),
    }
}

pub fn write_sites_geojson(path: &Path, sites: &[SiteSummary]) -> Result<(), ExportError> {
    write_geojson(path, &sites_layer(sites))
}

pub fn write_sites_geopackage(path: &Path, sites: &[SiteSummary]) -> Result<(), ExportError> {
    write_geopackage(path, &[&sites_layer(sites)])
}

/// CSV (RFC 4180): `lat_deg`, `lon_deg`, then the layer's columns.
pub fn sites_csv(sites: &[SiteSummary]) -> String {
    let layer = sites_layer(sites);
    let mut out = Vec::new();
    let head: Vec<&str> = ["lat_deg", "lon_deg"]
        .into_iter()
        .chain(layer.columns.iter().map(|(n, _)| *n))
        .collect();
    let _ = writeln!(out, "{}", head.join(","));
    for f in &layer.features {
        let mut cells = vec![
            format!("{:.8}", f.position.lat_deg),
            format!("{:.8}", f.position.lon_deg),
        ];
        cells.extend(f.values.iter().map(|v| match v {
            Value::Integer(i) => i.to_string(),
            Value::Real(x) => format!("{x:.3}"),
            Value::Text(t) => csv_field(t),
            Value::DateTime(t) => iso8601_utc_ms(*t),
            Value::Null => String::new(),
        }));
        let _ = writeln!(out, "{}", cells.join(","));
    }
    String::from_utf8(out).unwrap_or_default()
}

fn csv_field(t: &str) -> String {
    if t.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let s = SiteSummary {
            id: 7,
            class_name: "outfall".into(),
            lat_deg: 27.1,
            lon_deg: 107.2,
            ce90_m: 1.5,
            first_seen_utc_us: Some(0),
            last_seen_utc_us: None,
            flights_passed: 2,
            flights_seen: 1,
            flights_with_plume: 0,
            first_flight: Some("F".into()),
            last_flight: None,
            decision: Some("confirmed (Li, \"badge\" 7)".into()),
        };
        let csv = sites_csv(&[s]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "lat_deg,lon_deg,id,class,ce90_m,first_seen_utc,last_seen_utc,flights_passed,\
             flights_seen,flights_with_plume,first_flight,last_flight,decision"
        );
        assert_eq!(
            lines.next().unwrap(),
            "27.10000000,107.20000000,7,outfall,1.500,1970-01-01T00:00:00.000Z,,2,1,0,F,,\
             \"confirmed (Li, \"\"badge\"\" 7)\""
        );
    }
}
