//! A simulated river world with known pollution sources, for the simulated drone's camera.
//!
//! No labelled aerial imagery of Chinese river outfalls exists to train or score against, so
//! the simulator makes a world where the position of every outfall and plume is known:
//! [`World::new`] builds, from a [`Corridor`] (centreline + width) and a seed, a deterministic
//! procedural scene along the river (water of varying width, colour and turbidity, banks,
//! trees and bamboo, fields, roads, villages and factory roofs), the targets (outfall pipes
//! and culverts at the bank, plumes spreading downstream from a source at the bank), and
//! distractors that fool naive detectors (rocks, boats, bridges, tree and building shadows,
//! bank debris; the renderer adds sun glint). [`World::colour_at`] evaluates it at any
//! plane point, with detail down to about 5 cm; [`World::truth_geojson`] writes the ground
//! truth.
//!
//! Pure: values in, values out, no I/O. The plane is the [`LocalFrame`] tangent plane at the
//! corridor's first vertex (`x` metres east, `y` metres north); the river flows from the
//! first vertex to the last. The ground is flat at [`WorldConfig::ground_amsl_m`], or stands
//! on relief ([`World::with_relief`], [`terrain`]); either way the world is a [`Terrain`].
//!
//! ```
//! use qly_core::geodesy::GeoPoint;
//! use sim::world::{Corridor, World, WorldConfig};
//! let line = vec![GeoPoint::new(27.0, 106.9).unwrap(), GeoPoint::new(27.01, 106.905).unwrap()];
//! let world = World::new(&Corridor::new(line, 60.0).unwrap(), WorldConfig::new(7)).unwrap();
//! let again = World::new(&Corridor::new(world.corridor().centreline.clone(), 60.0).unwrap(), WorldConfig::new(7)).unwrap();
//! assert_eq!(world.colour_at(10.0, 20.0), again.colour_at(10.0, 20.0));
//! assert!(world.truth_geojson().contains("\"class\":\"outfall\""));
//! ```

pub mod noise;
pub mod river;
mod scene;
pub mod style;
pub mod targets;
pub mod terrain;

/// The river corridor a world is built along: the corridor file's reader and type live in
/// `qly_core::corridor`, shared with the planner and review.
pub use qly_core::corridor::Corridor;
pub use scene::Surface;
pub use targets::{MouthShape, Outfall, Plume, PlumeKind, TargetClass, TargetPlacement};
pub use terrain::ReliefGrid;

use std::sync::Arc;

use qly_core::geodesy::{GeoPoint, GeoPosition, LocalFrame};
use qly_core::terrain::{Terrain, TerrainError};
use serde_json::{json, Value};
use thiserror::Error;

use river::River;

/// Why a world could not be built.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WorldError {
    #[error("world config: {field} = {value} is invalid: expected {expected}")]
    BadField {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("world relief from {source_name}: {problem}")]
    Relief {
        source_name: String,
        problem: String,
    },
}

/// An 8-bit sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    /// From components in [0, 1] (clamped).
    pub fn from_unit(c: [f32; 3]) -> Rgb {
        let q = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        Rgb {
            r: q(c[0]),
            g: q(c[1]),
            b: q(c[2]),
        }
    }
}

/// A high-contrast ground marker (a magenta disc, like a ground control point target), for
/// checking the camera geometry against the geotagger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    pub east_m: f64,
    pub north_m: f64,
    pub radius_m: f64,
}

/// What a world is made from besides its corridor.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    /// One seed, one world.
    pub seed: u64,
    /// Height of the (flat) ground and water above mean sea level, metres.
    pub ground_amsl_m: f64,
    pub targets: TargetPlacement,
    pub markers: Vec<Marker>,
    /// How it is drawn ([`style::Style`]); the world and its targets are the same in every
    /// style.
    pub style: style::Style,
}

impl WorldConfig {
    /// Defaults: ground at 0 m AMSL, a target site every 150 m on average, no markers.
    pub fn new(seed: u64) -> WorldConfig {
        WorldConfig {
            seed,
            ground_amsl_m: 0.0,
            targets: TargetPlacement::default(),
            markers: Vec::new(),
            style: style::Style::default(),
        }
    }
}

/// Where the sun is, as the scene needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sun {
    /// Azimuth the sun shines from, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// Elevation above the horizon, degrees.
    pub elevation_deg: f64,
    /// Unit horizontal vector towards the sun, (east, north).
    pub toward_en: (f64, f64),
    /// Horizontal shadow length per metre of height (1 / tan elevation).
    pub shadow_per_m: f64,
}

/// A bridge across the river.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bridge {
    pub s_m: f64,
    pub half_width_m: f64,
}

