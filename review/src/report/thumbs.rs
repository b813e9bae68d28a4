//! Thumbnails for the review page: the candidate's crop and its whole frame with the box
//! drawn, as base64 JPEG `data:` URIs so the page needs no other file.

use base64::Engine;
use image::{DynamicImage, GenericImageView, Rgb, RgbImage};

/// The crop around `bbox_px` (`[x_min, y_min, x_max, y_max]`), with half the box's size as
/// margin on every side (context for the reviewer), at least 48 px, clamped to the frame.
pub fn crop(frame: &DynamicImage, bbox_px: [f32; 4]) -> Option<RgbImage> {
    let (w, h) = frame.dimensions();
    let [x0, y0, x1, y1] = bbox_px;
    if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) || x1 < x0 || y1 < y0 {
        return None;
    }
    let mx = ((x1 - x0) * 0.5).max(24.0);
    let my = ((y1 - y0) * 0.5).max(24.0);
    let cx0 = (x0 - mx).max(0.0).floor() as u32;
    let cy0 = (y0 - my).max(0.0).floor() as u32;
    let cx1 = ((x1 + mx).ceil().max(0.0) as u32).min(w);
    let cy1 = ((y1 + my).ceil().max(0.0) as u32).min(h);
    if cx1 <= cx0 || cy1 <= cy0 {
        return None;
    }
    Some(frame.crop_imm(cx0, cy0, cx1 - cx0, cy1 - cy0).to_rgb8())
}

/// The frame scaled to fit `max_px`, with the detection box outlined in red.
pub fn frame_with_box(frame: &DynamicImage, bbox_px: [f32; 4], max_px: u32) -> RgbImage {
    let (w, h) = frame.dimensions();
    let img = frame.thumbnail(max_px, max_px).to_rgb8();
    let sx = img.width() as f32 / w.max(1) as f32;
    let sy = img.height() as f32 / h.max(1) as f32;
    let mut img = img;
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max.saturating_sub(1));
    let x0 = clamp(bbox_px[0] * sx, img.width());
    let x1 = clamp(bbox_px[2] * sx, img.width());
    let y0 = clamp(bbox_px[1] * sy, img.height());
    let y1 = clamp(bbox_px[3] * sy, img.height());
    let red = Rgb([230, 30, 30]);
    for x in x0..=x1 {
        img.put_pixel(x, y0, red);
        img.put_pixel(x, y1, red);
    }
    for y in y0..=y1 {
        img.put_pixel(x0, y, red);
        img.put_pixel(x1, y, red);
    }
    img
}

/// JPEG bytes of `img` (quality 85).
pub fn jpeg_bytes(img: &RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    img.write_with_encoder(enc)?;
    Ok(out)
}

/// A `data:image/jpeg;base64,...` URI of `img`.
pub fn data_uri(img: &RgbImage) -> Result<String, image::ImageError> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(jpeg_bytes(img)?);
    Ok(format!("data:image/jpeg;base64,{b64}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_keeps_context_and_stays_inside_the_frame() {
        let f = DynamicImage::ImageRgb8(RgbImage::new(320, 240));
        let c = crop(&f, [300.0, 10.0, 318.0, 30.0]).unwrap();
        // 24 px margin each side, clipped at the right edge: x 276..320, y 0..54.
        assert_eq!((c.width(), c.height()), (44, 54));
        assert!(crop(&f, [10.0, 10.0, 5.0, 20.0]).is_none());
    }
}
