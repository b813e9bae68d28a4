//! The JPEG segments photo metadata lives in: the EXIF APP1 segment (`Exif\0\0` + a TIFF
//! structure), the XMP APP1 segment (`http://ns.adobe.com/xap/1.0/\0` + the XML packet) and the
//! frame header (SOFn), whose size is the size of the pixels actually stored.
//!
//! Only the header segments before the first scan (SOS) are walked; the entropy-coded image
//! data is never read, so metadata of a 20 MB photo costs microseconds.

/// What the header segments of one JPEG hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JpegHeaders<'a> {
    /// The TIFF structure of the EXIF segment (after `Exif\0\0`).
    pub exif_tiff: Option<&'a [u8]>,
    /// The XMP packet (after the namespace signature).
    pub xmp: Option<&'a [u8]>,
    /// Width and height from the frame header (SOF0..SOF15 except DHT/JPG/DAC).
    pub frame_size_px: Option<(u32, u32)>,
}

/// Why the segments could not be walked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SegmentError {
    #[error("does not start with the JPEG start-of-image marker FF D8")]
    NotJpeg,
    #[error("JPEG header is cut off at byte {offset} (inside the segment headers)")]
    Truncated { offset: usize },
    #[error("JPEG header has no marker at byte {offset} (found {found:#04x}, expected 0xFF)")]
    NoMarker { offset: usize, found: u8 },
}

const EXIF_SIGNATURE: &[u8] = b"Exif\0\0";
const XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Walks the marker segments from SOI up to the first SOS (or EOI).
pub fn jpeg_headers(bytes: &[u8]) -> Result<JpegHeaders<'_>, SegmentError> {
    if bytes.len() < 2 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err(SegmentError::NotJpeg);
    }
    let mut out = JpegHeaders::default();
    let mut i = 2;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err(SegmentError::Truncated { offset: i });
        };
        if b != 0xFF {
            return Err(SegmentError::NoMarker {
                offset: i,
                found: b,
            });
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return Err(SegmentError::Truncated { offset: i });
        };
        i += 1;
        match marker {
            // Stand-alone markers: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            // EOI, or SOS: the headers are over.
            0xD9 | 0xDA => return Ok(out),
            _ => {}
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(i), bytes.get(i + 1)) else {
            return Err(SegmentError::Truncated { offset: i });
        };
        let len = u16::from_be_bytes([hi, lo]) as usize;
        if len < 2 || i + len > bytes.len() {
            return Err(SegmentError::Truncated { offset: i });
        }
        let payload = &bytes[i + 2..i + len];
        match marker {
            0xE1 if payload.starts_with(EXIF_SIGNATURE) && out.exif_tiff.is_none() => {
                out.exif_tiff = Some(&payload[EXIF_SIGNATURE.len()..]);
            }
            0xE1 if payload.starts_with(XMP_SIGNATURE) && out.xmp.is_none() => {
                out.xmp = Some(&payload[XMP_SIGNATURE.len()..]);
            }
            // SOFn; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
            // SOFn (C4 DHT, C8 JPG and CC DAC share the range but are not frames):
            // precision (1), height (2), width (2).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && payload.len() >= 5 => {
                let h = u16::from_be_bytes([payload[1], payload[2]]) as u32;
                let w = u16::from_be_bytes([payload[3], payload[4]]) as u32;
                out.frame_size_px = Some((w, h));
            }
            _ => {}
        }
        i += len;
    }
}

/// `jpeg` with `segments` (each a marker code and its payload) inserted right after SOI, as a
/// camera writes them. For tests and tools that make tagged photos.
pub fn insert_app_segments(jpeg: &[u8], segments: &[(u8, &[u8])]) -> Result<Vec<u8>, String> {
    if jpeg.len() < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
        return Err("not a JPEG (no FF D8 start-of-image marker)".into());
    }
    let mut out =
        Vec::with_capacity(jpeg.len() + segments.iter().map(|s| s.1.len() + 4).sum::<usize>());
    out.extend_from_slice(&jpeg[..2]);
    for (marker, payload) in segments {
        let len = payload.len() + 2;
        let len = u16::try_from(len).map_err(|_| {
            format!(
                "segment FF {marker:02X} payload of {} bytes exceeds 65533",
                payload.len()
            )
        })?;
        out.extend_from_slice(&[0xFF, *marker]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
    }
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

/// The APP1 payload carrying an XMP packet.
pub fn xmp_app1_payload(xmp: &[u8]) -> Vec<u8> {
    [XMP_SIGNATURE, xmp].concat()
}

/// The APP1 payload carrying an EXIF TIFF structure.
pub fn exif_app1_payload(tiff: &[u8]) -> Vec<u8> {
    [EXIF_SIGNATURE, tiff].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exif_xmp_and_frame_size_and_stops_at_sos() {
        // SOI, APP1 Exif, APP1 XMP, SOF0 (8 bit, 48 x 64), SOS, junk.
        let mut sof = vec![8, 0, 48, 0, 64, 3];
        sof.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        let base = [0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0x12, 0x34];
        let tagged = insert_app_segments(
            &base,
            &[
                (0xE1, &exif_app1_payload(b"II*\0tiff")),
                (0xE1, &xmp_app1_payload(b"<x:xmpmeta/>")),
                (0xC0, &sof),
            ],
        )
        .unwrap();
        let h = jpeg_headers(&tagged).unwrap();
        assert_eq!(h.exif_tiff, Some(&b"II*\0tiff"[..]));
        assert_eq!(h.xmp, Some(&b"<x:xmpmeta/>"[..]));
        assert_eq!(h.frame_size_px, Some((64, 48)));
    }

    #[test]
    fn bad_headers_are_typed_errors() {
        assert_eq!(jpeg_headers(b"GIF89a"), Err(SegmentError::NotJpeg));
        assert_eq!(
            jpeg_headers(&[0xFF, 0xD8, 0xFF, 0xE1, 0x01, 0x00, 1, 2]),
            Err(SegmentError::Truncated { offset: 4 })
        );
        assert_eq!(
            jpeg_headers(&[0xFF, 0xD8, 0x12]),
            Err(SegmentError::NoMarker {
                offset: 2,
                found: 0x12
            })
        );
    }
}
