//! Coverage proof: rasterise the survey region and every photo's footprint and count.
//!
//! Two footprints per photo are drawn. The *full* footprint (what the image sees) tells
//! whether a cell is photographed at all and by how many photos. The *effective* footprint,
//! lane spacing across by trigger distance along, is the share of ground each photo is
//! responsible for at the requested overlaps: when the effective footprints tile the region,
//! every point is seen with the side and front overlap asked for. So `covered_pct == 100`
//! is the claim "this plan meets its overlaps everywhere", checked cell by cell.
//!
//! Speed: a 100 km corridor at 1 m cells is six million region cells and over ten thousand
//! photos of some eight thousand cells each. Cells live in 64 x 16 tiles that are only
//! allocated where the region is (a dense grid over a meandering river's bounding box would be
//! mostly empty), found through a dense tile index. Every shape is convex and drawn by
//! scanline: per row of cells one interval. Effective footprints set a flag over the run;
//! full footprints only mark where each run starts and ends (row differences), and one prefix
//! sum per tile row at the end turns the marks into counts. Nothing is tested per cell per
//! photo, and photo cost grows with the footprint's rows, not its area.
//!
//! Area polygons are filled with the even-odd rule, which is "inside the outer ring and
//! outside every hole" for a valid polygon (holes inside the ring, not crossing it).

use geo::{Area, BoundingRect, LineString, Polygon};
use qly_core::camera::Footprint;

use crate::photos::dist;
use crate::survey::{CoverageReport, PhotoPoint, PlaneCoord, PlaneRegion};

/// Raster cell side used when the caller's is not a finite number > 0, metres.
pub const DEFAULT_CELL_M: f64 = 1.0;
/// Above this many region cells the cell is made coarser (and reported), to bound memory
/// (3 bytes a cell) and time.
pub const MAX_REGION_CELLS: f64 = 4.0e7;
/// Above this many tiles in the region's bounding box the cell is made coarser, to bound the
/// tile index (4 bytes a tile).
pub const MAX_TILE_SLOTS: f64 = 8.0e6;
/// Footprints are drawn this much larger so that a cell centre on the shared edge of two
/// effective footprints is not lost to rounding, metres.
const EDGE_TOLERANCE_M: f64 = 1e-6;

/// Tiles are wide and short: a footprint row then spans few tiles, and the work per row
/// (index look-up, slice) is spread over more cells.
const TILE_W: i64 = 64;
const TILE_H: i64 = 16;
const TILE_CELLS: usize = (TILE_W * TILE_H) as usize;
const NO_TILE: u32 = u32::MAX;
const IN_REGION: u8 = 1;
const EFFECTIVE: u8 = 2;

/// Rasterises `region` at `cell_m` (coarser above [`MAX_REGION_CELLS`]; the report says the
/// cell used) and measures how the photos cover it.
///
/// `footprint` is the full image footprint (side across, front along the flight direction);
/// each photo's effective footprint is `lane_spacing_m` across by `trigger_distance_m` along,
/// both centred on the photo and turned to its heading. A cell belongs to the region when its
/// centre does: for a corridor, centre within `width_m / 2` of the centreline where the
/// perpendicular foot falls on it (flat ends, round outer bends); for an area, inside the
/// polygon and outside its holes and the exclusions.
pub fn coverage(
    region: &PlaneRegion,
    photos: &[PhotoPoint],
    footprint: Footprint,
    lane_spacing_m: f64,
    trigger_distance_m: f64,
    cell_m: f64,
) -> CoverageReport {
    coverage_scaled(
        region,
        photos,
        footprint,
        lane_spacing_m,
        trigger_distance_m,
        cell_m,
        &[],
    )
}

/// [`coverage`] with each photo's footprint on the ground scaled by `scales[k]` (photo `k`;
/// 1 where missing): the footprint of a photo over terrain (see
/// [`crate::terrain::footprint`]). The effective footprint shrinks with a scale below 1 (the
/// photo sees less than the layout counted on) but never grows beyond the layout's share.
pub fn coverage_scaled(
    region: &PlaneRegion,
    photos: &[PhotoPoint],
    footprint: Footprint,
    lane_spacing_m: f64,
    trigger_distance_m: f64,
    cell_m: f64,
    scales: &[f64],
) -> CoverageReport {
    let shapes = RegionShapes::of(region);
    let cell_m = choose_cell(&shapes, cell_m);
    let mut grid = match shapes.bbox {
        Some((lo, hi)) => Grid::new(cell_m, lo, hi),
        None => Grid::empty(cell_m),
    };
    // Room for the tiles a region of this area needs, with slack for partly used edge tiles
    // (only reserved: pages are touched as tiles are made), so the grid grows without copies.
    let expected_cells = (4.0 * shapes.area_m2 / (cell_m * cell_m)).min(MAX_REGION_CELLS * 4.0);
    grid.reserve_cells(expected_cells as usize);
    // With fewer photos than a counter holds, no count can wrap, so counts can be kept as
    // differences along each tile row: two updates per row run instead of one per cell.
    grid.diff_counts = photos.len() < usize::from(u16::MAX);
    for shape in &shapes.add {
        grid.draw(shape, true, |_, flags, a, b| {
            flags[a..b].iter_mut().for_each(|f| *f |= IN_REGION)
        });
    }
    for poly in &shapes.add_polygons {
        grid.fill_polygon(poly, true, |f| *f |= IN_REGION);
    }
    for poly in &shapes.remove_polygons {
        grid.fill_polygon(poly, false, |f| *f &= !IN_REGION);
    }
    for (k, p) in photos.iter().enumerate() {
        let scale = scales
            .get(k)
            .copied()
            .filter(|s| s.is_finite() && *s >= 0.0);
        let (full_scale, eff_scale) = scale.map_or((1.0, 1.0), |s| (s, s.min(1.0)));
        let full = Convex::rectangle(
            p.at,
            p.heading_deg,
            footprint.side_m * full_scale,
            footprint.front_m * full_scale,
        );
        if grid.diff_counts {
            // Mark where each row run starts and ends; prefix sums in `report` fill it in.
            grid.draw(&full, false, |count, _, a, b| {
                count[a] = count[a].wrapping_add(1);
                if let Some(after) = count.get_mut(b) {
                    *after = after.wrapping_sub(1);
                }
            });
        } else {
            grid.draw(&full, false, |count, _, a, b| {
                count[a..b]
                    .iter_mut()
                    .for_each(|c| *c = c.saturating_add(1))
            });
        }
        let eff = Convex::rectangle(
            p.at,
            p.heading_deg,
            lane_spacing_m * eff_scale,
            trigger_distance_m * eff_scale,
        );
        grid.draw(&eff, false, |_, flags, a, b| {
            flags[a..b].iter_mut().for_each(|f| *f |= EFFECTIVE)
        });
    }
    grid.report()
}

