//! The onboard object detector: a YOLO-family ONNX model run with ONNX Runtime on each photo.
//!
//! A detection pass is five stages, each a public step so they can be timed apart:
//! [`read_jpeg`]/[`decode_jpeg`] → [`Detector::preprocess`] (letterbox, NCHW) →
//! [`Detector::infer`] (ONNX Runtime) → [`Detector::decode`] (layout decoder, thresholds, back to
//! photo pixels) → [`Detector::suppress`] (per-class NMS, class names). [`Detector::detect`] runs
//! them all, slicing large photos when tiling is configured.
//!
//! ```no_run
//! use companion::detect::{read_jpeg, Detector, DetectorConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut detector = Detector::new(&DetectorConfig::new("models/outfall.onnx"))?;
//! let photo = read_jpeg("frames/12.jpg".as_ref())?;
//! for d in detector.detect(&photo)? {
//!     println!("{} {:.2} {:?}", d.class_name, d.confidence, d.bbox_px);
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use image::RgbImage;
use ndarray::Array4;
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use serde::Serialize;

pub mod class_map;
pub mod decode;
pub mod jpeg;
pub mod letterbox;
pub mod metadata;
pub mod nms;
pub mod runtime;
pub mod tiling;

pub use class_map::{ClassMapError, ClassMapping, ProjectClass, PROJECT_CLASSES};
pub use decode::{BoxXyxy, Candidate, DecodeError};
pub use jpeg::{decode_jpeg, read_jpeg, PhotoError};
pub use letterbox::Letterbox;
pub use metadata::{MetadataError, ModelMetadata, Normalisation, OutputLayout};
pub use runtime::{OnnxRuntime, RuntimeConfig, RuntimeError};
pub use tiling::{Tile, TilingConfig, TilingError};

/// One detected object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub class_id: usize,
    pub class_name: String,
    /// Model confidence, 0..1.
    pub confidence: f32,
    /// `(x1, y1, x2, y2)`: left, top, right, bottom in pixels of the original photo (x right,
    /// y down), clipped to the photo.
    pub bbox_px: BoxXyxy,
}

/// What to run and how to filter.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    pub model_path: PathBuf,
    pub runtime: RuntimeConfig,
    /// Minimum confidence (strictly above) for classes not in `class_confidence_thresholds`.
    pub confidence_threshold: f32,
    /// Per-class minimum confidence, by class name.
    pub class_confidence_thresholds: BTreeMap<String, f32>,
    /// Boxes of one class overlapping more than this are duplicates.
    pub iou_threshold: f32,
    pub max_detections: usize,
    /// Slice photos much larger than the model input; `None` always runs one full-frame pass.
    pub tiling: Option<TilingConfig>,
    /// A user's own model: each model class (by name or id) to `outfall`, `plume` or ignored
    /// ([`class_map`]). Empty: the model's own classes are reported as they are.
    pub class_map: BTreeMap<String, ProjectClass>,
}

impl DetectorConfig {
    /// Ultralytics' prediction defaults: confidence 0.25, IoU 0.7, 300 detections; no tiling.
    pub fn new(model_path: impl Into<PathBuf>) -> DetectorConfig {
        DetectorConfig {
            model_path: model_path.into(),
            runtime: RuntimeConfig::default(),
            confidence_threshold: 0.25,
            class_confidence_thresholds: BTreeMap::new(),
            iou_threshold: 0.7,
            max_detections: 300,
            tiling: None,
            class_map: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("model {model}: {source}")]
    Metadata {
        model: PathBuf,
        source: MetadataError,
    },
    #[error("model {model}: {problem}")]
    Model { model: PathBuf, problem: String },
    #[error("detector config `{field}` = {value}: expected {expected}")]
    Config {
        field: String,
        value: String,
        expected: String,
    },
    #[error("model {model}: {source}")]
    ClassMap {
        model: PathBuf,
        source: ClassMapError,
    },
    #[error("inference failed on model {model}: {reason}")]
    Inference { model: PathBuf, reason: String },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error(transparent)]
    Tiling(#[from] TilingError),
    #[error("photo is {width_px}x{height_px} px: expected a non-empty image")]
    EmptyImage { width_px: u32, height_px: u32 },
}

/// A model's raw first output, copied out of ONNX Runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOutput {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A loaded model with its contract and filters. Not `Sync`: ONNX Runtime runs one inference at
/// a time per session (`&mut self`); open one detector per worker.
pub struct Detector {
    session: Session,
    runtime: OnnxRuntime,
    model_path: PathBuf,
    input_name: String,
    metadata: ModelMetadata,
    /// Index = model class id.
    thresholds: Vec<f32>,
    /// `[detector.class_map]` resolved against the model; `None`: the model's own classes.
    mapping: Option<ClassMapping>,
    /// The class names detections carry (index = reported class id): the model's, or
    /// [`PROJECT_CLASSES`] with a class map.
    class_names: Vec<String>,
    iou_threshold: f32,
    max_detections: usize,
    tiling: Option<TilingConfig>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("model_path", &self.model_path)
            .field("metadata", &self.metadata)
            .field("thresholds", &self.thresholds)
            .finish()
    }
}

