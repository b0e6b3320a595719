#!/usr/bin/env python3
"""Sample a swarm service while something else runs (test infrastructure).

Every ~0.5 s, through the first manager that answers: how many tasks of SERVICE are
running. One JSON line per sample in OUT, until STOP exists or MAX seconds passed
(bounded, always). Node states are not sampled: a manager that has just restarted reports
the other nodes as Unknown until it hears from them, so its view says nothing.
"""
import argparse
import json
import os
import subprocess
import time


def ask(node, *cmd):
    res = subprocess.run(["docker", "exec", node, "docker"] + list(cmd), capture_output=True, text=True, timeout=10)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip())
    return res.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--managers", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--max", type=float, default=600)
    args = ap.parse_args()
    managers = args.managers.split(",")
    deadline = time.monotonic() + args.max
    with open(args.out, "w") as out:
        while time.monotonic() < deadline and not os.path.exists(args.stop):
            for node in managers:
                try:
                    states = ask(node, "service", "ps", args.service, "--filter", "desired-state=running",
                                 "--format", "{{.CurrentState}}").split("\n")
                except (RuntimeError, subprocess.TimeoutExpired):
                    continue
                out.write(json.dumps({
                    "t": round(time.time(), 2), "via": node,
                    "running": sum(1 for s in states if s.startswith("Running")),
                }) + "\n")
                out.flush()
                break
            time.sleep(0.5)


if __name__ == "__main__":
    main()
