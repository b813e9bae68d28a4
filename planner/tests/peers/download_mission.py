"""Downloads the mission list from a vehicle with pymavlink, independently of qly-link.

Usage: python download_mission.py PORT [--key HEX] [--timeout-s S]
Connects out to udp 127.0.0.1:PORT as system 255 component 191, sends heartbeats until the
vehicle (system 1) answers, then MISSION_REQUEST_LIST and MISSION_REQUEST_INT per item with
re-sends (the link may be lossy), ACKs, and prints one line `MISSION <json>` with the items.
Exits 2 with a message on stderr if it cannot finish within the timeout.
"""
import argparse
import json
import math
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402


def num(v):
    """JSON has no NaN (MAVLink's "unchanged", e.g. yaw): NaN becomes null."""
    return None if math.isnan(v) else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--key", default=None)
    ap.add_argument("--timeout-s", type=float, default=30.0)
    ap.add_argument("--item-wait-s", type=float, default=0.4, help="re-request after this")
    args = ap.parse_args()
    end = time.time() + args.timeout_s
    conn = mavutil.mavlink_connection(
        f"udpout:127.0.0.1:{args.port}",
        source_system=255,
        source_component=191,
        dialect="ardupilotmega",
    )
    mav = conn.mav
    if args.key:
        mav.signing.secret_key = bytes.fromhex(args.key)
        mav.signing.link_id = 2
        mav.signing.sign_outgoing = True
        mav.signing.timestamp = int((time.time() - 1420070400) * 100000)

    def heartbeat():
        mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)

    def recv(types, wait_s):
        msg = conn.recv_match(type=types, blocking=True, timeout=wait_s)
        return msg

    # Find the vehicle.
    while True:
        if time.time() > end:
            fail("no vehicle heartbeat")
        heartbeat()
        hb = recv(["HEARTBEAT"], 0.5)
        if hb is not None and hb.get_srcSystem() == 1:
            break
    target = (1, 1)
    mtype = mavutil.mavlink.MAV_MISSION_TYPE_MISSION

    count = None
    while count is None:
        if time.time() > end:
            fail("no MISSION_COUNT")
        mav.mission_request_list_send(*target, mtype)
        msg = recv(["MISSION_COUNT"], 0.5)
        if msg is not None:
            count = msg.count

    items = []
    last_hb = time.time()
    for seq in range(count):
        got = None
        while got is None:
            if time.time() > end:
                fail(f"no item {seq} of {count}")
            if time.time() - last_hb > 1.0:
                heartbeat()
                last_hb = time.time()
            mav.mission_request_int_send(*target, seq, mtype)
            deadline = time.time() + args.item_wait_s
            while time.time() < deadline:
                msg = recv(["MISSION_ITEM_INT"], max(0.01, deadline - time.time()))
                if msg is not None and msg.seq == seq:
                    got = msg
                    break
        items.append(
            {
                "seq": got.seq,
                "frame": got.frame,
                "command": got.command,
                "current": got.current,
                "autocontinue": got.autocontinue,
                "param1": num(got.param1),
                "param2": num(got.param2),
                "param3": num(got.param3),
                "param4": num(got.param4),
                "x": got.x,
                "y": got.y,
                "z": num(got.z),
                "mission_type": got.mission_type,
            }
        )
    mav.mission_ack_send(*target, mavutil.mavlink.MAV_MISSION_ACCEPTED, mtype)
    print("MISSION " + json.dumps({"count": count, "items": items}), flush=True)


def fail(why):
    print(f"download_mission: {why}", file=sys.stderr, flush=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
