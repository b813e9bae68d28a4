"""Times MAVProxy's upload of a waypoint file to a vehicle on udp 127.0.0.1:PORT.

Usage: python mavproxy_upload.py PORT FILE [TIMEOUT_S]
Starts headless MAVProxy (`--streamrate=-1`: it asks for no telemetry, so the vehicle's
downlink carries what it does for the planner), waits for the vehicle, types `wp load FILE`
and prints JSON: seconds from the command to `Sent all N waypoints` and to `ACCEPTED`.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time


def main():
    port, path = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    mavproxy = os.path.join(os.path.dirname(sys.executable), "mavproxy.py")
    p = subprocess.Popen(
        [sys.executable, mavproxy, f"--master=udpout:127.0.0.1:{port}", "--no-state",
         "--default-modules=wp", "--streamrate=-1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines = queue.Queue()

    def pump():
        for l in p.stdout:
            lines.put((time.monotonic(), l.rstrip("\n")))

    threading.Thread(target=pump, daemon=True).start()
    end = time.monotonic() + limit
    seen = []

    def wait(pred):
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                t, l = lines.get(timeout=left)
            except queue.Empty:
                return None
            seen.append(l)
            if pred(l):
                return t

    result = {}
    try:
        if wait(lambda l: "Detected vehicle" in l or "online system 1" in l) is None:
            result["error"] = "no vehicle"
            return
        time.sleep(1.0)
        t0 = time.monotonic()
        p.stdin.write(f"wp load {path}\n")
        p.stdin.flush()
        t1 = wait(lambda l: l.startswith("Sent all"))
        t2 = wait(lambda l: "ACCEPTED" in l) if t1 is not None else None
        result = {
            "sent_all_s": None if t1 is None else t1 - t0,
            "accepted_s": None if t2 is None else t2 - t0,
            "loaded": next((l for l in seen if l.startswith("Loaded")), None),
            "sent": next((l for l in seen if l.startswith("Sent all")), None),
        }
        if t2 is None:
            result["error"] = "no ACCEPTED"
            result["tail"] = seen[-10:]
    finally:
        print(json.dumps(result), flush=True)
        p.kill()
        p.wait()


if __name__ == "__main__":
    main()
