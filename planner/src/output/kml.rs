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
//! Styles make the parts distinguishable at a glance in Google Earth and Ovital: the survey
//! outline in yellow, exclusions in red, and each sortie in its own colour (a palette of ten,
//! repeated past ten sorties, the sortie number in every name): its lanes as wide lines, its
//! photo points as small dots of that colour (names hidden: there are thousands), and its
//! whole flight from launch to landing as a thin line in a `Sorties` folder; launch points
//! get a helipad icon in a `Launch points` folder. Lanes and photos belong to the sortie that
//! takes their (first) photo.
//!
//! A terrain-following plan draws its lanes through every flown waypoint and its photos at
//! their altitudes above mean sea level with `altitudeMode` `absolute` (Google Earth's
//! absolute altitudes are above the EGM96 geoid, as ours are), so Google Earth shows the
//! path over its own terrain; placemarks then carry `alt_amsl_m` (and photos `agl_m`).

use geo::algorithm::buffer::{BufferStyle, LineCap};
use geo::{Buffer, Polygon};
use quick_xml::escape::escape;

use qly_core::geodesy::GeoPoint;
use qly_core::mission::MissionItem;

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

fn placemark(name: &str, style: &str, extended: &str, geometry: &str) -> String {
    format!(
        "<Placemark><name>{}</name><styleUrl>#{style}</styleUrl>{extended}{geometry}</Placemark>\n",
        escape(name)
    )
}

/// Sortie colours as RGB: ten that stay apart on satellite imagery and for the common forms
/// of colour blindness (Sasha Trubetskoy's "20 distinct colours", first ten).
const SORTIE_RGB: [u32; 10] = [
    0xe6194b, 0x3cb44b, 0x4363d8, 0xf58231, 0x911eb4, 0x42d4f4, 0xf032e6, 0xbfef45, 0xfabed4,
    0x469990,
];

