//! Sliced inference (SAHI, Akyon et al. 2022) for photos much larger than the model input: a
//! 30 cm pipe mouth is 9 px in a 4000 px photo but 1.4 px after shrinking it to 640. The photo is
//! cut into overlapping slices at full resolution, each slice is detected on its own, one
//! optional full-frame pass catches objects larger than a slice, and the union is merged by
//! per-class NMS. Slices are laid out as SAHI's `get_slice_bboxes` does: a fixed step of
//! `slice - overlap`, and the last slice in a row or column shifted back to end at the border.

/// How to slice, in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TilingConfig {
    pub slice_width_px: u32,
    pub slice_height_px: u32,
    /// Overlap between neighbouring slices as a fraction of the slice size (SAHI: 0.2).
    pub overlap_ratio: f32,
    /// Also run the whole photo letterboxed once (SAHI's `perform_standard_pred`).
    pub full_frame_pass: bool,
    /// Slice only when fitting the photo into the model input would shrink it more than this
    /// many times; smaller photos get one full-frame pass.
    pub min_downscale: f32,
}

impl Default for TilingConfig {
    fn default() -> Self {
        TilingConfig {
            slice_width_px: 640,
            slice_height_px: 640,
            overlap_ratio: 0.2,
            full_frame_pass: true,
            min_downscale: 2.0,
        }
    }
}

/// A slice of the photo: its top-left corner and size in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub x_px: u32,
    pub y_px: u32,
    pub width_px: u32,
    pub height_px: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TilingError {
    #[error("tiling slice size {width_px}x{height_px} px: expected both above zero")]
    EmptySlice { width_px: u32, height_px: u32 },
    #[error("tiling overlap_ratio {0}: expected at least 0 and below 1")]
    Overlap(f32),
}

impl TilingConfig {
    pub fn validate(&self) -> Result<(), TilingError> {
        if self.slice_width_px == 0 || self.slice_height_px == 0 {
            return Err(TilingError::EmptySlice {
                width_px: self.slice_width_px,
                height_px: self.slice_height_px,
            });
        }
        if !(0.0..1.0).contains(&self.overlap_ratio) {
            return Err(TilingError::Overlap(self.overlap_ratio));
        }
        Ok(())
    }
}

/// Start offsets along one axis: steps of `slice - overlap`, the last one moved back so the
/// slice ends at the border; a photo shorter than a slice gets one slice from 0.
fn starts(length_px: u32, slice_px: u32, overlap_ratio: f32) -> Vec<(u32, u32)> {
    let overlap = (overlap_ratio * slice_px as f32) as u32;
    let step = slice_px.saturating_sub(overlap).max(1);
    let mut out = Vec::new();
    let mut start = 0u32;
    loop {
        let end = start.saturating_add(slice_px);
        if end >= length_px {
            let end = length_px;
            let start = end.saturating_sub(slice_px);
            out.push((start, end - start));
            break;
        }
        out.push((start, slice_px));
        start += step;
    }
    out
}

/// The slices covering a `width_px` x `height_px` photo, row by row.
pub fn plan_tiles(
    width_px: u32,
    height_px: u32,
    config: &TilingConfig,
) -> Result<Vec<Tile>, TilingError> {
    config.validate()?;
    let xs = starts(width_px, config.slice_width_px, config.overlap_ratio);
    let ys = starts(height_px, config.slice_height_px, config.overlap_ratio);
    Ok(ys
        .iter()
        .flat_map(|&(y_px, height_px)| {
            xs.iter().map(move |&(x_px, width_px)| Tile {
                x_px,
                y_px,
                width_px,
                height_px,
            })
        })
        .collect())
}

/// Whether this photo should be sliced for a model input of the given size.
pub fn should_tile(
    width_px: u32,
    height_px: u32,
    input_width_px: u32,
    input_height_px: u32,
    config: &TilingConfig,
) -> bool {
    let shrink =
        (width_px as f32 / input_width_px as f32).max(height_px as f32 / input_height_px as f32);
    shrink > config.min_downscale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_counts_match_sahi() {
        // 640 px slices, 0.2 overlap (step 512), as computed in the project's notes.
        let cfg = TilingConfig::default();
        assert_eq!(plan_tiles(4000, 3000, &cfg).unwrap().len(), 48);
        assert_eq!(plan_tiles(3840, 2160, &cfg).unwrap().len(), 32);
        assert_eq!(plan_tiles(1920, 1080, &cfg).unwrap().len(), 8);
        assert_eq!(plan_tiles(500, 300, &cfg).unwrap().len(), 1);
    }

    #[test]
    fn slices_cover_the_photo_and_stay_inside() {
        let cfg = TilingConfig::default();
        let tiles = plan_tiles(1920, 1080, &cfg).unwrap();
        let xs: Vec<u32> = tiles
            .iter()
            .filter(|t| t.y_px == 0)
            .map(|t| t.x_px)
            .collect();
        assert_eq!(xs, vec![0, 512, 1024, 1280]);
        let ys: Vec<u32> = tiles
            .iter()
            .filter(|t| t.x_px == 0)
            .map(|t| t.y_px)
            .collect();
        assert_eq!(ys, vec![0, 440]);
        for t in &tiles {
            assert!(t.x_px + t.width_px <= 1920 && t.y_px + t.height_px <= 1080);
            assert_eq!((t.width_px, t.height_px), (640, 640));
        }
        let small = plan_tiles(500, 300, &cfg).unwrap();
        assert_eq!(
            small,
            vec![Tile {
                x_px: 0,
                y_px: 0,
                width_px: 500,
                height_px: 300
            }]
        );
    }

    #[test]
    fn bad_configs_and_the_tiling_decision() {
        let cfg = TilingConfig {
            overlap_ratio: 1.0,
            ..TilingConfig::default()
        };
        assert_eq!(plan_tiles(100, 100, &cfg), Err(TilingError::Overlap(1.0)));
        let cfg = TilingConfig {
            slice_width_px: 0,
            ..TilingConfig::default()
        };
        assert!(matches!(
            plan_tiles(100, 100, &cfg),
            Err(TilingError::EmptySlice { .. })
        ));
        let cfg = TilingConfig::default();
        assert!(should_tile(4000, 3000, 640, 640, &cfg));
        assert!(!should_tile(1280, 720, 640, 640, &cfg));
    }
}
