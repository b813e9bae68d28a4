"""YOLO-format frames -> the model's scale -> random training crops -> CenterNet targets.

The model sees a whole frame at half resolution (2048x1536 -> 1024x768, one pass, no tiling):
outfall boxes (mouth and headwall) are 16-47 px in the renderer's frames and stay 8-24 px,
while plumes (20-110 m long, hundreds to 2000 px) stay whole instead of being cut by tiles.
Training resizes every frame exactly as the companion does and cuts random crops out of it,
most of them placed so that a target lands somewhere in the crop (a frame is mostly bank and
water). A box cut by a crop edge is kept (clipped) when at least 40 % of it is inside;
otherwise its visible part is an ignore region, taught neither as target nor as background.

A YOLO dataset is `images/**.jpg` with `labels/**.txt` at the mirrored path, one line per box:
`class cx cy w h`, normalised to the image size. A missing label file is an image without
targets (as ultralytics reads it).
"""

import math
import os
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .net import STRIDE

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DatasetError(ValueError):
    """A dataset file that cannot be used, with the file and what was expected."""


@dataclass
class Frame:
    image_path: str
    width_px: int
    height_px: int
    # [n, 5] float32: class, x1, y1, x2, y2 in pixels of the image (x right, y down).
    boxes: np.ndarray


def label_path_for(image_path):
    """ultralytics' rule: the last `images` directory in the path becomes `labels`."""
    head, sep, tail = image_path.rpartition(os.sep + "images" + os.sep)
    if not sep:
        raise DatasetError(f"{image_path}: expected the image under an `images/` directory")
    return os.path.splitext(head + os.sep + "labels" + os.sep + tail)[0] + ".txt"


def read_labels(path, width_px, height_px, num_classes):
    """[n, 5] class, x1, y1, x2, y2 in pixels; an absent file is an empty frame."""
    if not os.path.exists(path):
        return np.zeros((0, 5), np.float32)
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            where = f"{path}:{line_no}"
            if len(parts) != 5:
                raise DatasetError(f"{where}: expected `class cx cy w h`, got {line.strip()!r}")
            try:
                cls = int(parts[0])
                cx, cy, w, h = (float(p) for p in parts[1:])
            except ValueError as e:
                raise DatasetError(f"{where}: {e}") from None
            if not 0 <= cls < num_classes:
                raise DatasetError(f"{where}: class {cls}: expected 0..{num_classes - 1}")
            if not all(math.isfinite(v) for v in (cx, cy, w, h)) or w <= 0 or h <= 0:
                raise DatasetError(f"{where}: expected finite centre and positive size")
            rows.append(
                (
                    cls,
                    (cx - w / 2) * width_px,
                    (cy - h / 2) * height_px,
                    (cx + w / 2) * width_px,
                    (cy + h / 2) * height_px,
                )
            )
    return np.array(rows, np.float32).reshape(-1, 5)


def load_dataset(root, num_classes):
    """All frames under any `images/` directory below `root` (one dataset, or a folder of
    several, e.g. one per rendered world), sorted by path. `root` may itself lie inside an
    `images/` directory (`DATASET/images/val`: one split of a dataset)."""
    if not os.path.isdir(root):
        raise DatasetError(f"{root}: not a directory")
    inside_images = "images" in os.path.abspath(root).split(os.sep)
    paths = []
    for dirpath, _, names in os.walk(root):
        if not inside_images and "images" not in os.path.relpath(dirpath, root).split(os.sep):
            continue
        paths += [os.path.join(dirpath, n) for n in names if n.lower().endswith(IMAGE_SUFFIXES)]
    if not paths:
        raise DatasetError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) under an `images/` directory")
    frames = []
    for p in sorted(paths):
        try:
            with Image.open(p) as im:
                w, h = im.size
        except OSError as e:
            raise DatasetError(f"{p}: not a readable image: {e}") from None
        frames.append(Frame(p, w, h, read_labels(label_path_for(p), w, h, num_classes)))
    return frames