/// A KML colour (`aabbggrr`) from RGB and an alpha.
fn kml_colour(rgb: u32, alpha: u8) -> String {
    let (r, g, b) = ((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
    format!("{alpha:02x}{b:02x}{g:02x}{r:02x}")
}

/// Google Earth's standard icons (Ovital shows them too).
const DOT_ICON: &str = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png";
const LAUNCH_ICON: &str = "http://maps.google.com/mapfiles/kml/shapes/heliport.png";

/// The document's shared styles: fixed ones and three per sortie colour.
fn styles(sorties: usize) -> String {
    let mut s = String::new();
    let line_poly = |id: &str, line: &str, width: f64, fill: Option<&str>| {
        format!(
            "<Style id=\"{id}\"><LineStyle><color>{line}</color><width>{width}</width></LineStyle>\
             <PolyStyle><color>{}</color><fill>{}</fill></PolyStyle></Style>\n",
            fill.unwrap_or("00000000"),
            u8::from(fill.is_some())
        )
    };
    s.push_str(&line_poly(
        "area",
        &kml_colour(0xffe119, 0xff),
        3.0,
        Some(&kml_colour(0xffe119, 0x30)),
    ));
    s.push_str(&line_poly(
        "centreline",
        &kml_colour(0xffffff, 0xff),
        2.0,
        None,
    ));
    s.push_str(&line_poly(
        "corridor-outline",
        &kml_colour(0xffe119, 0xff),
        2.0,
        Some(&kml_colour(0xffe119, 0x30)),
    ));
    s.push_str(&line_poly(
        "exclusion",
        &kml_colour(0xff0000, 0xff),
        3.0,
        Some(&kml_colour(0xff0000, 0x60)),
    ));
    s.push_str(&format!(
        "<Style id=\"launch\"><IconStyle><scale>1.4</scale><Icon><href>{LAUNCH_ICON}</href></Icon>\
         </IconStyle><LabelStyle><scale>1</scale></LabelStyle></Style>\n"
    ));
    for (k, rgb) in SORTIE_RGB
        .iter()
        .enumerate()
        .take(sorties.clamp(1, SORTIE_RGB.len()))
    {
        s.push_str(&format!(
            "<Style id=\"lane-{k}\"><LineStyle><color>{}</color><width>3</width></LineStyle></Style>\n\
             <Style id=\"sortie-{k}\"><LineStyle><color>{}</color><width>1.5</width></LineStyle></Style>\n\
             <Style id=\"photo-{k}\"><IconStyle><color>{}</color><scale>0.4</scale><Icon><href>{DOT_ICON}</href></Icon></IconStyle>\
             <LabelStyle><scale>0</scale></LabelStyle></Style>\n",
            kml_colour(*rgb, 0xff),
            kml_colour(*rgb, 0xb0),
            kml_colour(*rgb, 0xff),
        ));
    }
    s
}

/// The sortie (index) that takes each photo: the first whose range holds it (sorties
/// overlap by the re-taken photos).
fn photo_sorties(plan: &SurveyPlan) -> Vec<usize> {
    (0..plan.photos.len())
        .map(|i| {
            plan.sorties
                .iter()
                .position(|s| s.photos.contains(&i))
                .unwrap_or(0)
        })
        .collect()
}

/// The sortie of each lane: the sortie of its first photo (0 for a lane without photos).
fn lane_sorties(plan: &SurveyPlan, photo_sortie: &[usize]) -> Vec<usize> {
    let mut lanes = vec![None; plan.transects.len()];
    for (i, ph) in plan.photos.iter().enumerate() {
        if let Some(slot) = lanes.get_mut(ph.transect) {
            slot.get_or_insert(photo_sortie[i]);
        }
    }
    lanes.into_iter().map(|s| s.unwrap_or(0)).collect()
}

/// The style colour slot of sortie `k`.
fn slot(k: usize) -> usize {
    k % SORTIE_RGB.len()
}

/// Each sortie's flight from its launch point through its waypoints and back, and the
/// distinct launch points.
fn sorties_and_launches(plan: &SurveyPlan) -> (String, String) {
    let mut paths = String::new();
    let mut launches: Vec<GeoPoint> = Vec::new();
    for (k, sortie) in plan.sorties.iter().enumerate() {
        let home = sortie.mission.home.point;
        let mut pts = vec![home];
        pts.extend(sortie.mission.items.iter().filter_map(|item| match item {
            MissionItem::Waypoint { point, .. } | MissionItem::Land { point: Some(point) } => {
                Some(*point)
            }
            _ => None,
        }));
        pts.push(home);
        paths.push_str(&placemark(
            &format!("Sortie {}", k + 1),
            &format!("sortie-{}", slot(k)),
            &data(&[
                ("role", "sortie".into()),
                ("sortie", (k + 1).to_string()),
                ("flight_time_s", format!("{:.0}", sortie.flight_time_s)),
            ]),
            &format!(
                "<LineString><tessellate>1</tessellate><altitudeMode>clampToGround</altitudeMode>\
                 <coordinates>{}</coordinates></LineString>",
                coords(&pts, None)
            ),
        ));
        if !launches.iter().any(|p| p.distance_m(home) < 1.0) {
            launches.push(home);
        }
    }
    let mut points = String::new();
    for (k, p) in launches.iter().enumerate() {
        points.push_str(&placemark(
            &format!("Launch {}", k + 1),
            "launch",
            &data(&[("role", "launch".into())]),
            &format!(
                "<Point><altitudeMode>clampToGround</altitudeMode><coordinates>{}</coordinates></Point>",
                coords(&[*p], None)
            ),
        ));
    }
    (paths, points)
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
                "centreline",
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
                    "corridor-outline",
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
                "area",
                &data(&[("role", "survey".into()), ("datum", "WGS84".into())]),
                &polygon_xml(plan, polygon),
            ));
            for (k, ex) in exclusions.iter().enumerate() {
                area.push_str(&placemark(
                    &format!("Exclusion {}", k + 1),
                    "exclusion",
                    &data(&[("role", "exclusion".into())]),
                    &polygon_xml(plan, ex),
                ));
            }
        }
    }
    let alt = plan.alt_rel_home_m;
    let photo_sortie = photo_sorties(plan);
    let lane_sortie = lane_sorties(plan, &photo_sortie);
    let sortie_name = |k: usize| {
        if plan.sorties.len() > 1 {
            format!(" (sortie {})", k + 1)
        } else {
            String::new()
        }
    };
    let mut lanes = String::new();
    let terrain_lanes = super::terrain_lanes(plan);
    if let (Some(tl), Some(t)) = (&terrain_lanes, &plan.terrain) {
        for (i, lane) in tl.iter().enumerate() {
            let text: Vec<String> = lane
                .iter()
                .map(|(p, h)| format!("{},{},{:.2}", round_deg(p.lon_deg), round_deg(p.lat_deg), h))
                .collect();
            lanes.push_str(&placemark(
                &format!("Lane {}{}", i + 1, sortie_name(lane_sortie[i])),
                &format!("lane-{}", slot(lane_sortie[i])),
                &data(&[
                    ("role", "lane".into()),
                    ("lane", i.to_string()),
                    ("sortie", (lane_sortie[i] + 1).to_string()),
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
            &format!("Lane {}{}", i + 1, sortie_name(lane_sortie[i])),
            &format!("lane-{}", slot(lane_sortie[i])),
            &data(&[
                ("role", "lane".into()),
                ("lane", i.to_string()),
                ("sortie", (lane_sortie[i] + 1).to_string()),
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
                &format!("photo-{}", slot(photo_sortie[i])),
                &data(&[
                    ("role", "photo".into()),
                    ("photo", i.to_string()),
                    ("lane", ph.transect.to_string()),
                    ("sortie", (photo_sortie[i] + 1).to_string()),
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
            &format!("photo-{}", slot(photo_sortie[i])),
            &data(&[
                ("role", "photo".into()),
                ("photo", i.to_string()),
                ("lane", ph.transect.to_string()),
                ("sortie", (photo_sortie[i] + 1).to_string()),
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
    let (sortie_paths, launches) = sorties_and_launches(plan);
    let styles = styles(plan.sorties.len());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n\
         <name>Qianliyan {kind} survey</name>\n{styles}\
         <Folder><name>Survey area</name>\n{area}</Folder>\n\
         <Folder><name>Lanes</name>\n{lanes}</Folder>\n\
         <Folder><name>Photos</name>\n{photos}</Folder>\n\
         <Folder><name>Sorties</name>\n{sortie_paths}</Folder>\n\
         <Folder><name>Launch points</name>\n{launches}</Folder>\n\
         </Document>\n</kml>\n"
    )
}
