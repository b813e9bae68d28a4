//! The file-system edge of the elevation models: read a file's bytes and hand them to
//! [`parse_geotiff`], or write [`write_geotiff`]'s bytes to a file. Everything else in the
//! terrain module works on bytes and values.

use crate::terrain::dem::{Dem, DemError, DemGrid, Georef};
use crate::terrain::geotiff::{parse_geotiff, write_geotiff, DatumChoice};
use crate::terrain::vertical::VerticalDatum;
use std::io::Cursor;
use std::path::Path;

/// Reads a GeoTIFF elevation model from `path`; errors name the path.
pub fn read_dem_file(path: &Path, datum: DatumChoice) -> Result<Dem, DemError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| DemError::Io {
        file: file.clone(),
        detail: e.to_string(),
    })?;
    parse_geotiff(&bytes, &file, datum)
}

/// Writes a float32 EPSG:4326 GeoTIFF (see [`write_geotiff`]) to `path`; errors name the
/// path.
pub fn write_dem_file(
    path: &Path,
    grid: &DemGrid,
    georef: &Georef,
    datum: VerticalDatum,
) -> Result<(), DemError> {
    let file = path.display().to_string();
    let mut bytes = Cursor::new(Vec::new());
    write_geotiff(&mut bytes, grid, georef, datum).map_err(|e| rename(e, &file))?;
    std::fs::write(path, bytes.into_inner()).map_err(|e| DemError::Io {
        file,
        detail: e.to_string(),
    })
}

/// The same error, naming `file` instead of the writer.
fn rename(e: DemError, file: &str) -> DemError {
    let file = file.to_string();
    match e {
        DemError::Io { detail, .. } => DemError::Io { file, detail },
        DemError::Tiff { detail, .. } => DemError::Tiff { file, detail },
        DemError::BadGrid { what, detail, .. } => DemError::BadGrid { file, what, detail },
        other => other,
    }
}
