//! GeoTIFF elevation models from and to bytes: EPSG:4326 only, one band, any of the sample
//! types DEMs use, strips or tiles (the `tiff` crate decodes; this file reads the GeoTIFF
//! tags).
//!
//! # What is read
//!
//! - Georeferencing: ModelPixelScale + ModelTiepoint, or a ModelTransformation without
//!   rotation; north-up grids only.
//! - GeoKey directory: the model must be geographic on WGS 84 (EPSG:4326, or a user-defined
//!   geographic CRS on datum 6326) in degrees; a projected CRS (UTM...) or any other datum is
//!   refused, naming what the file declares.
//! - GTRasterTypeGeoKey: PixelIsArea (the default) ties coordinates to cell corners,
//!   PixelIsPoint to cell centres (SRTM .hgt-derived tiles): the latter is shifted by half a
//!   cell into the [`Georef`]'s edge convention, as GDAL does.
//! - VerticalCSTypeGeoKey: EGM96 (5773), EGM2008 (3855), WGS-84 ellipsoid (4979); see
//!   [`DatumChoice`] for files that do not say (most SRTM and Copernicus tiles).
//! - GDAL_NODATA (tag 42113): samples equal to it become voids (`NaN`), as do NaN samples.

use crate::terrain::dem::{Dem, DemError, DemGrid, Georef};
use crate::terrain::vertical::VerticalDatum;
use std::io::{Cursor, Seek, Write};
use tiff::decoder::{Decoder, DecodingResult};
use tiff::encoder::{colortype, Compression, DeflateLevel, TiffEncoder};
use tiff::tags::Tag;
use tiff::ColorType;

const KEY_MODEL_TYPE: u16 = 1024;
const KEY_RASTER_TYPE: u16 = 1025;
const KEY_GT_CITATION: u16 = 1026;
const KEY_GEOGRAPHIC_TYPE: u16 = 2048;
const KEY_GEOG_CITATION: u16 = 2049;
const KEY_GEOG_DATUM: u16 = 2050;
const KEY_GEOG_ANGULAR_UNITS: u16 = 2054;
const KEY_PROJECTED_CS_TYPE: u16 = 3072;
const KEY_PCS_CITATION: u16 = 3073;
const KEY_VERTICAL_CS_TYPE: u16 = 4096;
const KEY_VERTICAL_UNITS: u16 = 4099;

const MODEL_TYPE_PROJECTED: u16 = 1;
const MODEL_TYPE_GEOGRAPHIC: u16 = 2;
const MODEL_TYPE_GEOCENTRIC: u16 = 3;
const RASTER_PIXEL_IS_AREA: u16 = 1;
const RASTER_PIXEL_IS_POINT: u16 = 2;
const EPSG_WGS84: u16 = 4326;
const DATUM_WGS84: u16 = 6326;
const USER_DEFINED: u16 = 32767;
const ANGULAR_DEGREE: u16 = 9102;
const LINEAR_METRE: u16 = 9001;

/// Where a DEM's vertical datum comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatumChoice {
    /// The file must declare it (VerticalCSTypeGeoKey); a file that does not is refused.
    FromFile,
    /// The caller knows the product's datum (SRTM: EGM96; Copernicus GLO-30: EGM2008). A file
    /// that declares a different one is refused rather than silently overridden.
    Known(VerticalDatum),
}

/// What a GeoTIFF's header says, before any pixel is decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoTiffInfo {
    pub cols: usize,
    pub rows: usize,
    /// Sample type as the decoder reports it, e.g. `Gray(16)`.
    pub color_type: String,
    /// Edges and cell size, already shifted for PixelIsPoint.
    pub georef: Georef,
    /// GTRasterTypeGeoKey said PixelIsPoint.
    pub pixel_is_point: bool,
    /// GDAL_NODATA, if present.
    pub nodata: Option<f64>,
    /// VerticalCSTypeGeoKey, if present.
    pub vertical_datum: Option<VerticalDatum>,
}

fn tiff_err(file: &str, e: tiff::TiffError) -> DemError {
    DemError::Tiff {
        file: file.to_string(),
        detail: e.to_string(),
    }
}

/// The GeoKey directory with its double and ASCII parameters.
struct GeoKeys {
    /// (key, location, count, value or offset)
    entries: Vec<[u16; 4]>,
    ascii: String,
}

