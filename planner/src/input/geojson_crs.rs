//! The legacy GeoJSON `crs` member (GeoJSON 2008, still written by GDAL, ArcGIS and Chinese
//! GIS tools): geographic WGS-84 (EPSG:4326, CRS84), CGCS2000 (EPSG:4490) and the projected
//! CGCS2000 Gauss-Kruger zones (EPSG:4491-4554, [`qly_core::crs`]).
//!
//! This pass runs before the GeoJSON reader: it converts every position of a projected file
//! from easting/northing metres to longitude/latitude and drops the `crs` member, so the
//! reader and its checks (ranges, swapped axes, repeats) see RFC 7946 coordinates. Positions
//! are read easting first, as GDAL and ArcGIS write GeoJSON (the EPSG registry's axis order
//! for these zones is northing first; a northing-first file is refused: its "easting" lies
//! thousands of kilometres from the central meridian).
//!
//! CGCS2000 is taken as WGS-84 (they agree to a few centimetres in China).

use qly_core::crs::Crs;
use qly_core::datum::Datum;
use serde_json::Value;

use super::{geojson, Ctx, InputError};
use crate::survey::SurveyInput;

/// Reads GeoJSON text whose `crs` member, if any, names a CRS we convert from.
pub(crate) fn read(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    // Text that is not a JSON object is left for the GeoJSON reader to refuse with its
    // messages.
    let Ok(Value::Object(mut root)) = serde_json::from_str::<Value>(text) else {
        return geojson::read(ctx, text, datum_override);
    };
    let Some(crs_value) = root.remove("crs") else {
        return geojson::read(ctx, text, datum_override);
    };
    let crs = crs_of(ctx, &crs_value)?;
    if crs.is_projected() {
        if let Some(d @ (Datum::Gcj02 | Datum::Bd09)) = datum_override {
            return Err(ctx.err(
                "crs.properties.name",
                format!(
                    "{crs} with --datum {d}: expected projected coordinates in CGCS2000 \
                     (GCJ-02 and BD-09 are longitude/latitude datums); drop --datum"
                ),
            ));
        }
        for (key, value) in root.iter_mut() {
            match key.as_str() {
                // A bare geometry.
                "coordinates" => project_positions(ctx, &crs, key, value)?,
                "properties" => {}
                _ => project_member(ctx, &crs, key, value)?,
            }
        }
    }
    let rewritten = Value::Object(root).to_string();
    let mut input = geojson::read(ctx, &rewritten, datum_override)?;
    if datum_override.is_none() {
        match input.datum {
            Datum::Wgs84 => input.datum = crs.datum(),
            Datum::Cgcs2000 => {}
            other if crs.datum() == Datum::Cgcs2000 => {
                return Err(ctx.err(
                    "crs.properties.name",
                    format!(
                        "the crs names {crs} but the datum property says {other}: expected one \
                         datum (remove the crs member, or correct the datum property)"
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(input)
}

/// The CRS a `crs` member names (`{"type": "name", "properties": {"name": "EPSG:4549"}}`).
fn crs_of(ctx: &Ctx, crs: &Value) -> Result<Crs, InputError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ctx.err(
                "crs",
                "expected {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:4326\"}} (or \
                 EPSG:4490, or a CGCS2000 Gauss-Kruger zone EPSG:4491-4554) or no crs \
                 (RFC 7946 GeoJSON is WGS-84 longitude, latitude)",
            )
        })?;
    name.parse::<Crs>().map_err(|e| {
        ctx.err(
            "crs.properties.name",
            format!("{e}; give GCJ-02 or BD-09 coordinates with the \"datum\" property instead"),
        )
    })
}

/// Converts the positions under every `coordinates` member below `value` (features,
/// geometries, geometry collections), in place.
fn project_member(ctx: &Ctx, crs: &Crs, path: &str, value: &mut Value) -> Result<(), InputError> {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let p = format!("{path}.{key}");
                if key == "coordinates" {
                    project_positions(ctx, crs, &p, v)?;
                } else if key != "properties" {
                    project_member(ctx, crs, &p, v)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                project_member(ctx, crs, &format!("{path}[{i}]"), v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A position is an array starting with two numbers; anything else nests positions.
/// Malformed positions are left for the GeoJSON reader to refuse with its messages.
fn project_positions(
    ctx: &Ctx,
    crs: &Crs,
    path: &str,
    value: &mut Value,
) -> Result<(), InputError> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    let pair = match (items.first(), items.get(1)) {
        (Some(Value::Number(e)), Some(Value::Number(n))) => e.as_f64().zip(n.as_f64()),
        _ => None,
    };
    if let Some((easting_m, northing_m)) = pair {
        let p = crs.to_wgs84(easting_m, northing_m).map_err(|e| {
            ctx.err(
                path,
                format!("{e}; expected [easting, northing] metres in {crs}"),
            )
        })?;
        items[0] = Value::from(p.lon_deg);
        items[1] = Value::from(p.lat_deg);
        return Ok(());
    }
    for (i, v) in items.iter_mut().enumerate() {
        project_positions(ctx, crs, &format!("{path}[{i}]"), v)?;
    }
    Ok(())
}
