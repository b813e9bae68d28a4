"""A pymavlink ground station flying the simulator: heartbeat check, GUIDED take-off, mission
upload with the mission protocol, AUTO, photos, RTL and landing.

Usage: fly_mission.py PORT   (the sim listens on udpin:127.0.0.1:PORT)
Prints progress lines and finally `RESULT {json}`; exits non-zero on any failure.
"""

import json
import math
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

PORT = int(sys.argv[1])
HOME = (-35.363262, 149.165237, 584.0)  # the sim's default home (CMAC)
M_PER_DEG_LAT = 111_320.0


def fail(msg):
    print("FAIL " + msg, flush=True)
    sys.exit(1)


def offset(north_m, east_m):
    lat = HOME[0] + north_m / M_PER_DEG_LAT
    lon = HOME[1] + east_m / (M_PER_DEG_LAT * math.cos(math.radians(HOME[0])))
    return lat, lon


m = mavutil.mavlink_connection(
    "udpout:127.0.0.1:%d" % PORT,
    source_system=255,
    source_component=190,
    dialect="ardupilotmega",
)
mav = m.mav
log = {"statustext": [], "reached": [], "photos": [], "currents": []}


def note(msg):
    """Record the event messages whenever they pass by."""
    t = msg.get_type()
    if t == "STATUSTEXT":
        log["statustext"].append(msg.text)
    elif t == "MISSION_ITEM_REACHED":
        log["reached"].append(msg.seq)
    elif t == "CAMERA_FEEDBACK":
        log["photos"].append(
            {"idx": msg.img_idx, "t": msg.time_usec, "lat": msg.lat / 1e7,
             "lon": msg.lng / 1e7, "alt_rel": msg.alt_rel}
        )
    elif t == "MISSION_CURRENT":
        if not log["currents"] or log["currents"][-1] != msg.seq:
            log["currents"].append(msg.seq)


def recv(types, timeout, cond=lambda msg: True):
    end = time.time() + timeout
    while time.time() < end:
        msg = m.recv_match(blocking=True, timeout=0.2)
        if msg is None:
            continue
        if msg.get_srcSystem() != 1:
            continue
        note(msg)
        if msg.get_type() in types and cond(msg):
            return msg
    return None


def command(cmd, *params, timeout=5.0):
    p = list(params) + [0.0] * (7 - len(params))
    mav.command_long_send(1, 1, cmd, 0, *p)
    ack = recv(["COMMAND_ACK"], timeout, lambda a: a.command == cmd)
    if ack is None:
        fail("no COMMAND_ACK for command %d" % cmd)
    return ack.result


# 1. Heartbeat: quadrotor, ArduPilot, custom mode enabled, STABILIZE, disarmed.
hb = None
end = time.time() + 20
while hb is None and time.time() < end:
    mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)
    hb = recv(["HEARTBEAT"], 0.5)
if hb is None:
    fail("no heartbeat from the vehicle")
if hb.type != mavutil.mavlink.MAV_TYPE_QUADROTOR or hb.autopilot != mavutil.mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA:
    fail("heartbeat type/autopilot %d/%d" % (hb.type, hb.autopilot))
if not hb.base_mode & mavutil.mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED or hb.custom_mode != 0:
    fail("heartbeat base_mode %d custom_mode %d" % (hb.base_mode, hb.custom_mode))
print("heartbeat ok", flush=True)
# As ArduPilot, the sim streams nothing else until asked: ask as MAVProxy does (every stream
# group at 4 Hz).
mav.request_data_stream_send(1, 1, mavutil.mavlink.MAV_DATA_STREAM_ALL, 4, 1)

# 2. GPS fix with accuracy fields.
gps = recv(["GPS_RAW_INT"], 20, lambda g: g.fix_type >= 3)
if gps is None:
    fail("no 3D fix")
if not (gps.h_acc > 0 and gps.v_acc > 0):
    fail("GPS_RAW_INT h_acc/v_acc missing: %d/%d" % (gps.h_acc, gps.v_acc))

# 3. GUIDED, arm, take off to 20 m.
if command(mavutil.mavlink.MAV_CMD_DO_SET_MODE, 1, 4) != 0:
    fail("GUIDED refused")