fn tensor_shape(v: &ValueType) -> Option<(TensorElementType, Vec<i64>)> {
    match v {
        ValueType::Tensor { ty, shape, .. } => Some((*ty, shape.to_vec())),
        _ => None,
    }
}

impl Detector {
    /// Loads ONNX Runtime (if not yet loaded), opens the model and resolves its contract.
    pub fn new(config: &DetectorConfig) -> Result<Detector, DetectError> {
        let cfg_err = |field: &str, value: String, expected: &str| DetectError::Config {
            field: field.into(),
            value,
            expected: expected.into(),
        };
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        if !unit(config.confidence_threshold) {
            return Err(cfg_err(
                "confidence_threshold",
                config.confidence_threshold.to_string(),
                "0..1",
            ));
        }
        if !unit(config.iou_threshold) {
            return Err(cfg_err(
                "iou_threshold",
                config.iou_threshold.to_string(),
                "0..1",
            ));
        }
        if let Some(t) = &config.tiling {
            t.validate()?;
        }
        let runtime = OnnxRuntime::load(&config.runtime)?;
        let session = runtime.open_session(&config.model_path)?;
        let model = config.model_path.clone();
        let model_err = |problem: String| DetectError::Model {
            model: model.clone(),
            problem,
        };
        let [input] = session.inputs() else {
            return Err(model_err(format!(
                "has {} inputs, expected one image input [1, 3, H, W]",
                session.inputs().len()
            )));
        };
        let (input_ty, input_shape) = tensor_shape(input.dtype())
            .ok_or_else(|| model_err(format!("input `{}` is not a tensor", input.name())))?;
        if input_ty != TensorElementType::Float32 {
            return Err(model_err(format!(
                "input `{}` is {input_ty:?}, expected float32 (half-precision exports are not supported)",
                input.name()
            )));
        }
        let output = session
            .outputs()
            .first()
            .ok_or_else(|| model_err("has no outputs".into()))?;
        let (output_ty, output_shape) = tensor_shape(output.dtype())
            .ok_or_else(|| model_err(format!("output `{}` is not a tensor", output.name())))?;
        if output_ty != TensorElementType::Float32 {
            return Err(model_err(format!(
                "output `{}` is {output_ty:?}, expected float32",
                output.name()
            )));
        }
        let meta = session
            .metadata()
            .map_err(|e| model_err(format!("metadata unreadable: {e}")))?;
        let mut custom = HashMap::new();
        for key in meta
            .custom_keys()
            .map_err(|e| model_err(format!("metadata keys unreadable: {e}")))?
        {
            if let Some(v) = meta.custom(&key) {
                custom.insert(key, v);
            }
        }
        drop(meta);
        let metadata = metadata::resolve(&custom, &input_shape, &output_shape).map_err(|e| {
            DetectError::Metadata {
                model: model.clone(),
                source: e,
            }
        })?;
        let mapping = if config.class_map.is_empty() {
            None
        } else {
            Some(
                ClassMapping::resolve(&config.class_map, &metadata.class_names).map_err(
                    |source| DetectError::ClassMap {
                        model: model.clone(),
                        source,
                    },
                )?,
            )
        };
        let class_names: Vec<String> = match &mapping {
            Some(_) => PROJECT_CLASSES.iter().map(|s| s.to_string()).collect(),
            None => metadata.class_names.clone(),
        };
        let mut thresholds = vec![config.confidence_threshold; metadata.class_names.len()];
        for (name, t) in &config.class_confidence_thresholds {
            // A model class by name; with a class map also a project class, which sets every
            // model class mapped onto it.
            let ids: Vec<usize> = match metadata.class_names.iter().position(|n| n == name) {
                Some(id) => vec![id],
                None => match (&mapping, PROJECT_CLASSES.iter().position(|p| p == name)) {
                    (Some(m), Some(p)) => (0..metadata.class_names.len())
                        .filter(|id| m.project_class(*id) == Some(p))
                        .collect(),
                    _ => Vec::new(),
                },
            };
            if ids.is_empty() {
                let expected = match &mapping {
                    Some(_) => format!(
                        "a class of the model: {:?}, or a mapped project class: {PROJECT_CLASSES:?}",
                        metadata.class_names
                    ),
                    None => format!("a class of the model: {:?}", metadata.class_names),
                };
                return Err(cfg_err(
                    "class_confidence_thresholds",
                    name.clone(),
                    &expected,
                ));
            }
            if !unit(*t) {
                return Err(cfg_err(
                    &format!("class_confidence_thresholds.{name}"),
                    t.to_string(),
                    "0..1",
                ));
            }
            for id in ids {
                thresholds[id] = *t;
            }
        }
        let input_name = input.name().to_string();
        Ok(Detector {
            session,
            runtime,
            model_path: config.model_path.clone(),
            input_name,
            metadata,
            thresholds,
            mapping,
            class_names,
            iou_threshold: config.iou_threshold,
            max_detections: config.max_detections,
            tiling: config.tiling,
        })
    }

    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    pub fn runtime(&self) -> &OnnxRuntime {
        &self.runtime
    }