def read_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def clip_boxes(boxes, x0, y0, size, min_keep):
    """Boxes shifted into a crop at (x0, y0); returns (kept, ignored): kept boxes have at least
    `min_keep` of their area inside, ignored ones some area but less (their visible part is not
    taught as background)."""
    if len(boxes) == 0:
        return boxes, boxes
    b = boxes.copy()
    b[:, [1, 3]] -= x0
    b[:, [2, 4]] -= y0
    area = (b[:, 3] - b[:, 1]) * (b[:, 4] - b[:, 2])
    c = b.copy()
    c[:, 1:] = np.clip(c[:, 1:], 0, size)
    inside = (c[:, 3] - c[:, 1]) * (c[:, 4] - c[:, 2])
    frac = inside / np.maximum(area, 1e-6)
    keep = (frac >= min_keep) & (c[:, 3] - c[:, 1] >= 2) & (c[:, 4] - c[:, 2] >= 2)
    ignore = ~keep & (inside > 0)
    return c[keep], c[ignore]


def crop_position(width_px, height_px, boxes, crop_px, targeted, rng):
    """Top-left corner of a crop: with `targeted`, one containing a random target (when the
    frame has any) anywhere in its middle 80 %; otherwise uniform."""
    max_x, max_y = width_px - crop_px, height_px - crop_px
    if targeted and len(boxes):
        _, x1, y1, x2, y2 = boxes[rng.integers(len(boxes))]
        x0 = (x1 + x2) / 2 - rng.uniform(0.1, 0.9) * crop_px
        y0 = (y1 + y2) / 2 - rng.uniform(0.1, 0.9) * crop_px
    else:
        x0, y0 = rng.uniform(0, max_x + 1), rng.uniform(0, max_y + 1)
    return int(np.clip(x0, 0, max_x)), int(np.clip(y0, 0, max_y))


class FrameBank:
    """Every training frame resized to the model's width (the companion's resize, so training
    sees the pixels the companion will feed), as uint8 HWC arrays, with boxes in those pixels.
    Frames may differ in size (a real photo set); each keeps its aspect ratio."""

    def __init__(self, images, boxes):
        self.images = images
        self.boxes = boxes

    def __len__(self):
        return len(self.images)

    @staticmethod
    def build(frames, width_px, log=print):
        from .tiling import resize_bilinear

        images, boxes = [], []
        for i, fr in enumerate(frames):
            img = read_rgb(fr.image_path)
            h0, w0 = img.shape[:2]
            if (w0, h0) != (fr.width_px, fr.height_px):
                raise DatasetError(f"{fr.image_path}: size changed while reading")
            h = max(int(round(h0 * width_px / w0)), 1)
            images.append(resize_bilinear(img, width_px, h))
            b = fr.boxes.copy()
            b[:, 1:] *= (width_px / w0, h / h0, width_px / w0, h / h0)
            boxes.append(b)
            if (i + 1) % 100 == 0:
                log(f"  loaded {i + 1}/{len(frames)} frames")
        return FrameBank(images, boxes)


def sample_batch(bank, n, crop_px, targeted_fraction, rng, min_keep=0.4, picked=None):
    """n random crops with flips and transposes (an aerial photo has no up). Returns uint8
    NHWC crops, kept boxes and ignore regions (boxes cut below `min_keep` of their area).
    With a list `picked`, each crop's frame index is appended to it."""
    out = np.empty((n, crop_px, crop_px, 3), np.uint8)
    out_b, out_i = [], []
    for j in range(n):
        k = rng.integers(len(bank))
        if picked is not None:
            picked.append(int(k))
        src = bank.images[k]
        h, w = src.shape[:2]
        if h < crop_px or w < crop_px:  # pad small frames with the letterbox grey
            padded = np.full((max(h, crop_px), max(w, crop_px), 3), 114, np.uint8)
            padded[:h, :w] = src
            src, h, w = padded, padded.shape[0], padded.shape[1]
        ox, oy = crop_position(w, h, bank.boxes[k], crop_px, rng.random() < targeted_fraction, rng)
        im = src[oy : oy + crop_px, ox : ox + crop_px]
        b, ig = clip_boxes(bank.boxes[k], ox, oy, crop_px, min_keep)
        if rng.random() < 0.5:
            im = im[:, ::-1]
            b, ig = _flip_x(b, crop_px), _flip_x(ig, crop_px)
        if rng.random() < 0.5:
            im = im[::-1]
            b, ig = _flip_y(b, crop_px), _flip_y(ig, crop_px)
        if rng.random() < 0.5:
            im = im.transpose(1, 0, 2)
            b, ig = b[:, [0, 2, 1, 4, 3]], ig[:, [0, 2, 1, 4, 3]]
        out[j] = im
        out_b.append(b)
        out_i.append(ig)
    return out, out_b, out_i


