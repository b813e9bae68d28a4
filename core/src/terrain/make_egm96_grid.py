#!/usr/bin/env python3
"""Regenerates egm96_15m.i16le, the EGM96 geoid grid that `geoid.rs` embeds.

Source: NGA's EGM96 15-arc-minute geoid undulation grid (public domain), as Debian's
`proj-data` package ships it (/usr/share/proj/egm96_15.gtx, installed with gdal-bin by
scripts/setup-env.sh). The .gtx layout is a 40-byte big-endian header (lat0, lon0, dlat,
dlon as f64; rows, cols as i32) then rows*cols big-endian f32, rows from the south.

Output: the same 721 rows (-90 to +90 deg, 0.25 deg steps, south first) by 1440 columns
(-180 to 179.75 deg), each undulation rounded to whole centimetres as little-endian i16
(EGM96 spans about -107 m to +86 m, well inside +-327 m). Half the size of f32, and the
0.5 cm rounding is far below the grid's own interpolation error.

Usage: python3 make_egm96_grid.py [/usr/share/proj/egm96_15.gtx] > egm96_15m.i16le
"""
import struct
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/proj/egm96_15.gtx"
data = open(path, "rb").read()
lat0, lon0, dlat, dlon, rows, cols = struct.unpack(">ddddii", data[:40])
if (lat0, lon0, dlat, dlon, rows, cols) != (-90.0, -180.0, 0.25, 0.25, 721, 1440):
    sys.exit(f"{path}: unexpected grid header {(lat0, lon0, dlat, dlon, rows, cols)}")
values = struct.unpack(f">{rows * cols}f", data[40 : 40 + 4 * rows * cols])
out = bytearray()
for v in values:
    cm = round(v * 100.0)
    if not -32768 <= cm <= 32767:
        sys.exit(f"{path}: undulation {v} m does not fit in i16 centimetres")
    out += struct.pack("<h", cm)
sys.stdout.buffer.write(out)