    /// The per-class confidence thresholds in use (index = model class id).
    pub fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    /// The class names detections carry (index = [`Detection::class_id`]): the model's own,
    /// or `outfall`, `plume` when a class map is configured.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The class map resolved against the model, when one is configured.
    pub fn class_mapping(&self) -> Option<&ClassMapping> {
        self.mapping.as_ref()
    }

    /// Stage 2: letterbox the photo into the model input and build the input tensor.
    pub fn preprocess(&self, image: &RgbImage) -> (Array4<f32>, Letterbox) {
        let geometry = Letterbox::new(
            image.width(),
            image.height(),
            self.metadata.input_width_px,
            self.metadata.input_height_px,
        );
        (
            letterbox::letterbox_nchw(image, &geometry, &self.metadata.normalisation),
            geometry,
        )
    }

    /// Stage 3: run the model on an input tensor; returns its first output.
    pub fn infer(&mut self, input: &Array4<f32>) -> Result<RawOutput, DetectError> {
        let fail = |reason: String| DetectError::Inference {
            model: self.model_path.clone(),
            reason,
        };
        let tensor = TensorRef::from_array_view(input).map_err(|e| fail(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => tensor])
            .map_err(|e| fail(e.to_string()))?;
        let (shape, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| fail(e.to_string()))?;
        let shape = shape
            .iter()
            .map(|d| usize::try_from(*d).map_err(|_| fail(format!("output dimension {d}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RawOutput {
            shape,
            data: data.to_vec(),
        })
    }

    /// Stage 4: decode the raw output with the model's layout and thresholds, map the boxes
    /// to photo pixels and, with a class map, the model's classes to the project's (ignored
    /// classes dropped).
    pub fn decode(
        &self,
        raw: &RawOutput,
        geometry: &Letterbox,
    ) -> Result<Vec<Candidate>, DetectError> {
        let mut candidates = decode::decode(
            self.metadata.layout,
            &raw.shape,
            &raw.data,
            &self.thresholds,
        )?;
        for c in &mut candidates {
            c.bbox = geometry.to_source(c.bbox);
        }
        if let Some(m) = &self.mapping {
            candidates = candidates
                .into_iter()
                .filter_map(|c| {
                    m.project_class(c.class_id)
                        .map(|class_id| Candidate { class_id, ..c })
                })
                .collect();
        }
        Ok(candidates)
    }

    /// Stage 5: per-class NMS (skipped for end-to-end models on a single pass, whose output is
    /// already suppressed, unless a class map merges model classes), the detection cap, and
    /// class names.
    pub fn suppress(&self, candidates: Vec<Candidate>, merged_passes: bool) -> Vec<Detection> {
        let merged_classes = self.mapping.as_ref().is_some_and(ClassMapping::merges);
        let kept =
            if self.metadata.layout == OutputLayout::End2end && !merged_passes && !merged_classes {
                let mut c = candidates;
                c.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
                c.truncate(self.max_detections);
                c
            } else {
                nms::nms_per_class(candidates, self.iou_threshold, self.max_detections)
            };
        kept.into_iter()
            .map(|c| Detection {
                class_id: c.class_id,
                class_name: self.class_names[c.class_id].clone(),
                confidence: c.confidence,
                bbox_px: c.bbox,
            })
            .collect()
    }

    /// Stages 2–4 on one image: candidates in that image's pixels.
    pub fn candidates(&mut self, image: &RgbImage) -> Result<Vec<Candidate>, DetectError> {
        if image.width() == 0 || image.height() == 0 {
            return Err(DetectError::EmptyImage {
                width_px: image.width(),
                height_px: image.height(),
            });
        }
        let (input, geometry) = self.preprocess(image);
        let raw = self.infer(&input)?;
        self.decode(&raw, &geometry)
    }

    /// Whether [`Detector::detect`] slices this photo (tiling configured and the photo much
    /// larger than the model input).
    pub fn tiles(&self, image: &RgbImage) -> bool {
        self.tiling.is_some_and(|t| {
            tiling::should_tile(
                image.width(),
                image.height(),
                self.metadata.input_width_px,
                self.metadata.input_height_px,
                &t,
            )
        })
    }

    /// Detects objects in a photo: one full-frame pass, or sliced when tiling is configured and
    /// the photo is much larger than the model input.
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<Detection>, DetectError> {
        match self.tiling {
            Some(t) if self.tiles(image) => self.detect_tiled(image, &t),
            _ => {
                let candidates = self.candidates(image)?;
                Ok(self.suppress(candidates, false))
            }
        }
    }

    /// Sliced inference whatever the photo size: every slice at full resolution, plus the
    /// full-frame pass if configured, merged by per-class NMS.
    pub fn detect_tiled(
        &mut self,
        image: &RgbImage,
        config: &TilingConfig,
    ) -> Result<Vec<Detection>, DetectError> {
        let tiles = tiling::plan_tiles(image.width(), image.height(), config)?;
        let mut all = Vec::new();
        for tile in tiles {
            let slice = image::imageops::crop_imm(
                image,
                tile.x_px,
                tile.y_px,
                tile.width_px,
                tile.height_px,
            )
            .to_image();
            let (dx, dy) = (tile.x_px as f32, tile.y_px as f32);
            all.extend(self.candidates(&slice)?.into_iter().map(|mut c| {
                c.bbox = (c.bbox.0 + dx, c.bbox.1 + dy, c.bbox.2 + dx, c.bbox.3 + dy);
                c
            }));
        }
        if config.full_frame_pass {
            all.extend(self.candidates(image)?);
        }
        Ok(self.suppress(all, true))
    }

    /// Decodes a JPEG and detects in it; `what` names the photo in errors.
    pub fn detect_jpeg(&mut self, bytes: &[u8], what: &str) -> Result<Vec<Detection>, DetectError> {
        let image = decode_jpeg(bytes, what)?;
        self.detect(&image)
    }

    pub fn model_path(&self) -> &Path {
        &self.model_path
    }
}
