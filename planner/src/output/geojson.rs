//! GeoJSON (RFC 7946: WGS-84, `[longitude, latitude]`) for QGIS and GDAL: one
//! FeatureCollection with the survey geometry, exclusions, lanes and photo points, each
//! with a `kind` property (`centreline`, `corridor_outline`, `area`, `exclusion`, `lane`,
//! `photo`) and the lane index, photo index, altitude above take-off and heading where they
//! apply. The centreline carries `width_m` and exclusions `"role": "exclusion"`, so the file
//! reads back as survey input (lanes, photos and the outline are skipped by the reader).
//!
//! A terrain-following plan's lanes run through every flown waypoint and its lanes and photos
//! carry a third coordinate: RFC 7946 makes it the height above the WGS-84 *ellipsoid*, so the
//! EGM96 altitudes are converted with the shipped geoid; the properties carry the altitude
//! above mean sea level (`alt_amsl_m`) and, for photos, the height above ground (`agl_m`).

use geo::algorithm::buffer::{BufferStyle, LineCap};
use geo::{Buffer, Polygon};
use serde_json::{json, Value};

use qly_core::geodesy::GeoPoint;
use qly_core::terrain::{DatumHeight, VerticalDatum};

use super::round_deg;
use crate::estimate::flight_path;
use crate::survey::{PlaneRegion, SurveyPlan};

fn pos(p: GeoPoint) -> Value {
    json!([round_deg(p.lon_deg), round_deg(p.lat_deg)])
}

/// `[lon, lat, h]` with `h` the WGS-84 ellipsoidal height of an EGM96 altitude.
fn pos_z(p: GeoPoint, amsl_m: f64) -> Value {
    let h = DatumHeight {
        height_m: amsl_m,
        datum: VerticalDatum::Egm96,
    }
    .to_datum(VerticalDatum::EllipsoidWgs84, p)
    .map_or(f64::NAN, |d| d.height_m);
    json!([round_deg(p.lon_deg), round_deg(p.lat_deg), round_cm(h)])
}

fn round_cm(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn feature(geometry: Value, properties: Value) -> Value {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn polygon(plan: &SurveyPlan, poly: &Polygon<f64>) -> Value {
    let ring = |ls: &geo::LineString<f64>| -> Vec<Value> {
        let mut r: Vec<Value> = ls.0.iter().map(|c| pos(plan.to_geo(*c))).collect();
        // RFC 7946 rings are closed.
        if r.first() != r.last() {
            if let Some(f) = r.first().cloned() {
                r.push(f);
            }
        }
        r
    };
    let mut rings = vec![Value::Array(ring(poly.exterior()))];
    rings.extend(poly.interiors().iter().map(|h| Value::Array(ring(h))));
    json!({ "type": "Polygon", "coordinates": rings })
}

/// The plan as a GeoJSON FeatureCollection.
pub fn geojson(plan: &SurveyPlan) -> String {
    let mut features = Vec::new();
    match &plan.region {
        PlaneRegion::Corridor {
            centreline,
            width_m,
        } => {
            let line: Vec<Value> = centreline.0.iter().map(|c| pos(plan.to_geo(*c))).collect();
            features.push(feature(
                json!({ "type": "LineString", "coordinates": line }),
                json!({ "kind": "centreline", "width_m": width_m, "datum": "WGS84" }),
            ));
            let outline = centreline
                .buffer_with_style(BufferStyle::new(width_m / 2.0).line_cap(LineCap::Butt));
            for poly in &outline.0 {
                features.push(feature(
                    polygon(plan, poly),
                    json!({ "kind": "corridor_outline", "width_m": width_m }),
                ));
            }
        }
        PlaneRegion::Area {
            polygon: area,
            exclusions,
        } => {
            features.push(feature(
                polygon(plan, area),
                json!({ "kind": "area", "datum": "WGS84" }),
            ));
            for (k, ex) in exclusions.iter().enumerate() {
                features.push(feature(
                    polygon(plan, ex),
                    json!({ "kind": "exclusion", "role": "exclusion", "exclusion": k }),
                ));
            }
        }
    }
    let alt = plan.alt_rel_home_m;
    let terrain_lanes = super::terrain_lanes(plan);
    if let (Some(tl), Some(t)) = (&terrain_lanes, &plan.terrain) {
        for (i, lane) in tl.iter().enumerate() {
            let pts: Vec<Value> = lane.iter().map(|(p, h)| pos_z(*p, *h)).collect();
            let amsl: Vec<f64> = lane.iter().map(|(_, h)| round_cm(*h)).collect();
            features.push(feature(
                json!({ "type": "LineString", "coordinates": pts }),
                json!({ "kind": "lane", "lane": i, "target_agl_m": t.target_agl_m,
                        "alt_amsl_m": amsl, "z": "WGS-84 ellipsoidal height, m" }),
            ));
        }
    }
    for (i, t) in plan.transects.iter().enumerate() {
        if terrain_lanes.is_some() {
            break;
        }
        let pts: Vec<Value> = flight_path(std::slice::from_ref(t))
            .into_iter()
            .map(|c| pos(plan.to_geo(c)))
            .collect();
        let heading = t
            .path
            .first()
            .zip(t.path.get(1))
            .map(|(a, b)| (b.x - a.x).atan2(b.y - a.y).to_degrees().rem_euclid(360.0));
        features.push(feature(
            json!({ "type": "LineString", "coordinates": pts }),
            json!({ "kind": "lane", "lane": i, "alt_rel_home_m": alt, "heading_deg": heading }),
        ));
    }
    for (i, ph) in plan.photos.iter().enumerate() {
        if let Some(t) = &plan.terrain {
            let amsl = t.photo_amsl_m[i];
            features.push(feature(
                json!({ "type": "Point", "coordinates": pos_z(plan.to_geo(ph.at), amsl) }),
                json!({
                    "kind": "photo",
                    "photo": i,
                    "lane": ph.transect,
                    "alt_amsl_m": round_cm(amsl),
                    "agl_m": round_cm(t.photo_agl_m[i]),
                    "heading_deg": ph.heading_deg,
                }),
            ));
            continue;
        }
        features.push(feature(
            json!({ "type": "Point", "coordinates": pos(plan.to_geo(ph.at)) }),
            json!({
                "kind": "photo",
                "photo": i,
                "lane": ph.transect,
                "alt_rel_home_m": alt,
                "heading_deg": ph.heading_deg,
            }),
        ));
    }
    let mut s = serde_json::to_string_pretty(&json!({
        "type": "FeatureCollection",
        "features": features,
    }))
    .unwrap_or_default();
    s.push('\n');
    s
}
