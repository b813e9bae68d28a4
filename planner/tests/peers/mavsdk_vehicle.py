"""MAVSDK's vehicle side (MissionRawServer) as an upload target for `planner upload`.

Usage: python mavsdk_vehicle.py PORT SECONDS
Connects out to udp 127.0.0.1:PORT (the planner listens with `udpin`), prints `ready` once
the server exists, then one line `MISSION <json>` per mission received: the result name and
every item exactly as MAVSDK got it (MISSION_ITEM_INT fields). Exits after SECONDS.
"""
import json
import math
import sys
import time

from mavsdk import ComponentType, Configuration, Mavsdk
from mavsdk.plugins.mission_raw_server import MissionRawServer


def num(v):
    """JSON has no NaN (MAVLink's "unchanged", e.g. yaw): NaN becomes null."""
    return None if math.isnan(v) else v


def main():
    port = int(sys.argv[1])
    seconds = float(sys.argv[2])
    m = Mavsdk(Configuration.create_with_component_type(ComponentType.AUTOPILOT))
    m.add_any_connection(f"udpout://127.0.0.1:{port}")
    srv = MissionRawServer(m.server_component())

    def on_mission(result, plan, _user):
        items = [
            {
                "seq": i.seq,
                "frame": i.frame,
                "command": i.command,
                "current": i.current,
                "autocontinue": i.autocontinue,
                "param1": num(i.param1),
                "param2": num(i.param2),
                "param3": num(i.param3),
                "param4": num(i.param4),
                "x": i.x,
                "y": i.y,
                "z": num(i.z),
                "mission_type": i.mission_type,
            }
            for i in plan.mission_items
        ]
        print("MISSION " + json.dumps({"result": result.name, "items": items}), flush=True)

    srv.subscribe_incoming_mission(on_mission)
    print("ready", flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    main()
