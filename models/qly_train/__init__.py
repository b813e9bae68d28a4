"""Training pipeline for the project's outfall/plume detector (see models/README.md).

Modules: `data` (YOLO-format frames -> training crops and CenterNet targets), `net` (the network and
its end-to-end export head), `train`, `export` (ONNX with `qly_detector` metadata), `tiling` (the
companion's slicing, resize and NMS, mirrored so evaluation sees what the companion sees),
`geo` (flat-ground geotagging with the renderer's camera), `evaluate`.
"""

CLASS_NAMES = ("outfall", "plume")
