#!/usr/bin/env python3
"""Writes the synthetic sample missions in this folder (run once; the outputs are committed).

All geometry here is SYNTHETIC: made up by this script, placed near Kaiyang county, Guizhou,
so that maps and GCJ-02 handling behave as they would there. It is not a survey of any real
river, plant or outfall.
"""
import json
import math

LAT0, LON0 = 27.0350, 106.9350  # synthetic start point near Kaiyang county
M_PER_DEG_LAT = 110_800.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


def to_lonlat(e, n):
    return [round(LON0 + e / M_PER_DEG_LON, 7), round(LAT0 + n / M_PER_DEG_LAT, 7)]


def corridor():
    # A valley running north-east with meanders of varying amplitude and wavelength, the way
    # a karst river wanders across its valley floor. Vertices every ~40 m.
    pts = []
    s = 0.0
    step = 40.0
    length = 8000.0
    base_heading = math.radians(35.0)  # valley axis, clockwise from north
    while s <= length + 1e-9:
        amp = 120.0 + 60.0 * math.sin(s / 2300.0)
        lateral = amp * math.sin(2 * math.pi * s / 900.0) + 40.0 * math.sin(2 * math.pi * s / 2700.0)
        # along-valley coordinate is shortened so the river's own length is about 8 km
        along = s * 0.72
        e = along * math.sin(base_heading) + lateral * math.cos(base_heading)
        n = along * math.cos(base_heading) - lateral * math.sin(base_heading)
        pts.append((e, n))
        s += step
    total = sum(math.dist(a, b) for a, b in zip(pts, pts[1:]))
    # trim to ~8 km of river
    out, acc = [pts[0]], 0.0
    for a, b in zip(pts, pts[1:]):
        d = math.dist(a, b)
        if acc + d > 8000.0:
            break
        acc += d
        out.append(b)
    return out, acc, total


def main():
    line, river_len, _ = corridor()
    sites = []
    for k, (frac, side, name) in enumerate([
        (0.12, 1, "Phosphate plant A (synthetic)"),
        (0.38, -1, "Phosphate plant B (synthetic)"),
        (0.61, 1, "Phosphogypsum yard C (synthetic)"),
        (0.86, -1, "Phosphate plant D (synthetic)"),
    ]):
        i = int(frac * (len(line) - 1))
        (e0, n0), (e1, n1) = line[i], line[i + 1]
        dx, dy = e1 - e0, n1 - n0
        L = math.hypot(dx, dy)
        # 110 m from the river on the left (+1) or right (-1) bank
        e = e0 - side * dy / L * 110.0
        n = n0 + side * dx / L * 110.0
        sites.append({"type": "Feature",
                      "properties": {"name": name, "kind": "phosphate_plant"},
                      "geometry": {"type": "Point", "coordinates": to_lonlat(e, n)}})
    fc = {
        "type": "FeatureCollection",
        "name": "yangshui-synthetic-corridor",
        "features": [{
            "type": "Feature",
            "properties": {
                "name": "Synthetic river corridor near Kaiyang (not a real river)",
                "width_m": 60,
                "datum": "WGS84",
                "note": "SYNTHETIC geometry made by missions/make_samples.py; "
                        f"centreline {river_len:.0f} m long, 60 m wide",
            },
            "geometry": {"type": "LineString", "coordinates": [to_lonlat(e, n) for e, n in line]},
        }] + sites,
    }
    with open("sample-corridor.geojson", "w") as f:
        json.dump(fc, f, indent=1)
        f.write("\n")

    # A small concave (L-shaped) area beside the river with a factory yard inside that may
    # not be overflown: the yard is a hole of the polygon.
    e0, n0 = 600.0, -500.0
    outer = [(0, 0), (520, 0), (520, 180), (220, 180), (220, 420), (0, 420), (0, 0)]
    hole = [(60, 60), (160, 60), (160, 140), (60, 140), (60, 60)]
    ring = lambda r: [to_lonlat(e0 + x, n0 + y) for x, y in r]
    area = {
        "type": "FeatureCollection",
        "name": "synthetic-concave-area",
        "features": [{
            "type": "Feature",
            "properties": {
                "name": "Synthetic L-shaped area with a factory yard hole (not a real site)",
                "datum": "WGS84",
                "note": "SYNTHETIC geometry made by missions/make_samples.py",
            },
            "geometry": {"type": "Polygon", "coordinates": [ring(outer), list(reversed(ring(hole)))]},
        }],
    }
    with open("sample-area.geojson", "w") as f:
        json.dump(area, f, indent=1)
        f.write("\n")
    print(f"corridor: {len(line)} vertices, {river_len:.0f} m")


if __name__ == "__main__":
    main()
