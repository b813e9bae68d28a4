//! An offline basemap from an MBTiles file (the SQLite tile store of the MBTiles 1.3
//! specification: `metadata(name, value)`, `tiles(zoom_level, tile_column, tile_row,
//! tile_data)` with rows counted from the south): the raster tiles around the flight are
//! copied beside the page, so it stays a folder that opens offline.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::mercator::{flip_row, LatLonBox};

/// Most basemap tiles copied beside a page.
pub const MAX_TILES: usize = 20_000;

/// Why an MBTiles file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MbTilesError {
    #[error("{path}: cannot open as an MBTiles (SQLite) file: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {what}: {source}")]
    Query {
        path: PathBuf,
        what: &'static str,
        source: rusqlite::Error,
    },
    #[error("{path}: metadata '{field}' is '{value}': expected {expected}")]
    BadMetadata {
        path: PathBuf,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// One basemap tile, XYZ addressed.
#[derive(Debug, Clone)]
pub struct BasemapTile {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    pub bytes: Vec<u8>,
}

/// The tiles of an MBTiles file around the flight.
#[derive(Debug, Clone)]
pub struct Basemap {
    pub name: String,
    pub attribution: String,
    /// `png`, `jpg` or `webp`.
    pub ext: &'static str,
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub tiles: Vec<BasemapTile>,
    /// Zooms left out to stay under [`MAX_TILES`].
    pub zooms_left_out: Vec<u8>,
}

fn meta(conn: &Connection, path: &Path, name: &str) -> Result<Option<String>, MbTilesError> {
    conn.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .map_err(|source| MbTilesError::Query {
        path: path.to_path_buf(),
        what: "reading the metadata table",
        source,
    })
}

/// Reads the tiles of `path` that cover `area`, every zoom the file has, deepest zooms left
/// out first when more than [`MAX_TILES`] would be copied.
pub fn read(path: &Path, area: &LatLonBox) -> Result<Basemap, MbTilesError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            MbTilesError::Open {
                path: path.to_path_buf(),
                source,
            }
        })?;
    // SQLite opens any file lazily: read its schema now so that a file that is not a
    // database says so as such.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|source| MbTilesError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let format = meta(&conn, path, "format")?.unwrap_or_else(|| "png".into());
    let ext = match format.as_str() {
        "png" => "png",
        "jpg" | "jpeg" => "jpg",
        "webp" => "webp",
        _ => {
            return Err(MbTilesError::BadMetadata {
                path: path.to_path_buf(),
                field: "format",
                value: format,
                expected: "a raster format: png, jpg or webp (vector tiles, pbf, are not drawn)",
            })
        }
    };
    let zoom_range: (Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|source| MbTilesError::Query {
            path: path.to_path_buf(),
            what: "reading the tiles table",
            source,
        })?;
    let (lo, hi) = match zoom_range {
        (Some(lo), Some(hi)) => (lo.clamp(0, 24) as u8, hi.clamp(0, 24) as u8),
        _ => (0, 0),
    };
    let mut stmt = conn
        .prepare(
            "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ?1 \
             AND tile_column BETWEEN ?2 AND ?3 AND tile_row BETWEEN ?4 AND ?5",
        )
        .map_err(|source| MbTilesError::Query {
            path: path.to_path_buf(),
            what: "reading the tiles table",
            source,
        })?;
    let mut tiles = Vec::new();
    let mut zooms_left_out = Vec::new();
    let mut max_zoom = lo;
    for z in lo..=hi {
        let (x0, x1, y0, y1) = area.tiles(z);
        let n = u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1);
        if tiles.len() as u64 + n > MAX_TILES as u64 {
            zooms_left_out.extend(z..=hi);
            break;
        }
        // Rows are counted from the south in the file: y0 (north) is the larger row.
        let rows = stmt
            .query_map(
                rusqlite::params![z, x0, x1, flip_row(z, y1), flip_row(z, y0)],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                },
            )
            .map_err(|source| MbTilesError::Query {
                path: path.to_path_buf(),
                what: "reading tiles",
                source,
            })?;
        for row in rows {
            let (x, row, bytes) = row.map_err(|source| MbTilesError::Query {
                path: path.to_path_buf(),
                what: "reading a tile",
                source,
            })?;
            tiles.push(BasemapTile {
                z,
                x: x as u32,
                y: flip_row(z, row as u32),
                bytes,
            });
        }
        max_zoom = z;
    }
    Ok(Basemap {
        name: meta(&conn, path, "name")?.unwrap_or_default(),
        attribution: meta(&conn, path, "attribution")?.unwrap_or_default(),
        ext,
        min_zoom: lo,
        max_zoom,
        tiles,
        zooms_left_out,
    })
}
