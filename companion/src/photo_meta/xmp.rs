//! DJI's `drone-dji:` XMP tags.
//!
//! DJI cameras write their flight and gimbal state into the XMP packet under the namespace
//! `http://www.dji.com/drone-dji/1.0/`, usually as attributes of `rdf:Description`
//! (`drone-dji:GimbalYawDegree="+12.30"`), but some firmware and tools that rewrite the packet
//! use elements (`<drone-dji:GimbalYawDegree>+12.30</drone-dji:GimbalYawDegree>`); both are
//! read. A tag is in the DJI namespace when its prefix resolves to that namespace, or, for
//! packets that forgot the `xmlns:drone-dji` declaration, when its prefix is literally
//! `drone-dji`. Numbers carry an explicit sign (`+100.00`).

use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// The DJI XMP namespace.
pub const DJI_NAMESPACE: &str = "http://www.dji.com/drone-dji/1.0/";
const DJI_PREFIX: &[u8] = b"drone-dji";

/// The lens calibration DJI writes as `DewarpData`:
/// `date;fx,fy,cx,cy,k1,k2,p1,p2,k3`, focal lengths in pixels, `cx`/`cy` the principal point's
/// offset from the image centre in pixels, Brown–Conrady coefficients as OpenCV orders them.
#[derive(Debug, Clone, PartialEq)]
pub struct DewarpData {
    pub calibration_date: String,
    pub fx_px: f64,
    pub fy_px: f64,
    pub cx_offset_px: f64,
    pub cy_offset_px: f64,
    pub k1: f64,
    pub k2: f64,
    pub p1: f64,
    pub p2: f64,
    pub k3: f64,
}

/// The DJI tags the pose needs; `None` when absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DjiXmp {
    /// Altitude of the aircraft, metres, from DJI's fused GNSS/barometer altitude (see the
    /// module doc of [`super`] on its reference).
    pub absolute_altitude_m: Option<f64>,
    /// Height above the take-off point, metres (barometric).
    pub relative_altitude_m: Option<f64>,
    /// Gimbal attitude in the earth frame: yaw clockwise from north, pitch -90 = nadir.
    pub gimbal_roll_deg: Option<f64>,
    pub gimbal_yaw_deg: Option<f64>,
    pub gimbal_pitch_deg: Option<f64>,
    /// Aircraft attitude.
    pub flight_roll_deg: Option<f64>,
    pub flight_yaw_deg: Option<f64>,
    pub flight_pitch_deg: Option<f64>,
    /// Calibrated focal length, pixels of the full-resolution photo.
    pub calibrated_focal_length_px: Option<f64>,
    /// Calibrated principal point, pixels from the top-left corner.
    pub calibrated_optical_center_x_px: Option<f64>,
    pub calibrated_optical_center_y_px: Option<f64>,
    pub dewarp_data: Option<DewarpData>,
    /// `DewarpFlag`: 1 when the camera already removed the lens distortion from the pixels.
    pub dewarp_flag: Option<u32>,
    /// `RtkFlag`: 0 none, 16 single point, 34 float, 50 fixed.
    pub rtk_flag: Option<u32>,
    /// RTK position standard deviations, metres.
    pub rtk_std_lon_m: Option<f64>,
    pub rtk_std_lat_m: Option<f64>,
    pub rtk_std_hgt_m: Option<f64>,
    /// `GpsLatitude`/`GpsLongitude` (some models write `GpsLongtitude`), degrees.
    pub gps_lat_deg: Option<f64>,
    pub gps_lon_deg: Option<f64>,
    /// `DroneModel`: the aircraft as DJI names it (`M3E`, `M30T`, `Matrice 4E`).
    pub drone_model: Option<String>,
    /// `DroneSerialNumber`: the aircraft's serial number.
    pub drone_serial_number: Option<String>,
    /// `CameraSerialNumber`: the payload's serial number.
    pub camera_serial_number: Option<String>,
    /// `ImageSource`: which camera of the payload took the photo (`WideCamera`, `ZoomCamera`,
    /// `InfraredCamera`, `VisibleCamera`).
    pub image_source: Option<String>,
}

