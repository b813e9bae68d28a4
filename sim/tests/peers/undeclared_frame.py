"""A pymavlink ground station that uploads mission items the rust dialect cannot decode: a
MISSION_ITEM_INT and a MISSION_ITEM with frame 255 (no MAV_FRAME value) and a MISSION_ITEM_INT
with command 40000 (no MAV_CMD), and prints the MISSION_ACK the vehicle answers to each.
pymavlink packs the raw numbers without checking them, as any C ground station would.

Usage: undeclared_frame.py PORT   (the sim listens on udpin:127.0.0.1:PORT)
Prints `RESULT {json}`: case name -> MAV_MISSION_RESULT name (or "none" when no ack came
within 15 s: generous, for a debug build on a busy machine); exits non-zero when the vehicle never answered.
"""

import json
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

PORT = int(sys.argv[1])
m = mavutil.mavlink_connection(
    "udpout:127.0.0.1:%d" % PORT,
    source_system=255,
    source_component=190,
    dialect="ardupilotmega",
)
mav = m.mav
MT = mavutil.mavlink.MAV_MISSION_TYPE_MISSION
LAT, LON = -35.363262, 149.165237


def heartbeat():
    mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)


def wait(types, timeout):
    end = time.time() + timeout
    while time.time() < end:
        msg = m.recv_match(type=types, blocking=True, timeout=0.2)
        if msg is not None and msg.get_srcSystem() == 1:
            return msg
    return None


# The sim learns our address from our first datagram.
deadline = time.time() + 20
while time.time() < deadline:
    heartbeat()
    if wait("HEARTBEAT", 1.0) is not None:
        break
else:
    print("FAIL no heartbeat from the vehicle", flush=True)
    sys.exit(1)


def case(send_item):
    """MISSION_COUNT 2, then item 0 as `send_item` packs it; the MISSION_ACK result name."""
    mav.mission_count_send(1, 1, 2, MT)
    req = wait(["MISSION_REQUEST_INT", "MISSION_REQUEST"], 15.0)
    if req is None or req.seq != 0:
        return "no request"
    send_item()
    ack = wait("MISSION_ACK", 15.0)
    if ack is None:
        return "none"
    return mavutil.mavlink.enums["MAV_MISSION_RESULT"][ack.type].name


result = {
    "item_int_frame_255": case(
        lambda: mav.mission_item_int_send(
            1, 1, 0, 255, 16, 0, 1, 0, 0, 0, 0, int(LAT * 1e7), int(LON * 1e7), 20.0, MT
        )
    ),
    "item_frame_255": case(
        lambda: mav.mission_item_send(1, 1, 0, 255, 16, 0, 1, 0, 0, 0, 0, LAT, LON, 20.0, MT)
    ),
    "item_int_command_40000": case(
        lambda: mav.mission_item_int_send(
            1, 1, 0, 3, 40000, 0, 1, 0, 0, 0, 0, int(LAT * 1e7), int(LON * 1e7), 20.0, MT
        )
    ),
}
print("RESULT " + json.dumps(result, sort_keys=True), flush=True)
sys.exit(0 if all(v not in ("none", "no request") for v in result.values()) else 1)
