//! The legacy GeoJSON `crs` member (GeoJSON 2008, still written by GDAL, ArcGIS and Chinese
//! GIS tools): geographic WGS-84 (EPSG:4326, CRS84), CGCS2000 (EPSG:4490) and the projected
//! CGCS2000 Gauss-Kruger zones (EPSG:4491-4554).
//!
//! [`reproject`] runs on the parsed JSON before the GeoJSON is read: it drops the `crs`
//! member and converts every position of a projected file from easting/northing metres to
//! longitude/latitude, so that readers and their checks (ranges, swapped axes, repeats) see
//! RFC 7946 coordinates. Positions are read easting first, as GDAL and ArcGIS write GeoJSON
//! (the EPSG registry's axis order for these zones is northing first; a northing-first file
//! is refused: its "easting" lies thousands of kilometres from the central meridian).

use serde_json::{Map, Value};

use super::Crs;
use crate::coord_check::FieldError;

/// Removes `root`'s `crs` member and, for a projected CRS, converts every position under a
/// `coordinates` member to longitude/latitude in place. Returns the CRS the member named
/// (`None` without one). Malformed positions are left for the GeoJSON reader to refuse.
pub fn reproject(root: &mut Map<String, Value>) -> Result<Option<Crs>, FieldError> {
    let Some(member) = root.remove("crs") else {
        return Ok(None);
    };
    let crs = crs_of(&member)?;
    if crs.is_projected() {
        for (key, value) in root.iter_mut() {
            match key.as_str() {
                // A bare geometry.
                "coordinates" => project_positions(&crs, key, value)?,
                "properties" => {}
                _ => project_member(&crs, key, value)?,
            }
        }
    }
    Ok(Some(crs))
}

/// The CRS a `crs` member names (`{"type": "name", "properties": {"name": "EPSG:4549"}}`).
fn crs_of(crs: &Value) -> Result<Crs, FieldError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            FieldError::new(
                "crs",
                "expected {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:4326\"}} (or \
                 EPSG:4490, or a CGCS2000 Gauss-Kruger zone EPSG:4491-4554) or no crs \
                 (RFC 7946 GeoJSON is WGS-84 longitude, latitude)",
            )
        })?;
    name.parse::<Crs>().map_err(|e| {
        FieldError::new(
            "crs.properties.name",
            format!("{e}; give GCJ-02 or BD-09 coordinates with the \"datum\" property instead"),
        )
    })
}

/// Converts the positions under every `coordinates` member below `value` (features,
/// geometries, geometry collections), in place.
fn project_member(crs: &Crs, path: &str, value: &mut Value) -> Result<(), FieldError> {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let p = format!("{path}.{key}");
                if key == "coordinates" {
                    project_positions(crs, &p, v)?;
                } else if key != "properties" {
                    project_member(crs, &p, v)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                project_member(crs, &format!("{path}[{i}]"), v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A position is an array starting with two numbers; anything else nests positions.
fn project_positions(crs: &Crs, path: &str, value: &mut Value) -> Result<(), FieldError> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    let pair = match (items.first(), items.get(1)) {
        (Some(Value::Number(e)), Some(Value::Number(n))) => e.as_f64().zip(n.as_f64()),
        _ => None,
    };
    if let Some((easting_m, northing_m)) = pair {
        let p = crs.to_wgs84(easting_m, northing_m).map_err(|e| {
            FieldError::new(
                path,
                format!("{e}; expected [easting, northing] metres in {crs}"),
            )
        })?;
        items[0] = Value::from(p.lon_deg);
        items[1] = Value::from(p.lat_deg);
        return Ok(());
    }
    for (i, v) in items.iter_mut().enumerate() {
        project_positions(crs, &format!("{path}[{i}]"), v)?;
    }
    Ok(())
}
