#!/usr/bin/env python3
"""Writes sample-corridor-launch.geojson: SYNTHETIC launch points every 2 km along the right
bank of the synthetic sample corridor (sample-corridor.geojson), 60 m from its centreline
(30 m beyond the 60 m wide corridor's edge, where a bank road would run). Run once; the
output is committed. Not places on any real river.
"""
import json
import math

M_PER_DEG_LAT = 110_800.0  # as make_samples.py


def main():
    with open("sample-corridor.geojson") as f:
        line = json.load(f)["features"][0]["geometry"]["coordinates"]
    lat0 = line[0][1]
    m_lon = 111_320.0 * math.cos(math.radians(lat0))
    xy = [((lon - line[0][0]) * m_lon, (lat - lat0) * M_PER_DEG_LAT) for lon, lat in line]
    along = [0.0]
    for a, b in zip(xy, xy[1:]):
        along.append(along[-1] + math.dist(a, b))
    names = ["road end", "bridge", "village", "farm track", "pump house"]
    features = []
    for k, s in enumerate(range(0, int(along[-1]) + 1000, 2000)):
        s = min(float(s), along[-1])
        i = max(1, next((j for j, v in enumerate(along) if v >= s), len(along) - 1))
        (x0, y0), (x1, y1) = xy[i - 1], xy[i]
        seg = math.dist((x0, y0), (x1, y1))
        f = (s - along[i - 1]) / seg
        x, y = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        # Right of the direction of travel: (dy, -dx).
        x += 60.0 * (y1 - y0) / seg
        y -= 60.0 * (x1 - x0) / seg
        features.append({
            "type": "Feature",
            "properties": {"name": f"L{k + 1} km {s / 1000:.1f} {names[k % len(names)]}"},
            "geometry": {"type": "Point", "coordinates": [
                round(line[0][0] + x / m_lon, 7), round(lat0 + y / M_PER_DEG_LAT, 7)]},
        })
    fc = {
        "type": "FeatureCollection",
        "name": "yangshui-synthetic-launch-points",
        "properties": {"datum": "WGS84",
                       "note": "SYNTHETIC launch points made by missions/make_launch_points.py"},
        "features": features,
    }
    with open("sample-corridor-launch.geojson", "w") as f:
        json.dump(fc, f, indent=1)


if __name__ == "__main__":
    main()
