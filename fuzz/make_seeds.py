#!/usr/bin/env python3
"""Writes the fuzz corpus's generated seeds (small, valid inputs) into fuzz/corpus/.

Run from the repository root with the project's venv (pymavlink, Pillow) after building the
planner and the sim (`cargo build -p planner -p sim`): `.venv/bin/python fuzz/make_seeds.py`.
The planner's and the sim's own writers make the .plan, .waypoints, KML and GeoTIFF seeds;
this script makes the journal, the evidence manifest, the DJI JPEG, the MAVLink streams and
the telemetry log. Re-running it rewrites the same files (fixed values, no randomness).
"""
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

os.environ.setdefault("MAVLINK20", "1")
from pymavlink.dialects.v20 import ardupilotmega as mav  # noqa: E402
from PIL import Image  # noqa: E402
from PIL.TiffImagePlugin import IFDRational as R  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
TARGET = os.path.join(ROOT, "target", "debug")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(d, name), mode) as f:
        f.write(data)


# --- planner outputs for a 600 m corridor and a small area -------------------------------
SHORT = {"type": "Feature", "properties": {"width_m": 60, "name": "seed corridor"},
         "geometry": {"type": "LineString", "coordinates": [
             [106.935, 27.035], [106.9375, 27.0362], [106.9401, 27.0397]]}}
AREA = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "seed area"}, "geometry": {"type": "Polygon", "coordinates": [
        [[106.95, 27.05], [106.953, 27.05], [106.953, 27.052], [106.95, 27.052], [106.95, 27.05]],
        [[106.951, 27.0505], [106.9515, 27.0505], [106.9515, 27.051], [106.951, 27.0505]]]}},
    {"type": "Feature", "properties": {"role": "exclusion"}, "geometry": {"type": "Polygon", "coordinates": [
        [[106.952, 27.051], [106.9525, 27.051], [106.9525, 27.0515], [106.952, 27.051]]]}},
    {"type": "Feature", "properties": {"name": "plant"}, "geometry": {"type": "Point", "coordinates": [106.9522, 27.0512]}}]}
with tempfile.TemporaryDirectory() as tmp:
    for name, doc in (("corridor", SHORT), ("area", AREA)):
        src = os.path.join(tmp, name + ".geojson")
        with open(src, "w") as f:
            json.dump(doc, f)
        out("geojson", name + ".geojson", json.dumps(doc))
        subprocess.run([os.path.join(TARGET, "planner"), "plan", src, "--alt", "80", "--out",
                        os.path.join(tmp, "out")], check=True, stdout=subprocess.DEVNULL)
        for ext, target in ((".plan", "qgc_plan"), (".waypoints", "wpl"), (".kml", "kml")):
            with open(os.path.join(tmp, "out", name + ext)) as f:
                out(target, name + ext, f.read())
    # A hand-written KML area with a hole, an exclusion and a site, nested as Ovital writes.
    out("kml", "area-folders.kml", """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>yard</name>
<ExtendedData><Data name="datum"><value>GCJ02</value></Data></ExtendedData>
<Folder><Folder><Placemark><name>area</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
106.95,27.05 106.953,27.05 106.953,27.052 106.95,27.052 106.95,27.05</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>106.951,27.0505 106.9515,27.0505 106.9515,27.051 106.951,27.0505</coordinates></LinearRing></innerBoundaryIs>
</Polygon></Placemark>
<Placemark><ExtendedData><Data name="role"><value>exclusion</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing>
<coordinates>106.952,27.051 106.9525,27.051 106.9525,27.0515 106.952,27.051</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>plant &amp; outfall</name><Point><coordinates>106.9522,27.0512,0</coordinates></Point></Placemark>
</Folder></Folder></Document></kml>
""")
    # A small DEM from the sim's writer (EGM96 heights, float32, EPSG:4326).
    dem = os.path.join(tmp, "valley.tif")
    subprocess.run([os.path.join(TARGET, "sim"), "write-dem", "--corridor", os.path.join(tmp, "corridor.geojson"),
                    "--terrain", "valley", "--relief-margin-m", "20", "--cell-arcsec", "3", "--out", dem],
                   check=True, stdout=subprocess.DEVNULL)
    with open(dem, "rb") as f:
        out("geotiff", "valley.tif", f.read())