/// The procedural world.
#[derive(Debug, Clone)]
pub struct World {
    corridor: Corridor,
    config: WorldConfig,
    frame: LocalFrame,
    pub(crate) seed: u64,
    pub(crate) river: River,
    pub(crate) outfalls: Vec<Outfall>,
    pub(crate) plumes: Vec<Plume>,
    pub(crate) max_plume_m: f64,
    /// Target sites (station, bank side), sorted by station: features keep clear of them.
    pub(crate) sites: Vec<(f64, f64)>,
    pub(crate) bridges: Vec<Bridge>,
    pub(crate) markers: Vec<Marker>,
    pub(crate) sun: Sun,
    pub(crate) valley_cos: f64,
    pub(crate) valley_sin: f64,
    pub(crate) turbidity_bias: f32,
    pub(crate) palette: style::Palette,
    pub(crate) show_targets: bool,
    pub(crate) building_mask: scene::BuildingMask,
    pub(crate) trees: scene::TreeGrid,
    /// The ground's relief; `None`: flat at `config.ground_amsl_m`.
    pub(crate) relief: Option<Arc<ReliefGrid>>,
}

impl World {
    /// Builds the world of `config.seed` along `corridor`.
    pub fn new(corridor: &Corridor, config: WorldConfig) -> Result<World, WorldError> {
        if !config.ground_amsl_m.is_finite() {
            return Err(WorldError::BadField {
                field: "ground_amsl_m",
                value: config.ground_amsl_m,
                expected: "a finite height in metres",
            });
        }
        let sp = config.targets.mean_spacing_m;
        if !(sp.is_finite() && sp >= 10.0) {
            return Err(WorldError::BadField {
                field: "targets.mean_spacing_m",
                value: sp,
                expected: "a finite spacing >= 10 m",
            });
        }
        for (field, v) in [
            ("targets.pipe_and_plume", config.targets.pipe_and_plume),
            ("targets.pipe_only", config.targets.pipe_only),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(WorldError::BadField {
                    field,
                    value: v,
                    expected: "a fraction 0..=1",
                });
            }
        }
        for m in &config.markers {
            if !(m.east_m.is_finite() && m.north_m.is_finite() && m.radius_m > 0.0) {
                return Err(WorldError::BadField {
                    field: "markers",
                    value: m.radius_m,
                    expected: "finite positions and a radius > 0",
                });
            }
        }
        let first = corridor.centreline[0];
        let frame = LocalFrame::new(GeoPosition::new(
            first.lat_deg,
            first.lon_deg,
            config.ground_amsl_m,
        ));
        let verts: Vec<(f64, f64)> = corridor
            .centreline
            .iter()
            .map(|p| frame.project(*p))
            .collect();
        let seed = noise::mix64(config.seed ^ 0x5157_4c59_574f_524c);
        let river = River::new(&verts, corridor.width_m, seed);
        let (outfalls, plumes) = targets::place(&river, seed, &config.targets);
        let mut sites: Vec<(f64, f64)> = outfalls
            .iter()
            .map(|o| (o.s_m, o.side))
            .chain(plumes.iter().map(|p| (p.s_m, p.side)))
            .collect();
        sites.sort_by(|a, b| a.0.total_cmp(&b.0));
        let max_plume_m = plumes.iter().map(|p| p.length_m).fold(0.0, f64::max) + 2.0;
        // Bridges every 1.2 to 3 km, clear of target sites.
        let mut bridges = Vec::new();
        let mut s = 0.0;
        let mut k = 0;
        loop {
            let h = noise::hash2(seed ^ 0xb21d, k, 0);
            s += 1200.0 + 1800.0 * noise::unit(h, 0);
            if s > river.length_m() - 30.0 {
                break;
            }
            if !sites.iter().any(|&(ss, _)| (ss - s).abs() < 60.0) {
                bridges.push(Bridge {
                    s_m: s,
                    half_width_m: 3.5 + 2.0 * noise::unit(h, 1),
                });
            }
            k += 1;
        }
        let hs = noise::hash2(seed ^ 0x5011, 0, 0);
        let azimuth_deg = 110.0 + 140.0 * noise::unit(hs, 0);
        let palette = config.style.palette();
        let (el_lo, el_hi) = palette.sun_elevation_deg;
        let elevation_deg = el_lo + (el_hi - el_lo) * noise::unit(hs, 1);
        let sun = Sun {
            azimuth_deg,
            elevation_deg,
            toward_en: (
                azimuth_deg.to_radians().sin(),
                azimuth_deg.to_radians().cos(),
            ),
            shadow_per_m: 1.0 / elevation_deg.to_radians().tan(),
        };
        let (a, b) = (verts[0], verts[verts.len() - 1]);
        let ang = (b.1 - a.1).atan2(b.0 - a.0);
        let building_mask = scene::BuildingMask::new(&river, ang.cos(), ang.sin());
        Ok(World {
            corridor: corridor.clone(),
            frame,
            seed,
            river,
            outfalls,
            plumes,
            max_plume_m,
            sites,
            bridges,
            markers: config.markers.clone(),
            sun,
            valley_cos: ang.cos(),
            valley_sin: ang.sin(),
            turbidity_bias: (noise::unit(hs, 2) as f32 - 0.5) * 0.5,
            palette,
            show_targets: true,
            building_mask,
            trees: scene::TreeGrid::empty(),
            relief: None,
            config,
        })
        .map(|mut w| {
            w.trees = scene::TreeGrid::new(&w);
            w
        })
    }

    pub fn corridor(&self) -> &Corridor {
        &self.corridor
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The world's plane: tangent plane at the corridor's first vertex, at ground height.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// The flat ground's height above mean sea level (`WorldConfig::ground_amsl_m`), metres;
    /// with relief, the height of the world plane's origin, not of the ground: use
    /// [`World::height_amsl_at`].
    pub fn ground_amsl_m(&self) -> f64 {
        self.config.ground_amsl_m
    }

    /// The same world standing on `terrain` instead of flat ground: its heights resampled
    /// onto a plane grid (see [`terrain`]) every `cell_m` metres, over the river's
    /// bounding box plus `margin_m` on every side (beyond it, the edge's height). The river
    /// lies where the corridor says; for a [`qly_core::terrain::SyntheticValley`] built on
    /// the corridor's centreline it runs along the valley floor.
    pub fn with_relief(
        mut self,
        terrain: &(dyn Terrain + Sync),
        source: &str,
        margin_m: f64,
        cell_m: f64,
    ) -> Result<World, WorldError> {
        if !(margin_m.is_finite() && margin_m >= 0.0) {
            return Err(WorldError::BadField {
                field: "relief margin_m",
                value: margin_m,
                expected: "a finite margin >= 0 m",
            });
        }
        let (lo, hi) = self.river.bbox();
        let grid = ReliefGrid::sample(
            terrain,
            source,
            &self.frame,
            (lo.0 - margin_m, lo.1 - margin_m),
            (hi.0 + margin_m, hi.1 + margin_m),
            cell_m,
        )?;
        self.relief = Some(Arc::new(grid));
        Ok(self)
    }

    /// The relief grid, `None` on flat ground.
    pub fn relief(&self) -> Option<&Arc<ReliefGrid>> {
        self.relief.as_ref()
    }

    /// Ground (and water surface) height above mean sea level at plane point
    /// `(east_m, north_m)`, metres (EGM96).
    #[inline]
    pub fn height_amsl_at(&self, east_m: f64, north_m: f64) -> f64 {
        match &self.relief {
            Some(g) => g.height_m(east_m, north_m),
            None => self.config.ground_amsl_m,
        }
    }

    pub fn sun(&self) -> &Sun {
        &self.sun
    }

    pub fn outfalls(&self) -> &[Outfall] {
        &self.outfalls
    }

    pub fn plumes(&self) -> &[Plume] {
        &self.plumes
    }

    pub fn bridges(&self) -> &[Bridge] {
        &self.bridges
    }

    /// Length of the river, metres.
    pub fn river_length_m(&self) -> f64 {
        self.river.length_m()
    }

    /// Plane point at station `s_m` along the river and offset `d_m` (left positive).
    pub fn river_point(&self, s_m: f64, d_m: f64) -> (f64, f64) {
        self.river.point(s_m, d_m)
    }

    /// Unit downstream tangent of the river at station `s_m`, (east, north).
    pub fn river_tangent(&self, s_m: f64) -> (f64, f64) {
        self.river.at(s_m).1
    }

    /// The same world with the targets not drawn (everything else identical): for checking
    /// what the targets change in an image.
    pub fn without_targets(&self) -> World {
        World {
            show_targets: false,
            ..self.clone()
        }
    }

    /// WGS-84 position of a plane point.
    pub fn to_geo(&self, east_m: f64, north_m: f64) -> GeoPoint {
        self.frame.unproject(east_m, north_m)
    }

    /// Plane point of a WGS-84 position.
    pub fn to_plane(&self, p: GeoPoint) -> (f64, f64) {
        self.frame.project(p)
    }

    /// The colour at plane point `(east_m, north_m)`, with a 5 cm filter (the scene's finest
    /// detail).
    pub fn colour_at(&self, east_m: f64, north_m: f64) -> Rgb {
        Rgb::from_unit(self.sample(east_m, north_m, 0.05).rgb)
    }

    /// Plane polygon of a target's footprint (what a label box should enclose).
    pub fn outfall_outline(&self, o: &Outfall) -> Vec<(f64, f64)> {
        let (aw, ad) = o.apron_m();
        let corners = [(-aw, -ad), (aw, -ad), (aw, 0.25), (-aw, 0.25)];
        corners
            .iter()
            .map(|&(x, y)| self.river.bank_point(o.s_m + x, o.side, y))
            .collect()
    }

    /// Plane polygon of a plume's visible extent.
    pub fn plume_outline(&self, p: &Plume) -> Vec<(f64, f64)> {
        self.plume_local_to_plane(p, &p.outline_local())
    }

    /// The square of side `side_m` about a plume's source ([`Plume::source_square_local`]),
    /// bent with the bank, in the world plane.
    pub fn plume_source_square(&self, p: &Plume, side_m: f64) -> Vec<(f64, f64)> {
        self.plume_local_to_plane(p, &p.source_square_local(side_m))
    }

    fn plume_local_to_plane(&self, p: &Plume, local: &[(f64, f64)]) -> Vec<(f64, f64)> {
        local
            .iter()
            .map(|&(x, y)| self.river.bank_point(p.s_m + x, p.side, y))
            .collect()
    }

    /// The ground truth as a GeoJSON FeatureCollection of Points (RFC 7946, WGS-84
    /// longitude/latitude). Every feature has `id` and `class` (`"outfall"` or `"plume"`);
    /// outfalls give their mouth centre, shape and diameter; plumes give their `source`
    /// (the upstream end where the discharge enters the river: the point to report, also
    /// the geometry), kind, the feeding outfall if any, and their `extent` (length, width,
    /// and an outline polygon).
    pub fn truth_geojson(&self) -> String {
        let ll = |p: (f64, f64)| -> Value {
            let g = self.to_geo(p.0, p.1);
            json!([round7(g.lon_deg), round7(g.lat_deg)])
        };
        let bank = |side: f64| if side > 0.0 { "left" } else { "right" };
        let mut features = Vec::new();
        for o in &self.outfalls {
            features.push(json!({
                "type": "Feature",
                "id": o.id,
                "geometry": {"type": "Point", "coordinates": ll(o.position)},
                "properties": {
                    "id": o.id,
                    "class": TargetClass::Outfall.name(),
                    "shape": match o.shape { MouthShape::Round => "round", MouthShape::Box => "box" },
                    "diameter_m": round3(o.diameter_m),
                    "bank": bank(o.side),
                    "station_m": round3(o.s_m),
                    "height_amsl_m": round3(self.height_amsl_at(o.position.0, o.position.1)),
                    "stained": o.stained,
                    "plume_id": self.plumes.iter().find(|p| p.outfall_id.as_deref() == Some(o.id.as_str())).map(|p| p.id.clone()),
                }
            }));
        }
        for p in &self.plumes {
            let mut outline: Vec<Value> = self.plume_outline(p).into_iter().map(ll).collect();
            if let Some(first) = outline.first().cloned() {
                outline.push(first);
            }
            features.push(json!({
                "type": "Feature",
                "id": p.id,
                "geometry": {"type": "Point", "coordinates": ll(p.position)},
                "properties": {
                    "id": p.id,
                    "class": TargetClass::Plume.name(),
                    "kind": p.kind.name(),
                    "source": ll(p.position),
                    "outfall_id": p.outfall_id,
                    "bank": bank(p.side),
                    "station_m": round3(p.s_m),
                    "height_amsl_m": round3(self.height_amsl_at(p.position.0, p.position.1)),
                    "extent": {
                        "length_m": round3(p.visible_length_m()),
                        "max_width_m": round3(p.max_width_m),
                        "outline": outline,
                    },
                }
            }));
        }
        let doc = json!({
            "type": "FeatureCollection",
            "properties": {
                "world_seed": self.config.seed,
                "style": self.config.style.name(),
                "world_changes": self.config.targets.changes,
                "corridor_width_m": self.corridor.width_m,
                "ground_amsl_m": self.config.ground_amsl_m,
                "relief": self.relief.as_ref().map_or("flat", |g| g.source.as_str()),
                "river_length_m": round3(self.river.length_m()),
                "flow": "from the corridor's first vertex to its last",
                "sun_azimuth_deg": round3(self.sun.azimuth_deg),
                "sun_elevation_deg": round3(self.sun.elevation_deg),
            },
            "features": features,
        });
        doc.to_string()
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn round3(v: f64) -> f64 {
    (v * 1e3).round() / 1e3
}

/// The world's ground: flat at [`WorldConfig::ground_amsl_m`], or its relief.
impl Terrain for World {
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
        let (e, n) = self.to_plane(p);
        Ok(self.height_amsl_at(e, n))
    }

    fn constant_height_amsl_m(&self) -> Option<f64> {
        match self.relief {
            Some(_) => None,
            None => Some(self.config.ground_amsl_m),
        }
    }
}