/// The region as convex pieces (corridor) or polygons to fill (area).
struct RegionShapes {
    add: Vec<Convex>,
    add_polygons: Vec<Polygon<f64>>,
    remove_polygons: Vec<Polygon<f64>>,
    bbox: Option<(PlaneCoord, PlaneCoord)>,
    area_m2: f64,
}

impl RegionShapes {
    fn of(region: &PlaneRegion) -> RegionShapes {
        match region {
            PlaneRegion::Corridor {
                centreline,
                width_m,
            } => corridor_shapes(centreline, *width_m),
            PlaneRegion::Area {
                polygon,
                exclusions,
            } => {
                let finite = |p: &Polygon<f64>| {
                    p.exterior()
                        .coords()
                        .chain(p.interiors().iter().flat_map(|r| r.coords()))
                        .all(|c| c.x.is_finite() && c.y.is_finite())
                };
                if !finite(polygon) || !exclusions.iter().all(finite) {
                    return RegionShapes::nothing();
                }
                let bbox = polygon.bounding_rect().map(|r| (r.min(), r.max()));
                RegionShapes {
                    add: Vec::new(),
                    add_polygons: vec![polygon.clone()],
                    remove_polygons: exclusions.clone(),
                    bbox,
                    area_m2: polygon.unsigned_area(),
                }
            }
        }
    }

    fn nothing() -> RegionShapes {
        RegionShapes {
            add: Vec::new(),
            add_polygons: Vec::new(),
            remove_polygons: Vec::new(),
            bbox: None,
            area_m2: 0.0,
        }
    }
}

/// A corridor is the union of a flat-ended rectangle per centreline segment and, at every
/// inner vertex, the wedge of the disc between the two segment normals on the outside of the
/// bend: exactly the points within half the width whose perpendicular foot is on the line.
fn corridor_shapes(centreline: &LineString<f64>, width_m: f64) -> RegionShapes {
    let pts: Vec<PlaneCoord> = centreline.coords().copied().collect();
    let half = width_m / 2.0;
    if !(half.is_finite() && half > 0.0)
        || pts.iter().any(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        return RegionShapes::nothing();
    }
    // Directions of the non-degenerate segments, with their end points.
    let segs: Vec<(PlaneCoord, PlaneCoord, PlaneCoord)> = pts
        .windows(2)
        .filter(|w| dist(w[0], w[1]) > 1e-9)
        .map(|w| (w[0], w[1], (w[1] - w[0]) / dist(w[0], w[1])))
        .collect();
    if segs.is_empty() {
        return RegionShapes::nothing();
    }
    let mut add = Vec::with_capacity(2 * segs.len());
    let mut length = 0.0;
    for &(a, b, f) in &segs {
        let n = PlaneCoord { x: -f.y, y: f.x };
        length += dist(a, b);
        add.push(Convex {
            planes: vec![
                Plane::new(-f, -dot(f, a)),
                Plane::new(f, dot(f, b)),
                Plane::new(n, dot(n, a) + half),
                Plane::new(-n, -dot(n, a) + half),
            ],
            disc: None,
        });
    }
    for w in segs.windows(2) {
        let (v, d1, d2) = (w[0].1, w[0].2, w[1].2);
        add.push(Convex {
            planes: vec![Plane::new(-d1, -dot(d1, v)), Plane::new(d2, dot(d2, v))],
            disc: Some((v, half)),
        });
    }
    let (mut lo, mut hi) = (pts[0], pts[0]);
    for c in &pts {
        lo = PlaneCoord {
            x: lo.x.min(c.x),
            y: lo.y.min(c.y),
        };
        hi = PlaneCoord {
            x: hi.x.max(c.x),
            y: hi.y.max(c.y),
        };
    }
    let pad = PlaneCoord { x: half, y: half };
    RegionShapes {
        add,
        add_polygons: Vec::new(),
        remove_polygons: Vec::new(),
        bbox: Some((lo - pad, hi + pad)),
        area_m2: length * width_m,
    }
}