def _flip_x(b, size):
    b = b.copy()
    b[:, [1, 3]] = size - b[:, [3, 1]]
    return b


def _flip_y(b, size):
    b = b.copy()
    b[:, [2, 4]] = size - b[:, [4, 2]]
    return b


def to_tensor(images, rng=None):
    """uint8 NHWC -> float NCHW in 0..1 (the model's input; metadata mean 0, std 1). With `rng`,
    photometric jitter: brightness, contrast, per-channel gain, sensor noise."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)
    if rng is not None:
        n = x.shape[0]
        gain = torch.from_numpy(rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32))
        chan = torch.from_numpy(rng.uniform(0.92, 1.08, (n, 3, 1, 1)).astype(np.float32))
        contrast = torch.from_numpy(rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32))
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * contrast + mean
        x = x * gain * chan
        sigma = torch.from_numpy(rng.uniform(0.0, 0.02, (n, 1, 1, 1)).astype(np.float32))
        # torch.randn, not randn_like: x keeps the image's channels-last strides, and randn_like
        # on those is about 6x slower (175 vs 29 ms per batch of 8 crops of 512 px, measured).
        x = x + torch.randn(x.shape) * sigma
        x = x.clamp_(0.0, 1.0)
    return x


def gaussian_radius(h, w, min_overlap=0.7):
    """CenterNet's radius (in cells) within which a shifted box still has IoU >= min_overlap."""
    a1, b1, c1 = 1, h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1**2 - 4 * a1 * c1)) / 2
    a2, b2, c2 = 4, 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2**2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3**2 - 4 * a3 * c3)) / 2
    return max(0.0, min(r1, r2, r3))


# Heat target inside ignore regions: close enough to 1 that the focal loss's (1 - gt)^4 weight
# silences the negative term, but not exactly 1, which would count as a positive.
IGNORE_HEAT = 0.999


def make_targets(boxes, ignores, size_px, num_classes):
    """Heatmaps [B, nc, G, G] (Gaussian peaks at box centres), regression [B, 4 * nc, G, G]
    (per class log(w/4), log(h/4), dx, dy at the centre cell) and its mask [B, nc, G, G]."""
    g = size_px // STRIDE
    n = len(boxes)
    heat = np.zeros((n, num_classes, g, g), np.float32)
    reg = np.zeros((n, 4 * num_classes, g, g), np.float32)
    mask = np.zeros((n, num_classes, g, g), np.float32)
    for b in range(n):
        for cls, x1, y1, x2, y2 in boxes[b]:
            cls = int(cls)
            cx, cy = (x1 + x2) / 2 / STRIDE, (y1 + y2) / 2 / STRIDE
            w, h = max((x2 - x1) / STRIDE, 0.25), max((y2 - y1) / STRIDE, 0.25)
            ix, iy = min(int(cx), g - 1), min(int(cy), g - 1)
            sigma = max((2 * gaussian_radius(h, w) + 1) / 6, 0.5)
            r = int(3 * sigma) + 1
            xa, xb, ya, yb = max(ix - r, 0), min(ix + r + 1, g), max(iy - r, 0), min(iy + r + 1, g)
            yy, xx = np.mgrid[ya:yb, xa:xb].astype(np.float32)
            blob = np.exp(-((xx - ix) ** 2 + (yy - iy) ** 2) / (2 * sigma * sigma))
            sl = heat[b, cls, ya:yb, xa:xb]
            np.maximum(sl, blob, out=sl)
            heat[b, cls, iy, ix] = 1.0
            reg[b, 4 * cls : 4 * cls + 4, iy, ix] = (math.log(w), math.log(h), cx - ix, cy - iy)
            mask[b, cls, iy, ix] = 1.0
        # After the peaks, so a peak (1.0) inside an ignore region stays a positive.
        for cls, x1, y1, x2, y2 in ignores[b]:
            gx1, gy1 = int(x1 // STRIDE), int(y1 // STRIDE)
            gx2, gy2 = int(math.ceil(x2 / STRIDE)), int(math.ceil(y2 / STRIDE))
            sl = heat[b, int(cls), gy1:gy2, gx1:gx2]
            np.maximum(sl, IGNORE_HEAT, out=sl)
    return torch.from_numpy(heat), torch.from_numpy(reg), torch.from_numpy(mask)
