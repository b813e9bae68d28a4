//! KML (for Google Earth and most GIS tools) and CSV (for spreadsheets) of the confirmed
//! candidates' field records. Positions are WGS-84; the CSV also carries GCJ-02.

use std::fmt::Write;

use qly_i18n::Lang;

use super::record::FieldRecord;

fn xml_escape(s: &str) -> String {
    crate::report::escape_html(s)
}

/// A KML 2.2 document with one Placemark per record. Names are in `lang`; each ExtendedData
/// field keeps its machine name and carries its `lang` title as `displayName`, which Google
/// Earth and GIS tools show.
pub fn kml(flight: &str, records: &[FieldRecord], lang: Lang) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>{}</name>\n",
        xml_escape(&lang.t_args("kml-document", &[("flight", flight.into())]))
    );
    for r in records {
        let data = [
            ("uid", r.candidate_uid.clone().unwrap_or_default()),
            ("class", r.class.clone()),
            ("time_utc", r.time_utc.clone()),
            ("time_local", r.time_local.clone()),
            ("lat_gcj02_deg", format!("{:.7}", r.lat_gcj02_deg)),
            ("lon_gcj02_deg", format!("{:.7}", r.lon_gcj02_deg)),
            ("photo_file", r.photo_file.clone()),
            ("confidence_max", format!("{:.2}", r.confidence_max)),
            ("sightings", r.sightings.to_string()),
            ("ce90_m", format!("{:.1}", r.predicted_error.ce90_m)),
            ("confirmed_by", r.confirmed_by.clone()),
        ];
        let _ = write!(
            s,
            "<Placemark id=\"candidate-{id}\">\n<name>{name}</name>\n<TimeStamp><when>{t}</when></TimeStamp>\n<ExtendedData>\n",
            id = r.candidate_id,
            name = xml_escape(&lang.t_args(
                "kml-placemark",
                &[("id", r.candidate_id.into()), ("class", r.class.as_str().into())]
            )),
            t = xml_escape(&r.time_utc)
        );
        for (k, v) in data {
            let _ = writeln!(
                s,
                "<Data name=\"{k}\"><displayName>{}</displayName><value>{}</value></Data>",
                xml_escape(&lang.t(&format!("field-{}", k.replace('_', "-")))),
                xml_escape(&v)
            );
        }
        let _ = write!(
            s,
            "</ExtendedData>\n<Point><coordinates>{:.8},{:.8}</coordinates></Point>\n</Placemark>\n",
            r.lon_wgs84_deg, r.lat_wgs84_deg
        );
    }
    s.push_str("</Document>\n</kml>\n");
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.2}"))
}

/// The CSV's columns by machine name; the header row gives each its `lang` title
/// (`field-<name>` in the catalogue).
pub const CSV_COLUMNS: [&str; 16] = [
    "candidate_id",
    "class",
    "time_utc",
    "time_local",
    "lat_wgs84_deg",
    "lon_wgs84_deg",
    "lat_gcj02_deg",
    "lon_gcj02_deg",
    "photo_file",
    "aircraft",
    "height_above_ground_m",
    "confidence_max",
    "sightings",
    "ce90_m",
    "confirmed_by",
    "uid",
];

/// The header row in `lang`.
pub fn csv_header(lang: Lang) -> String {
    CSV_COLUMNS
        .iter()
        .map(|k| csv_field(&lang.t(&format!("field-{}", k.replace('_', "-")))))
        .collect::<Vec<_>>()
        .join(",")
}

/// A UTF-8 BOM, then one row per record (RFC 4180 quoting), headings in `lang`.
pub fn csv(records: &[FieldRecord], lang: Lang) -> String {
    let mut s = String::from(crate::render::UTF8_BOM);
    s.push_str(&csv_header(lang));
    s.push_str("\r\n");
    for r in records {
        let row = [
            r.candidate_id.to_string(),
            csv_field(&r.class),
            r.time_utc.clone(),
            r.time_local.clone(),
            format!("{:.8}", r.lat_wgs84_deg),
            format!("{:.8}", r.lon_wgs84_deg),
            format!("{:.8}", r.lat_gcj02_deg),
            format!("{:.8}", r.lon_gcj02_deg),
            csv_field(&r.photo_file),
            csv_field(&r.aircraft),
            opt(r.height_above_ground_m),
            format!("{:.2}", r.confidence_max),
            r.sightings.to_string(),
            format!("{:.2}", r.predicted_error.ce90_m),
            csv_field(&r.confirmed_by),
            // Last, so the columns before it keep their places: `<flight id>/<id>`.
            csv_field(r.candidate_uid.as_deref().unwrap_or("")),
        ];
        s.push_str(&row.join(","));
        s.push_str("\r\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use qly_i18n::Lang;

    /// The headings (CSV and KML) are computed from the column names, so the catalogue scan
    /// cannot see them: check every one is there.
    #[test]
    fn every_column_has_a_title_in_every_language() {
        for lang in Lang::ALL {
            for k in super::CSV_COLUMNS {
                let id = format!("field-{}", k.replace('_', "-"));
                assert!(lang.has(&id), "{lang}: {id}");
            }
        }
        assert!(super::csv_header(Lang::ZhCn).starts_with("候选编号,"));
    }

    #[test]
    fn csv_quotes_commas_and_quotes() {
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(super::csv_field("plain"), "plain");
    }
}
