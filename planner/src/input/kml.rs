//! KML survey input, as Google Earth, Ovital (奥维) and QGroundControl export it.
//!
//! A `LineString` (centreline) or `Polygon` (`outerBoundaryIs`/`innerBoundaryIs` with
//! `LinearRing`s) inside a `Placemark`, possibly nested in `Document`/`Folder`s or a
//! `MultiGeometry` with one member. `coordinates` holds whitespace-separated `lon,lat[,alt]`
//! tuples. Placemarks whose `ExtendedData` says `role` = `exclusion` are no-fly polygons;
//! named `Point` placemarks are sites. `width_m` and `datum` are read from `ExtendedData`
//! (`Data`/`value` or `SchemaData`/`SimpleData`) of the main placemark or the document.
//!
//! The XML is parsed with quick-xml into a small element tree first, so that every error can
//! name the element path (`kml/Document/Placemark[0]/Polygon/outerBoundaryIs`) or the line.

use std::str::FromStr;

use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::validate::{check_pairs, check_width, clean_points, AxisOrder};
use super::{Ctx, InputError};
use crate::survey::{InputGeometry, Site, SurveyInput};

/// Deepest element nesting read. Real KML nests Document/Folder/Placemark/MultiGeometry/
/// Polygon/outerBoundaryIs/LinearRing/coordinates some ten levels deep; the element tree is
/// walked and dropped recursively, so an unbounded depth (a file of 100 000 nested Folders)
/// would overflow the stack. With this bound a reader's memory is a few times the file's size
/// (the tree holds the text once) and its stack a few hundred KiB.
pub const MAX_XML_DEPTH: usize = 100;

/// One XML element: local name, attributes, text content and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn line_of(text: &str, byte: u64) -> usize {
    let end = (byte as usize).min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses well-formed XML with exactly one root element and nothing but whitespace outside.
pub(crate) fn parse_xml(ctx: &Ctx, text: &str) -> Result<Element, InputError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let xml_err = |pos: u64, what: String| {
        ctx.err(
            format!("line {}", line_of(text, pos)),
            format!("malformed XML ({what}): expected a well-formed KML document"),
        )
    };
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| xml_err(reader.error_position(), e.to_string()))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(xml_err(pos, "a second root element".into()));
            }
            Event::Start(_) if stack.len() >= MAX_XML_DEPTH => {
                return Err(xml_err(
                    pos,
                    format!(
                        "elements nested more than {MAX_XML_DEPTH} deep (inside {})",
                        stack
                            .iter()
                            .take(4)
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                            + "/..."
                    ),
                ));
            }
            Event::Start(e) => stack.push(start_element(&e)),
            Event::Empty(e) => {
                let el = start_element(&e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(xml_err(pos, "a closing tag without an opening one".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t
                    .decode()
                    .map_err(|e| xml_err(pos, format!("bad text encoding: {e}")))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if !s.trim().is_empty() => {
                        return Err(xml_err(
                            pos,
                            format!(
                                "text '{}' outside the root element",
                                s.trim().chars().take(40).collect::<String>()
                            ),
                        ))
                    }
                    None => {}
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map_err(|e| xml_err(pos, format!("unknown entity &{name};: {e}")))?
                    .into_owned();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&resolved),
                    None => return Err(xml_err(pos, "an entity outside the root element".into())),
                }
            }
            Event::Decl(_)
                if text.get(..pos as usize).is_some_and(|before| {
                    !before.trim_start_matches('\u{feff}').trim().is_empty()
                }) =>
            {
                return Err(xml_err(
                    pos,
                    "an XML declaration that is not at the start".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(xml_err(
            text.len() as u64,
            format!("<{}> is never closed", open.name),
        ));
    }
    root.ok_or_else(|| {
        ctx.err(
            "(root)",
            "no XML element: expected a KML document (<kml> ... </kml>)",
        )
    })
}

fn start_element(e: &quick_xml::events::BytesStart) -> Element {
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            (
                local(a.key.as_ref()),
                a.unescape_value()
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned()),
            )
        })
        .collect();
    Element {
        name: local(e.name().as_ref()),
        attrs,
        ..Default::default()
    }
}

/// A placemark found in the document, with its element path.
struct Placemark<'a> {
    path: String,
    el: &'a Element,
}

fn collect_placemarks<'a>(el: &'a Element, path: &str, out: &mut Vec<Placemark<'a>>) {
    for c in &el.children {
        if c.name == "Placemark" {
            out.push(Placemark {
                path: format!("{path}/Placemark[{}]", out.len()),
                el: c,
            });
        } else if matches!(c.name.as_str(), "Document" | "Folder") {
            collect_placemarks(c, &format!("{path}/{}", c.name), out);
        }
    }
}

