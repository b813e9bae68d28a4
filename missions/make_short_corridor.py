#!/usr/bin/env python3
"""Writes missions/sample-corridor-short.geojson: the first 1.2 km of the SYNTHETIC sample
corridor (missions/sample-corridor.geojson), for the end-to-end patrol test in tests/.
Run once; the output is committed."""
import json
import math
import os

LENGTH_M = 1200.0
here = os.path.dirname(os.path.abspath(__file__))
src = json.load(open(os.path.join(here, "sample-corridor.geojson")))
feat = src["features"][0]
coords = feat["geometry"]["coordinates"]


def dist(a, b):
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * 111_320.0 * math.cos(lat)
    dy = (b[1] - a[1]) * 110_800.0
    return math.hypot(dx, dy)


out, s = [coords[0]], 0.0
for a, b in zip(coords, coords[1:]):
    d = dist(a, b)
    if s + d >= LENGTH_M:
        t = (LENGTH_M - s) / d
        out.append([round(a[0] + t * (b[0] - a[0]), 7), round(a[1] + t * (b[1] - a[1]), 7)])
        break
    out.append(b)
    s += d
props = dict(feat["properties"])
props["name"] = "Synthetic river corridor near Kaiyang, first 1.2 km (not a real river)"
props["note"] = "SYNTHETIC: the first 1200 m of sample-corridor.geojson (missions/make_short_corridor.py)"
json.dump(
    {"type": "FeatureCollection", "name": "yangshui-synthetic-corridor-short",
     "features": [{"type": "Feature", "properties": props,
                   "geometry": {"type": "LineString", "coordinates": out}}]},
    open(os.path.join(here, "sample-corridor-short.geojson"), "w"), indent=1)
print(f"{len(out)} vertices")
