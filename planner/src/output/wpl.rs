//! WPL 110 text (`QGC WPL 110`): line 0 is home, then every mission item in wire order.
//!
//! Conventions follow QGroundControl and Mission Planner: tab-separated, 12 fields, the home
//! line marked `current` = 1 (as Mission Planner writes it and the QGroundControl test files
//! carry it), latitude/longitude with 8 decimals, params and altitude in the shortest
//! decimal that gives back the same 32-bit float, NaN written `nan` (QGroundControl's and
//! pymavlink's spelling).

use qly_core::mission::{Mission, MissionType};

/// A float as the shortest decimal that reads back to the same `f32`.
fn f32_text(x: f32) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else {
        format!("{x}")
    }
}

/// The mission as WPL 110 text.
pub fn waypoints(mission: &Mission) -> String {
    let mut out = String::from("QGC WPL 110\n");
    for (seq, r) in mission.wire_items(MissionType::Mission).iter().enumerate() {
        out.push_str(&format!(
            "{seq}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.8}\t{:.8}\t{}\t{}\n",
            u8::from(seq == 0),
            r.frame,
            r.command,
            f32_text(r.params[0]),
            f32_text(r.params[1]),
            f32_text(r.params[2]),
            f32_text(r.params[3]),
            r.lat_deg,
            r.lon_deg,
            f32_text(r.alt_m),
            u8::from(r.autocontinue),
        ));
    }
    out
}