/// `ImageSource` of a thermal photo.
pub const INFRARED_IMAGE_SOURCE: &str = "InfraredCamera";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XmpError {
    #[error("XMP packet is not well-formed XML at byte {position}: {reason}")]
    Xml { position: u64, reason: String },
    #[error("XMP drone-dji:{tag} = {value:?}: expected {expected}")]
    BadTag {
        tag: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Every `drone-dji:` tag of the packet, attribute or element, by local name (the first
/// occurrence wins), trimmed.
pub fn dji_tags(xmp: &[u8]) -> Result<BTreeMap<String, String>, XmpError> {
    let text = String::from_utf8_lossy(xmp);
    let mut reader = NsReader::from_str(&text);
    let mut tags = BTreeMap::new();
    // The DJI element whose text is being read.
    let mut open: Option<String> = None;
    let is_dji = |ns: &ResolveResult, prefix: Option<&[u8]>| match ns {
        ResolveResult::Bound(n) => n.as_ref() == DJI_NAMESPACE.as_bytes(),
        _ => prefix == Some(DJI_PREFIX),
    };
    loop {
        let xml_err = |reader: &NsReader<&[u8]>, e: &dyn std::fmt::Display| XmpError::Xml {
            position: reader.buffer_position(),
            reason: e.to_string(),
        };
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(xml_err(&reader, &e)),
        };
        let element_dji = is_dji(&ns, None);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let qname = e.name();
                let element_dji =
                    element_dji || is_dji(&ns, qname.prefix().as_ref().map(|p| p.as_ref()));
                let local = String::from_utf8_lossy(qname.local_name().as_ref()).into_owned();
                let empty = matches!(event, Event::Empty(_));
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| xml_err(&reader, &e))?;
                    let (ans, alocal) = reader.resolve_attribute(attr.key);
                    if !is_dji(&ans, attr.key.prefix().as_ref().map(|p| p.as_ref())) {
                        continue;
                    }
                    let value = attr.unescape_value().map_err(|e| xml_err(&reader, &e))?;
                    tags.entry(String::from_utf8_lossy(alocal.as_ref()).into_owned())
                        .or_insert_with(|| value.trim().to_string());
                }
                open = (element_dji && !empty).then_some(local);
            }
            Event::Text(ref t) => {
                if let Some(name) = &open {
                    let value = t.decode().map_err(|e| xml_err(&reader, &e))?;
                    let value = value.trim();
                    if !value.is_empty() {
                        tags.entry(name.clone())
                            .or_insert_with(|| value.to_string());
                    }
                }
            }
            Event::End(_) => open = None,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(tags)
}

fn number(tags: &BTreeMap<String, String>, tag: &'static str) -> Result<Option<f64>, XmpError> {
    let Some(raw) = tags.get(tag) else {
        return Ok(None);
    };
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(XmpError::BadTag {
            tag,
            value: raw.clone(),
            expected: "a finite decimal number",
        }),
    }
}

fn text(tags: &BTreeMap<String, String>, tag: &str) -> Option<String> {
    tags.get(tag).filter(|v| !v.is_empty()).cloned()
}

fn integer(tags: &BTreeMap<String, String>, tag: &'static str) -> Result<Option<u32>, XmpError> {
    let Some(raw) = tags.get(tag) else {
        return Ok(None);
    };
    raw.trim_start_matches('+')
        .parse::<u32>()
        .map(Some)
        .map_err(|_| XmpError::BadTag {
            tag,
            value: raw.clone(),
            expected: "a non-negative integer",
        })
}

