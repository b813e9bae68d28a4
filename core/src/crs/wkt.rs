//! The CRS of a shapefile's `.prj`: OGC WKT 1 as ArcGIS and GDAL write it (WKT 2's
//! `PROJCRS`/`GEOGCRS`/`METHOD` spellings are read too).
//!
//! Read: geographic WGS-84 or CGCS2000, and transverse Mercator / Gauss-Kruger projections of
//! CGCS2000 with their parameters (central meridian, false easting/northing, scale, latitude
//! of origin) in metres. Anything else (Beijing 1954, Xi'an 1980, which need a local
//! seven-parameter transformation; other projections) is refused with its name.

use super::{Crs, TmParams};
use crate::datum::Datum;

/// Deepest bracket nesting read (real `.prj` files nest four or five levels).
const MAX_DEPTH: usize = 32;

/// Why a `.prj` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WktError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(String),
    Number(f64),
    Node(Node),
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    keyword: String,
    items: Vec<Item>,
}

impl Node {
    fn name(&self) -> &str {
        match self.items.first() {
            Some(Item::Text(s)) => s,
            _ => "",
        }
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.items.get(i) {
            Some(Item::Number(n)) => Some(*n),
            _ => None,
        }
    }

    fn children(&self) -> impl Iterator<Item = &Node> {
        self.items.iter().filter_map(|i| match i {
            Item::Node(n) => Some(n),
            _ => None,
        })
    }

    fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children()
            .find(|n| keywords.iter().any(|k| n.keyword.eq_ignore_ascii_case(k)))
    }

    /// The first node below (depth first) with one of these keywords.
    fn find(&self, keywords: &[&str]) -> Option<&Node> {
        self.children().find_map(|n| {
            if keywords.iter().any(|k| n.keyword.eq_ignore_ascii_case(k)) {
                Some(n)
            } else {
                n.find(keywords)
            }
        })
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> WktError {
        WktError(format!("at byte {}: {what}", self.i))
    }

    fn node(&mut self, depth: usize) -> Result<Node, WktError> {
        if depth > MAX_DEPTH {
            return Err(self.err(&format!("nested deeper than {MAX_DEPTH} brackets")));
        }
        let keyword = self.identifier();
        if keyword.is_empty() {
            return Err(self.err("expected a WKT keyword such as PROJCS or GEOGCS"));
        }
        self.skip_ws();
        if !matches!(self.s.get(self.i), Some(b'[' | b'(')) {
            return Err(self.err(&format!("expected '[' after {keyword}")));
        }
        self.body(keyword, depth)
    }

    fn identifier(&mut self) -> String {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// The bracketed items after `keyword`, the opening bracket next.
    fn body(&mut self, keyword: String, depth: usize) -> Result<Node, WktError> {
        let close = if self.s[self.i] == b'[' { b']' } else { b')' };
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                None => return Err(self.err(&format!("{keyword}[ is not closed"))),
                Some(&c) if c == close => {
                    self.i += 1;
                    break;
                }
                Some(b',') => self.i += 1,
                Some(b'"') => {
                    self.i += 1;
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i] != b'"' {
                        self.i += 1;
                    }
                    if self.i >= self.s.len() {
                        return Err(self.err("a quoted name is not closed"));
                    }
                    items.push(Item::Text(
                        String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                    ));
                    self.i += 1;
                }
                Some(c) if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.') => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && (self.s[self.i].is_ascii_digit()
                            || matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E'))
                    {
                        self.i += 1;
                    }
                    let t = String::from_utf8_lossy(&self.s[start..self.i]);
                    let n = t
                        .parse::<f64>()
                        .map_err(|_| self.err(&format!("'{t}' is not a number")))?;
                    items.push(Item::Number(n));
                }
                Some(_) => {
                    if depth + 1 > MAX_DEPTH {
                        return Err(self.err(&format!("nested deeper than {MAX_DEPTH} brackets")));
                    }
                    let word = self.identifier();
                    if word.is_empty() {
                        return Err(self.err("expected a keyword, a quoted name or a number"));
                    }
                    self.skip_ws();
                    if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
                        items.push(Item::Node(self.body(word, depth + 1)?));
                    } else {
                        // A bare enumeration value, such as AXIS["Easting",EAST].
                        items.push(Item::Text(word));
                    }
                }
            }
        }
        Ok(Node { keyword, items })
    }
}

/// The datum a `DATUM`/`GEOGCS` name says, when it is one we take as WGS-84.
fn datum_of(name: &str) -> Option<Datum> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if key.contains("wgs1984") || key.contains("wgs84") || key.contains("worldgeodeticsystem1984") {
        Some(Datum::Wgs84)
    } else if key.contains("china2000")
        || key.contains("cgcs2000")
        || key.contains("chinageodeticcoordinatesystem2000")
    {
        Some(Datum::Cgcs2000)
    } else {
        None
    }
}

