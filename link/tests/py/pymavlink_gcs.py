"""pymavlink as a ground station against qly-link's MissionServer.

Usage: pymavlink_gcs.py PORT N
Uploads N MISSION_ITEM_INT waypoints (item 0 = home) to the vehicle at udp 127.0.0.1:PORT
(system 1, component 1), answering MISSION_REQUEST_INT and legacy MISSION_REQUEST, then
downloads the list back and prints "ACK <result>" and "ITEM <seq> <x> <y> <z> <command>"
lines, and "DONE".
"""
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

port, n = int(sys.argv[1]), int(sys.argv[2])
m = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=245,
                               source_component=190, dialect="ardupilotmega")
mav = m.mav
ml = mavutil.mavlink


def item(seq):
    return dict(x=300000000 + seq * 1000, y=1200000000 - seq * 7, z=50.0 + seq,
                command=ml.MAV_CMD_NAV_WAYPOINT,
                frame=ml.MAV_FRAME_GLOBAL if seq == 0 else ml.MAV_FRAME_GLOBAL_RELATIVE_ALT)


def send_item(seq):
    it = item(seq)
    mav.mission_item_int_send(1, 1, seq, it["frame"], it["command"], 0, 1, 0, 0, 0, 0,
                              it["x"], it["y"], it["z"], ml.MAV_MISSION_TYPE_MISSION)


deadline = time.time() + 30
mav.mission_count_send(1, 1, n, ml.MAV_MISSION_TYPE_MISSION)
ack = None
while ack is None and time.time() < deadline:
    msg = m.recv_match(type=["MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK"],
                       blocking=True, timeout=1.0)
    if msg is None:
        mav.mission_count_send(1, 1, n, ml.MAV_MISSION_TYPE_MISSION)
        continue
    if msg.get_type() == "MISSION_ACK":
        ack = msg.type
    else:
        send_item(msg.seq)
print("ACK", ack, flush=True)

mav.mission_request_list_send(1, 1, ml.MAV_MISSION_TYPE_MISSION)
count = None
while count is None and time.time() < deadline:
    msg = m.recv_match(type="MISSION_COUNT", blocking=True, timeout=1.0)
    if msg is None:
        mav.mission_request_list_send(1, 1, ml.MAV_MISSION_TYPE_MISSION)
    else:
        count = msg.count
seq = 0
while count is not None and seq < count and time.time() < deadline:
    mav.mission_request_int_send(1, 1, seq, ml.MAV_MISSION_TYPE_MISSION)
    msg = m.recv_match(type="MISSION_ITEM_INT", blocking=True, timeout=1.0)
    if msg is not None and msg.seq == seq:
        print("ITEM", msg.seq, msg.x, msg.y, msg.z, msg.command, flush=True)
        seq += 1
mav.mission_ack_send(1, 1, ml.MAV_MISSION_ACCEPTED, ml.MAV_MISSION_TYPE_MISSION)
print("DONE", flush=True)