/// `ExtendedData` values by name: `Data`/`value` and `SchemaData`/`SimpleData`.
fn extended_data(el: &Element, key: &str) -> Option<String> {
    let ext = el.child("ExtendedData")?;
    for d in ext.children_named("Data") {
        if d.attr("name") == Some(key) {
            return Some(
                d.child("value")
                    .map(|v| v.text.trim().to_string())
                    .unwrap_or_default(),
            );
        }
    }
    for sd in ext.children_named("SchemaData") {
        for s in sd.children_named("SimpleData") {
            if s.attr("name") == Some(key) {
                return Some(s.text.trim().to_string());
            }
        }
    }
    None
}

enum Geom<'a> {
    Point(&'a Element, String),
    Line(&'a Element, String),
    Polygon(&'a Element, String),
}

/// A geometry that can be surveyed (not a point).
enum Shape<'a> {
    Line(&'a Element, String),
    Polygon(&'a Element, String),
}

fn geometry_of<'a>(ctx: &Ctx, pm: &Placemark<'a>) -> Result<Option<Geom<'a>>, InputError> {
    let mut found: Vec<Geom<'a>> = Vec::new();
    let mut visit = |el: &'a Element, path: String| match el.name.as_str() {
        "Point" => found.push(Geom::Point(el, path)),
        "LineString" => found.push(Geom::Line(el, path)),
        "Polygon" => found.push(Geom::Polygon(el, path)),
        _ => {}
    };
    for c in &pm.el.children {
        if c.name == "MultiGeometry" {
            for g in &c.children {
                visit(g, format!("{}/MultiGeometry/{}", pm.path, g.name));
            }
        } else {
            visit(c, format!("{}/{}", pm.path, c.name));
        }
    }
    if found.len() > 1 {
        return Err(ctx.err(
            pm.path.clone(),
            format!(
                "{} geometries in one placemark: expected one LineString, Polygon or Point",
                found.len()
            ),
        ));
    }
    Ok(found.pop())
}

/// Parses a `coordinates` element into (lon, lat) pairs.
pub(crate) fn coordinates(
    ctx: &Ctx,
    parent: &Element,
    parent_path: &str,
) -> Result<(String, Vec<(f64, f64)>), InputError> {
    let Some(c) = parent.child("coordinates") else {
        return Err(ctx.err(
            parent_path,
            format!(
                "<{}> without <coordinates>: expected lon,lat[,alt] tuples",
                parent.name
            ),
        ));
    };
    let path = format!("{parent_path}/coordinates");
    let mut pairs = Vec::new();
    for (i, tuple) in c.text.split_whitespace().enumerate() {
        let nums: Vec<&str> = tuple.split(',').collect();
        let parsed: Option<Vec<f64>> = nums.iter().map(|n| n.trim().parse::<f64>().ok()).collect();
        match parsed {
            Some(v) if v.len() == 2 || v.len() == 3 => pairs.push((v[0], v[1])),
            _ => {
                return Err(ctx.err(
                    format!("{path}[{i}]"),
                    format!("'{tuple}': expected a tuple lon,lat or lon,lat,alt"),
                ))
            }
        }
    }
    Ok((path, pairs))
}

