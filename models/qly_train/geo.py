"""Geotagged metrics: recall of the world's targets within 5 m, and false positives per km.

The renderer (`sim dataset`) writes, beside the frames, `poses.csv` (each frame's camera
position and the vehicle's yaw, and the gimbal tilt from nadir), `truth.geojson` (every target,
with their class) and, from train.sh, `camera.json` (the pinhole intrinsics the frames
were rendered with). The projection here is the same camera model as qly-core's `geotag` for
this mount, written out in numpy: OpenCV pinhole (no distortion: the renderer's camera has
none), gimbal frame = camera frame rotated by `GIMBAL_FROM_CAMERA`, a stabilised gimbal in the
heading frame (`q_ned_gimbal = Rz(yaw) * Ry(tilt - 90 deg)`, so the vehicle's roll and pitch do
not enter), intersected with the world's flat ground. Offsets of a few hundred metres are
turned into latitude/longitude on the WGS-84 ellipsoid's local radii; over such distances
that differs from core's full geodesy by millimetres.

- Recall within 5 m: a target counts as seen when its truth point (an outfall's mouth, a
  plume's source: where the discharge enters the river) images inside a frame; it is found when
  a detection of its class, geotagged from the box centre, lies within 5 m of that point, the
  contest's rule. (The detector's plume box is the square of ground about the source, so its
  centre is the source; see `sim dataset --plume-box`.)
- False positives per km: detections that match no target of their class, merged when within
  5 m of each other (one false object seen in several frames counts once), divided by the
  length of river inside the union of the frames' ground footprints.
"""

import csv
import json
import math
import os

import numpy as np

from . import CLASS_NAMES

MATCH_RADIUS_M = 5.0
WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3


