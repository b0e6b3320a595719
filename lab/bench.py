#!/usr/bin/env python3
"""Benchmark on a throwaway lab: prints figures, asserts nothing about time.

For N nodes (three managers, or N if fewer): lab up; first converge of site.yml; a no-op
re-run (with its changed count, which should be 0); the time to remove one worker that
runs tasks of a replicated service (playbooks/swarm_remove_node.yml); the task counts.

  python3 lab/bench.py --nodes 4 [--managers 3] [--keep]
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import ROOT, labctl, run_playbook  # noqa: E402


def node_docker(node, *args):
    """The docker CLI inside a lab node (bench set-up only: the product uses modules)."""
    return subprocess.run(["docker", "exec", node, "docker"] + list(args), capture_output=True, text=True,
                          check=True, timeout=180).stdout


def wait_service(manager, service, replicas, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = node_docker(manager, "service", "ps", service, "--filter", "desired-state=running",
                          "--format", "{{json .}}")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        running = [r for r in rows if r["CurrentState"].startswith("Running")]
        if len(running) >= replicas:
            return running
        time.sleep(1)
    raise SystemExit("bench: service %s did not reach %d running replicas in %ds" % (service, replicas, timeout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--managers", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = ap.parse_args()
    managers = min(args.managers, args.nodes)
    name = "fleet-bench"
    inv_dir = os.path.join(ROOT, "lab", ".state", name)
    lab = ["--name", name, "--network", name, "--inventory", os.path.join(inv_dir, "hosts.yml")]
    rows = []

    def row(label, seconds, extra=""):
        rows.append((label, seconds, extra))
        print("bench: %-40s %6.1f s  %s" % (label, seconds, extra), flush=True)

    try:
        t = time.monotonic()
        labctl("up", *lab, "--nodes", str(args.nodes), "--managers", str(managers))
        row("lab up (nodes ready, images loaded)", time.monotonic() - t)

        first = run_playbook(inv_dir, "site.yml")
        if not first.ok:
            print(first.output[-5000:])
            raise SystemExit("bench: first converge failed")
        row("first converge of site.yml", first.seconds, "tasks=%d changed=%d" % (first.tasks, first.total("changed")))

        again = run_playbook(inv_dir, "site.yml")
        if not again.ok:
            print(again.output[-5000:])
            raise SystemExit("bench: no-op re-run failed")
        row("no-op re-run of site.yml", again.seconds, "tasks=%d changed=%d" % (again.tasks, again.total("changed")))

        if args.nodes > managers:
            mgr = "%s-mgr1" % name
            replicas = 2 * args.nodes
            node_docker(mgr, "service", "create", "-d", "--name", "bench-web", "--replicas", str(replicas),
                        "fleet-lab/app:1")
            running = wait_service(mgr, "bench-web", replicas)
            victim = sorted({r["Node"] for r in running if "wrk" in r["Node"]})[0]
            on_victim = sum(1 for r in running if r["Node"] == victim)
            removal = run_playbook(inv_dir, "playbooks/swarm_remove_node.yml", "-e", "swarm_remove_nodes=%s" % victim)
            if not removal.ok:
                print(removal.output[-5000:])
                raise SystemExit("bench: removal failed")
            row("remove a worker running %d tasks" % on_victim, removal.seconds, "tasks=%d" % removal.tasks)
    finally:
        if not args.keep:
            labctl("down", *lab)
    print("\nbench summary (nodes=%d, managers=%d, %s)" % (args.nodes, managers, time.strftime("%Y-%m-%d %H:%M")))
    for label, seconds, extra in rows:
        print("  %-40s %6.1f s  %s" % (label, seconds, extra))


if __name__ == "__main__":
    main()