pub(crate) fn read(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    ctx.require_text(text, "a KML document")?;
    let root = parse_xml(ctx, text)?;
    if root.name != "kml" {
        return Err(ctx.err(
            format!("<{}>", root.name),
            "the root element is not <kml>: expected a KML document",
        ));
    }
    let mut placemarks = Vec::new();
    collect_placemarks(&root, "kml", &mut placemarks);
    let document = root.child("Document");

    // Classify placemarks.
    let mut main: Option<(&Placemark, Shape)> = None;
    let mut exclusions: Vec<(&Placemark, Shape)> = Vec::new();
    let mut points: Vec<(&Placemark, &Element, String)> = Vec::new();
    let mut empty: Option<&Placemark> = None;
    for pm in &placemarks {
        let Some(g) = geometry_of(ctx, pm)? else {
            empty.get_or_insert(pm);
            continue;
        };
        let role = extended_data(pm.el, "role");
        // Lanes, photos, corridor outlines, sorties and launch points drawn by our own KML
        // output.
        if matches!(
            role.as_deref(),
            Some("lane" | "photo" | "corridor_outline" | "sortie" | "launch")
        ) {
            continue;
        }
        let shape = match g {
            Geom::Point(el, path) => {
                points.push((pm, el, path));
                continue;
            }
            Geom::Line(el, path) => Shape::Line(el, path),
            Geom::Polygon(el, path) => Shape::Polygon(el, path),
        };
        match shape {
            g if role.as_deref() == Some("exclusion") => exclusions.push((pm, g)),
            g => {
                if let Some((first, _)) = &main {
                    return Err(ctx.err(
                        pm.path.clone(),
                        format!(
                            "a second survey geometry (the first is {}): expected exactly one \
                             LineString or Polygon; mark no-fly polygons with ExtendedData \
                             role = exclusion",
                            first.path
                        ),
                    ));
                }
                main = Some((pm, g));
            }
        }
    }
    let Some((main_pm, main_geom)) = main else {
        let field = empty
            .map(|p| p.path.clone())
            .unwrap_or_else(|| "kml".into());
        return Err(ctx.err(
            field,
            "no geometry to survey: expected a Placemark with a LineString (river centreline) \
             or a Polygon (area)",
        ));
    };

    // Properties: the main placemark's ExtendedData, then the document's.
    let prop = |key: &str| -> Option<(String, String)> {
        extended_data(main_pm.el, key)
            .map(|v| (format!("{}/ExtendedData[{key}]", main_pm.path), v))
            .or_else(|| {
                document.and_then(|d| {
                    extended_data(d, key).map(|v| (format!("kml/Document/ExtendedData[{key}]"), v))
                })
            })
    };
    let file_datum = match prop("datum") {
        Some((path, v)) => Some(Datum::from_str(&v).map_err(|e| ctx.err(path, e.to_string()))?),
        None => None,
    };
    let datum = datum_override.or(file_datum).unwrap_or_default();
    let width_m = match prop("width_m") {
        Some((path, v)) => {
            let w: f64 = v.parse().map_err(|_| {
                ctx.err(
                    path.clone(),
                    format!("'{v}': expected width_m, a number of metres > 0"),
                )
            })?;
            Some(check_width(ctx, &path, w)?)
        }
        None => None,
    };
    let name = main_pm
        .el
        .child("name")
        .map(|n| n.text.trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| {
            document
                .and_then(|d| d.child("name"))
                .map(|n| n.text.trim().to_string())
        });

    let line = |el: &Element, path: &str| -> Result<Vec<GeoPoint>, InputError> {
        let (cpath, pairs) = coordinates(ctx, el, path)?;
        let pts = check_pairs(
            ctx,
            &cpath,
            &|i| format!("{cpath}[{i}]"),
            &pairs,
            AxisOrder::LonLat,
            datum,
        )?;
        clean_points(ctx, &cpath, pts, false)
    };
    let ring = |boundary: &Element, path: &str| -> Result<Vec<Vec<GeoPoint>>, InputError> {
        let rings: Vec<&Element> = boundary.children_named("LinearRing").collect();
        if rings.is_empty() {
            return Err(ctx.err(
                path,
                format!(
                    "<{}> without <LinearRing>: expected a LinearRing with coordinates",
                    boundary.name
                ),
            ));
        }
        rings
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let rpath = if rings.len() > 1 {
                    format!("{path}/LinearRing[{k}]")
                } else {
                    format!("{path}/LinearRing")
                };
                let (cpath, pairs) = coordinates(ctx, r, &rpath)?;
                let pts = check_pairs(
                    ctx,
                    &cpath,
                    &|i| format!("{cpath}[{i}]"),
                    &pairs,
                    AxisOrder::LonLat,
                    datum,
                )?;
                clean_points(ctx, &cpath, pts, true)
            })
            .collect()
    };
    let polygon =
        |el: &Element, path: &str| -> Result<(Vec<GeoPoint>, Vec<Vec<GeoPoint>>), InputError> {
            let Some(outer) = el.child("outerBoundaryIs") else {
                return Err(ctx.err(
                    path,
                    "<Polygon> without <outerBoundaryIs>: expected an outer boundary",
                ));
            };
            let opath = format!("{path}/outerBoundaryIs");
            let mut outer_rings = ring(outer, &opath)?;
            if outer_rings.len() != 1 {
                return Err(ctx.err(
                    opath,
                    "more than one LinearRing: expected exactly one outer ring",
                ));
            }
            let boundary = outer_rings.remove(0);
            let mut holes = Vec::new();
            for (k, inner) in el.children_named("innerBoundaryIs").enumerate() {
                holes.extend(ring(inner, &format!("{path}/innerBoundaryIs[{k}]"))?);
            }
            Ok((boundary, holes))
        };

    let to_wgs =
        |v: Vec<GeoPoint>| -> Vec<GeoPoint> { v.into_iter().map(|p| datum.to_wgs84(p)).collect() };
    let geometry = match main_geom {
        Shape::Line(el, path) => InputGeometry::Centreline(to_wgs(line(el, &path)?)),
        Shape::Polygon(el, path) => {
            let (b, holes) = polygon(el, &path)?;
            InputGeometry::Area {
                boundary: to_wgs(b),
                holes: holes.into_iter().map(to_wgs).collect(),
            }
        }
    };
    let mut excl = Vec::new();
    for (pm, g) in exclusions {
        match g {
            Shape::Polygon(el, path) => excl.push(to_wgs(polygon(el, &path)?.0)),
            Shape::Line(..) => {
                return Err(ctx.err(
                    pm.path.clone(),
                    "an exclusion that is not a Polygon: expected a Polygon",
                ))
            }
        }
    }
    let mut sites = Vec::new();
    for (pm, el, path) in points {
        let name = pm
            .el
            .child("name")
            .map(|n| n.text.trim().to_string())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                ctx.err(
                    format!("{}/name", pm.path),
                    "a Point placemark without a name: expected <name> (points are named sites)",
                )
            })?;
        let (cpath, pairs) = coordinates(ctx, el, &path)?;
        if pairs.len() != 1 {
            return Err(ctx.err(
                cpath,
                format!("{} tuples: expected one lon,lat", pairs.len()),
            ));
        }
        let p = check_pairs(
            ctx,
            &cpath,
            &|_| cpath.clone(),
            &pairs,
            AxisOrder::LonLat,
            datum,
        )?;
        sites.push(Site {
            name,
            point: datum.to_wgs84(p[0]),
        });
    }
    Ok(SurveyInput {
        source: ctx.file.clone(),
        name,
        geometry,
        exclusions: excl,
        width_m,
        datum,
        sites,
    })
}