impl Crs {
    /// Reads the WKT of a `.prj` file (see the module documentation).
    ///
    /// ```
    /// use qly_core::crs::Crs;
    /// let prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",
    ///   DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],
    ///   UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],
    ///   PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],
    ///   PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    /// assert_eq!(Crs::from_wkt(prj).unwrap(), Crs::from_epsg(4549).unwrap().without_epsg());
    /// ```
    pub fn from_wkt(text: &str) -> Result<Crs, WktError> {
        let mut p = Parser {
            s: text.trim().as_bytes(),
            i: 0,
        };
        let root = p.node(0)?;
        let kw = root.keyword.to_ascii_uppercase();
        let datum_name = root
            .find(&["DATUM", "GEODETICDATUM", "TRF"])
            .map(Node::name)
            .unwrap_or_else(|| root.name())
            .to_string();
        let datum = datum_of(&datum_name).ok_or_else(|| {
            WktError(format!(
                "datum '{datum_name}': expected WGS 84 or CGCS2000 (China_2000); Beijing 1954 and \
                 Xi'an 1980 need a local seven-parameter transformation: export in CGCS2000"
            ))
        })?;
        match kw.as_str() {
            "GEOGCS" | "GEOGCRS" | "GEODCRS" => Ok(Crs::Geographic(datum)),
            "PROJCS" | "PROJCRS" => {
                let method = root
                    .find(&["PROJECTION", "METHOD"])
                    .map(Node::name)
                    .unwrap_or("")
                    .to_string();
                let m = method.to_ascii_lowercase().replace([' ', '-'], "_");
                if !matches!(m.as_str(), "gauss_kruger" | "transverse_mercator") {
                    return Err(WktError(format!(
                        "projection '{method}': expected Gauss_Kruger or Transverse_Mercator"
                    )));
                }
                if datum != Datum::Cgcs2000 {
                    return Err(WktError(format!(
                        "a {method} projection of '{datum_name}': expected one of CGCS2000"
                    )));
                }
                let param = |names: &[&str]| -> Option<f64> {
                    root.children()
                        .chain(
                            root.find(&["CONVERSION"])
                                .into_iter()
                                .flat_map(Node::children),
                        )
                        .filter(|n| n.keyword.eq_ignore_ascii_case("PARAMETER"))
                        .find(|n| {
                            let k = n.name().to_ascii_lowercase().replace(' ', "_");
                            names.contains(&k.as_str())
                        })
                        .and_then(|n| n.number(1))
                };
                let central_meridian_deg =
                    param(&["central_meridian", "longitude_of_natural_origin"]).ok_or_else(
                        || {
                            WktError(
                        "no Central_Meridian parameter: expected the zone's central meridian"
                            .into(),
                    )
                        },
                    )?;
                if let Some(unit) = root.child(&["UNIT", "LENGTHUNIT"]) {
                    let factor = unit.number(1).unwrap_or(f64::NAN);
                    if (factor - 1.0).abs() > 1e-12 {
                        return Err(WktError(format!(
                            "unit '{}' ({factor} m): expected metres",
                            unit.name()
                        )));
                    }
                }
                Ok(Crs::TransverseMercator(TmParams {
                    epsg: None,
                    central_meridian_deg,
                    latitude_of_origin_deg: param(&[
                        "latitude_of_origin",
                        "latitude_of_natural_origin",
                    ])
                    .unwrap_or(0.0),
                    scale_factor: param(&["scale_factor", "scale_factor_at_natural_origin"])
                        .unwrap_or(1.0),
                    false_easting_m: param(&["false_easting"]).unwrap_or(0.0),
                    false_northing_m: param(&["false_northing"]).unwrap_or(0.0),
                }))
            }
            other => Err(WktError(format!(
                "'{other}': expected a PROJCS or GEOGCS definition"
            ))),
        }
    }

    /// The same CRS without its EPSG code (what a `.prj` without an authority gives).
    pub fn without_epsg(self) -> Crs {
        match self {
            Crs::TransverseMercator(tm) => Crs::TransverseMercator(TmParams { epsg: None, ..tm }),
            g => g,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GDAL's `.prj` for EPSG:4547 (it writes the EPSG authority; we read the parameters).
    const GDAL_4547: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4547"]]"#;

    #[test]
    fn gdal_and_esri_spellings_read() {
        assert_eq!(
            Crs::from_wkt(GDAL_4547).unwrap(),
            Crs::from_epsg(4547).unwrap().without_epsg()
        );
        let esri_geo = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(
            Crs::from_wkt(esri_geo).unwrap(),
            Crs::Geographic(Datum::Cgcs2000)
        );
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(wgs).unwrap(), Crs::Geographic(Datum::Wgs84));
    }

    #[test]
    fn other_datums_projections_and_units_are_refused_by_name() {
        let beijing = GDAL_4547.replace("China_2000", "Beijing_1954");
        let e = Crs::from_wkt(&beijing).unwrap_err().to_string();
        assert!(
            e.contains("'Beijing_1954'") && e.contains("CGCS2000"),
            "{e}"
        );
        let lcc = GDAL_4547.replace("Transverse_Mercator", "Lambert_Conformal_Conic_2SP");
        let e = Crs::from_wkt(&lcc).unwrap_err().to_string();
        assert!(e.contains("Lambert_Conformal_Conic_2SP"), "{e}");
        let feet = GDAL_4547.replace(
            r#"UNIT["metre",1,"#,
            r#"UNIT["US survey foot",0.304800609601219,"#,
        );
        let e = Crs::from_wkt(&feet).unwrap_err().to_string();
        assert!(e.contains("US survey foot"), "{e}");
        assert!(Crs::from_wkt("PROJCS[\"x\"").is_err());
        assert!(Crs::from_wkt(&"A[".repeat(100)).is_err());
    }
}