impl GeoKeys {
    fn parse(file: &str, dir: &[u16], ascii: String) -> Result<GeoKeys, DemError> {
        let bad = |detail: String| DemError::BadGrid {
            file: file.to_string(),
            what: "GeoKeyDirectoryTag (34735)",
            detail,
        };
        if dir.len() < 4 {
            return Err(bad(format!(
                "{} values, expected a 4-value header",
                dir.len()
            )));
        }
        let n = usize::from(dir[3]);
        if dir.len() < 4 + 4 * n {
            return Err(bad(format!(
                "{} values for {n} keys, expected {}",
                dir.len(),
                4 + 4 * n
            )));
        }
        let entries = dir[4..4 + 4 * n]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        Ok(GeoKeys { entries, ascii })
    }

    fn short(&self, key: u16) -> Option<u16> {
        self.entries
            .iter()
            .find(|e| e[0] == key && e[1] == 0)
            .map(|e| e[3])
    }

    fn present(&self, key: u16) -> bool {
        self.entries.iter().any(|e| e[0] == key)
    }

    fn text(&self, key: u16) -> Option<String> {
        let e = self.entries.iter().find(|e| e[0] == key && e[1] == 34737)?;
        let (start, len) = (usize::from(e[3]), usize::from(e[2]));
        let s = self.ascii.get(start..start.checked_add(len)?)?;
        let s = s.trim_end_matches(['|', '\0']).trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// The file's CRS in words, for refusals.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.short(KEY_MODEL_TYPE) {
            Some(MODEL_TYPE_PROJECTED) => parts.push("projected model".to_string()),
            Some(MODEL_TYPE_GEOGRAPHIC) => parts.push("geographic model".to_string()),
            Some(MODEL_TYPE_GEOCENTRIC) => parts.push("geocentric model".to_string()),
            Some(t) => parts.push(format!("model type {t}")),
            None => parts.push("no GTModelTypeGeoKey".to_string()),
        }
        if let Some(c) = self.short(KEY_PROJECTED_CS_TYPE) {
            parts.push(format!("ProjectedCSTypeGeoKey EPSG:{c}"));
        }
        if let Some(c) = self.short(KEY_GEOGRAPHIC_TYPE) {
            parts.push(format!("GeographicTypeGeoKey EPSG:{c}"));
        }
        if let Some(c) = self.short(KEY_GEOG_DATUM) {
            parts.push(format!("GeogGeodeticDatumGeoKey {c}"));
        }
        if let Some(c) = self.short(KEY_GEOG_ANGULAR_UNITS) {
            parts.push(format!("GeogAngularUnitsGeoKey {c}"));
        }
        for key in [KEY_PCS_CITATION, KEY_GT_CITATION, KEY_GEOG_CITATION] {
            if let Some(t) = self.text(key) {
                parts.push(format!("\"{t}\""));
            }
        }
        parts.join(", ")
    }
}

fn find_f64s(
    file: &str,
    decoder: &mut Decoder<Cursor<&[u8]>>,
    tag: Tag,
) -> Result<Option<Vec<f64>>, DemError> {
    match decoder.find_tag(tag).map_err(|e| tiff_err(file, e))? {
        None => Ok(None),
        Some(v) => v.into_f64_vec().map(Some).map_err(|e| tiff_err(file, e)),
    }
}