/// Named `Point` placemarks of a KML document (launch points, sites), in WGS-84; other
/// placemarks are skipped, so a survey file's sites read too. The datum is
/// `datum_override`, else the document's `ExtendedData` `datum`, else WGS-84.
pub(crate) fn read_points(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<Vec<Site>, InputError> {
    ctx.require_text(text, "a KML document with named Point placemarks")?;
    let root = parse_xml(ctx, text)?;
    if root.name != "kml" {
        return Err(ctx.err(
            format!("<{}>", root.name),
            "the root element is not <kml>: expected a KML document",
        ));
    }
    let mut placemarks = Vec::new();
    collect_placemarks(&root, "kml", &mut placemarks);
    let file_datum = match root
        .child("Document")
        .and_then(|d| extended_data(d, "datum"))
    {
        Some(v) => Some(
            Datum::from_str(&v)
                .map_err(|e| ctx.err("kml/Document/ExtendedData[datum]", e.to_string()))?,
        ),
        None => None,
    };
    let datum = datum_override.or(file_datum).unwrap_or_default();
    let mut sites = Vec::new();
    for pm in &placemarks {
        let Some(Geom::Point(el, path)) = geometry_of(ctx, pm)? else {
            continue;
        };
        let name = pm
            .el
            .child("name")
            .map(|n| n.text.trim().to_string())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                ctx.err(
                    format!("{}/name", pm.path),
                    "a Point placemark without a name: expected <name> (a launch point is \
                     named so the pilot knows where to drive)",
                )
            })?;
        let (cpath, pairs) = coordinates(ctx, el, &path)?;
        if pairs.len() != 1 {
            return Err(ctx.err(
                cpath,
                format!("{} tuples: expected one lon,lat", pairs.len()),
            ));
        }
        let p = check_pairs(
            ctx,
            &cpath,
            &|_| cpath.clone(),
            &pairs,
            AxisOrder::LonLat,
            datum,
        )?;
        sites.push(Site {
            name,
            point: datum.to_wgs84(p[0]),
        });
    }
    Ok(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> InputError {
        let ctx = Ctx {
            file: "t.kml".into(),
        };
        read(&ctx, text, None).unwrap_err()
    }

    #[test]
    fn malformed_xml_is_located_by_line() {
        let e = err("<kml>\n<Placemark>\n<LineString></Placemark>\n</kml>");
        assert_eq!(e.field(), Some("line 3"), "{e}");
        assert!(e.to_string().contains("malformed XML"));
        let e = err("<kml>\n<Placemark>");
        assert!(e.to_string().contains("malformed XML"), "{e}");
        let e = err("<kml/>\n<kml/>");
        assert_eq!(e.field(), Some("line 2"), "{e}");
        let e = err("<Document/>");
        assert_eq!(e.field(), Some("<Document>"), "{e}");
    }

    #[test]
    fn entities_and_cdata_in_names() {
        let ctx = Ctx {
            file: "t.kml".into(),
        };
        let text = "<kml><Placemark><name>A &amp; B<![CDATA[ <c>]]></name><LineString>\
                    <coordinates>1,2 3,4</coordinates></LineString></Placemark></kml>";
        let input = read(&ctx, text, None).unwrap();
        assert_eq!(input.name.as_deref(), Some("A & B <c>"));
    }
}
