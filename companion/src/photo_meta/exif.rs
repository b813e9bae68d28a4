//! The EXIF tags a drone photo's pose needs, read with `kamadak-exif` from the TIFF structure
//! of the EXIF segment.

use exif::{Exif, In, Tag, Value};

/// EXIF fields as written, converted to numbers with explicit units; `None` when absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifTags {
    pub make: Option<String>,
    pub model: Option<String>,
    /// `DateTimeOriginal` as written, `YYYY:MM:DD HH:MM:SS` (camera local time).
    pub date_time_original: Option<String>,
    /// `SubSecTimeOriginal`: decimal digits of the fraction of a second.
    pub sub_sec_time_original: Option<String>,
    /// `OffsetTimeOriginal`: `+HH:MM` or `-HH:MM`, the local time's offset from UTC.
    pub offset_time_original: Option<String>,
    /// Signed by `GPSLatitudeRef` (south negative).
    pub gps_lat_deg: Option<f64>,
    /// Signed by `GPSLongitudeRef` (west negative).
    pub gps_lon_deg: Option<f64>,
    /// `GPSAltitude` signed by `GPSAltitudeRef` (1 = below sea level), metres.
    pub gps_alt_m: Option<f64>,
    pub focal_length_mm: Option<f64>,
    pub focal_length_35mm_equiv_mm: Option<f64>,
    /// `PixelXDimension`/`PixelYDimension` (else the primary IFD's `ImageWidth`/`ImageLength`).
    pub width_px: Option<u32>,
    pub height_px: Option<u32>,
}

/// An EXIF field that is present but not what the standard says it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("EXIF {tag} = {value}: expected {expected}")]
pub struct ExifFieldError {
    pub tag: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn field_err(tag: &'static str, value: &Value, expected: &'static str) -> ExifFieldError {
    ExifFieldError {
        tag,
        value: format!("{value:?}"),
        expected,
    }
}

fn ascii(exif: &Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => {
            let s = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

fn rational(exif: &Exif, tag: Tag, name: &'static str) -> Result<Option<f64>, ExifFieldError> {
    let Some(field) = exif.get_field(tag, In::PRIMARY) else {
        return Ok(None);
    };
    let v = match &field.value {
        Value::Rational(r) if !r.is_empty() => r[0].to_f64(),
        Value::SRational(r) if !r.is_empty() => r[0].to_f64(),
        Value::Short(s) if !s.is_empty() => s[0] as f64,
        Value::Long(s) if !s.is_empty() => s[0] as f64,
        other => return Err(field_err(name, other, "a number")),
    };
    if !v.is_finite() {
        return Err(field_err(
            name,
            &field.value,
            "a finite number (non-zero denominator)",
        ));
    }
    Ok(Some(v))
}

fn uint(exif: &Exif, tag: Tag) -> Option<u32> {
    exif.get_field(tag, In::PRIMARY)?.value.get_uint(0)
}

/// Degrees from the three rationals degrees, minutes, seconds, signed by the reference letter.
fn dms(
    exif: &Exif,
    tag: Tag,
    ref_tag: Tag,
    name: &'static str,
    negative_ref: u8,
) -> Result<Option<f64>, ExifFieldError> {
    let Some(field) = exif.get_field(tag, In::PRIMARY) else {
        return Ok(None);
    };
    let Value::Rational(r) = &field.value else {
        return Err(field_err(
            name,
            &field.value,
            "three rationals (degrees, minutes, seconds)",
        ));
    };
    if r.len() != 3 || r.iter().any(|x| x.denom == 0) {
        return Err(field_err(
            name,
            &field.value,
            "three rationals (degrees, minutes, seconds)",
        ));
    }
    let deg = r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0;
    let sign = match ascii(exif, ref_tag).as_deref().map(str::as_bytes) {
        Some([c, ..]) if c.eq_ignore_ascii_case(&negative_ref) => -1.0,
        _ => 1.0,
    };
    Ok(Some(sign * deg))
}

impl ExifTags {
    /// Reads the tags from an EXIF TIFF structure.
    pub fn parse(tiff: &[u8]) -> Result<ExifTags, ExifParseError> {
        let exif = exif::Reader::new()
            .read_raw(tiff.to_vec())
            .map_err(|e| ExifParseError::Tiff(e.to_string()))?;
        ExifTags::from_exif(&exif).map_err(ExifParseError::Field)
    }

    pub fn from_exif(exif: &Exif) -> Result<ExifTags, ExifFieldError> {
        let gps_alt_m = rational(exif, Tag::GPSAltitude, "GPSAltitude")?.map(|a| {
            if uint(exif, Tag::GPSAltitudeRef) == Some(1) {
                -a
            } else {
                a
            }
        });
        Ok(ExifTags {
            make: ascii(exif, Tag::Make),
            model: ascii(exif, Tag::Model),
            date_time_original: ascii(exif, Tag::DateTimeOriginal),
            sub_sec_time_original: ascii(exif, Tag::SubSecTimeOriginal),
            offset_time_original: ascii(exif, Tag::OffsetTimeOriginal),
            gps_lat_deg: dms(
                exif,
                Tag::GPSLatitude,
                Tag::GPSLatitudeRef,
                "GPSLatitude",
                b'S',
            )?,
            gps_lon_deg: dms(
                exif,
                Tag::GPSLongitude,
                Tag::GPSLongitudeRef,
                "GPSLongitude",
                b'W',
            )?,
            gps_alt_m,
            focal_length_mm: rational(exif, Tag::FocalLength, "FocalLength")?,
            focal_length_35mm_equiv_mm: rational(
                exif,
                Tag::FocalLengthIn35mmFilm,
                "FocalLengthIn35mmFilm",
            )?,
            width_px: uint(exif, Tag::PixelXDimension).or_else(|| uint(exif, Tag::ImageWidth)),
            height_px: uint(exif, Tag::PixelYDimension).or_else(|| uint(exif, Tag::ImageLength)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExifParseError {
    #[error("EXIF segment is not a readable TIFF structure: {0}")]
    Tiff(String),
    #[error(transparent)]
    Field(ExifFieldError),
}
