//! ESRI Shapefile survey input (`.shp` + `.dbf` + `.prj`), as ArcGIS, QGIS and Chinese
//! surveying offices export it, read with the `shapefile` crate.
//!
//! The `.prj` says the coordinate system ([`qly_core::crs::Crs::from_wkt`]): WGS-84 or
//! CGCS2000 longitude/latitude, or a CGCS2000 Gauss-Kruger / transverse Mercator projection
//! (converted to longitude/latitude here). It is required: a shapefile's numbers mean
//! nothing without it. The `.dbf` is decoded as its `.cpg` says (GBK is common), else as its
//! header's code page, else as lossy UTF-8.
//!
//! Records are read as GeoJSON features are: one polyline (a centreline, one part) or one
//! polygon (an area: one outer ring, holes allowed) is the survey; polygons whose `role`
//! field is `exclusion` are no-fly zones; points with a `name` are sites. The fields
//! `width_m`, `datum` and `name` of the survey's record are read.
//!
//! Memory: the `.shp` and `.dbf` are read whole (each at most [`MAX_INPUT_BYTES`]) and every
//! record's point count is checked against its stored length before the crate reads it, so a
//! forged count cannot make it allocate more than the file holds.

use std::io::Cursor;
use std::path::Path;
use std::str::FromStr;

use ::shapefile::dbase::{self, FieldValue};
use ::shapefile::{PolygonRing, Shape};
use qly_core::crs::Crs;
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::validate::{check_pairs, check_width, clean_points, AxisOrder};
use super::{Ctx, InputError, MAX_INPUT_BYTES};
use crate::survey::{InputGeometry, Site, SurveyInput};