fn choose_cell(shapes: &RegionShapes, requested_m: f64) -> f64 {
    let mut cell = if requested_m.is_finite() && requested_m > 0.0 {
        requested_m
    } else {
        DEFAULT_CELL_M
    };
    if shapes.area_m2 / (cell * cell) > MAX_REGION_CELLS {
        cell = (shapes.area_m2 / MAX_REGION_CELLS).sqrt();
    }
    if let Some((lo, hi)) = shapes.bbox {
        let bbox_m2 =
            (hi.x - lo.x + 2.0 * TILE_W as f64 * cell) * (hi.y - lo.y + 2.0 * TILE_H as f64 * cell);
        let tile_m2 = TILE_CELLS as f64 * cell * cell;
        if bbox_m2 / tile_m2 > MAX_TILE_SLOTS {
            cell = (bbox_m2 / (TILE_CELLS as f64 * MAX_TILE_SLOTS)).sqrt() * 1.01;
        }
    }
    cell
}

fn dot(a: PlaneCoord, b: PlaneCoord) -> f64 {
    a.x * b.x + a.y * b.y
}

/// The half-plane `a x + b y <= c`.
#[derive(Debug, Clone, Copy)]
struct Plane {
    a: f64,
    b: f64,
    c: f64,
}

impl Plane {
    fn new(normal: PlaneCoord, c: f64) -> Plane {
        Plane {
            a: normal.x,
            b: normal.y,
            c,
        }
    }
}

/// A convex shape: intersection of half-planes and optionally a disc (centre, radius).
#[derive(Debug, Clone)]
struct Convex {
    planes: Vec<Plane>,
    disc: Option<(PlaneCoord, f64)>,
}

/// A convex shape ready for scanlines: per half-plane, its bound on `x` as `k0 + k1 y`.
struct Scan {
    lower: Vec<(f64, f64)>,
    upper: Vec<(f64, f64)>,
    /// Half-planes parallel to the rows: `b y <= c`.
    flat: Vec<(f64, f64)>,
    disc: Option<(PlaneCoord, f64)>,
}

impl Scan {
    fn of(shape: &Convex) -> Scan {
        let mut scan = Scan {
            lower: Vec::new(),
            upper: Vec::new(),
            flat: Vec::new(),
            disc: shape.disc,
        };
        for p in &shape.planes {
            if p.a.abs() < 1e-12 {
                scan.flat.push((p.b, p.c));
            } else if p.a > 0.0 {
                scan.upper.push((p.c / p.a, -p.b / p.a));
            } else {
                scan.lower.push((p.c / p.a, -p.b / p.a));
            }
        }
        scan
    }

    /// The `x` interval of the shape on the horizontal line at `y`.
    #[inline]
    fn x_span(&self, y: f64) -> Option<(f64, f64)> {
        if self.flat.iter().any(|&(b, c)| b * y > c) {
            return None;
        }
        let mut lo = self
            .lower
            .iter()
            .fold(f64::NEG_INFINITY, |m, &(k0, k1)| m.max(k0 + k1 * y));
        let mut hi = self
            .upper
            .iter()
            .fold(f64::INFINITY, |m, &(k0, k1)| m.min(k0 + k1 * y));
        if let Some((c, r)) = self.disc {
            let dy = y - c.y;
            let h2 = r * r - dy * dy;
            if h2 < 0.0 {
                return None;
            }
            let h = h2.sqrt();
            lo = lo.max(c.x - h);
            hi = hi.min(c.x + h);
        }
        (lo <= hi && lo.is_finite() && hi.is_finite()).then_some((lo, hi))
    }
}

/// `x.floor()` as an integer without a libm call (the baseline x86-64 target has no
/// rounding instruction), saturating far out of range.
#[inline]
fn floor_i(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x {
        t - 1
    } else {
        t
    }
}

/// `x.ceil()` as an integer, like [`floor_i`].
#[inline]
fn ceil_i(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) < x {
        t + 1
    } else {
        t
    }
}

impl Convex {
    /// A rectangle `across_m` wide and `along_m` long centred on `centre`, its long axis at
    /// `heading_deg` clockwise from north (a little larger: [`EDGE_TOLERANCE_M`]).
    fn rectangle(centre: PlaneCoord, heading_deg: f64, across_m: f64, along_m: f64) -> Convex {
        let h = heading_deg.to_radians();
        let f = PlaneCoord {
            x: h.sin(),
            y: h.cos(),
        };
        let r = PlaneCoord { x: f.y, y: -f.x };
        let (ha, hf) = (
            across_m / 2.0 + EDGE_TOLERANCE_M,
            along_m / 2.0 + EDGE_TOLERANCE_M,
        );
        Convex {
            planes: vec![
                Plane::new(f, dot(f, centre) + hf),
                Plane::new(-f, -dot(f, centre) + hf),
                Plane::new(r, dot(r, centre) + ha),
                Plane::new(-r, -dot(r, centre) + ha),
            ],
            disc: None,
        }
    }

