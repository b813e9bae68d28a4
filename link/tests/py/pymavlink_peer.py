"""pymavlink peer for qly-link's interop test.

Usage: pymavlink_peer.py PORT KEY_HEX
Sends to 127.0.0.1:PORT (a qly-link udpin connection) MAVLink 2 frames: an unsigned
HEARTBEAT (common), a signed MISSION_ITEM_INT (common) and a signed CAMERA_FEEDBACK
(ardupilotmega); then receives frames from the Rust side on the same socket, decodes them
with the same key and prints one line per message: "RX <NAME> <fields as JSON>".
"""
import json
import os
import socket
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink.dialects.v20 import ardupilotmega as mavlink2  # noqa: E402

port = int(sys.argv[1])
key = bytes.fromhex(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(5.0)
dest = ("127.0.0.1", port)


class Out:
    def write(self, b):
        sock.sendto(b, dest)


plain = mavlink2.MAVLink(Out(), srcSystem=42, srcComponent=191)
signed = mavlink2.MAVLink(Out(), srcSystem=43, srcComponent=1)
signed.signing.secret_key = key
signed.signing.link_id = 7
signed.signing.sign_outgoing = True
# Signing time must be current: receivers refuse new streams over a minute old.
signed.signing.timestamp = int((time.time() - 1420070400) * 100_000)

plain.heartbeat_send(mavlink2.MAV_TYPE_ONBOARD_CONTROLLER, mavlink2.MAV_AUTOPILOT_INVALID, 0, 0, 0)
signed.mission_item_int_send(1, 1, 5, 3, 16, 0, 1, 2.5, 0.0, 0.0, float("nan"),
                             271234568, 1069876543, 80.5, 0)
signed.camera_feedback_send(123456789, 1, 0, 17, 271234568, 1069876543, 1180.5, 80.25,
                            1.5, -2.5, 90.0, 8.8, 0)

rx = mavlink2.MAVLink(None)
rx.signing.secret_key = key
rx.signing.sign_outgoing = False
rx.robust_parsing = True
seen = 0
while seen < 3:
    try:
        data, _ = sock.recvfrom(4096)
    except socket.timeout:
        break
    for m in rx.parse_buffer(data) or []:
        if m.get_type() == "BAD_DATA":
            print("BAD", flush=True)
            continue
        signed_flag = bool(m.get_header().incompat_flags & 1)
        fields = {k: v for k, v in m.to_dict().items() if k != "mavpackettype"}
        print("RX", m.get_type(), int(signed_flag), json.dumps(fields), flush=True)
        seen += 1
print("DONE", flush=True)
