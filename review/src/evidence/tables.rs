//! KML (for Google Earth and most GIS tools) and CSV (for spreadsheets) of the confirmed
//! candidates' field records. Positions are WGS-84; the CSV also carries GCJ-02.

use std::fmt::Write;

use super::record::FieldRecord;

fn xml_escape(s: &str) -> String {
    crate::report::escape_html(s)
}

/// A KML 2.2 document with one Placemark per record.
pub fn kml(flight: &str, records: &[FieldRecord]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>{} confirmed candidates</name>\n",
        xml_escape(flight)
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
            "<Placemark id=\"candidate-{id}\">\n<name>{id} {class}</name>\n<TimeStamp><when>{t}</when></TimeStamp>\n<ExtendedData>\n",
            id = r.candidate_id,
            class = xml_escape(&r.class),
            t = xml_escape(&r.time_utc)
        );
        for (k, v) in data {
            let _ = writeln!(
                s,
                "<Data name=\"{k}\"><value>{}</value></Data>",
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

pub const CSV_HEADER: &str = "candidate_id,class,time_utc,time_local,lat_wgs84_deg,lon_wgs84_deg,lat_gcj02_deg,lon_gcj02_deg,photo_file,aircraft,height_above_ground_m,confidence_max,sightings,ce90_m,confirmed_by,uid";

/// One row per record (RFC 4180 quoting).
pub fn csv(records: &[FieldRecord]) -> String {
    let mut s = String::from(CSV_HEADER);
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
    #[test]
    fn csv_quotes_commas_and_quotes() {
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(super::csv_field("plain"), "plain");
    }
}
