//! Pinhole camera model for survey planning: ground sample distance, footprint, and the lane
//! spacing and trigger distance that give a wanted side and front overlap.
//!
//! The formulas are the ones QGroundControl uses (`CameraCalc.cc`), so a pilot who checks a
//! plan in QGC sees the same figures: GSD from the sensor *width* and image width; in
//! landscape the image width lies across the flight direction.
//!
//! ```
//! use qly_core::camera::{CameraDatabase, Orientation};
//! let db = CameraDatabase::builtin();
//! let qx1 = db.find("Sony ILCE-QX1 16mm").unwrap();
//! let alt_m = qx1.distance_for_gsd_m(25.0);
//! assert!((alt_m - 940.690).abs() < 1e-3);
//! assert!((qx1.lane_spacing_m(alt_m, Orientation::Landscape, 70.0) - 409.2).abs() < 1e-6);
//! assert!((qx1.trigger_distance_m(alt_m, Orientation::Landscape, 70.0) - 272.4).abs() < 1e-6);
//! ```

use serde::Deserialize;
use thiserror::Error;

/// Why a camera description or an overlap was refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CameraError {
    #[error("camera '{camera}': {field} = {value} is invalid: expected {expected}")]
    BadField {
        camera: String,
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// No camera by that name or alias; `known` lists the near matches, or every camera when
    /// none is near.
    #[error("unknown camera '{name}'; {known}")]
    Unknown { name: String, known: String },
    /// An alias that more than one camera carries.
    #[error("camera '{name}' is ambiguous: it names {matches}")]
    Ambiguous { name: String, matches: String },
    #[error("{field} = {value} % is invalid: expected 0 <= overlap < 100")]
    BadOverlap { field: &'static str, value: f64 },
    #[error("camera database: {0}")]
    Database(String),
}

/// How the camera is mounted relative to the direction of flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// The long side of the image lies across the flight direction.
    #[default]
    Landscape,
    /// The long side of the image lies along the flight direction.
    Portrait,
}

/// A camera's intrinsic parameters as a spec sheet gives them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CameraSpec {
    pub name: String,
    pub sensor_width_mm: f64,
    pub sensor_height_mm: f64,
    pub focal_length_mm: f64,
    pub image_width_px: u32,
    pub image_height_px: u32,
    /// Shortest sustained interval between photos, seconds.
    #[serde(default)]
    pub min_trigger_interval_s: f64,
}

/// The ground an image covers at a given distance, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// Across the flight direction.
    pub side_m: f64,
    /// Along the flight direction.
    pub front_m: f64,
}

