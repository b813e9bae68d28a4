//! KML for Google Earth and Ovital: the survey area or corridor, exclusions, lanes and photo
//! points, in three folders (`Survey area`, `Lanes`, `Photos`), which GDAL reads as three
//! layers.
//!
//! Lanes and photos are drawn at the flight height with `altitudeMode` `relativeToGround`:
//! our altitude is above the take-off point, which equals height above ground only over flat
//! ground; the outline is clamped to the ground. Placemarks carry `ExtendedData` (`role`,
//! `lane`, `photo`, `alt_rel_home_m`, `heading_deg`); our KML reader skips lanes, photos and
//! the corridor outline, so the file can be read back as survey input.
//!
//! A terrain-following plan draws its lanes through every flown waypoint and its photos at
//! their altitudes above mean sea level with `altitudeMode` `absolute` (Google Earth's
//! absolute altitudes are above the EGM96 geoid, as ours are), so Google Earth shows the
//! path over its own terrain; placemarks then carry `alt_amsl_m` (and photos `agl_m`).

use geo::algorithm::buffer::{BufferStyle, LineCap};
use geo::{Buffer, Polygon};
use quick_xml::escape::escape;

use qly_core::geodesy::GeoPoint;

use super::round_deg;
use crate::estimate::flight_path;
use crate::survey::{PlaneRegion, SurveyPlan};