fn header(file: &str, decoder: &mut Decoder<Cursor<&[u8]>>) -> Result<GeoTiffInfo, DemError> {
    let err = |e| tiff_err(file, e);
    let (w, h) = decoder.dimensions().map_err(err)?;
    let color = decoder.colortype().map_err(err)?;
    if !matches!(color, ColorType::Gray(_)) {
        return Err(DemError::Unsupported {
            file: file.to_string(),
            what: "the pixel layout",
            found: format!("{color:?}"),
            expected: "one grey band of heights",
        });
    }
    let Some(dir) = decoder
        .find_tag(Tag::GeoKeyDirectoryTag)
        .map_err(err)?
        .map(|v| v.into_u16_vec())
        .transpose()
        .map_err(err)?
    else {
        return Err(DemError::Missing {
            file: file.to_string(),
            what: "GeoKeyDirectoryTag (34735)",
            expected: "a GeoTIFF declaring EPSG:4326",
        });
    };
    let ascii = match decoder.find_tag(Tag::GeoAsciiParamsTag).map_err(err)? {
        Some(v) => v.into_string().unwrap_or_default(),
        None => String::new(),
    };
    let keys = GeoKeys::parse(file, &dir, ascii)?;
    check_crs(file, &keys)?;

    let pixel_is_point = match keys.short(KEY_RASTER_TYPE) {
        None | Some(RASTER_PIXEL_IS_AREA) => false,
        Some(RASTER_PIXEL_IS_POINT) => true,
        Some(t) => {
            return Err(DemError::Unsupported {
                file: file.to_string(),
                what: "GTRasterTypeGeoKey",
                found: t.to_string(),
                expected: "1 (PixelIsArea) or 2 (PixelIsPoint)",
            })
        }
    };
    let vertical_datum = vertical(file, &keys)?;
    let mut georef = georeferencing(file, decoder)?;
    if pixel_is_point {
        // Coordinates name cell centres: the edges are half a cell out.
        georef.west_lon_deg -= 0.5 * georef.lon_step_deg;
        georef.north_lat_deg += 0.5 * georef.lat_step_deg;
    }
    let nodata = match decoder.find_tag(Tag::GdalNodata).map_err(err)? {
        None => None,
        Some(v) => {
            let s = v.into_string().map_err(err)?;
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            Some(s.parse::<f64>().map_err(|_| DemError::Unsupported {
                file: file.to_string(),
                what: "GDAL_NODATA (42113)",
                found: format!("{s:?}"),
                expected: "a number",
            })?)
        }
    };
    Ok(GeoTiffInfo {
        cols: w as usize,
        rows: h as usize,
        color_type: format!("{color:?}"),
        georef,
        pixel_is_point,
        nodata,
        vertical_datum,
    })
}

fn check_crs(file: &str, keys: &GeoKeys) -> Result<(), DemError> {
    let refuse = || DemError::UnsupportedCrs {
        file: file.to_string(),
        found: keys.describe(),
    };
    let model = keys.short(KEY_MODEL_TYPE);
    if model.is_some_and(|m| m != MODEL_TYPE_GEOGRAPHIC) || keys.present(KEY_PROJECTED_CS_TYPE) {
        return Err(refuse());
    }
    match keys.short(KEY_GEOGRAPHIC_TYPE) {
        Some(EPSG_WGS84) => {}
        Some(USER_DEFINED) | None if keys.short(KEY_GEOG_DATUM) == Some(DATUM_WGS84) => {}
        _ => return Err(refuse()),
    }
    match keys.short(KEY_GEOG_ANGULAR_UNITS) {
        None | Some(ANGULAR_DEGREE) => Ok(()),
        Some(_) => Err(refuse()),
    }
}

fn vertical(file: &str, keys: &GeoKeys) -> Result<Option<VerticalDatum>, DemError> {
    let err = |detail: String| DemError::VerticalDatum {
        file: file.to_string(),
        detail,
    };
    if let Some(u) = keys.short(KEY_VERTICAL_UNITS) {
        if u != LINEAR_METRE {
            return Err(err(format!(
                "VerticalUnitsGeoKey is {u}: expected 9001 (metre)"
            )));
        }
    }
    match keys.short(KEY_VERTICAL_CS_TYPE) {
        None => Ok(None),
        Some(code) => VerticalDatum::from_epsg(code).map(Some).ok_or_else(|| {
            err(format!(
                "VerticalCSTypeGeoKey is {code}{}: expected 5773 (EGM96), 3855 (EGM2008) or 4979 (WGS-84 ellipsoid)",
                if code == USER_DEFINED { " (user-defined)" } else { "" }
            ))
        }),
    }
}