/// Reads `<stem>.shp` with its `.dbf` and `.prj`.
pub(crate) fn read(
    ctx: &Ctx,
    path: &Path,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let shp = read_bytes(ctx, path, "(file)")?;
    check_record_sizes(ctx, &shp)?;
    let prj_path = path.with_extension("prj");
    let prj_field = file_name(&prj_path);
    let prj = match std::fs::read(&prj_path) {
        Ok(b) if b.len() <= 64 << 10 => String::from_utf8_lossy(&b).into_owned(),
        Ok(b) => {
            return Err(ctx.err(
                prj_field,
                format!(
                    "{} bytes: expected a WKT coordinate system (a few hundred bytes)",
                    b.len()
                ),
            ))
        }
        Err(e) => {
            return Err(ctx.err(
                prj_field,
                format!(
                    "cannot read it ({e}): expected the .prj beside the .shp, saying the \
                     coordinate system (WGS-84, CGCS2000 or a CGCS2000 Gauss-Kruger zone)"
                ),
            ))
        }
    };
    let crs = Crs::from_wkt(&prj).map_err(|e| ctx.err(file_name(&prj_path), e.to_string()))?;
    let dbf_path = path.with_extension("dbf");
    let dbf = read_bytes(ctx, &dbf_path, &file_name(&dbf_path))?;
    let cpg = std::fs::read_to_string(path.with_extension("cpg")).ok();
    let dbf_reader = dbase_reader(ctx, &dbf_path, dbf, cpg.as_deref())?;
    let shape_reader = ::shapefile::ShapeReader::new(Cursor::new(shp))
        .map_err(|e| ctx.err("(header)", format!("{e}: expected an ESRI shapefile")))?;
    let mut reader = ::shapefile::Reader::new(shape_reader, dbf_reader);
    let mut records = Vec::new();
    for (i, r) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = r.map_err(|e| {
            ctx.err(
                format!("record[{i}]"),
                format!("{e}: expected a shape and its .dbf row"),
            )
        })?;
        records.push((shape, record));
    }
    if crs.is_projected() {
        if let Some(d @ (Datum::Gcj02 | Datum::Bd09)) = datum_override {
            return Err(ctx.err(
                file_name(&prj_path),
                format!(
                    "{crs} with --datum {d}: expected projected coordinates in CGCS2000 \
                     (GCJ-02 and BD-09 are longitude/latitude datums); drop --datum"
                ),
            ));
        }
    }
    build(ctx, &crs, records, datum_override)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn read_bytes(ctx: &Ctx, path: &Path, field: &str) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            ctx.err(
                field,
                format!(
                    "cannot read {} ({e}): expected the shapefile's .shp and .dbf side by side",
                    path.display()
                ),
            )
        })?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(ctx.err(
            field,
            format!(
                "larger than {} MiB: expected survey geometry (kilobytes to a few megabytes)",
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// The `.dbf` reader: the `.cpg`'s encoding, else the header's code page, else lossy UTF-8.
fn dbase_reader(
    ctx: &Ctx,
    dbf_path: &Path,
    dbf: Vec<u8>,
    cpg: Option<&str>,
) -> Result<dbase::Reader<Cursor<Vec<u8>>>, InputError> {
    let field = file_name(dbf_path);
    let err = |e: dbase::Error| ctx.err(field.clone(), format!("{e}: expected a dBase table"));
    if let Some(enc) = cpg.and_then(dbase::encoding::DynEncoding::from_name) {
        return dbase::ReaderBuilder::new()
            .with_encoding(enc)
            .build(Cursor::new(dbf))
            .map_err(err);
    }
    match dbase::Reader::new(Cursor::new(dbf.clone())) {
        Ok(r) => Ok(r),
        Err(_) => dbase::ReaderBuilder::new()
            .with_encoding(dbase::UnicodeLossy)
            .build(Cursor::new(dbf))
            .map_err(err),
    }
}

/// Checks each record's stored length against the point and part counts it claims (the
/// crate allocates by the counts), and that records lie inside the file.
fn check_record_sizes(ctx: &Ctx, shp: &[u8]) -> Result<(), InputError> {
    if shp.len() < 100 || shp[..4] != [0, 0, 0x27, 0x0a] {
        return Err(ctx.err(
            "(header)",
            "not a shapefile (no file code 9994 in the first 100 bytes): expected an ESRI .shp",
        ));
    }
    let be = |o: usize| i32::from_be_bytes([shp[o], shp[o + 1], shp[o + 2], shp[o + 3]]);
    let le = |o: usize| i32::from_le_bytes([shp[o], shp[o + 1], shp[o + 2], shp[o + 3]]);
    let mut at = 100;
    let mut k = 0;
    while at + 8 <= shp.len() {
        let len = be(at + 4).max(0) as usize * 2;
        let start = at + 8;
        let field = format!("record[{k}]");
        if start + len > shp.len() {
            return Err(ctx.err(
                field,
                format!("{len} bytes stored past the end of the file: expected a complete record"),
            ));
        }
        if len >= 4 {
            let needed = match le(start) {
                // Polyline and polygon (plain, Z, M): box, parts, points.
                3 | 5 | 13 | 15 | 23 | 25 if len >= 44 => {
                    let parts = le(start + 36).max(0) as usize;
                    let points = le(start + 40).max(0) as usize;
                    Some(44 + 4 * parts + 16 * points)
                }
                // Multipoint (plain, Z, M): box, points.
                8 | 18 | 28 if len >= 40 => Some(40 + 16 * le(start + 36).max(0) as usize),
                _ => None,
            };
            if let Some(n) = needed.filter(|&n| n > len) {
                return Err(ctx.err(
                    field,
                    format!("claims {n} bytes of parts and points in a {len}-byte record: expected counts that fit"),
                ));
            }
        }
        at = start + len;
        k += 1;
    }
    Ok(())
}

/// Geometry as read, before conversion to WGS-84 (projected: already converted).
enum Main {
    Line(Vec<GeoPoint>),
    Area(Vec<GeoPoint>, Vec<Vec<GeoPoint>>),
}

fn text_field(record: &dbase::Record, key: &str) -> Option<String> {
    let (_, v) = record
        .as_ref()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))?;
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn number_field(record: &dbase::Record, key: &str) -> Option<Result<f64, String>> {
    let (_, v) = record
        .as_ref()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))?;
    Some(match v {
        FieldValue::Numeric(Some(n)) | FieldValue::Double(n) | FieldValue::Currency(n) => Ok(*n),
        FieldValue::Float(Some(n)) => Ok(f64::from(*n)),
        FieldValue::Integer(n) => Ok(f64::from(*n)),
        FieldValue::Character(Some(s)) => s.trim().parse().map_err(|_| format!("'{}'", s.trim())),
        other => Err(format!("{other:?}")),
    })
}