# --- journal: a frame, a sighting, a candidate, framed as flight/src/journal/frame.rs ----
CAM = {"lat_deg": 27.05, "lon_deg": 106.95, "alt_amsl_m": 1125.0, "height_above_ground_m": 75.0,
       "roll_deg": 1.0, "pitch_deg": -2.0, "yaw_deg": 90.0, "camera_pitch_deg": -90.0, "camera_yaw_deg": 90.0}
ERR = {"cov_en_m2": [[1.0, 0.1], [0.1, 0.8]], "sigma_major_m": 1.02, "sigma_minor_m": 0.88,
       "major_axis_bearing_deg": 80.0, "cep50_m": 1.12, "ce90_m": 2.0}
RECORDS = [
    {"kind": "frame", "image_index": 1, "file": "frames/1.jpg", "t_utc_us": 1800000000000000,
     "t_boot_ms": 123456.5, "width_px": 2048, "height_px": 1536, "camera": CAM, "detections": 1, "sightings": 1},
    {"kind": "sighting", "candidate_id": 1, "image_index": 1, "file": "frames/1.jpg", "t_utc_us": 1800000000000000,
     "class_name": "outfall", "confidence": 0.87, "bbox_px": [100.0, 120.0, 140.0, 170.0], "lat_deg": 27.0501,
     "lon_deg": 106.9502, "ground_amsl_m": 1050.0, "slant_range_m": 76.0, "error": ERR,
     "footprint": [[27.05, 106.95], [27.051, 106.95], [27.051, 106.951]], "camera": CAM},
    {"kind": "candidate", "id": 1, "revision": 1, "class_name": "outfall", "lat_deg": 27.0501, "lon_deg": 106.9502,
     "attribution": "left bank", "along_river_m": 312.5, "fused_lat_deg": 27.0501, "fused_lon_deg": 106.9502,
     "error": ERR, "sightings": 1, "first_t_utc_us": 1800000000000000, "last_t_utc_us": 1800000000000000,
     "confidence_max": 0.87, "confidence_mean": 0.87,
     "best": {"image_index": 1, "file": "frames/1.jpg", "bbox_px": [100.0, 120.0, 140.0, 170.0],
              "confidence": 0.87, "slant_range_m": 76.0}},
]


def qj1(record):
    payload = json.dumps(record, separators=(",", ":")).encode()
    return b"qj1 %08x %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


journal = b"".join(qj1(r) for r in RECORDS)
out("journal", "three-records.qlj", journal)
out("journal", "torn-tail.qlj", journal + qj1(RECORDS[0])[:40])