fn coords(points: &[GeoPoint], alt_m: Option<f64>) -> String {
    points
        .iter()
        .map(|p| match alt_m {
            Some(a) => format!("{},{},{}", round_deg(p.lon_deg), round_deg(p.lat_deg), a),
            None => format!("{},{}", round_deg(p.lon_deg), round_deg(p.lat_deg)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn data(pairs: &[(&str, String)]) -> String {
    let mut s = String::from("<ExtendedData>");
    for (k, v) in pairs {
        s.push_str(&format!(
            "<Data name=\"{}\"><value>{}</value></Data>",
            escape(*k),
            escape(v.as_str())
        ));
    }
    s.push_str("</ExtendedData>");
    s
}

/// Closes a ring for KML (which repeats the first point at the end).
fn closed(mut ring: Vec<GeoPoint>) -> Vec<GeoPoint> {
    if let (Some(f), Some(l)) = (ring.first().copied(), ring.last().copied()) {
        if f != l {
            ring.push(f);
        }
    }
    ring
}

fn polygon_xml(plan: &SurveyPlan, poly: &Polygon<f64>) -> String {
    let ring = |ls: &geo::LineString<f64>| -> Vec<GeoPoint> {
        closed(ls.0.iter().map(|c| plan.to_geo(*c)).collect())
    };
    let mut s = format!(
        "<Polygon><altitudeMode>clampToGround</altitudeMode><outerBoundaryIs><LinearRing>\
         <coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        coords(&ring(poly.exterior()), None)
    );
    for hole in poly.interiors() {
        s.push_str(&format!(
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing>\
             </innerBoundaryIs>",
            coords(&ring(hole), None)
        ));
    }
    s.push_str("</Polygon>");
    s
}

fn placemark(name: &str, extended: &str, geometry: &str) -> String {
    format!(
        "<Placemark><name>{}</name>{extended}{geometry}</Placemark>\n",
        escape(name)
    )
}

/// The plan as a KML document.
pub fn kml(plan: &SurveyPlan) -> String {
    let mut area = String::new();
    match &plan.region {
        PlaneRegion::Corridor {
            centreline,
            width_m,
        } => {
            let line: Vec<GeoPoint> = centreline.0.iter().map(|c| plan.to_geo(*c)).collect();
            area.push_str(&placemark(
                "Corridor centreline",
                &data(&[
                    ("role", "survey".into()),
                    ("width_m", format!("{width_m}")),
                    ("datum", "WGS84".into()),
                ]),
                &format!(
                    "<LineString><tessellate>1</tessellate><altitudeMode>clampToGround\
                     </altitudeMode><coordinates>{}</coordinates></LineString>",
                    coords(&line, None)
                ),
            ));
            let outline = centreline
                .buffer_with_style(BufferStyle::new(width_m / 2.0).line_cap(LineCap::Butt));
            for (k, poly) in outline.0.iter().enumerate() {
                area.push_str(&placemark(
                    &format!("Corridor outline {}", k + 1),
                    &data(&[("role", "corridor_outline".into())]),
                    &polygon_xml(plan, poly),
                ));
            }
        }
        PlaneRegion::Area {
            polygon,
            exclusions,
        } => {
            area.push_str(&placemark(
                "Survey area",
                &data(&[("role", "survey".into()), ("datum", "WGS84".into())]),
                &polygon_xml(plan, polygon),
            ));
            for (k, ex) in exclusions.iter().enumerate() {
                area.push_str(&placemark(
                    &format!("Exclusion {}", k + 1),
                    &data(&[("role", "exclusion".into())]),
                    &polygon_xml(plan, ex),
                ));
            }
        }
    }
    let alt = plan.alt_rel_home_m;
    let mut lanes = String::new();
    let terrain_lanes = super::terrain_lanes(plan);
    if let (Some(tl), Some(t)) = (&terrain_lanes, &plan.terrain) {
        for (i, lane) in tl.iter().enumerate() {
            let text: Vec<String> = lane
                .iter()
                .map(|(p, h)| format!("{},{},{:.2}", round_deg(p.lon_deg), round_deg(p.lat_deg), h))
                .collect();
            lanes.push_str(&placemark(
                &format!("Lane {}", i + 1),
                &data(&[
                    ("role", "lane".into()),
                    ("lane", i.to_string()),
                    ("target_agl_m", format!("{}", t.target_agl_m)),
                    ("alt_frame", "amsl_egm96".into()),
                ]),
                &format!(
                    "<LineString><altitudeMode>absolute</altitudeMode>\
                     <coordinates>{}</coordinates></LineString>",
                    text.join(" ")
                ),
            ));
        }
    }
    for (i, t) in plan.transects.iter().enumerate() {
        if terrain_lanes.is_some() {
            break;
        }
        let pts: Vec<GeoPoint> = flight_path(std::slice::from_ref(t))
            .into_iter()
            .map(|c| plan.to_geo(c))
            .collect();
        lanes.push_str(&placemark(
            &format!("Lane {}", i + 1),
            &data(&[
                ("role", "lane".into()),
                ("lane", i.to_string()),
                ("alt_rel_home_m", format!("{alt}")),
            ]),
            &format!(
                "<LineString><altitudeMode>relativeToGround</altitudeMode>\
                 <coordinates>{}</coordinates></LineString>",
                coords(&pts, Some(alt))
            ),
        ));
    }
    let mut photos = String::new();
    for (i, ph) in plan.photos.iter().enumerate() {
        let p = plan.to_geo(ph.at);
        if let Some(t) = &plan.terrain {
            let (amsl, agl) = (t.photo_amsl_m[i], t.photo_agl_m[i]);
            photos.push_str(&placemark(
                &format!("Photo {}", i + 1),
                &data(&[
                    ("role", "photo".into()),
                    ("photo", i.to_string()),
                    ("lane", ph.transect.to_string()),
                    ("alt_amsl_m", format!("{amsl:.2}")),
                    ("agl_m", format!("{agl:.2}")),
                    ("heading_deg", format!("{:.2}", ph.heading_deg)),
                ]),
                &format!(
                    "<Point><altitudeMode>absolute</altitudeMode>\
                     <coordinates>{},{},{amsl:.2}</coordinates></Point>",
                    round_deg(p.lon_deg),
                    round_deg(p.lat_deg)
                ),
            ));
            continue;
        }
        photos.push_str(&placemark(
            &format!("Photo {}", i + 1),
            &data(&[
                ("role", "photo".into()),
                ("photo", i.to_string()),
                ("lane", ph.transect.to_string()),
                ("alt_rel_home_m", format!("{alt}")),
                ("heading_deg", format!("{:.2}", ph.heading_deg)),
            ]),
            &format!(
                "<Point><altitudeMode>relativeToGround</altitudeMode>\
                 <coordinates>{}</coordinates></Point>",
                coords(&[p], Some(alt))
            ),
        ));
    }
    let kind = match plan.region {
        PlaneRegion::Corridor { .. } => "corridor",
        PlaneRegion::Area { .. } => "area",
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n\
         <name>Qianliyan {kind} survey</name>\n\
         <Folder><name>Survey area</name>\n{area}</Folder>\n\
         <Folder><name>Lanes</name>\n{lanes}</Folder>\n\
         <Folder><name>Photos</name>\n{photos}</Folder>\n\
         </Document>\n</kml>\n"
    )
}
