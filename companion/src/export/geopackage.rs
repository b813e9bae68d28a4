//! GeoPackage 1.3 (OGC 12-128r18) point layers, written with SQLite: the required
//! `gpkg_spatial_ref_sys` (with EPSG:4326 and the two undefined systems), `gpkg_contents`
//! and `gpkg_geometry_columns` tables, `application_id` 'GPKG' and `user_version` 10300, and
//! geometries as GeoPackage binary (header + WKB Point, little-endian, no envelope: a point
//! is its own envelope). No spatial index: a flight has tens of candidates and thousands of
//! sightings, which GIS tools scan instantly.

use std::path::Path;

use rusqlite::{params, params_from_iter, Connection};

use super::attributes::{iso8601_utc_ms, Layer, Value};
use super::{write_atomically, ExportError};

/// 'GPKG' as a big-endian 32-bit integer.
const APPLICATION_ID_GPKG: i32 = 0x4750_4B47;
/// GeoPackage 1.3.0.
const USER_VERSION_1_3: i32 = 10300;
pub(crate) const SRS_ID_WGS84: i32 = 4326;

/// EPSG:4326 as the GeoPackage specification's own example gives it.
const WGS84_WKT: &str = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,\
298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",\
0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
AUTHORITY[\"EPSG\",\"4326\"]]";

const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
";

/// A WGS-84 point as a GeoPackage geometry blob.
pub(crate) fn point_blob(lon_deg: f64, lat_deg: f64) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + 21);
    b.extend_from_slice(b"GP");
    b.push(0); // version 1
    b.push(0b0000_0001); // flags: standard binary, not empty, no envelope, little-endian
    b.extend_from_slice(&SRS_ID_WGS84.to_le_bytes());
    b.push(1); // WKB little-endian
    b.extend_from_slice(&1u32.to_le_bytes()); // wkbPoint
    b.extend_from_slice(&lon_deg.to_le_bytes());
    b.extend_from_slice(&lat_deg.to_le_bytes());
    b
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Writes `layers` as one GeoPackage at `path` (atomically: a temporary file renamed into
/// place).
pub fn write_geopackage(path: &Path, layers: &[&Layer]) -> Result<(), ExportError> {
    write_atomically(path, |tmp| {
        let sql_err = |source| ExportError::Sqlite {
            path: tmp.to_path_buf(),
            source,
        };
        let mut db = Connection::open(tmp).map_err(sql_err)?;
        write_layers(&mut db, layers).map_err(sql_err)?;
        db.close().map_err(|(_, source)| sql_err(source))
    })
}

fn write_layers(db: &mut Connection, layers: &[&Layer]) -> rusqlite::Result<()> {
    db.pragma_update(None, "application_id", APPLICATION_ID_GPKG)?;
    db.pragma_update(None, "user_version", USER_VERSION_1_3)?;
    let tx = db.transaction()?;
    tx.execute_batch(SCHEMA)?;
    {
        let mut srs = tx.prepare(
            "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, \
             organization_coordsys_id, definition, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        srs.execute(params![
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system"
        ])?;
        srs.execute(params![
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system"
        ])?;
        srs.execute(params![
            "WGS 84 geodetic",
            SRS_ID_WGS84,
            "EPSG",
            4326,
            WGS84_WKT,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
        ])?;
    }
    for layer in layers {
        write_layer(&tx, layer)?;
    }
    tx.commit()
}

fn write_layer(tx: &rusqlite::Transaction<'_>, layer: &Layer) -> rusqlite::Result<()> {
    let table = quote(layer.name);
    let mut columns = vec![
        "fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL".to_string(),
        "geom POINT".to_string(),
    ];
    columns.extend(
        layer
            .columns
            .iter()
            .map(|(name, ty)| format!("{} {}", quote(name), ty.gpkg_name())),
    );
    tx.execute_batch(&format!("CREATE TABLE {table} ({});", columns.join(", ")))?;

    let lons = layer.features.iter().map(|f| f.position.lon_deg);
    let lats = layer.features.iter().map(|f| f.position.lat_deg);
    let extent = |v: &mut dyn Iterator<Item = f64>, min: bool| {
        v.reduce(if min { f64::min } else { f64::max })
    };
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, \
         min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            layer.name,
            layer.description,
            extent(&mut lons.clone(), true),
            extent(&mut lats.clone(), true),
            extent(&mut lons.clone(), false),
            extent(&mut lats.clone(), false),
            SRS_ID_WGS84
        ],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, \
         srs_id, z, m) VALUES (?1, 'geom', 'POINT', ?2, 0, 0)",
        params![layer.name, SRS_ID_WGS84],
    )?;

    let names: Vec<String> = layer.columns.iter().map(|(n, _)| quote(n)).collect();
    let placeholders: Vec<String> = (2..=layer.columns.len() + 1)
        .map(|i| format!("?{i}"))
        .collect();
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {table} (geom, {}) VALUES (?1, {})",
        names.join(", "),
        placeholders.join(", ")
    ))?;
    for f in &layer.features {
        let geom = rusqlite::types::Value::Blob(point_blob(f.position.lon_deg, f.position.lat_deg));
        let values = std::iter::once(geom).chain(f.values.iter().map(sql_value));
        insert.execute(params_from_iter(values))?;
    }
    Ok(())
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        Value::Integer(i) => Sql::Integer(*i),
        Value::Real(x) => Sql::Real(*x),
        Value::Text(s) => Sql::Text(s.clone()),
        Value::DateTime(t_utc_us) => Sql::Text(iso8601_utc_ms(*t_utc_us)),
        Value::Null => Sql::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_blob_is_the_header_then_little_endian_wkb() {
        let b = point_blob(106.95, 27.05);
        assert_eq!(b.len(), 29);
        assert_eq!(&b[..4], &[b'G', b'P', 0, 1]);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 4326);
        assert_eq!(b[8], 1);
        assert_eq!(u32::from_le_bytes(b[9..13].try_into().unwrap()), 1);
        assert_eq!(f64::from_le_bytes(b[13..21].try_into().unwrap()), 106.95);
        assert_eq!(f64::from_le_bytes(b[21..29].try_into().unwrap()), 27.05);
    }
}