    /// Lowest and highest `y` of the shape (from its disc, or the vertices of its planes).
    fn y_range(&self) -> Option<(f64, f64)> {
        let inside = |x: f64, y: f64| {
            let slack = 1e-7 * (1.0 + x.abs() + y.abs());
            self.planes.iter().all(|s| s.a * x + s.b * y <= s.c + slack)
                && self
                    .disc
                    .is_none_or(|(c, r)| (x - c.x).hypot(y - c.y) <= r * (1.0 + 1e-9) + slack)
        };
        // The extremes of a convex shape are among its corners: where two plane lines
        // cross, where a plane line crosses the circle, and the circle's top and bottom.
        let mut candidates: Vec<(f64, f64)> = Vec::new();
        for (i, p) in self.planes.iter().enumerate() {
            for q in &self.planes[i + 1..] {
                let det = p.a * q.b - p.b * q.a;
                if det.abs() >= 1e-12 {
                    candidates.push(((p.c * q.b - p.b * q.c) / det, (p.a * q.c - p.c * q.a) / det));
                }
            }
        }
        if let Some((c, r)) = self.disc {
            candidates.push((c.x, c.y + r));
            candidates.push((c.x, c.y - r));
            for p in &self.planes {
                // Points of the line a x + b y = c at distance r from the centre.
                let n2 = p.a * p.a + p.b * p.b;
                if n2 < 1e-24 {
                    continue;
                }
                let dist = (p.c - p.a * c.x - p.b * c.y) / n2.sqrt();
                let h2 = r * r - dist * dist;
                if h2 < 0.0 {
                    continue;
                }
                let (nx, ny) = (p.a / n2.sqrt(), p.b / n2.sqrt());
                let (fx, fy) = (c.x + nx * dist, c.y + ny * dist);
                let h = h2.sqrt();
                candidates.push((fx - ny * h, fy + nx * h));
                candidates.push((fx + ny * h, fy - nx * h));
            }
        }
        let (lo, hi) = candidates
            .into_iter()
            .filter(|&(x, y)| inside(x, y))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, y)| {
                (lo.min(y), hi.max(y))
            });
        (lo.is_finite() && hi.is_finite() && lo <= hi).then_some((lo, hi))
    }
}

/// Cells in tiles of `TILE_W x TILE_H`. Cell `(i, j)` has its centre at `((i + 0.5) cell, (j + 0.5) cell)`.
struct Grid {
    cell_m: f64,
    /// Tile coordinates of the index's first slot, and the index size in tiles.
    ti0: i64,
    tj0: i64,
    nti: i64,
    ntj: i64,
    index: Vec<u32>,
    counts: Vec<u16>,
    flags: Vec<u8>,
    /// `counts` holds per-row differences until [`Grid::report`] sums them.
    diff_counts: bool,
}

impl Grid {
    fn new(cell_m: f64, lo: PlaneCoord, hi: PlaneCoord) -> Grid {
        let cell_of = |v: f64| floor_i(v / cell_m);
        let (ti0, tj0) = (
            cell_of(lo.x).div_euclid(TILE_W) - 1,
            cell_of(lo.y).div_euclid(TILE_H) - 1,
        );
        let (ti1, tj1) = (
            cell_of(hi.x).div_euclid(TILE_W) + 1,
            cell_of(hi.y).div_euclid(TILE_H) + 1,
        );
        let (nti, ntj) = (ti1 - ti0 + 1, tj1 - tj0 + 1);
        Grid {
            cell_m,
            ti0,
            tj0,
            nti,
            ntj,
            index: vec![NO_TILE; (nti * ntj) as usize],
            counts: Vec::new(),
            flags: Vec::new(),
            diff_counts: false,
        }
    }

    fn reserve_cells(&mut self, cells: usize) {
        let cells = cells.min(self.index.len() * TILE_CELLS);
        self.counts.reserve(cells);
        self.flags.reserve(cells);
    }

    fn empty(cell_m: f64) -> Grid {
        Grid {
            cell_m,
            ti0: 0,
            tj0: 0,
            nti: 0,
            ntj: 0,
            index: Vec::new(),
            counts: Vec::new(),
            flags: Vec::new(),
            diff_counts: false,
        }
    }

    /// Cell rows whose centres lie in `[y_lo, y_hi]`.
    fn rows(&self, y_lo: f64, y_hi: f64) -> std::ops::RangeInclusive<i64> {
        let c = self.cell_m;
        let j_lo = ceil_i(y_lo / c - 0.5).max(self.tj0 * TILE_H);
        let j_hi = floor_i(y_hi / c - 0.5).min((self.tj0 + self.ntj) * TILE_H - 1);
        j_lo..=j_hi
    }

    /// Cells of row `j` whose centres lie in `[x_lo, x_hi]`.
    fn cols(&self, x_lo: f64, x_hi: f64) -> (i64, i64) {
        let c = self.cell_m;
        let i_lo = ceil_i(x_lo / c - 0.5).max(self.ti0 * TILE_W);
        let i_hi = floor_i(x_hi / c - 0.5).min((self.ti0 + self.nti) * TILE_W - 1);
        (i_lo, i_hi)
    }