# --- evidence manifest over the files the manifest target writes beside it ---------------
FILES = {"frames/1.jpg": b"frame one", "candidates.csv": b"id,lat,lon\n1,27.0,106.9\n"}
GENESIS = "0" * 64
entries = [{"kind": "package", "flight": "seed", "inspector": "fuzz", "aircraft": "sim", "created_utc": "2026-12-07T00:00:00Z"}]
for path, data in sorted(FILES.items()):
    entries.append({"kind": "file", "path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
prev = GENESIS
for e in entries:
    text = json.dumps(e, separators=(",", ":"), sort_keys=True)
    h = hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
    e["prev_sha256"], e["entry_sha256"] = prev, h
    prev = h
out("manifest", "manifest.json", json.dumps({"format": "qly-evidence-1", "entries": entries, "head_sha256": prev}, indent=1))

# --- a DJI Mavic 3 Enterprise-like JPEG: EXIF GPS and drone-dji XMP ------------------------
img = Image.new("RGB", (64, 48), (90, 120, 80))
exif = img.getexif()
exif[0x010F] = "DJI"
exif[0x0110] = "M3E"
ifd = exif.get_ifd(0x8769)
ifd[0x9003] = "2026:05:01 09:30:00"
ifd[0x9291] = "123"
ifd[0x920A] = R(1229, 100)
ifd[0xA405] = 24
ifd[0xA002] = 64
ifd[0xA003] = 48
gps = exif.get_ifd(0x8825)
gps[1], gps[2] = "N", (R(27, 1), R(3, 1), R(18, 10))
gps[3], gps[4] = "E", (R(106, 1), R(57, 1), R(72, 100))
gps[5], gps[6] = 0, R(1125, 1)
XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
 drone-dji:AbsoluteAltitude="+1125.00" drone-dji:RelativeAltitude="+75.00"
 drone-dji:GimbalRollDegree="+0.00" drone-dji:GimbalYawDegree="+90.10" drone-dji:GimbalPitchDegree="-90.00"
 drone-dji:FlightRollDegree="+1.00" drone-dji:FlightYawDegree="+89.50" drone-dji:FlightPitchDegree="-2.00"
 drone-dji:DewarpData="2022-06-08;3713.29,3713.29,7.02,-8.72,-0.11,0.01,0.0,-0.0,-0.003"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""
buf = io.BytesIO()
img.save(buf, "JPEG", quality=60, exif=exif, xmp=XMP)
out("jpeg_meta", "m3e.jpg", buf.getvalue())


# --- MAVLink streams ----------------------------------------------------------------------
def stream(system, component, messages):
    m = mav.MAVLink(None, srcSystem=system, srcComponent=component)
    return b"".join(bytes(msg.pack(m)) for msg in messages)


GCS = [
    mav.MAVLink_heartbeat_message(6, 8, 0, 0, 4, 3),
    mav.MAVLink_request_data_stream_message(1, 1, 0, 4, 1),
    mav.MAVLink_command_long_message(1, 1, 511, 0, 33, 200000, 0, 0, 0, 0, 0),
    mav.MAVLink_set_mode_message(1, 1, 4),
    mav.MAVLink_command_long_message(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0),
    mav.MAVLink_command_long_message(1, 1, 22, 0, 0, 0, 0, 0, 0, 0, 20),
    mav.MAVLink_mission_count_message(1, 1, 2, 0),
    mav.MAVLink_mission_item_int_message(1, 1, 0, 0, 16, 0, 1, 0, 0, 0, 0, 270500000, 1069500000, 0, 0),
    mav.MAVLink_mission_item_int_message(1, 1, 1, 3, 16, 0, 1, 0, 0, 0, 0, 270510000, 1069510000, 40, 0),
    mav.MAVLink_mission_request_list_message(1, 1, 0),
    mav.MAVLink_param_request_list_message(1, 1),
    mav.MAVLink_command_long_message(1, 1, 246, 0, 1, 0, 0, 0, 0, 0, 0),
]
out("mavlink_sim", "gcs-session.bin", stream(255, 190, GCS))
out("mavlink_sim", "mission-upload.bin", stream(255, 190, GCS[6:9] + [mav.MAVLink_mission_ack_message(1, 1, 0, 0)]))

AP = [
    mav.MAVLink_heartbeat_message(2, 3, 81, 4, 4, 3),
    mav.MAVLink_system_time_message(1800000000000000, 123456),
    mav.MAVLink_global_position_int_message(123460, 270500000, 1069500000, 1125000, 75000, 100, -50, 0, 9000),
    mav.MAVLink_attitude_message(123460, 0.01, -0.03, 1.57, 0.0, 0.0, 0.0),
    mav.MAVLink_attitude_quaternion_message(123470, 0.7, 0.0, 0.0, 0.7, 0, 0, 0, [0, 0, 0, 0]),
    mav.MAVLink_gps_raw_int_message(1800000000000000, 3, 270500000, 1069500000, 1125000, 80, 120, 500, 9000, 14),
    mav.MAVLink_command_ack_message(511, 0, 255, 0, 1, 191),
    mav.MAVLink_timesync_message(0, 123456789),
    mav.MAVLink_camera_feedback_message(1800000000000000, 1, 0, 1, 270500000, 1069500000, 1125.0, 75.0, 1.0, -2.0, 90.0, 0.0, 0, 1),
    mav.MAVLink_camera_image_captured_message(123500, 1800000000000000, 0, 270500000, 1069500000, 1125000, 75000, [0.7, 0, 0, 0.7], 2, 1, b""),
    mav.MAVLink_gimbal_device_attitude_status_message(1, 191, 123500, 0, [0.7, 0, 0, 0.7], 0, 0, 0, 0, 0),
]
out("mavlink_companion", "autopilot.bin", stream(1, 1, AP[:8]) + stream(1, 1, AP[8:9]) + stream(1, 100, AP[9:]))
out("mavlink_companion", "reboot.bin", stream(1, 1, AP[:4]) + stream(1, 1, [
    mav.MAVLink_attitude_message(100, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)]))

# A telemetry log: 8-byte big-endian microseconds, then the frame (as MAVProxy writes).
tlog = b""
m = mav.MAVLink(None, srcSystem=1, srcComponent=1)
for k, msg in enumerate(AP[:6]):
    tlog += struct.pack(">Q", 1800000000000000 + k * 100000) + bytes(msg.pack(m))
out("tlog", "flight.tlog", tlog)
print("seeds written under", CORPUS)
