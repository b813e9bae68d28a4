//! Test photos as a DJI Mavic 3 Enterprise writes them: an EXIF APP1 segment (written with
//! kamadak-exif's writer) and an XMP APP1 segment with the `drone-dji:` tags, the values and
//! number formats of a real M3E photo (signed decimals, `DewarpData` as `date;fx,fy,cx,cy,k1,
//! k2,p1,p2,k3`).
#![allow(dead_code)]

use std::io::Cursor;

use companion::photo_meta::segments::{exif_app1_payload, insert_app_segments, xmp_app1_payload};
use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;

#[derive(Debug, Clone)]
pub struct DjiTags {
    pub make: &'static str,
    pub model: &'static str,
    pub date_time_original: String,
    pub sub_sec: Option<String>,
    pub offset: Option<String>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub gps_alt_m: f64,
    pub focal_length_mm: f64,
    pub focal_35mm: u16,
    pub exif_size_px: (u32, u32),
    pub absolute_altitude_m: f64,
    pub relative_altitude_m: f64,
    /// yaw, pitch, roll
    pub gimbal_ypr_deg: [f64; 3],
    pub flight_ypr_deg: Option<[f64; 3]>,
    pub calibrated: Option<(f64, f64, f64)>,
    pub dewarp: Option<String>,
    pub rtk: Option<(u32, f64, f64, f64)>,
    /// Write the DJI tags as elements rather than attributes.
    pub as_elements: bool,
    /// Also write the position into the XMP (`GpsLatitude`/`GpsLongitude`, signed decimals).
    pub xmp_position: bool,
    /// `DroneModel`, `DroneSerialNumber`, `ImageSource` (`WideCamera`, `InfraredCamera`...).
    pub drone_model: Option<&'static str>,
    pub drone_serial: Option<&'static str>,
    pub image_source: Option<&'static str>,
}

impl DjiTags {
    /// A nadir M3E wide photo, 100 m above the take-off point at 152.31 m AMSL... above a
    /// take-off ground of 52.31 m, over the Yangtze at Wuhan.
    pub fn m3e() -> DjiTags {
        DjiTags {
            make: "DJI",
            model: "M3E",
            date_time_original: "2024:05:12 14:03:27".into(),
            sub_sec: Some("123".into()),
            offset: Some("+08:00".into()),
            lat_deg: 30.551_234_5,
            lon_deg: 114.312_345_6,
            gps_alt_m: 152.31,
            focal_length_mm: 12.29,
            focal_35mm: 24,
            exif_size_px: (5280, 3956),
            absolute_altitude_m: 152.31,
            relative_altitude_m: 100.0,
            gimbal_ypr_deg: [30.2, -90.0, 0.0],
            flight_ypr_deg: Some([30.5, -2.1, 1.3]),
            calibrated: Some((3713.29, 2640.0, 1978.0)),
            dewarp: Some("2022-06-08;3713.290000000000,3713.290000000000,7.020000000000,-8.720000000000,-0.112575240000,0.014874430000,-0.000085720000,0.000000000000,-0.027064110000".into()),
            rtk: Some((50, 0.012, 0.011, 0.025)),
            as_elements: false,
            xmp_position: true,
            drone_model: Some("M3E"),
            drone_serial: Some("1581F5BKD223Q00A0001"),
            image_source: Some("WideCamera"),
        }
    }

    pub fn exif_tiff(&self) -> Vec<u8> {
        fn dms(v: f64) -> Value {
            let v = v.abs();
            let d = v.floor();
            let m = ((v - d) * 60.0).floor();
            let s = (v - d - m / 60.0) * 3600.0;
            Value::Rational(vec![
                Rational {
                    num: d as u32,
                    denom: 1,
                },
                Rational {
                    num: m as u32,
                    denom: 1,
                },
                Rational {
                    num: (s * 1e6).round() as u32,
                    denom: 1_000_000,
                },
            ])
        }
        let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
        let mut fields = vec![
            (Tag::Make, ascii(self.make)),
            (Tag::Model, ascii(self.model)),
            (Tag::DateTimeOriginal, ascii(&self.date_time_original)),
            (
                Tag::GPSLatitudeRef,
                ascii(if self.lat_deg < 0.0 { "S" } else { "N" }),
            ),
            (Tag::GPSLatitude, dms(self.lat_deg)),
            (
                Tag::GPSLongitudeRef,
                ascii(if self.lon_deg < 0.0 { "W" } else { "E" }),
            ),
            (Tag::GPSLongitude, dms(self.lon_deg)),
            (
                Tag::GPSAltitudeRef,
                Value::Byte(vec![u8::from(self.gps_alt_m < 0.0)]),
            ),
            (
                Tag::GPSAltitude,
                Value::Rational(vec![Rational {
                    num: (self.gps_alt_m.abs() * 1000.0).round() as u32,
                    denom: 1000,
                }]),
            ),
            (
                Tag::FocalLength,
                Value::Rational(vec![Rational {
                    num: (self.focal_length_mm * 100.0).round() as u32,
                    denom: 100,
                }]),
            ),
            (
                Tag::FocalLengthIn35mmFilm,
                Value::Short(vec![self.focal_35mm]),
            ),
            (Tag::PixelXDimension, Value::Long(vec![self.exif_size_px.0])),
            (Tag::PixelYDimension, Value::Long(vec![self.exif_size_px.1])),
        ];
        if let Some(s) = &self.sub_sec {
            fields.push((Tag::SubSecTimeOriginal, ascii(s)));
        }
        if let Some(o) = &self.offset {
            fields.push((Tag::OffsetTimeOriginal, ascii(o)));
        }
        let fields: Vec<Field> = fields
            .into_iter()
            .map(|(tag, value)| Field {
                tag,
                ifd_num: In::PRIMARY,
                value,
            })
            .collect();
        let mut writer = Writer::new();
        for f in &fields {
            writer.push_field(f);
        }
        let mut out = Cursor::new(Vec::new());
        writer.write(&mut out, false).unwrap();
        out.into_inner()
    }