    /// Calls `f(counts, flags, a, b)` with a tile row's counters and flags and the run
    /// `a..b` of it that holds cells `i_lo..=i_hi` of row `j`, tile by tile; missing tiles
    /// are created when `create`, skipped otherwise.
    fn row_span(
        &mut self,
        j: i64,
        i_lo: i64,
        i_hi: i64,
        create: bool,
        f: &mut impl FnMut(&mut [u16], &mut [u8], usize, usize),
    ) {
        let tj = j.div_euclid(TILE_H) - self.tj0;
        let row_in_tile = j.rem_euclid(TILE_H) as usize;
        let mut i = i_lo;
        while i <= i_hi {
            let ti = i.div_euclid(TILE_W);
            let tile_end = (ti + 1) * TILE_W - 1;
            let end = i_hi.min(tile_end);
            let slot = (tj * self.nti + (ti - self.ti0)) as usize;
            let mut tile = self.index[slot];
            if tile == NO_TILE && create {
                tile = (self.counts.len() / TILE_CELLS) as u32;
                self.index[slot] = tile;
                self.counts.resize(self.counts.len() + TILE_CELLS, 0);
                self.flags.resize(self.flags.len() + TILE_CELLS, 0);
            }
            if tile != NO_TILE {
                let base = tile as usize * TILE_CELLS + row_in_tile * TILE_W as usize;
                let row = base..base + TILE_W as usize;
                f(
                    &mut self.counts[row.clone()],
                    &mut self.flags[row],
                    i.rem_euclid(TILE_W) as usize,
                    end.rem_euclid(TILE_W) as usize + 1,
                );
            }
            i = end + 1;
        }
    }

    fn draw(
        &mut self,
        shape: &Convex,
        create: bool,
        mut f: impl FnMut(&mut [u16], &mut [u8], usize, usize),
    ) {
        if self.index.is_empty() {
            return;
        }
        let Some((y_lo, y_hi)) = shape.y_range() else {
            return;
        };
        let scan = Scan::of(shape);
        for j in self.rows(y_lo, y_hi) {
            let y = (j as f64 + 0.5) * self.cell_m;
            if let Some((x_lo, x_hi)) = scan.x_span(y) {
                let (i_lo, i_hi) = self.cols(x_lo, x_hi);
                if i_lo <= i_hi {
                    self.row_span(j, i_lo, i_hi, create, &mut f);
                }
            }
        }
    }

