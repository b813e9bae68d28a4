//! Reading photos: JPEG bytes (as the camera writes them) to an RGB image.

use std::path::{Path, PathBuf};

use image::{ImageFormat, RgbImage};

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("photo {path} could not be read: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{what} is not a decodable JPEG: {reason}")]
    Decode { what: String, reason: String },
}

/// Decodes JPEG bytes to RGB; `what` names the source in the error (a path, "frame 12").
pub fn decode_jpeg(bytes: &[u8], what: &str) -> Result<RgbImage, PhotoError> {
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)
        .map(|img| img.into_rgb8())
        .map_err(|e| PhotoError::Decode {
            what: what.to_string(),
            reason: e.to_string(),
        })
}

/// Reads and decodes a JPEG file.
pub fn read_jpeg(path: &Path) -> Result<RgbImage, PhotoError> {
    let bytes = std::fs::read(path).map_err(|e| PhotoError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    decode_jpeg(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::Rgb;

    fn jpeg_bytes() -> Vec<u8> {
        let img = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 95)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn decodes_a_real_jpeg() {
        let img = decode_jpeg(&jpeg_bytes(), "test").unwrap();
        assert_eq!(img.dimensions(), (64, 48));
        let p = img.get_pixel(32, 24).0;
        assert!(
            (p[0] as i32 - 128).abs() <= 4 && (p[2] as i32 - 90).abs() <= 4,
            "{p:?}"
        );
    }

    #[test]
    fn corrupt_jpeg_is_a_typed_error() {
        let good = jpeg_bytes();
        // Not a JPEG at all.
        let err = decode_jpeg(b"this is not a photo", "frame 7").unwrap_err();
        assert!(matches!(&err, PhotoError::Decode { what, .. } if what == "frame 7"));
        assert!(err.to_string().contains("frame 7"), "{err}");
        // The start-of-image marker is right but the headers are garbage.
        let mut garbled = good.clone();
        for b in garbled.iter_mut().skip(2).take(200) {
            *b = 0x55;
        }
        assert!(matches!(
            decode_jpeg(&garbled, "garbled"),
            Err(PhotoError::Decode { .. })
        ));
        // Cut off inside the headers.
        assert!(matches!(
            decode_jpeg(&good[..40], "truncated"),
            Err(PhotoError::Decode { .. })
        ));
        assert!(matches!(
            read_jpeg(Path::new("/nonexistent/frame.jpg")),
            Err(PhotoError::Read { .. })
        ));
    }
}