fn build(
    ctx: &Ctx,
    crs: &Crs,
    records: Vec<(Shape, dbase::Record)>,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    // The survey record first: its fields say the datum the others are read in.
    let is_exclusion = |r: &dbase::Record| {
        text_field(r, "role").is_some_and(|s| s.eq_ignore_ascii_case("exclusion"))
    };
    let main_index = records.iter().position(|(s, r)| {
        !is_exclusion(r)
            && matches!(
                s,
                Shape::Polyline(_)
                    | Shape::PolylineZ(_)
                    | Shape::PolylineM(_)
                    | Shape::Polygon(_)
                    | Shape::PolygonZ(_)
                    | Shape::PolygonM(_)
            )
    });
    let Some(main_index) = main_index else {
        return Err(ctx.err(
            "(records)",
            format!(
                "{} record(s), none a polyline or polygon: expected one polyline (river \
                 centreline) or polygon (area)",
                records.len()
            ),
        ));
    };
    let main_record = &records[main_index].1;
    let file_datum = match text_field(main_record, "datum").filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Datum::from_str(&s)
                .map_err(|e| ctx.err(format!("record[{main_index}].datum"), e.to_string()))?,
        ),
        None => None,
    };
    if crs.is_projected() && matches!(file_datum, Some(Datum::Gcj02 | Datum::Bd09)) {
        return Err(ctx.err(
            format!("record[{main_index}].datum"),
            format!("{crs} coordinates cannot be in GCJ-02 or BD-09: expected CGCS2000 or no datum field"),
        ));
    }
    // Projected coordinates are CGCS2000 whatever a datum field says (GCJ-02 and BD-09 were
    // refused above; WGS-84 and CGCS2000 are the same to centimetres).
    let datum = if crs.is_projected() {
        Datum::Cgcs2000
    } else {
        datum_override.or(file_datum).unwrap_or(crs.datum())
    };
    let width_m = match number_field(main_record, "width_m") {
        Some(Ok(w)) => Some(check_width(
            ctx,
            &format!("record[{main_index}].width_m"),
            w,
        )?),
        Some(Err(v)) => {
            return Err(ctx.err(
                format!("record[{main_index}].width_m"),
                format!("{v}: expected a number (corridor width in metres > 0)"),
            ))
        }
        None => None,
    };
    let name = text_field(main_record, "name").filter(|s| !s.is_empty());

    // Points of one part, as (lon, lat) in `datum` (projected ones converted); `ring`:
    // `Some` cleans a line or ring, `None` keeps a single point as it is.
    let part =
        |path: &str, xy: &[(f64, f64)], ring: Option<bool>| -> Result<Vec<GeoPoint>, InputError> {
            let pairs: Vec<(f64, f64)> = if crs.is_projected() {
                xy.iter()
                    .enumerate()
                    .map(|(i, &(x, y))| {
                        crs.to_wgs84(x, y)
                            .map(|p| (p.lon_deg, p.lat_deg))
                            .map_err(|e| {
                                ctx.err(
                                    format!("{path}[{i}]"),
                                    format!("{e}; expected [easting, northing] metres in {crs}"),
                                )
                            })
                    })
                    .collect::<Result<_, _>>()?
            } else {
                xy.to_vec()
            };
            let pts = check_pairs(
                ctx,
                path,
                &|i| format!("{path}[{i}]"),
                &pairs,
                AxisOrder::LonLat,
                datum,
            )?;
            match ring {
                Some(ring) => clean_points(ctx, path, pts, ring),
                None => Ok(pts),
            }
        };
    let polygon = |path: &str, rings: Vec<(bool, Vec<(f64, f64)>)>| -> Result<Main, InputError> {
        let outers = rings.iter().filter(|(outer, _)| *outer).count();
        if outers != 1 {
            return Err(ctx.err(
                path,
                format!("{outers} outer rings: expected one polygon (split the others into records; mark no-fly ones role = exclusion)"),
            ));
        }
        let mut boundary = Vec::new();
        let mut holes = Vec::new();
        for (k, (outer, ring)) in rings.iter().enumerate() {
            let pts = part(&format!("{path}.rings[{k}]"), ring, Some(true))?;
            if *outer {
                boundary = pts;
            } else {
                holes.push(pts);
            }
        }
        Ok(Main::Area(boundary, holes))
    };
    let mut main: Option<Main> = None;
    let mut exclusions = Vec::new();
    let mut sites = Vec::new();
    for (k, (shape, record)) in records.iter().enumerate() {
        let path = format!("record[{k}].shape");
        let found = match shape {
            Shape::NullShape => continue,
            Shape::Point(p) => Some(point_site(ctx, &path, record, &part, p.x, p.y)?),
            Shape::PointZ(p) => Some(point_site(ctx, &path, record, &part, p.x, p.y)?),
            Shape::PointM(p) => Some(point_site(ctx, &path, record, &part, p.x, p.y)?),
            _ => None,
        };
        if let Some(site) = found {
            sites.push(site);
            continue;
        }
        let geom = match shape {
            Shape::Polyline(l) => line(
                ctx,
                &path,
                l.parts()
                    .iter()
                    .map(|p| p.iter().map(|q| (q.x, q.y)).collect())
                    .collect(),
                &part,
            )?,
            Shape::PolylineZ(l) => line(
                ctx,
                &path,
                l.parts()
                    .iter()
                    .map(|p| p.iter().map(|q| (q.x, q.y)).collect())
                    .collect(),
                &part,
            )?,
            Shape::PolylineM(l) => line(
                ctx,
                &path,
                l.parts()
                    .iter()
                    .map(|p| p.iter().map(|q| (q.x, q.y)).collect())
                    .collect(),
                &part,
            )?,
            Shape::Polygon(g) => polygon(&path, rings(g.rings(), |q| (q.x, q.y)))?,
            Shape::PolygonZ(g) => polygon(&path, rings(g.rings(), |q| (q.x, q.y)))?,
            Shape::PolygonM(g) => polygon(&path, rings(g.rings(), |q| (q.x, q.y)))?,
            other => {
                return Err(ctx.err(
                    path,
                    format!(
                        "a {} shape: expected a polyline (centreline), polygon (area or \
                         exclusion) or point (site)",
                        other.shapetype()
                    ),
                ))
            }
        };
        if is_exclusion(record) {
            match geom {
                Main::Area(b, _) => exclusions.push(b),
                Main::Line(_) => {
                    return Err(
                        ctx.err(path, "an exclusion polyline: expected an exclusion polygon")
                    )
                }
            }
            continue;
        }
        if main.is_some() {
            return Err(ctx.err(
                path,
                format!(
                    "a second survey geometry (the first is record[{main_index}]): expected \
                     exactly one polyline or polygon; mark no-fly polygons with role = exclusion"
                ),
            ));
        }
        main = Some(geom);
    }
    let to_wgs =
        |v: Vec<GeoPoint>| -> Vec<GeoPoint> { v.into_iter().map(|p| datum.to_wgs84(p)).collect() };
    let geometry = match main.expect("the survey record was found above") {
        Main::Line(l) => InputGeometry::Centreline(to_wgs(l)),
        Main::Area(b, h) => InputGeometry::Area {
            boundary: to_wgs(b),
            holes: h.into_iter().map(to_wgs).collect(),
        },
    };
    Ok(SurveyInput {
        source: ctx.file.clone(),
        name,
        geometry,
        exclusions: exclusions.into_iter().map(to_wgs).collect(),
        width_m,
        datum,
        sites: sites
            .into_iter()
            .map(|s: Site| Site {
                name: s.name,
                point: datum.to_wgs84(s.point),
            })
            .collect(),
    })
}