    pub fn xmp(&self) -> String {
        let s = |v: f64| format!("{v:+.2}");
        let mut tags: Vec<(&str, String)> = vec![
            (
                "AbsoluteAltitude",
                format!("{:+.3}", self.absolute_altitude_m),
            ),
            (
                "RelativeAltitude",
                format!("{:+.3}", self.relative_altitude_m),
            ),
            ("GimbalRollDegree", s(self.gimbal_ypr_deg[2])),
            ("GimbalYawDegree", s(self.gimbal_ypr_deg[0])),
            ("GimbalPitchDegree", s(self.gimbal_ypr_deg[1])),
            ("GpsStatus", "RTK".into()),
        ];
        if self.xmp_position {
            tags.push(("GpsLatitude", format!("{:+.8}", self.lat_deg)));
            tags.push(("GpsLongitude", format!("{:+.8}", self.lon_deg)));
        }
        for (tag, value) in [
            ("DroneModel", self.drone_model),
            ("DroneSerialNumber", self.drone_serial),
            ("ImageSource", self.image_source),
        ] {
            if let Some(v) = value {
                tags.push((tag, v.to_string()));
            }
        }
        if let Some([y, p, r]) = self.flight_ypr_deg {
            tags.extend([
                ("FlightRollDegree", s(r)),
                ("FlightYawDegree", s(y)),
                ("FlightPitchDegree", s(p)),
            ]);
        }
        if let Some(d) = &self.dewarp {
            tags.push(("DewarpData", d.clone()));
            tags.push(("DewarpFlag", "0".into()));
        }
        if let Some((f, cx, cy)) = self.calibrated {
            tags.push(("CalibratedFocalLength", format!("{f:.6}")));
            tags.push(("CalibratedOpticalCenterX", format!("{cx:.6}")));
            tags.push(("CalibratedOpticalCenterY", format!("{cy:.6}")));
        }
        if let Some((flag, lat, lon, hgt)) = self.rtk {
            tags.push(("RtkFlag", flag.to_string()));
            tags.push(("RtkStdLon", format!("{lon:.5}")));
            tags.push(("RtkStdLat", format!("{lat:.5}")));
            tags.push(("RtkStdHgt", format!("{hgt:.5}")));
        }
        let head = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="DJI Meta Data"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
    xmp:ModifyDate="2024-05-12"
    tiff:Make="DJI""#;
        let tail = " </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";
        if self.as_elements {
            let body: String = tags
                .iter()
                .map(|(k, v)| format!("   <drone-dji:{k}>{v}</drone-dji:{k}>\n"))
                .collect();
            format!("{head}>\n{body}  </rdf:Description>\n{tail}")
        } else {
            let attrs: String = tags
                .iter()
                .map(|(k, v)| format!("\n    drone-dji:{k}=\"{v}\""))
                .collect();
            format!("{head}{attrs}>\n  </rdf:Description>\n{tail}")
        }
    }

    /// `jpeg` with this photo's EXIF and (if `with_xmp`) XMP segments.
    pub fn tag(&self, jpeg: &[u8], with_xmp: bool) -> Vec<u8> {
        let exif = exif_app1_payload(&self.exif_tiff());
        let xmp = xmp_app1_payload(self.xmp().as_bytes());
        let mut segments: Vec<(u8, &[u8])> = vec![(0xE1, &exif)];
        if with_xmp {
            segments.push((0xE1, &xmp));
        }
        insert_app_segments(jpeg, &segments).unwrap()
    }
}

/// A real JPEG of `image`.
pub fn encode(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(image)
        .unwrap();
    out
}

/// The header segments of a baseline JPEG frame of the given size with nothing after the
/// scan header: enough for metadata (which never reads the image data) without encoding a
/// 20-megapixel image in a test.
pub fn header_only_jpeg(width_px: u16, height_px: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
    v.extend_from_slice(&height_px.to_be_bytes());
    v.extend_from_slice(&width_px.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
    v
}