if command(mavutil.mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) != 0:
    fail("arming refused")
if recv(["HEARTBEAT"], 5, lambda h: h.base_mode & mavutil.mavlink.MAV_MODE_FLAG_SAFETY_ARMED and h.custom_mode == 4) is None:
    fail("heartbeat never showed armed GUIDED")
if command(mavutil.mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20) != 0:
    fail("takeoff refused")
if recv(["GLOBAL_POSITION_INT"], 30, lambda p: p.relative_alt > 19_000) is None:
    fail("never reached 19 m")
print("took off", flush=True)

# 4. Upload a short survey with the mission protocol (MISSION_COUNT / REQUEST_INT / ITEM_INT / ACK).
F_REL = mavutil.mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
F_MIS = mavutil.mavlink.MAV_FRAME_MISSION
wp1 = offset(80, 0)
wp2 = offset(80, 60)
items = [
    (mavutil.mavlink.MAV_FRAME_GLOBAL_INT, 16, [0, 0, 0, 0], HOME[0], HOME[1], HOME[2]),
    (F_REL, 22, [0, 0, 0, 0], 0, 0, 20),
    (F_MIS, 206, [10, 0, 1, 0], 0, 0, 0),  # photo every 10 m, one now
    (F_REL, 16, [0, 0, 0, 0], wp1[0], wp1[1], 20),
    (F_REL, 16, [0, 0, 0, 0], wp2[0], wp2[1], 20),
    (F_MIS, 206, [0, 0, 0, 0], 0, 0, 0),  # stop
    (F_MIS, 20, [0, 0, 0, 0], 0, 0, 0),  # RTL
]
mav.mission_count_send(1, 1, len(items), 0)
sent = set()
while True:
    req = recv(["MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"], 5)
    if req is None:
        fail("mission upload stalled after items %s" % sorted(sent))
    if req.get_type() == "MISSION_ACK":
        if req.type != 0:
            fail("mission refused: MISSION_ACK type %d" % req.type)
        break
    frame, cmd, p, lat, lon, alt = items[req.seq]
    mav.mission_item_int_send(
        1, 1, req.seq, frame, cmd, 0, 1, p[0], p[1], p[2], p[3],
        int(round(lat * 1e7)), int(round(lon * 1e7)), alt, 0)
    sent.add(req.seq)
print("uploaded %d items" % len(items), flush=True)

# 5. AUTO: fly it, collect events until disarmed after landing.
if command(mavutil.mavlink.MAV_CMD_DO_SET_MODE, 1, 3) != 0:
    fail("AUTO refused")
landed = recv(["HEARTBEAT"], 120, lambda h: not h.base_mode & mavutil.mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
if landed is None:
    fail("still armed after 120 s; reached %s" % log["reached"])
pos = recv(["GLOBAL_POSITION_INT"], 5)
if pos is None:
    fail("no position after landing")
# Drain what is still queued (the last events).
recv([], 0.5)

for seq in (3, 4):
    if seq not in log["reached"]:
        fail("waypoint %d not reached: %s" % (seq, log["reached"]))
if log["reached"] != sorted(log["reached"]) or log["reached"][-1] != 6:
    fail("items reached out of order or incomplete: %s" % log["reached"])
idx = [p["idx"] for p in log["photos"]]
if len(idx) < 10 or idx != sorted(idx) or len(set(idx)) != len(idx):
    fail("photo indices %s" % idx)
north = (pos.lat / 1e7 - HOME[0]) * M_PER_DEG_LAT
east = (pos.lon / 1e7 - HOME[1]) * M_PER_DEG_LAT * math.cos(math.radians(HOME[0]))
if math.hypot(north, east) > 5 or pos.relative_alt > 3000:
    fail("landed %.1f m from home at %.1f m" % (math.hypot(north, east), pos.relative_alt / 1000))
result = {
    "reached": log["reached"],
    "photos": len(idx),
    "first_photo_idx": idx[0],
    "last_photo_idx": idx[-1],
    "currents": log["currents"],
    "landed_from_home_m": round(math.hypot(north, east), 2),
    "statustext": log["statustext"],
}
print("RESULT " + json.dumps(result), flush=True)