fn rings<P>(
    rings: &[PolygonRing<P>],
    xy: impl Fn(&P) -> (f64, f64),
) -> Vec<(bool, Vec<(f64, f64)>)> {
    rings
        .iter()
        .map(|r| match r {
            PolygonRing::Outer(v) => (true, v.iter().map(&xy).collect()),
            PolygonRing::Inner(v) => (false, v.iter().map(&xy).collect()),
        })
        .collect()
}

type PartFn<'a> =
    dyn Fn(&str, &[(f64, f64)], Option<bool>) -> Result<Vec<GeoPoint>, InputError> + 'a;

fn line(
    ctx: &Ctx,
    path: &str,
    parts: Vec<Vec<(f64, f64)>>,
    part: &PartFn,
) -> Result<Main, InputError> {
    if parts.len() != 1 {
        return Err(ctx.err(
            path,
            format!(
                "a polyline of {} parts: expected one part (one centreline)",
                parts.len()
            ),
        ));
    }
    Ok(Main::Line(part(
        &format!("{path}.parts[0]"),
        &parts[0],
        Some(false),
    )?))
}

fn point_site(
    ctx: &Ctx,
    path: &str,
    record: &dbase::Record,
    part: &PartFn,
    x: f64,
    y: f64,
) -> Result<Site, InputError> {
    let name = text_field(record, "name")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ctx.err(
                path,
                "a point without a name field: expected a \"name\" (points are named sites)",
            )
        })?;
    let p = part(path, &[(x, y)], None)?;
    Ok(Site { name, point: p[0] })
}
