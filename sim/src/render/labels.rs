//! Target boxes in a frame, in YOLO's format, by projecting each target's ground outline
//! into the image ([`CameraIntrinsics::ray_to_pixel`]).
//!
//! An outfall's box encloses its mouth and concrete headwall (the mouth alone is a few
//! pixels at survey heights; the structure is what a detector can see). A plume's box is,
//! by default, [`PlumeBox::Source`]: the square of ground about its source, where the
//! discharge enters the river. That point is what an inspector walks to and what a contest
//! scores, and a box about it is well defined; the box of the whole plume
//! ([`PlumeBox::Extent`], to where its concentration falls to about 15 % of the source's)
//! is mostly bank and clear water for a plume that curves or runs diagonally through the
//! frame, its centre lies tens of metres from the source, and its far end is wherever the
//! fading tongue is judged to stop. Boxes are clipped to the image; a target is left out when less than
//! `min_visible` of its box is inside the image, or when the clipped box is smaller than
//! `min_box_px` on either side.

use qly_core::geotag::CameraPose;
use qly_core::intrinsics::CameraIntrinsics;

use super::{FrameGeometry, RenderError};
use crate::world::{TargetClass, World};

/// One target's box in a frame, pixels (image corner origin).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub class: TargetClass,
    /// The target's id in the truth file.
    pub id: String,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
    /// Where the target's truth point (outfall mouth, plume source) images; it may lie
    /// outside the image for a plume whose body alone is in view.
    pub truth_px: (f64, f64),
}

impl Label {
    /// `class cx cy w h`, normalised by the image size, as YOLO reads it.
    pub fn yolo_line(&self, width_px: u32, height_px: u32) -> String {
        let (w, h) = (width_px as f64, height_px as f64);
        format!(
            "{} {:.6} {:.6} {:.6} {:.6}",
            self.class.yolo_id(),
            (self.x_min + self.x_max) / 2.0 / w,
            (self.y_min + self.y_max) / 2.0 / h,
            (self.x_max - self.x_min) / w,
            (self.y_max - self.y_min) / h
        )
    }
}

/// What a plume's label box encloses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlumeBox {
    /// The square of ground of this side, metres, centred on the source (bent with the bank).
    Source { side_m: f64 },
    /// The plume's visible extent ([`World::plume_outline`]).
    Extent,
}

/// When a target counts as in the frame, and what a plume's box is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelRules {
    /// Smallest clipped box side, pixels.
    pub min_box_px: f64,
    /// Smallest fraction of the box inside the image.
    pub min_visible: f64,
    pub plume_box: PlumeBox,
}

/// Side of the default plume source box: the source's bulge (2.6 m) and the first metres of
/// the tongue, about 50-130 px in a 2048x1536 frame from 60-120 m.
pub const PLUME_SOURCE_BOX_M: f64 = 8.0;

impl Default for LabelRules {
    fn default() -> Self {
        LabelRules {
            min_box_px: 6.0,
            min_visible: 0.5,
            plume_box: PlumeBox::Source {
                side_m: PLUME_SOURCE_BOX_M,
            },
        }
    }
}

/// Pixel of world plane point `(e, n)` on the ground, if in front of the camera.
pub fn project(
    geo: &FrameGeometry,
    cam: &CameraIntrinsics,
    east_m: f64,
    north_m: f64,
) -> Option<(f64, f64)> {
    cam.ray_to_pixel(geo.ray_to(east_m, north_m)).ok()
}

/// The labels of the targets visible in the frame `cam` takes from `pose`.
pub fn labels(
    world: &World,
    cam: &CameraIntrinsics,
    pose: &CameraPose,
    rules: &LabelRules,
) -> Result<Vec<Label>, RenderError> {
    let geo = FrameGeometry::new(world, pose)?;
    let mut out = Vec::new();
    let mut push = |class, id: &str, outline: Vec<(f64, f64)>, truth: (f64, f64)| {
        // Densify the outline so curved projections are enclosed.
        let mut pts = Vec::new();
        for i in 0..outline.len() {
            let a = outline[i];
            let b = outline[(i + 1) % outline.len()];
            for k in 0..4 {
                let t = k as f64 / 4.0;
                pts.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
            }
        }
        let px: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|&(e, n)| project(&geo, cam, e, n))
            .collect();
        if px.len() != pts.len() {
            return;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (x, y) in px {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let area = (x1 - x0) * (y1 - y0);
        let (w, h) = (cam.width_px as f64, cam.height_px as f64);
        let (cx0, cy0, cx1, cy1) = (x0.max(0.0), y0.max(0.0), x1.min(w), y1.min(h));
        if cx1 - cx0 < rules.min_box_px || cy1 - cy0 < rules.min_box_px {
            return;
        }
        if area <= 0.0 || (cx1 - cx0) * (cy1 - cy0) / area < rules.min_visible {
            return;
        }
        let Some(truth_px) = project(&geo, cam, truth.0, truth.1) else {
            return;
        };
        out.push(Label {
            class,
            id: id.to_string(),
            x_min: cx0,
            y_min: cy0,
            x_max: cx1,
            y_max: cy1,
            truth_px,
        });
    };
    for o in world.outfalls() {
        push(
            TargetClass::Outfall,
            &o.id,
            world.outfall_outline(o),
            o.position,
        );
    }
    for p in world.plumes() {
        let outline = match rules.plume_box {
            PlumeBox::Source { side_m } => world.plume_source_square(p, side_m),
            PlumeBox::Extent => world.plume_outline(p),
        };
        push(TargetClass::Plume, &p.id, outline, p.position);
    }
    Ok(out)
}
