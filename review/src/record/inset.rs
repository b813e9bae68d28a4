//! The map inset of an inspection record: the flown track about a finding, the finding with
//! its CE90 circle, a scale bar and a north arrow, as SVG (printed without any basemap:
//! there is no internet in the field). Positions are projected onto the tangent plane at
//! the finding (core's `LocalFrame`), east right, north up.

use std::fmt::Write;

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_i18n::Lang;

/// The largest 1, 2 or 5 x 10^k metres not above `max_m`.
fn nice_length_m(max_m: f64) -> f64 {
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|v| *v <= max_m)
        .unwrap_or(p)
}

/// A square SVG `size_px` wide showing `half_width_m` metres each side of `finding`: the
/// track (WGS-84 points), the finding and its CE90 circle. The SVG clips what lies outside.
pub fn svg(
    track: &[GeoPoint],
    finding: GeoPoint,
    ce90_m: f64,
    half_width_m: f64,
    size_px: f64,
    lang: Lang,
) -> String {
    let plane = LocalFrame::at(finding);
    let half = half_width_m.max(1.0);
    let k = size_px / (2.0 * half);
    let to_px = |p: GeoPoint| {
        let (e, n) = plane.project(p);
        (size_px / 2.0 + e * k, size_px / 2.0 - n * k)
    };
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg class="inset" xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" viewBox="0 0 {size_px} {size_px}" style="overflow:hidden"><rect width="{size_px}" height="{size_px}" fill="#f4f1ea" stroke="#888"/>"##
    );
    let pts: Vec<String> = track
        .iter()
        .filter(|p| p.lat_deg.is_finite() && p.lon_deg.is_finite())
        .map(|p| {
            let (x, y) = to_px(*p);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    if !pts.is_empty() {
        let _ = write!(
            o,
            r##"<polyline points="{}" fill="none" stroke="#202020" stroke-width="1.5"/>"##,
            pts.join(" ")
        );
    }
    let (cx, cy) = (size_px / 2.0, size_px / 2.0);
    let r = (ce90_m * k).max(2.0);
    let _ = write!(
        o,
        r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="{r:.1}" fill="#e0403033" stroke="#e04030"/><circle cx="{cx:.1}" cy="{cy:.1}" r="4" fill="#e04030" stroke="#fff" stroke-width="1.5"/>"##
    );
    // Scale bar: a round length near a quarter of the width, bottom left.
    let bar_m = nice_length_m(half / 2.0);
    let bar_px = bar_m * k;
    let by = size_px - 14.0;
    let _ = write!(
        o,
        r##"<rect x="10" y="{by:.1}" width="{bar_px:.1}" height="5" fill="#202020"/><text x="10" y="{:.1}" font-size="11">{}</text>"##,
        by - 4.0,
        super::esc(&lang.t_args("metres", &[("m", format!("{bar_m}").into())]))
    );
    let nx = size_px - 20.0;
    let _ = write!(
        o,
        r##"<path d="M{nx} 10 l-7 20 l7 -5 l7 5 z" fill="#202020"/><text x="{nx}" y="44" font-size="12" text-anchor="middle" font-weight="bold">{}</text></svg>"##,
        super::esc(&lang.t("north-short"))
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_finding_is_centred_and_the_track_scaled() {
        let f = GeoPoint::new(30.0, 120.0).unwrap();
        // 100 m east of the finding, in a 400 px inset 200 m each side: 100 px right of centre.
        let east = f.destination(90.0, 100.0);
        let s = svg(&[f, east], f, 5.0, 200.0, 400.0, Lang::En);
        assert!(s.contains(r#"points="200.0,200.0 300.0,200.0""#), "{s}");
        // CE90 5 m at 1 px/m.
        assert!(s.contains(r#"r="5.0""#), "{s}");
        assert!(s.contains(">100 m<"), "{s}");
        assert!(svg(&[], f, 5.0, 200.0, 400.0, Lang::ZhCn).contains(">北<"));
    }
}