    /// Even-odd scanline fill of a polygon with holes: cells between pairs of edge crossings.
    fn fill_polygon(&mut self, poly: &Polygon<f64>, create: bool, mut f: impl FnMut(&mut u8)) {
        if self.index.is_empty() {
            return;
        }
        let mut edges: Vec<(PlaneCoord, PlaneCoord)> = Vec::new();
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let pts: Vec<PlaneCoord> = ring.coords().copied().collect();
            for k in 0..pts.len() {
                let (a, b) = (pts[k], pts[(k + 1) % pts.len()]);
                if a.y != b.y {
                    edges.push(if a.y < b.y { (a, b) } else { (b, a) });
                }
            }
        }
        if edges.is_empty() {
            return;
        }
        // Edges sorted by their lower end, swept upwards with an active list.
        edges.sort_by(|p, q| p.0.y.total_cmp(&q.0.y));
        let y_lo = edges[0].0.y;
        let y_hi = edges
            .iter()
            .map(|e| e.1.y)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut next = 0;
        let mut active: Vec<(PlaneCoord, PlaneCoord)> = Vec::new();
        let mut xs: Vec<f64> = Vec::new();
        for j in self.rows(y_lo, y_hi) {
            let y = (j as f64 + 0.5) * self.cell_m;
            while next < edges.len() && edges[next].0.y <= y {
                active.push(edges[next]);
                next += 1;
            }
            active.retain(|e| e.1.y > y);
            xs.clear();
            // Half-open rule (lower end in, upper end out) counts each vertex once.
            xs.extend(
                active
                    .iter()
                    .filter(|e| e.0.y <= y)
                    .map(|(a, b)| a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)),
            );
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks_exact(2) {
                let (i_lo, i_hi) = self.cols(pair[0], pair[1]);
                if i_lo <= i_hi {
                    self.row_span(j, i_lo, i_hi, create, &mut |_, flags, a, b| {
                        flags[a..b].iter_mut().for_each(&mut f)
                    });
                }
            }
        }
    }

    fn report(self) -> CoverageReport {
        let (mut region, mut covered, mut seen) = (0usize, 0usize, 0usize);
        let mut min_count = u16::MAX;
        let w = TILE_W as usize;
        for (counts, flags) in self.counts.chunks_exact(w).zip(self.flags.chunks_exact(w)) {
            // One tile row: counts (summing the row differences first when kept so) and
            // tallies without branches, so the loop stays tight.
            let mut row = [0u16; TILE_W as usize];
            if self.diff_counts {
                let mut run = 0u16;
                for (out, &c) in row.iter_mut().zip(counts) {
                    run = run.wrapping_add(c);
                    *out = run;
                }
            } else {
                row.copy_from_slice(counts);
            }
            let (mut r, mut cov, mut sn) = (0u32, 0u32, 0u32);
            for (&c, &fl) in row.iter().zip(flags) {
                let in_region = u32::from(fl & IN_REGION);
                r += in_region;
                cov += in_region & u32::from((fl & EFFECTIVE) >> 1);
                sn += in_region & u32::from(c > 0);
                min_count = min_count.min(if in_region != 0 { c } else { u16::MAX });
            }
            region += r as usize;
            covered += cov as usize;
            seen += sn as usize;
        }
        let pct = |n: usize| {
            if region == 0 {
                0.0
            } else {
                100.0 * n as f64 / region as f64
            }
        };
        CoverageReport {
            cell_m: self.cell_m,
            region_cells: region,
            covered_pct: pct(covered),
            seen_pct: pct(seen),
            min_photos_per_cell: if region == 0 { 0 } else { u32::from(min_count) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, line_string, polygon};

    fn photo(x: f64, y: f64, heading_deg: f64) -> PhotoPoint {
        PhotoPoint {
            at: coord! {x: x, y: y},
            transect: 0,
            heading_deg,
        }
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    /// Photos on a lattice of `spacing` across and `trigger` along, northbound.
    fn lattice(x0: f64, x1: f64, y0: f64, y1: f64, spacing: f64, trigger: f64) -> Vec<PhotoPoint> {
        let mut v = Vec::new();
        let mut x = x0;
        while x <= x1 + 1e-9 {
            let mut y = y0;
            while y <= y1 + 1e-9 {
                v.push(photo(x, y, 0.0));
                y += trigger;
            }
            x += spacing;
        }
        v
    }

    #[test]
    fn straight_corridor_region_has_width_times_length_cells() {
        let region = PlaneRegion::Corridor {
            centreline: line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)],
            width_m: 20.0,
        };
        let r = coverage(
            &region,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            1.0,
        );
        assert_eq!(r.region_cells, 2000);
        assert_eq!(r.covered_pct, 0.0);
        assert_eq!(r.min_photos_per_cell, 0);
    }

    #[test]
    fn tiling_effective_footprints_cover_everything_and_a_gap_shows() {
        let area = PlaneRegion::Area {
            polygon: square(0.0, 0.0, 100.0, 60.0),
            exclusions: vec![],
        };
        let fp = Footprint {
            side_m: 40.0,
            front_m: 30.0,
        };
        // Lanes 20 m apart starting 10 m inside, photos every 10 m from 5 m.
        let photos = lattice(10.0, 90.0, 5.0, 55.0, 20.0, 10.0);
        let r = coverage(&area, &photos, fp, 20.0, 10.0, 1.0);
        assert_eq!(r.region_cells, 6000);
        assert_eq!(r.covered_pct, 100.0);
        assert_eq!(r.seen_pct, 100.0);
        // Edge cells are seen by lanes that reach them: at least 2 lanes x 2 photos along.
        assert!(r.min_photos_per_cell >= 2, "{r:?}");
        // Drop one lane: a 20 m strip is no longer covered at the requested overlap.
        let fewer: Vec<PhotoPoint> = photos.iter().copied().filter(|p| p.at.x != 50.0).collect();
        let r2 = coverage(&area, &fewer, fp, 20.0, 10.0, 1.0);
        assert!((r2.covered_pct - 80.0).abs() < 1e-9, "{r2:?}");
        assert_eq!(r2.seen_pct, 100.0);
    }

    #[test]
    fn rotated_footprints_use_their_heading() {
        // A north-south strip photographed by eastbound photos: the 10 m across side lies
        // north-south, so a 2 m x 10 m region is covered by photos 2 m apart along x.
        let area = PlaneRegion::Area {
            polygon: square(0.0, 0.0, 20.0, 10.0),
            exclusions: vec![],
        };
        let photos: Vec<PhotoPoint> = (0..10)
            .map(|k| photo(1.0 + 2.0 * k as f64, 5.0, 90.0))
            .collect();
        let fp = Footprint {
            side_m: 10.0,
            front_m: 2.0,
        };
        assert_eq!(
            coverage(&area, &photos, fp, 10.0, 2.0, 1.0).covered_pct,
            100.0
        );
        let north: Vec<PhotoPoint> = photos.iter().map(|p| photo(p.at.x, p.at.y, 0.0)).collect();
        let r = coverage(&area, &north, fp, 10.0, 2.0, 1.0);
        assert!(r.covered_pct < 30.0, "{r:?}");
    }

    #[test]
    fn holes_and_exclusions_are_not_region() {
        let mut poly = square(0.0, 0.0, 100.0, 100.0);
        poly.interiors_push(square(10.0, 10.0, 30.0, 30.0).exterior().clone());
        let area = PlaneRegion::Area {
            polygon: poly,
            exclusions: vec![
                square(50.0, 50.0, 70.0, 60.0),
                square(90.0, 90.0, 120.0, 120.0),
            ],
        };
        let r = coverage(
            &area,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            1.0,
        );
        assert_eq!(r.region_cells, 10000 - 400 - 200 - 100);
    }

    #[test]
    fn concave_polygon_counts_only_inside() {
        // A U shape: 30 x 30 with a 10 x 20 notch from the top.
        let u = polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0),
            (x: 20.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0)
        ];
        let area = PlaneRegion::Area {
            polygon: u,
            exclusions: vec![],
        };
        let r = coverage(
            &area,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            0.5,
        );
        assert_eq!(r.cell_m, 0.5);
        assert_eq!(r.region_cells, 4 * (900 - 200));
    }

    #[test]
    fn corridor_bend_has_round_outer_corner_and_flat_ends() {
        // An L: east 100 m then north 100 m, 20 m wide. Area = 2 x 100 x 20 minus the inner
        // overlap (10 x 10) plus the outer quarter disc (pi 10^2 / 4).
        let region = PlaneRegion::Corridor {
            centreline: line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0)],
            width_m: 20.0,
        };
        let r = coverage(
            &region,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            0.25,
        );
        let area_m2 = r.region_cells as f64 * r.cell_m * r.cell_m;
        let expected = 4000.0 - 100.0 + std::f64::consts::PI * 100.0 / 4.0;
        assert!((area_m2 - expected).abs() < 3.0, "{area_m2} vs {expected}");
        // Nothing behind the flat start.
        let behind = [photo(-5.0, 0.0, 90.0)];
        let r2 = coverage(
            &region,
            &behind,
            Footprint {
                side_m: 8.0,
                front_m: 8.0,
            },
            8.0,
            8.0,
            1.0,
        );
        assert_eq!(r2.seen_pct, 0.0);
    }

    #[test]
    fn long_corridor_is_fast_and_linear() {
        // 100 km zig-zag corridor 60 m wide at 1 m cells, photos every 10 m on 3 lanes.
        let mut line = vec![coord! {x: 0.0, y: 0.0}];
        for k in 1..=100 {
            line.push(coord! {x: 1000.0 * k as f64, y: if k % 2 == 0 { 0.0 } else { 300.0 }});
        }
        let region = PlaneRegion::Corridor {
            centreline: LineString::new(line.clone()),
            width_m: 60.0,
        };
        let mut photos = Vec::new();
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = dist(a, b);
            let h = crate::photos::heading_deg(a, b);
            let n = (len / 10.0) as usize;
            for k in 0..n {
                photos.push(photo(
                    a.x + (b.x - a.x) * k as f64 * 10.0 / len,
                    a.y + (b.y - a.y) * k as f64 * 10.0 / len,
                    h,
                ));
            }
        }
        let t0 = std::time::Instant::now();
        let r = coverage(
            &region,
            &photos,
            Footprint {
                side_m: 60.0,
                front_m: 40.0,
            },
            20.0,
            10.0,
            1.0,
        );
        let elapsed = t0.elapsed();
        eprintln!(
            "100 km corridor coverage: {elapsed:?} for {} photos, {r:?}",
            photos.len()
        );
        assert_eq!(r.cell_m, 1.0);
        let area_m2 = r.region_cells as f64;
        assert!(
            (area_m2 / (60.0 * 100_000.0 * (1.0 + 0.09f64).sqrt()) - 1.0).abs() < 0.02,
            "{r:?}"
        );
        assert!(r.seen_pct > 99.0, "{r:?}");
        // Generous bound for an unoptimised test build on a shared machine.
        assert!(elapsed.as_secs_f64() < 30.0, "{elapsed:?}");
    }

    /// The scanline raster against a cell-by-cell brute force: nearest point on the
    /// centreline for the region, a rotated-rectangle test per photo for the footprints.
    #[test]
    fn raster_matches_brute_force() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let line: Vec<PlaneCoord> = vec![
            coord! {x: 0.3, y: 0.7},
            coord! {x: 70.1, y: 20.2},
            coord! {x: 120.4, y: 90.9},
            coord! {x: 60.6, y: 150.3},
        ];
        let width_m = 27.3;
        let region = PlaneRegion::Corridor {
            centreline: LineString::new(line.clone()),
            width_m,
        };
        let photos: Vec<PhotoPoint> = (0..60)
            .map(|_| photo(-20.0 + 170.0 * rnd(), -20.0 + 190.0 * rnd(), 360.0 * rnd()))
            .collect();
        let fp = Footprint {
            side_m: 31.7,
            front_m: 23.9,
        };
        let (spacing, trigger) = (12.9, 8.3);
        let cell = 0.7;
        let r = coverage(&region, &photos, fp, spacing, trigger, cell);

        let in_region = |p: PlaneCoord| {
            // Nearest point of the polyline; flat ends: not beyond the first or last vertex.
            let mut best = (f64::INFINITY, 0usize, 0.0);
            for (k, w) in line.windows(2).enumerate() {
                let u = w[1] - w[0];
                let t = (dot(p - w[0], u) / dot(u, u)).clamp(0.0, 1.0);
                let d = dist(p, w[0] + u * t);
                if d < best.0 {
                    best = (d, k, t);
                }
            }
            let (d, k, t) = best;
            let at_start = k == 0 && t == 0.0;
            let at_end = k == line.len() - 2 && t == 1.0;
            d <= width_m / 2.0 && !at_start && !at_end
        };
        let inside = |p: PlaneCoord, ph: &PhotoPoint, across: f64, along: f64| {
            let h = ph.heading_deg.to_radians();
            let f = coord! {x: h.sin(), y: h.cos()};
            let v = p - ph.at;
            dot(v, f).abs() <= along / 2.0 && (v.x * f.y - v.y * f.x).abs() <= across / 2.0
        };
        let (mut region_cells, mut covered, mut seen, mut min) = (0, 0, 0, u32::MAX);
        for j in -60..300 {
            for i in -60..300 {
                let p = coord! {x: (i as f64 + 0.5) * cell, y: (j as f64 + 0.5) * cell};
                if !in_region(p) {
                    continue;
                }
                region_cells += 1;
                covered += usize::from(photos.iter().any(|ph| inside(p, ph, spacing, trigger)));
                let n = photos
                    .iter()
                    .filter(|ph| inside(p, ph, fp.side_m, fp.front_m))
                    .count();
                seen += usize::from(n > 0);
                min = min.min(n as u32);
            }
        }
        assert_eq!(r.region_cells, region_cells);
        assert!((r.covered_pct - 100.0 * covered as f64 / region_cells as f64).abs() < 1e-9);
        assert!((r.seen_pct - 100.0 * seen as f64 / region_cells as f64).abs() < 1e-9);
        assert_eq!(r.min_photos_per_cell, min);
        assert!(r.covered_pct > 10.0 && r.covered_pct < 90.0, "{r:?}");
    }

    #[test]
    fn polygon_fill_matches_point_in_polygon() {
        use geo::{Contains, Point};
        let mut poly = polygon![
            (x: 0.3, y: 0.1), (x: 80.7, y: 10.2), (x: 60.1, y: 40.9), (x: 95.3, y: 90.4),
            (x: 20.2, y: 70.6), (x: 35.5, y: 35.3)
        ];
        poly.interiors_push(
            polygon![(x: 50.1, y: 55.2), (x: 65.4, y: 62.3), (x: 52.6, y: 70.9)]
                .exterior()
                .clone(),
        );
        let exclusion = polygon![(x: 10.2, y: 5.1), (x: 30.3, y: 2.2), (x: 25.4, y: 20.6)];
        let area = PlaneRegion::Area {
            polygon: poly.clone(),
            exclusions: vec![exclusion.clone()],
        };
        let cell = 0.45;
        let r = coverage(
            &area,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            cell,
        );
        let mut n = 0;
        for j in -10..250 {
            for i in -10..250 {
                let p = Point::new((i as f64 + 0.5) * cell, (j as f64 + 0.5) * cell);
                n += usize::from(poly.contains(&p) && !exclusion.contains(&p));
            }
        }
        assert_eq!(r.region_cells, n);
    }

    /// Two lanes round a 180 degree bend of radius 150 m, 60 m wide: photos at the camera's
    /// trigger distance leave wedges on the outside of each lane's turns (97.7 % covered);
    /// at [`crate::photos::bend_trigger_distance_m`] the strips close.
    #[test]
    fn bend_trigger_distance_closes_the_wedges_on_bends() {
        use crate::photos::{bend_trigger_distance_m, photo_points};
        use crate::survey::Transect;
        let arc = |radius: f64, reverse: bool| -> Vec<PlaneCoord> {
            let mut pts: Vec<PlaneCoord> = (0..=36)
                .map(|k| {
                    let a = std::f64::consts::PI * k as f64 / 36.0;
                    coord! {x: -radius * a.cos(), y: radius * a.sin()}
                })
                .collect();
            if reverse {
                pts.reverse();
            }
            pts
        };
        let region = PlaneRegion::Corridor {
            centreline: LineString::new(arc(150.0, false)),
            width_m: 60.0,
        };
        // Camera: strips 31.68 m across, 15.82 m along; lanes 30 m apart (spread evenly).
        let (share_across, share_along) = (31.68, 15.82);
        let lanes: Vec<Transect> = [(135.0, false), (165.0, true)]
            .into_iter()
            .map(|(r, rev)| {
                let path = arc(r, rev);
                Transect {
                    approach: vec![],
                    turn_in: path[0],
                    turn_out: *path.last().unwrap(),
                    path,
                }
            })
            .collect();
        let fp = Footprint {
            side_m: 105.6,
            front_m: 79.1,
        };
        let plain = photo_points(&lanes, share_along);
        let r = coverage(&region, &plain, fp, share_across, share_along, 1.0);
        assert!(r.covered_pct < 99.0, "{r:?}");
        let d = bend_trigger_distance_m(&lanes, share_along, share_across / 2.0);
        assert!(d < share_along && d > 0.8 * share_along, "{d}");
        let bent = photo_points(&lanes, d);
        let r = coverage(&region, &bent, fp, share_across, share_along, 1.0);
        assert_eq!(r.covered_pct, 100.0, "{r:?}");
    }

    #[test]
    fn huge_region_gets_a_coarser_cell() {
        let area = PlaneRegion::Area {
            polygon: square(0.0, 0.0, 20_000.0, 20_000.0),
            exclusions: vec![],
        };
        let r = coverage(
            &area,
            &[],
            Footprint {
                side_m: 1.0,
                front_m: 1.0,
            },
            1.0,
            1.0,
            1.0,
        );
        assert!(r.cell_m > 1.0);
        assert!((r.region_cells as f64) <= MAX_REGION_CELLS * 1.01);
        let area_m2 = r.region_cells as f64 * r.cell_m * r.cell_m;
        assert!((area_m2 / 4.0e8 - 1.0).abs() < 0.01);
    }

    #[test]
    fn degenerate_regions_report_zero_cells() {
        for region in [
            PlaneRegion::Corridor {
                centreline: line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 0.0)],
                width_m: 20.0,
            },
            PlaneRegion::Corridor {
                centreline: line_string![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0)],
                width_m: f64::NAN,
            },
            PlaneRegion::Area {
                polygon: square(0.0, 0.0, f64::INFINITY, 1.0),
                exclusions: vec![],
            },
        ] {
            let r = coverage(
                &region,
                &[photo(0.0, 0.0, 0.0)],
                Footprint {
                    side_m: 1.0,
                    front_m: 1.0,
                },
                1.0,
                1.0,
                1.0,
            );
            assert_eq!(r.region_cells, 0);
            assert_eq!(r.covered_pct, 0.0);
        }
    }
}