def radii(lat_deg):
    """Meridional and prime-vertical radii of curvature, metres."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1 - WGS84_E2 * s * s)
    return WGS84_A * (1 - WGS84_E2) / w**3, WGS84_A / w


class Plane:
    """Local east/north metres about a reference latitude/longitude."""

    def __init__(self, lat0, lon0):
        self.lat0, self.lon0 = lat0, lon0
        m, n = radii(lat0)
        self.k_north = math.radians(1) * m
        self.k_east = math.radians(1) * n * math.cos(math.radians(lat0))

    def to_en(self, lat, lon):
        return (np.asarray(lon) - self.lon0) * self.k_east, (np.asarray(lat) - self.lat0) * self.k_north


def rot_z(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def rot_y(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


GIMBAL_FROM_CAMERA = np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 1.0, 0]])


def r_ned_camera(yaw_deg, tilt_deg):
    return rot_z(math.radians(yaw_deg)) @ rot_y(math.radians(tilt_deg - 90.0)) @ GIMBAL_FROM_CAMERA


def pixels_to_ground(px, cam, pose, ground_amsl_m):
    """px [n, 2] -> [n, 2] north, east metres from the camera on flat ground (NaN above the
    horizon)."""
    px = np.asarray(px, float).reshape(-1, 2)
    rays = np.stack([(px[:, 0] - cam["cx"]) / cam["fx"], (px[:, 1] - cam["cy"]) / cam["fy"], np.ones(len(px))], 1)
    ned = rays @ r_ned_camera(pose["yaw_deg"], pose["tilt_deg"]).T
    height = pose["alt_amsl_m"] - ground_amsl_m
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ned[:, 2] > 1e-9, height / ned[:, 2], np.nan)
    return np.stack([ned[:, 0] * t, ned[:, 1] * t], 1)


def ground_to_pixels(en, cam, pose, cam_en, ground_amsl_m):
    """Plane points [n, 2] (east, north) -> pixels [n, 2] (NaN behind the camera)."""
    en = np.asarray(en, float).reshape(-1, 2)
    ned = np.stack(
        [en[:, 1] - cam_en[1], en[:, 0] - cam_en[0], np.full(len(en), pose["alt_amsl_m"] - ground_amsl_m)], 1
    )
    c = ned @ r_ned_camera(pose["yaw_deg"], pose["tilt_deg"])  # R^T applied to row vectors
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(c[:, 2] > 1e-9, c[:, 2], np.nan)
    return np.stack([cam["fx"] * c[:, 0] / z + cam["cx"], cam["fy"] * c[:, 1] / z + cam["cy"]], 1)


def read_poses(path):
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                out[int(row["index"])] = {k: float(row[k]) for k in ("lat_deg", "lon_deg", "alt_amsl_m", "yaw_deg", "tilt_deg")}
            except (KeyError, ValueError) as e:
                raise ValueError(f"{path}: row {row}: {e}") from None
    return out


def read_truth(path, plane):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    targets = []
    for feat in doc["features"]:
        p = feat["properties"]
        lon, lat = feat["geometry"]["coordinates"]
        e, n = plane.to_en(lat, lon)
        targets.append(dict(id=p["id"], cls=CLASS_NAMES.index(p["class"]), en=np.array([float(e), float(n)])))
    return doc["properties"], targets


def point_in_polygon(pt, poly):
    x, y = pt
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def target_distance(target, en):
    return float(np.hypot(*(en - target["en"])))


def river_length_seen(footprints, centreline_en, river_length_m):
    """Length of the corridor centreline inside any footprint, scaled to the river's length
    (the river meanders about the corridor's centreline)."""
    pts, seg = [], []
    for a, b in zip(centreline_en[:-1], centreline_en[1:]):
        L = float(np.hypot(*(b - a)))
        k = max(int(L), 1)
        for j in range(k):
            pts.append(a + (b - a) * (j + 0.5) / k)
            seg.append(L / k)
    pts, seg = np.array(pts), np.array(seg)
    covered = np.zeros(len(pts), bool)
    for fp in footprints:
        lo, hi = fp.min(0), fp.max(0)
        cand = np.where(~covered & (pts >= lo).all(1) & (pts <= hi).all(1))[0]
        for i in cand:
            if point_in_polygon(pts[i], fp):
                covered[i] = True
    corridor_len = float(seg.sum())
    return float(seg[covered].sum()) * river_length_m / max(corridor_len, 1e-9)


def geo_metrics_for_world(world_dir, frames, dets, thresholds, cam, centreline):
    poses = read_poses(os.path.join(world_dir, "poses.csv"))
    first = poses[min(poses)]
    plane = Plane(first["lat_deg"], first["lon_deg"])
    props, targets = read_truth(os.path.join(world_dir, "truth.geojson"), plane)
    ground = float(props.get("ground_amsl_m", 0.0))
    w, h = cam["width_px"], cam["height_px"]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    seen = set()
    hits = []  # (cls, east, north)
    footprints = []
    for fr, fd in zip(frames, dets):
        k = int(os.path.splitext(os.path.basename(fr.image_path))[0])
        pose = poses[k]
        ce, cn = plane.to_en(pose["lat_deg"], pose["lon_deg"])
        cam_en = (float(ce), float(cn))
        fp = pixels_to_ground(corners, cam, pose, ground)
        footprints.append(np.stack([fp[:, 1] + cam_en[0], fp[:, 0] + cam_en[1]], 1))
        for t in targets:
            px = ground_to_pixels(np.array([t["en"]]), cam, pose, cam_en, ground)
            inside = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
            if inside.all():
                seen.add(t["id"])
        kept = [d for d in fd if d[1] > thresholds[d[0]]]
        if kept:
            centres = np.array([((d[2] + d[4]) / 2, (d[3] + d[5]) / 2) for d in kept])
            g = pixels_to_ground(centres, cam, pose, ground)
            for d, (n_off, e_off) in zip(kept, g):
                if np.isfinite(n_off):
                    hits.append((d[0], cam_en[0] + e_off, cam_en[1] + n_off))
    found = set()
    false_hits = []
    for cls, e, n in hits:
        en = np.array([e, n])
        near = [t for t in targets if t["cls"] == cls and target_distance(t, en) <= MATCH_RADIUS_M]
        if near:
            found.update(t["id"] for t in near)
        else:
            false_hits.append((cls, en))
    # Merge false hits of a class within the radius (greedy single linkage).
    clusters = []
    for cls, en in false_hits:
        for c in clusters:
            if c[0] == cls and min(np.hypot(*(en - p)) for p in c[1]) <= MATCH_RADIUS_M:
                c[1].append(en)
                break
        else:
            clusters.append((cls, [en]))
    cl_en = np.array([plane.to_en(lat, lon) for lat, lon in centreline]).reshape(-1, 2)
    seen_len = river_length_seen(footprints, cl_en, float(props["river_length_m"]))
    per_class = {}
    for c, name in enumerate(CLASS_NAMES):
        ids = [t["id"] for t in targets if t["cls"] == c and t["id"] in seen]
        per_class[name] = dict(
            seen=len(ids),
            found_within_5m=sum(1 for i in ids if i in found),
            false_objects=sum(1 for cl in clusters if cl[0] == c),
        )
    return dict(world_seed=props.get("world_seed"), river_km_seen=round(seen_len / 1000, 3), frames=len(frames), classes=per_class)


def geo_metrics(worlds, thresholds, cam, centreline):
    """worlds: list of (world_dir, frames, dets). Sums over worlds."""
    per_world = [geo_metrics_for_world(d, fr, de, thresholds, cam, centreline) for d, fr, de in worlds]
    km = sum(w["river_km_seen"] for w in per_world)
    total = {}
    for name in CLASS_NAMES:
        seen = sum(w["classes"][name]["seen"] for w in per_world)
        found = sum(w["classes"][name]["found_within_5m"] for w in per_world)
        fp = sum(w["classes"][name]["false_objects"] for w in per_world)
        total[name] = dict(
            seen=seen,
            found_within_5m=found,
            recall_within_5m=round(found / max(seen, 1), 4),
            false_objects=fp,
            false_positives_per_km=round(fp / max(km, 1e-9), 3),
        )
    return dict(match_radius_m=MATCH_RADIUS_M, thresholds=thresholds, river_km_seen=round(km, 3), classes=total, worlds=per_world)


def read_corridor(path):
    """The corridor centreline [(lat, lon), ...] from the planner's corridor GeoJSON (first
    LineString). Only WGS-84 is read here (the sample corridor is); another `datum` is an
    error rather than a silent offset of hundreds of metres."""
    if path is None:
        raise ValueError("--corridor is needed with --camera (the river length seen comes from it)")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    feats = doc.get("features", [doc])
    for i, feat in enumerate(feats):
        geom = feat.get("geometry") or {}
        if geom.get("type") == "LineString":
            datum = (feat.get("properties") or {}).get("datum", "WGS84")
            if datum != "WGS84":
                raise ValueError(f"{path}: features[{i}] datum {datum!r}: expected WGS84")
            return [(float(lat), float(lon)) for lon, lat, *_ in geom["coordinates"]]
    raise ValueError(f"{path}: no LineString feature: expected a river centreline")