impl CameraSpec {
    /// Checks that every number is finite and positive.
    pub fn validate(&self) -> Result<(), CameraError> {
        let checks: [(&'static str, f64); 5] = [
            ("sensor_width_mm", self.sensor_width_mm),
            ("sensor_height_mm", self.sensor_height_mm),
            ("focal_length_mm", self.focal_length_mm),
            ("image_width_px", self.image_width_px as f64),
            ("image_height_px", self.image_height_px as f64),
        ];
        for (field, value) in checks {
            if !(value.is_finite() && value > 0.0) {
                return Err(CameraError::BadField {
                    camera: self.name.clone(),
                    field,
                    value,
                    expected: "a finite number > 0",
                });
            }
        }
        if !(self.min_trigger_interval_s.is_finite() && self.min_trigger_interval_s >= 0.0) {
            return Err(CameraError::BadField {
                camera: self.name.clone(),
                field: "min_trigger_interval_s",
                value: self.min_trigger_interval_s,
                expected: "a finite number >= 0",
            });
        }
        Ok(())
    }

    /// Ground sample distance in centimetres per pixel at `distance_m` from flat ground.
    pub fn gsd_cm_per_px(&self, distance_m: f64) -> f64 {
        distance_m * self.sensor_width_mm * 100.0
            / (self.image_width_px as f64 * self.focal_length_mm)
    }

    /// Distance from the ground that gives `gsd_cm_per_px`.
    pub fn distance_for_gsd_m(&self, gsd_cm_per_px: f64) -> f64 {
        self.image_width_px as f64 * gsd_cm_per_px * self.focal_length_mm
            / (self.sensor_width_mm * 100.0)
    }

    /// Ground footprint of one image at `distance_m`, nadir.
    pub fn footprint_m(&self, distance_m: f64, orientation: Orientation) -> Footprint {
        let gsd_m = self.gsd_cm_per_px(distance_m) / 100.0;
        let (w, h) = (
            self.image_width_px as f64 * gsd_m,
            self.image_height_px as f64 * gsd_m,
        );
        match orientation {
            Orientation::Landscape => Footprint {
                side_m: w,
                front_m: h,
            },
            Orientation::Portrait => Footprint {
                side_m: h,
                front_m: w,
            },
        }
    }

    /// Distance between neighbouring flight lines for `side_overlap_pct`.
    pub fn lane_spacing_m(
        &self,
        distance_m: f64,
        orientation: Orientation,
        side_overlap_pct: f64,
    ) -> f64 {
        self.footprint_m(distance_m, orientation).side_m * (100.0 - side_overlap_pct) / 100.0
    }

    /// Distance flown between photos for `front_overlap_pct`.
    pub fn trigger_distance_m(
        &self,
        distance_m: f64,
        orientation: Orientation,
        front_overlap_pct: f64,
    ) -> f64 {
        self.footprint_m(distance_m, orientation).front_m * (100.0 - front_overlap_pct) / 100.0
    }

    /// Horizontal and vertical field of view, radians, of the whole image.
    pub fn fov_rad(&self) -> (f64, f64) {
        (
            2.0 * (self.sensor_width_mm / (2.0 * self.focal_length_mm)).atan(),
            2.0 * (self.sensor_height_mm / (2.0 * self.focal_length_mm)).atan(),
        )
    }
}

/// Checks an overlap percentage: `0 <= overlap < 100`.
pub fn check_overlap(field: &'static str, value: f64) -> Result<f64, CameraError> {
    if value.is_finite() && (0.0..100.0).contains(&value) {
        Ok(value)
    } else {
        Err(CameraError::BadOverlap { field, value })
    }
}

/// The cameras we know by name.
#[derive(Debug, Clone)]
pub struct CameraDatabase {
    cameras: Vec<CameraSpec>,
    /// Short names of each camera (`M3E`, `m30t-wide`), index-aligned with `cameras`.
    aliases: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct CameraFile {
    camera: Vec<CameraEntry>,
}

#[derive(Deserialize)]
struct CameraEntry {
    #[serde(flatten)]
    spec: CameraSpec,
    #[serde(default)]
    aliases: Vec<String>,
}

/// A name as the lookup compares it: letters and digits only, lower case.
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance between two short keys (names are tens of characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

impl CameraDatabase {
    /// The database shipped in `core/data/cameras.toml`.
    pub fn builtin() -> CameraDatabase {
        // The file is part of the source tree and checked by the tests below, so a parse
        // failure here is a build defect, not bad user input.
        CameraDatabase::from_toml(include_str!("../data/cameras.toml"))
            .expect("core/data/cameras.toml is valid")
    }

    /// A database from TOML text with `[[camera]]` tables.
    pub fn from_toml(text: &str) -> Result<CameraDatabase, CameraError> {
        let file: CameraFile =
            toml::from_str(text).map_err(|e| CameraError::Database(e.to_string()))?;
        for c in &file.camera {
            c.spec.validate()?;
        }
        let (cameras, aliases) = file.camera.into_iter().map(|e| (e.spec, e.aliases)).unzip();
        Ok(CameraDatabase { cameras, aliases })
    }

    pub fn cameras(&self) -> &[CameraSpec] {
        &self.cameras
    }

    /// The aliases of a camera of this database (empty for none).
    pub fn aliases_of(&self, camera: &CameraSpec) -> &[String] {
        self.cameras
            .iter()
            .position(|c| c == camera)
            .map(|i| self.aliases[i].as_slice())
            .unwrap_or(&[])
    }

    /// A camera by name or by alias, ignoring case, spaces, dashes and underscores. A full
    /// name wins; an alias must name one camera. On a miss the error lists the near matches
    /// (names or aliases containing what was asked, or within two edits of it).
    pub fn find(&self, name: &str) -> Result<&CameraSpec, CameraError> {
        let wanted = name_key(name);
        if let Some(c) = self.cameras.iter().find(|c| name_key(&c.name) == wanted) {
            return Ok(c);
        }
        let by_alias: Vec<usize> = (0..self.cameras.len())
            .filter(|&i| self.aliases[i].iter().any(|a| name_key(a) == wanted))
            .collect();
        match by_alias.as_slice() {
            [i] => return Ok(&self.cameras[*i]),
            [] => {}
            many => {
                return Err(CameraError::Ambiguous {
                    name: name.to_string(),
                    matches: many
                        .iter()
                        .map(|&i| self.cameras[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }
        let near =
            |k: &str| !wanted.is_empty() && (k.contains(&wanted) || edit_distance(k, &wanted) <= 2);
        let near_names: Vec<&str> = (0..self.cameras.len())
            .filter(|&i| {
                near(&name_key(&self.cameras[i].name))
                    || self.aliases[i].iter().any(|a| near(&name_key(a)))
            })
            .map(|i| self.cameras[i].name.as_str())
            .collect();
        let known = if near_names.is_empty() {
            format!(
                "known cameras: {}",
                self.cameras
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!("near matches: {}", near_names.join(", "))
        };
        Err(CameraError::Unknown {
            name: name.to_string(),
            known,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_database_has_the_required_cameras() {
        let db = CameraDatabase::builtin();
        for name in [
            "DJI Zenmuse P1 35mm",
            "DJI Mavic 3 Enterprise wide",
            "DJI Zenmuse H20 wide",
            "Sony RX1R II",
            "Sony ILCE-QX1 20mm",
        ] {
            assert!(db.find(name).is_ok(), "{name} missing");
        }
        assert!(db.find("sony rx1r-ii").is_ok());
    }

    /// QGroundControl's documented example: QX1 at 25 cm/px with 70 % overlaps gives lane
    /// spacing 409.2 m and trigger distance 272.4 m. Its altitude of 940.690 m is what the
    /// 16 mm lens gives; with the 20 mm lens the same GSD needs 1175.862 m (footprint and
    /// hence spacing depend only on GSD and image size, not on the lens).
    #[test]
    fn qgc_documented_example() {
        let db = CameraDatabase::builtin();
        let qx1_16 = db.find("Sony ILCE-QX1 16mm").unwrap();
        let qx1_20 = db.find("Sony ILCE-QX1 20mm").unwrap();
        assert!((qx1_16.distance_for_gsd_m(25.0) - 940.690).abs() < 5e-4);
        assert!((qx1_20.distance_for_gsd_m(25.0) - 1175.862).abs() < 5e-4);
        for cam in [qx1_16, qx1_20] {
            let h = cam.distance_for_gsd_m(25.0);
            assert!((cam.gsd_cm_per_px(h) - 25.0).abs() < 1e-9);
            let side = cam.lane_spacing_m(h, Orientation::Landscape, 70.0);
            let front = cam.trigger_distance_m(h, Orientation::Landscape, 70.0);
            assert!((side - 409.2).abs() < 1e-9, "{side}");
            assert!((front - 272.4).abs() < 1e-9, "{front}");
            // Portrait swaps the two footprint sides.
            let fp = cam.footprint_m(h, Orientation::Portrait);
            assert!((fp.side_m - 908.0).abs() < 1e-9 && (fp.front_m - 1364.0).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_specs_and_overlaps_are_refused() {
        let text = "[[camera]]\nname='x'\nsensor_width_mm=0\nsensor_height_mm=1\nfocal_length_mm=1\nimage_width_px=10\nimage_height_px=10\n";
        let err = CameraDatabase::from_toml(text).unwrap_err();
        assert!(err.to_string().contains("sensor_width_mm"), "{err}");
        assert!(check_overlap("side_overlap", 100.0).is_err());
        assert!(check_overlap("side_overlap", f64::NAN).is_err());
        assert!(check_overlap("side_overlap", -1.0).is_err());
        assert_eq!(check_overlap("side_overlap", 70.0), Ok(70.0));
        let unknown = CameraDatabase::builtin().find("Hasselblad").unwrap_err();
        assert!(unknown.to_string().contains("DJI Zenmuse P1"), "{unknown}");
    }

    #[test]
    fn cameras_are_found_by_alias_in_any_case_and_misses_list_near_matches() {
        let db = CameraDatabase::builtin();
        assert_eq!(db.find("M3E").unwrap().name, "DJI Mavic 3 Enterprise wide");
        assert_eq!(db.find("m30t-wide").unwrap().name, "DJI Matrice 30 wide");
        assert_eq!(db.find("h20t").unwrap().name, "DJI Zenmuse H20 wide");
        assert_eq!(
            db.find("dji mavic 3 THERMAL wide").unwrap().name,
            "DJI Mavic 3 Thermal wide"
        );
        let miss = db.find("M3X").unwrap_err().to_string();
        assert!(miss.contains("near matches"), "{miss}");
        assert!(miss.contains("DJI Mavic 3 Enterprise wide"), "{miss}");
        assert!(!miss.contains("Sony"), "{miss}");
        // Every alias names exactly one camera.
        let mut seen = std::collections::HashSet::new();
        for c in db.cameras() {
            for a in db.aliases_of(c) {
                assert!(seen.insert(name_key(a)), "alias {a} used twice");
            }
        }
        let two = "[[camera]]\nname = \"A\"\naliases = [\"x\"]\nsensor_width_mm = 1.0\n\
                   sensor_height_mm = 1.0\nfocal_length_mm = 1.0\nimage_width_px = 10\n\
                   image_height_px = 10\n[[camera]]\nname = \"B\"\naliases = [\"X\"]\n\
                   sensor_width_mm = 1.0\nsensor_height_mm = 1.0\nfocal_length_mm = 1.0\n\
                   image_width_px = 10\nimage_height_px = 10\n";
        let db2 = CameraDatabase::from_toml(two).unwrap();
        let amb = db2.find("x").unwrap_err().to_string();
        assert!(amb.contains("ambiguous") && amb.contains("A, B"), "{amb}");
    }
}