fn georeferencing(file: &str, decoder: &mut Decoder<Cursor<&[u8]>>) -> Result<Georef, DemError> {
    let bad = |what: &'static str, detail: String| DemError::BadGrid {
        file: file.to_string(),
        what,
        detail,
    };
    let georef = if let Some(m) = find_f64s(file, decoder, Tag::ModelTransformationTag)? {
        if m.len() < 16 {
            return Err(bad(
                "ModelTransformationTag (34264)",
                format!("{} values, expected 16", m.len()),
            ));
        }
        if m[1] != 0.0 || m[4] != 0.0 {
            return Err(bad(
                "ModelTransformationTag (34264)",
                format!(
                    "rotation/shear terms {} and {}: expected a north-up grid (0 and 0)",
                    m[1], m[4]
                ),
            ));
        }
        Georef {
            west_lon_deg: m[3],
            north_lat_deg: m[7],
            lon_step_deg: m[0],
            lat_step_deg: -m[5],
        }
    } else {
        let scale = find_f64s(file, decoder, Tag::ModelPixelScaleTag)?;
        let tie = find_f64s(file, decoder, Tag::ModelTiepointTag)?;
        let (Some(scale), Some(tie)) = (scale, tie) else {
            return Err(DemError::Missing {
                file: file.to_string(),
                what: "georeferencing",
                expected: "ModelPixelScaleTag (33550) with ModelTiepointTag (33922), or ModelTransformationTag (34264)",
            });
        };
        if scale.len() < 2 || tie.len() < 6 {
            return Err(bad(
                "ModelPixelScale/ModelTiepoint",
                format!(
                    "{} and {} values: expected at least 2 and 6",
                    scale.len(),
                    tie.len()
                ),
            ));
        }
        let (i, j, x, y) = (tie[0], tie[1], tie[3], tie[4]);
        Georef {
            west_lon_deg: x - i * scale[0],
            north_lat_deg: y + j * scale[1],
            lon_step_deg: scale[0],
            lat_step_deg: scale[1],
        }
    };
    let finite = [
        georef.west_lon_deg,
        georef.north_lat_deg,
        georef.lon_step_deg,
        georef.lat_step_deg,
    ]
    .iter()
    .all(|v| v.is_finite());
    if !finite || georef.lon_step_deg <= 0.0 || georef.lat_step_deg <= 0.0 {
        return Err(bad(
            "georeferencing",
            format!(
                "origin ({}, {}), cell {} x {} degrees: expected finite values and a north-up grid (cells going east and south)",
                georef.west_lon_deg, georef.north_lat_deg, georef.lon_step_deg, georef.lat_step_deg
            ),
        ));
    }
    Ok(georef)
}

/// Reads a GeoTIFF's header (size, sample type, georeferencing, nodata, vertical datum)
/// without decoding pixels; refuses anything but EPSG:4326 as [`parse_geotiff`] does.
/// `file` names the bytes in errors.
pub fn inspect_geotiff(bytes: &[u8], file: &str) -> Result<GeoTiffInfo, DemError> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(|e| tiff_err(file, e))?;
    header(file, &mut decoder)
}

/// Decodes a GeoTIFF elevation model. `file` names the bytes in errors (the file name when
/// they come from a file: see [`crate::terrain::read_dem_file`]).
pub fn parse_geotiff(bytes: &[u8], file: &str, datum: DatumChoice) -> Result<Dem, DemError> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(|e| tiff_err(file, e))?;
    let info = header(file, &mut decoder)?;
    let datum = match (datum, info.vertical_datum) {
        (DatumChoice::FromFile, Some(d)) => d,
        (DatumChoice::FromFile, None) => {
            return Err(DemError::VerticalDatum {
                file: file.to_string(),
                detail: "the file does not declare one (no VerticalCSTypeGeoKey): say which the product uses (SRTM: EGM96, Copernicus GLO-30: EGM2008)".to_string(),
            })
        }
        (DatumChoice::Known(d), None) => d,
        (DatumChoice::Known(d), Some(f)) if d == f => d,
        (DatumChoice::Known(d), Some(f)) => {
            return Err(DemError::VerticalDatum {
                file: file.to_string(),
                detail: format!("the file declares the {f}, but the caller said the {d}"),
            })
        }
    };
    let image = decoder.read_image().map_err(|e| tiff_err(file, e))?;
    let nodata = info.nodata;
    let is_void = |v: f64| v.is_nan() || nodata == Some(v);
    // Integer samples compare with GDAL_NODATA exactly; floats after rounding it to the
    // sample type, as GDAL does.
    let heights_m: Vec<f32> = match image {
        DecodingResult::I16(v) => convert(v, f64::from, is_void),
        DecodingResult::U16(v) => convert(v, f64::from, is_void),
        DecodingResult::I32(v) => convert(v, f64::from, is_void),
        DecodingResult::U32(v) => convert(v, f64::from, is_void),
        DecodingResult::I8(v) => convert(v, f64::from, is_void),
        DecodingResult::U8(v) => convert(v, f64::from, is_void),
        DecodingResult::F32(v) => {
            let nd = nodata.map(|n| n as f32);
            v.into_iter()
                .map(|x| {
                    if x.is_nan() || nd == Some(x) {
                        f32::NAN
                    } else {
                        x
                    }
                })
                .collect()
        }
        DecodingResult::F64(v) => convert(v, |x| x, is_void),
        other => {
            return Err(DemError::Unsupported {
                file: file.to_string(),
                what: "the sample type",
                found: format!("{:?}", std::mem::discriminant(&other)),
                expected: "8/16/32-bit integers or 32/64-bit floats",
            })
        }
    };
    let grid = DemGrid {
        cols: info.cols,
        rows: info.rows,
        heights_m,
    };
    Dem::new(file, grid, info.georef, datum)
}

