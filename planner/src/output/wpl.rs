//! WPL 110 text (`QGC WPL 110`): line 0 is home, then every mission item in wire order.
//!
//! Conventions follow QGroundControl and Mission Planner: tab-separated, 12 fields, the home
//! line marked `current` = 1 (as Mission Planner writes it and the QGroundControl test files
//! carry it), latitude/longitude with 8 decimals of the degE7 value the vehicle stores
//! (rounding the float straight to 8 decimals can move the degE7 integer by one: 27.0598208490
//! would print as 27.05982085 and read back as 270598209), params and altitude in the shortest
//! decimal that gives back the same 32-bit float, NaN written `nan` (QGroundControl's and
//! pymavlink's spelling).

use qly_core::mission::{e7_to_deg, Mission, MissionType};

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
            e7_to_deg(r.lat_e7()),
            e7_to_deg(r.lon_e7()),
            f32_text(r.alt_m),
            u8::from(r.autocontinue),
        ));
    }
    out
}