fn dewarp(tags: &BTreeMap<String, String>) -> Result<Option<DewarpData>, XmpError> {
    let Some(raw) = tags.get("DewarpData") else {
        return Ok(None);
    };
    let bad = || XmpError::BadTag {
        tag: "DewarpData",
        value: raw.clone(),
        expected: "`date;fx,fy,cx,cy,k1,k2,p1,p2,k3` with nine finite numbers",
    };
    let (date, numbers) = raw.split_once(';').unwrap_or(("", raw.as_str()));
    let v = numbers
        .split(',')
        .map(|s| s.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(bad)?;
    let [fx, fy, cx, cy, k1, k2, p1, p2, k3] = v[..] else {
        return Err(bad());
    };
    if !(fx > 0.0 && fy > 0.0) {
        return Err(bad());
    }
    Ok(Some(DewarpData {
        calibration_date: date.trim().to_string(),
        fx_px: fx,
        fy_px: fy,
        cx_offset_px: cx,
        cy_offset_px: cy,
        k1,
        k2,
        p1,
        p2,
        k3,
    }))
}

impl DjiXmp {
    /// Reads the DJI tags of an XMP packet.
    pub fn parse(xmp: &[u8]) -> Result<DjiXmp, XmpError> {
        let t = dji_tags(xmp)?;
        Ok(DjiXmp {
            absolute_altitude_m: number(&t, "AbsoluteAltitude")?,
            relative_altitude_m: number(&t, "RelativeAltitude")?,
            gimbal_roll_deg: number(&t, "GimbalRollDegree")?,
            gimbal_yaw_deg: number(&t, "GimbalYawDegree")?,
            gimbal_pitch_deg: number(&t, "GimbalPitchDegree")?,
            flight_roll_deg: number(&t, "FlightRollDegree")?,
            flight_yaw_deg: number(&t, "FlightYawDegree")?,
            flight_pitch_deg: number(&t, "FlightPitchDegree")?,
            calibrated_focal_length_px: number(&t, "CalibratedFocalLength")?,
            calibrated_optical_center_x_px: number(&t, "CalibratedOpticalCenterX")?,
            calibrated_optical_center_y_px: number(&t, "CalibratedOpticalCenterY")?,
            dewarp_data: dewarp(&t)?,
            dewarp_flag: integer(&t, "DewarpFlag")?,
            rtk_flag: integer(&t, "RtkFlag")?,
            rtk_std_lon_m: number(&t, "RtkStdLon")?,
            rtk_std_lat_m: number(&t, "RtkStdLat")?,
            rtk_std_hgt_m: number(&t, "RtkStdHgt")?,
            gps_lat_deg: number(&t, "GpsLatitude")?,
            gps_lon_deg: match number(&t, "GpsLongitude")? {
                Some(v) => Some(v),
                None => number(&t, "GpsLongtitude")?,
            },
            drone_model: text(&t, "DroneModel"),
            drone_serial_number: text(&t, "DroneSerialNumber"),
            camera_serial_number: text(&t, "CameraSerialNumber"),
            image_source: text(&t, "ImageSource"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_elements_in_the_dji_namespace_are_read() {
        let xmp = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="DJI Meta Data" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
   xmlns:other="urn:other" other:AbsoluteAltitude="999"
   drone-dji:AbsoluteAltitude="+152.31" drone-dji:GimbalYawDegree="-12.50">
  <drone-dji:RelativeAltitude>+100.00</drone-dji:RelativeAltitude>
  <drone-dji:DewarpData>2022-06-08;3713.29,3713.29,7.02,-8.72,-0.1125,0.0148,-0.0000857,0.00001,-0.0270</drone-dji:DewarpData>
 </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let x = DjiXmp::parse(xmp).unwrap();
        assert_eq!(x.absolute_altitude_m, Some(152.31));
        assert_eq!(x.gimbal_yaw_deg, Some(-12.5));
        assert_eq!(x.relative_altitude_m, Some(100.0));
        let d = x.dewarp_data.unwrap();
        assert_eq!(d.calibration_date, "2022-06-08");
        assert_eq!((d.fx_px, d.cx_offset_px, d.k3), (3713.29, 7.02, -0.0270));
        assert_eq!(x.flight_yaw_deg, None);
    }

    #[test]
    fn signed_positions_and_the_aircraft_identity_are_read() {
        let xmp =
            br#"<rdf:Description xmlns:rdf="r" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
   drone-dji:GpsLatitude="+30.1234" drone-dji:GpsLongtitude="-114.5678"
   drone-dji:RelativeAltitude="+75.20" drone-dji:GimbalPitchDegree="-90.00"
   drone-dji:FlightYawDegree="-179.90" drone-dji:DroneModel="M3E"
   drone-dji:DroneSerialNumber="1581F5BKD223Q00A0000" drone-dji:ImageSource="WideCamera"
   drone-dji:CameraSerialNumber=""/>"#;
        let x = DjiXmp::parse(xmp).unwrap();
        assert_eq!(x.gps_lat_deg, Some(30.1234));
        assert_eq!(x.gps_lon_deg, Some(-114.5678));
        assert_eq!(x.relative_altitude_m, Some(75.2));
        assert_eq!(x.gimbal_pitch_deg, Some(-90.0));
        assert_eq!(x.flight_yaw_deg, Some(-179.9));
        assert_eq!(x.drone_model.as_deref(), Some("M3E"));
        assert_eq!(
            x.drone_serial_number.as_deref(),
            Some("1581F5BKD223Q00A0000")
        );
        assert_eq!(x.image_source.as_deref(), Some("WideCamera"));
        assert_eq!(x.camera_serial_number, None, "an empty tag is no value");
    }

    #[test]
    fn a_prefix_bound_elsewhere_is_not_dji_and_an_undeclared_drone_dji_prefix_is() {
        let xmp = br#"<rdf:Description xmlns:rdf="r" xmlns:d="http://www.dji.com/drone-dji/1.0/" d:GimbalPitchDegree="-90.0" drone-dji:RelativeAltitude="+50"/>"#;
        let x = DjiXmp::parse(xmp).unwrap();
        assert_eq!(x.gimbal_pitch_deg, Some(-90.0));
        assert_eq!(x.relative_altitude_m, Some(50.0));
    }

    #[test]
    fn odd_values_and_broken_xml_are_typed_errors() {
        let bad = br#"<a xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" drone-dji:GimbalYawDegree="north"/>"#;
        assert_eq!(
            DjiXmp::parse(bad),
            Err(XmpError::BadTag {
                tag: "GimbalYawDegree",
                value: "north".into(),
                expected: "a finite decimal number"
            })
        );
        let dewarp = br#"<a xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" drone-dji:DewarpData="2022;1,2,3"/>"#;
        assert!(matches!(
            DjiXmp::parse(dewarp),
            Err(XmpError::BadTag {
                tag: "DewarpData",
                ..
            })
        ));
        assert!(matches!(
            DjiXmp::parse(b"<a><b></a>"),
            Err(XmpError::Xml { .. })
        ));
    }
}