fn convert<T: Copy>(
    v: Vec<T>,
    to_f64: impl Fn(T) -> f64,
    is_void: impl Fn(f64) -> bool,
) -> Vec<f32> {
    v.into_iter()
        .map(|x| {
            let h = to_f64(x);
            if is_void(h) {
                f32::NAN
            } else {
                h as f32
            }
        })
        .collect()
}

/// Writes a float32, deflate-compressed, PixelIsArea GeoTIFF on EPSG:4326 with the vertical
/// datum in VerticalCSTypeGeoKey and voids (`NaN`) declared by GDAL_NODATA = "nan".
///
/// Errors name the writer as "GeoTIFF output"; [`crate::terrain::write_dem_file`] names the
/// file instead.
pub fn write_geotiff<W: Write + Seek>(
    writer: W,
    grid: &DemGrid,
    georef: &Georef,
    datum: VerticalDatum,
) -> Result<(), DemError> {
    const NAME: &str = "GeoTIFF output";
    // Validates the size and extent like any DEM.
    Dem::new(NAME, grid.clone(), *georef, datum)?;
    let too_big = |n: usize| DemError::BadGrid {
        file: NAME.to_string(),
        what: "size",
        detail: format!("{n} samples across: expected at most {}", u32::MAX),
    };
    let cols = u32::try_from(grid.cols).map_err(|_| too_big(grid.cols))?;
    let rows = u32::try_from(grid.rows).map_err(|_| too_big(grid.rows))?;
    let err = |e| tiff_err(NAME, e);
    let mut tiff = TiffEncoder::new(writer)
        .map_err(err)?
        .with_compression(Compression::Deflate(DeflateLevel::Balanced));
    let mut image = tiff
        .new_image::<colortype::Gray32Float>(cols, rows)
        .map_err(err)?;
    let dir = image.encoder();
    dir.write_tag(
        Tag::ModelPixelScaleTag,
        &[georef.lon_step_deg, georef.lat_step_deg, 0.0][..],
    )
    .map_err(err)?;
    dir.write_tag(
        Tag::ModelTiepointTag,
        &[
            0.0,
            0.0,
            0.0,
            georef.west_lon_deg,
            georef.north_lat_deg,
            0.0,
        ][..],
    )
    .map_err(err)?;
    // Keys sorted by id, as the GeoTIFF spec requires.
    let keys: [[u16; 4]; 6] = [
        [KEY_MODEL_TYPE, 0, 1, MODEL_TYPE_GEOGRAPHIC],
        [KEY_RASTER_TYPE, 0, 1, RASTER_PIXEL_IS_AREA],
        [KEY_GEOGRAPHIC_TYPE, 0, 1, EPSG_WGS84],
        [KEY_GEOG_ANGULAR_UNITS, 0, 1, ANGULAR_DEGREE],
        [KEY_VERTICAL_CS_TYPE, 0, 1, datum.epsg()],
        [KEY_VERTICAL_UNITS, 0, 1, LINEAR_METRE],
    ];
    let mut directory: Vec<u16> = vec![1, 1, 0, keys.len() as u16];
    directory.extend(keys.iter().flatten());
    dir.write_tag(Tag::GeoKeyDirectoryTag, &directory[..])
        .map_err(err)?;
    dir.write_tag(Tag::GdalNodata, "nan").map_err(err)?;
    image.write_data(&grid.heights_m).map_err(err)
}
