#!/usr/bin/env python3
"""A scripted autopilot (pymavlink) for the companion's flight-controller link test.

Usage: fake_autopilot.py PORT [TIMEOUT_S]

Sends to the companion at udp 127.0.0.1:PORT as system 1 component 1: HEARTBEAT,
GLOBAL_POSITION_INT, ATTITUDE and SYSTEM_TIME alternately as MAVLink 1 and MAVLink 2 frames,
GPS_RAW_INT, a CAMERA_IMAGE_CAPTURED (component 100) and GIMBAL_DEVICE_ATTITUDE_STATUS
(component 154), plus one frame with a message id no dialect knows and one GPS_RAW_INT whose
fix_type is out of the enum's range. Answers SET_MESSAGE_INTERVAL with COMMAND_ACK (ignoring
the first request for GLOBAL_POSITION_INT, so the companion must retry) and TIMESYNC requests.

Checks what the companion sends: its HEARTBEAT (component 191, MAV_TYPE_ONBOARD_CONTROLLER,
MAV_AUTOPILOT_INVALID), the four SET_MESSAGE_INTERVAL commands, TIMESYNC requests and a
STATUSTEXT report. Prints `RESULT {json}` and exits 0 when all were seen, else `FAIL ...`.
"""

import json
import math
import os
import struct
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402
from pymavlink.dialects.v20 import ardupilotmega as mav  # noqa: E402

UNKNOWN_MSGID = 0x7ABCDE
HOME_LAT, HOME_LON, HOME_ALT_M = 27.05, 106.95, 1100.0
SPEED_N_M_S = 5.0


