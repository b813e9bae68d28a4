"""Helpers for bench/upload.sh, with pymavlink.

  python mission_tools.py bound FILE BAUD
      Byte-count lower bound of uploading a QGC WPL 110 FILE over a half-duplex radio at BAUD
      (10 bits per byte): MAVLink 2 frames, unsigned, as sent by a ground station (255/190)
      to system 1/1: MISSION_COUNT + one MISSION_ITEM_INT per row up, one MISSION_REQUEST_INT
      per row + the final MISSION_ACK down. The stop-and-wait protocol cannot overlap them,
      so the time is at least (up + down) / (BAUD / 10).
  python mission_tools.py compare FILE  (stdin: the `MISSION {json}` line of download_mission.py)
      Compares a downloaded mission with FILE from item 1 on (item 0 reads back as home);
      prints `match N items` or the first difference and exits 1.
"""
import json
import math
import os
import sys

os.environ["MAVLINK20"] = "1"
from pymavlink.dialects.v20 import ardupilotmega as mavlink  # noqa: E402


def rows(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    assert lines[0].startswith("QGC WPL 110"), path
    out = []
    for l in lines[1:]:
        f = l.split()
        out.append(
            dict(
                seq=int(f[0]),
                frame=int(f[2]),
                command=int(f[3]),
                params=[float(x) for x in f[4:8]],
                lat=float(f[8]),
                lon=float(f[9]),
                alt=float(f[10]),
                autocontinue=int(float(f[11])),
            )
        )
    return out


def xy(r):
    if r["frame"] == 2:
        return int(round(r["lat"])), int(round(r["lon"]))
    return int(round(r["lat"] * 1e7)), int(round(r["lon"] * 1e7))


class Sink:
    def write(self, b):
        pass


def bound(path, baud):
    items = rows(path)
    gcs = mavlink.MAVLink(Sink(), srcSystem=255, srcComponent=190)
    fc = mavlink.MAVLink(Sink(), srcSystem=1, srcComponent=1)
    mt = mavlink.MAV_MISSION_TYPE_MISSION
    up = len(gcs.mission_count_encode(1, 1, len(items), mt).pack(gcs))
    down = 0
    for r in items:
        x, y = xy(r)
        p = r["params"]
        up += len(
            gcs.mission_item_int_encode(
                1, 1, r["seq"], r["frame"], r["command"], 0, r["autocontinue"],
                p[0], p[1], p[2], p[3], x, y, r["alt"], mt,
            ).pack(gcs)
        )
        down += len(fc.mission_request_int_encode(255, 190, r["seq"], mt).pack(fc))
    down += len(fc.mission_ack_encode(255, 190, mavlink.MAV_MISSION_ACCEPTED, mt).pack(fc))
    rate = baud / 10.0
    print(
        json.dumps(
            {
                "items": len(items),
                "up_bytes": up,
                "down_bytes": down,
                "baud": baud,
                "half_duplex_bound_s": (up + down) / rate,
            }
        )
    )


def close(a, b, tol=1e-6):
    a = math.nan if a is None else a
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * (1 + max(abs(a), abs(b)))


def compare(path):
    want = rows(path)
    line = next(l for l in sys.stdin.read().splitlines() if l.startswith("MISSION "))
    got = json.loads(line[len("MISSION "):])["items"]
    if len(got) != len(want):
        print(f"count differs: vehicle {len(got)}, file {len(want)}")
        sys.exit(1)
    for r, g in list(zip(want, got))[1:]:
        x, y = xy(r)
        ok = (
            g["seq"] == r["seq"] and g["command"] == r["command"] and g["frame"] == r["frame"]
            and all(close(g[f"param{i + 1}"], r["params"][i]) for i in range(4))
            and abs(g["x"] - x) <= 1 and abs(g["y"] - y) <= 1 and close(g["z"], r["alt"])
        )
        if not ok:
            print(f"item {r['seq']} differs: file {r}, vehicle {g}")
            sys.exit(1)
    print(f"match {len(want)} items")


if __name__ == "__main__":
    if sys.argv[1] == "bound":
        bound(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "compare":
        compare(sys.argv[2])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
