//! WPL text missions (`QGC WPL 110`), as QGroundControl, Mission Planner, MAVProxy and
//! pymavlink write them: a header line, then one item per line with 12 fields
//! `index current frame command p1 p2 p3 p4 lat lon alt autocontinue`.
//!
//! In version 110 the first item is the home position (the ArduPilot convention); version
//! 120 (old QGroundControl) has no home line, so its `DO_JUMP` targets count from the first
//! real item and are shifted by one here, as QGroundControl does on load.

use qly_core::datum::Datum;
use qly_core::mission::{cmd, AltFrame, Home, Mission, MissionItem, RawItem};

use super::validate::{check_pairs, AxisOrder};
use super::{Ctx, InputError};

const COLUMNS: [&str; 12] = [
    "index",
    "current",
    "frame",
    "command",
    "param1",
    "param2",
    "param3",
    "param4",
    "latitude",
    "longitude",
    "altitude",
    "autocontinue",
];

pub(crate) fn read(ctx: &Ctx, text: &str) -> Result<Mission, InputError> {
    ctx.require_text(text, "a WPL mission starting with 'QGC WPL 110'")?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (hline, header) = lines.next().unwrap_or((1, ""));
    let has_home = match header.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["QGC", "WPL", "110"] => true,
        ["QGC", "WPL", "120"] => false,
        _ => {
            return Err(ctx.err(
                format!("line {hline}"),
                format!(
                    "'{}': expected the header 'QGC WPL 110' (or 'QGC WPL 120')",
                    header.chars().take(40).collect::<String>()
                ),
            ))
        }
    };
    let mut rows: Vec<(usize, RawItem)> = Vec::new();
    // The first row's altitude as written (home altitude is kept as f64, not rounded to f32).
    let mut first_alt_m: Option<f64> = None;
    for (ln, line) in lines {
        let mut fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if fields.len() != 12 {
            // Some Mission Planner versions separate with spaces.
            fields = line.split_whitespace().collect();
        }
        if fields.len() != 12 {
            return Err(ctx.err(
                format!("line {ln}"),
                format!(
                    "{} fields: expected 12 tab-separated fields ({})",
                    fields.len(),
                    COLUMNS.join(", ")
                ),
            ));
        }
        let field = |k: usize| format!("line {ln}, field {} ({})", k + 1, COLUMNS[k]);
        let float = |k: usize| -> Result<f64, InputError> {
            fields[k]
                .parse::<f64>()
                .map_err(|_| ctx.err(field(k), format!("'{}': expected a number", fields[k])))
        };
        let int = |k: usize, max: u32| -> Result<u32, InputError> {
            fields[k]
                .parse::<u32>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| {
                    ctx.err(
                        field(k),
                        format!("'{}': expected a whole number 0..={max}", fields[k]),
                    )
                })
        };
        int(0, u32::MAX)?;
        int(1, 1)?;
        let alt = float(10)?;
        if !alt.is_finite() {
            return Err(ctx.err(
                field(10),
                format!("{alt}: expected a finite altitude in metres"),
            ));
        }
        first_alt_m.get_or_insert(alt);
        rows.push((
            ln,
            RawItem {
                frame: int(2, 255)? as u8,
                command: int(3, 65535)? as u16,
                params: [
                    float(4)? as f32,
                    float(5)? as f32,
                    float(6)? as f32,
                    float(7)? as f32,
                ],
                lat_deg: float(8)?,
                lon_deg: float(9)?,
                alt_m: alt as f32,
                autocontinue: int(11, 1)? == 1,
            },
        ));
    }
    let positional: Vec<&(usize, RawItem)> = rows
        .iter()
        .filter(|(_, r)| {
            AltFrame::from_mav_frame(r.frame).is_some() && !(r.lat_deg == 0.0 && r.lon_deg == 0.0)
        })
        .collect();
    let pairs: Vec<(f64, f64)> = positional
        .iter()
        .map(|(_, r)| (r.lat_deg, r.lon_deg))
        .collect();
    check_pairs(
        ctx,
        "(all items)",
        &|i| {
            format!(
                "line {}, fields 9-10 (latitude, longitude)",
                positional[i].0
            )
        },
        &pairs,
        AxisOrder::LatLon,
        Datum::Wgs84,
    )?;

    let mut raws: Vec<RawItem> = rows.into_iter().map(|(_, r)| r).collect();
    let home = if has_home {
        if raws.is_empty() {
            return Err(ctx.err(
                "line 2",
                "no home line: expected line 0 (home) after the 'QGC WPL 110' header",
            ));
        }
        let h = raws.remove(0);
        Home {
            point: qly_core::geodesy::GeoPoint {
                lat_deg: h.lat_deg,
                lon_deg: h.lon_deg,
            },
            alt_amsl_m: first_alt_m.unwrap_or(h.alt_m as f64),
        }
    } else {
        for r in raws.iter_mut().filter(|r| r.command == cmd::DO_JUMP) {
            r.params[0] += 1.0;
        }
        // No home in the file: take the first position, at an unknown (0 m) height.
        let first = positional_first(&raws);
        Home {
            point: first,
            alt_amsl_m: 0.0,
        }
    };
    Ok(Mission::new(
        home,
        raws.iter().map(MissionItem::from_raw).collect(),
    ))
}

fn positional_first(raws: &[RawItem]) -> qly_core::geodesy::GeoPoint {
    raws.iter()
        .find(|r| {
            AltFrame::from_mav_frame(r.frame).is_some() && !(r.lat_deg == 0.0 && r.lon_deg == 0.0)
        })
        .map(|r| qly_core::geodesy::GeoPoint {
            lat_deg: r.lat_deg,
            lon_deg: r.lon_deg,
        })
        .unwrap_or(qly_core::geodesy::GeoPoint {
            lat_deg: 0.0,
            lon_deg: 0.0,
        })
}