def main():
    port = int(sys.argv[1])
    timeout_s = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0
    assert UNKNOWN_MSGID not in mav.mavlink_map
    conn = mavutil.mavlink_connection(
        f"udpout:127.0.0.1:{port}", source_system=1, source_component=1, dialect="ardupilotmega"
    )
    m = conn.mav
    t0 = time.monotonic()

    def boot_ms():
        return int((time.monotonic() - t0) * 1000)

    def lat_at(ms):
        return HOME_LAT + SPEED_N_M_S * ms / 1000.0 / 111_000.0

    seen = {
        "heartbeat": None,
        "intervals": [],
        "interval_components": [],
        "timesync_requests": 0,
        "statustext": [],
        "frames_v1": 0,
        "frames_v2": 0,
    }
    ignored_first_33 = False
    n = 0
    next_hb = next_pos = next_att = next_time = next_gps = 0.0
    extras_sent = False
    deadline = time.monotonic() + timeout_s

    def send(msg, v1=False, comp=None):
        if comp is not None:
            old = m.srcComponent
            m.srcComponent = comp
            m.send(msg)
            m.srcComponent = old
        else:
            m.send(msg, force_mavlink1=v1)
        if v1:
            seen["frames_v1"] += 1
        else:
            seen["frames_v2"] += 1

    while time.monotonic() < deadline:
        now = time.monotonic() - t0
        n += 1
        if now >= next_hb:
            send(
                m.heartbeat_encode(
                    mav.MAV_TYPE_QUADROTOR,
                    mav.MAV_AUTOPILOT_ARDUPILOTMEGA,
                    mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                    0,
                    mav.MAV_STATE_STANDBY,
                ),
                v1=int(now) % 2 == 1,
            )
            next_hb += 1.0
        if now >= next_pos:
            ms = boot_ms()
            send(
                m.global_position_int_encode(
                    ms, int(lat_at(ms) * 1e7), int(HOME_LON * 1e7), int(HOME_ALT_M * 1000), 20_000,
                    int(SPEED_N_M_S * 100), 0, 0, 0,
                ),
                v1=(int(now * 10) % 2 == 0),
            )
            next_pos += 0.1
        if now >= next_att:
            send(m.attitude_encode(boot_ms(), 0.0, 0.0, math.radians(30.0), 0, 0, 0), v1=(int(now * 20) % 2 == 0))
            next_att += 0.05
        if now >= next_time:
            send(m.system_time_encode(int(time.time() * 1e6), boot_ms()), v1=True)
            next_time += 1.0
        if now >= next_gps:
            send(m.gps_raw_int_encode(int(time.time() * 1e6), 3, int(HOME_LAT * 1e7), int(HOME_LON * 1e7),
                                      1_100_000, 80, 120, 500, 0, 14, 1_100_000, 1_500, 2_500))
            next_gps += 0.5
        if now >= 1.5 and not extras_sent:
            extras_sent = True
            # A message id no dialect has (MAVLink 2 header, CRC irrelevant).
            payload = b"\x01\x02\x03\x04"
            raw = struct.pack("<BBBBBBB", 0xFD, len(payload), 0, 0, n & 0xFF, 1, 1)
            raw += struct.pack("<I", UNKNOWN_MSGID)[:3] + payload + b"\x00\x00"
            conn.write(raw)
            # GPS_RAW_INT with fix_type 99: not a GPS_FIX_TYPE.
            send(m.gps_raw_int_encode(int(time.time() * 1e6), 99, 0, 0, 0, 0, 0, 0, 0, 0))
            ms = boot_ms()
            # Camera pointing straight down, yaw relative to north.
            half = math.radians(-90.0) / 2
            send(
                m.gimbal_device_attitude_status_encode(
                    1, 191, ms, mav.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME,
                    [math.cos(half), 0.0, math.sin(half), 0.0], 0, 0, 0, 0,
                ),
                comp=154,
            )
            send(
                m.camera_image_captured_encode(
                    ms, int(time.time() * 1e6), 0, int(lat_at(ms) * 1e7), int(HOME_LON * 1e7),
                    int(HOME_ALT_M * 1000), 20_000, [1.0, 0.0, 0.0, 0.0], 5, 1, b"IMG_0005.JPG",
                ),
                comp=100,
            )
            print(f"CAPTURE 5 {ms} {lat_at(ms):.9f}", flush=True)

        while True:
            msg = conn.recv_match(blocking=False)
            if msg is None:
                break
            t = msg.get_type()
            src = (msg.get_srcSystem(), msg.get_srcComponent())
            if t == "HEARTBEAT" and src == (1, 191):
                seen["heartbeat"] = {"type": msg.type, "autopilot": msg.autopilot, "src": list(src)}
            elif t == "COMMAND_LONG" and msg.command == mav.MAV_CMD_SET_MESSAGE_INTERVAL:
                mid = int(msg.param1)
                seen["intervals"].append([mid, int(msg.param2), msg.confirmation])
                seen["interval_components"].append(src[1])
                if mid == 33 and not ignored_first_33:
                    ignored_first_33 = True
                    continue
                m.send(m.command_ack_encode(msg.command, mav.MAV_RESULT_ACCEPTED, 0, 0, src[0], src[1]))
            elif t == "TIMESYNC" and msg.tc1 == 0:
                seen["timesync_requests"] += 1
                m.send(m.timesync_encode(int((time.monotonic() - t0) * 1e9), msg.ts1))
            elif t == "STATUSTEXT":
                text = msg.text if isinstance(msg.text, str) else msg.text.decode("utf-8", "replace")
                seen["statustext"].append({"text": text.rstrip("\x00"), "severity": msg.severity, "src": list(src)})

        ids = sorted({i[0] for i in seen["intervals"]})
        # Positions keep coming for a while after the capture (1.5 s), so the companion can
        # interpolate its pose instead of holding the last sample.
        if now >= 2.0 and seen["heartbeat"] and ids == [2, 24, 30, 33] and any(
            s["text"].startswith("QLY ") for s in seen["statustext"]
        ):
            print("RESULT " + json.dumps(seen), flush=True)
            return 0
        time.sleep(0.005)
    print("FAIL " + json.dumps(seen), flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
