//! DJI enterprise aircraft and payloads as DJI's route files (WPML KMZ) name them: the
//! `droneInfo` and `payloadInfo` enum values, kept as data in `planner/data/dji_aircraft.toml`
//! with the survey camera each carries (a name in `core/data/cameras.toml`).

use serde::Deserialize;
use thiserror::Error;

/// One aircraft with its payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DjiAircraft {
    /// What `--aircraft` takes (`M3E`, `M350-H20T`).
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `wpml:droneEnumValue`.
    pub drone_enum: u32,
    /// `wpml:droneSubEnumValue`; `None` where the specification gives no sub type.
    pub drone_sub_enum: Option<u32>,
    /// `wpml:payloadEnumValue`.
    pub payload_enum: u32,
    /// `wpml:payloadSubEnumValue`.
    pub payload_sub_enum: u32,
    /// The survey camera's name in the camera database.
    pub camera: String,
    /// Where the values come from when not the specification's tables.
    pub source: Option<String>,
}

#[derive(Debug, Error)]
pub enum DjiAircraftError {
    #[error("unknown DJI aircraft '{name}'; known: {known}")]
    Unknown { name: String, known: String },
    #[error("DJI aircraft database: {0}")]
    Database(String),
}

/// The aircraft we can write routes for.
#[derive(Debug, Clone)]
pub struct DjiAircraftDatabase {
    aircraft: Vec<DjiAircraft>,
}

#[derive(Deserialize)]
struct AircraftFile {
    aircraft: Vec<DjiAircraft>,
}

fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl DjiAircraftDatabase {
    /// The database shipped in `planner/data/dji_aircraft.toml`.
    pub fn builtin() -> DjiAircraftDatabase {
        // Part of the source tree and checked by the tests below: a parse failure is a build
        // defect, not bad user input.
        DjiAircraftDatabase::from_toml(include_str!("../data/dji_aircraft.toml"))
            .expect("planner/data/dji_aircraft.toml is valid")
    }

    pub fn from_toml(text: &str) -> Result<DjiAircraftDatabase, DjiAircraftError> {
        let file: AircraftFile =
            toml::from_str(text).map_err(|e| DjiAircraftError::Database(e.to_string()))?;
        Ok(DjiAircraftDatabase {
            aircraft: file.aircraft,
        })
    }

    pub fn aircraft(&self) -> &[DjiAircraft] {
        &self.aircraft
    }

    /// An aircraft by key, name or alias, ignoring case, spaces, dashes and underscores.
    pub fn find(&self, name: &str) -> Result<&DjiAircraft, DjiAircraftError> {
        let wanted = name_key(name);
        self.aircraft
            .iter()
            .find(|a| {
                name_key(&a.key) == wanted
                    || name_key(&a.name) == wanted
                    || a.aliases.iter().any(|x| name_key(x) == wanted)
            })
            .ok_or_else(|| DjiAircraftError::Unknown {
                name: name.to_string(),
                known: self
                    .aircraft
                    .iter()
                    .map(|a| a.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::camera::CameraDatabase;

    #[test]
    fn every_aircraft_has_a_known_camera_and_unique_names() {
        let db = DjiAircraftDatabase::builtin();
        let cameras = CameraDatabase::builtin();
        let mut keys = std::collections::HashSet::new();
        for a in db.aircraft() {
            assert!(
                cameras.find(&a.camera).is_ok(),
                "{}: camera {}",
                a.key,
                a.camera
            );
            for k in std::iter::once(&a.key).chain(&a.aliases) {
                assert!(keys.insert(name_key(k)), "{k} names two aircraft");
            }
        }
        for key in ["M3E", "M3T", "M30", "M30T", "M300-H20", "M350-H20T", "M3TD"] {
            assert!(db.find(key).is_ok(), "{key}");
        }
        assert_eq!(db.find("mavic 3e").unwrap().drone_enum, 77);
        let e = db.find("M4E").unwrap_err().to_string();
        assert!(e.contains("M3E"), "{e}");
    }
}
