#!/usr/bin/env python3
"""Run ansible-playbook and SIGKILL it as soon as NODE shows availability drain (test infrastructure).

Watches through the manager WATCH (`docker exec WATCH docker node inspect NODE`) every
~0.3 s. Bounded: gives up after MAX seconds. Prints one JSON line: whether it killed the
run, the availability and labels seen at that moment, the run's return code.
"""
import argparse
import json
import os
import signal
import subprocess
import time


def inspect(watch, node):
    res = subprocess.run(["docker", "exec", watch, "docker", "node", "inspect", node, "--format", "{{json .Spec}}"],
                         capture_output=True, text=True, timeout=10)
    return json.loads(res.stdout) if res.returncode == 0 else {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--watch", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--max", type=float, default=300)
    ap.add_argument("--log", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    with open(args.log, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + args.max
        seen, killed = {}, False
        while time.time() < deadline and proc.poll() is None:
            seen = inspect(args.watch, args.node)
            if seen.get("Availability") == "drain":
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.3)
        if proc.poll() is None and not killed:
            os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
    print(json.dumps({"killed": killed, "seen": seen, "rc": rc}))


if __name__ == "__main__":
    main()
