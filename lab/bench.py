#!/usr/bin/env python3
"""Benchmark: the project against the playbook an operator would write without it.

Two sides on labs of the same shape (N nodes, three managers, the same node image,
connection community.docker.docker, forks 10, pipelining on):
  project  site.yml, then site.yml again, then playbooks/swarm_remove_node.yml
  plain    lab/bench/plain/converge.yml twice, then lab/bench/plain/remove.yml
Each repetition brings up fresh nodes for each side (labs bench-project, bench-plain;
removed afterwards, also on failure or Ctrl-C) and measures: the first converge, the
no-op re-run (with its changed count) and the removal of a worker that runs tasks of a
replicated service. The report prints the median of the repetitions per figure and the
ratio project/plain. It asserts nothing about time; it prints.

  python3 lab/bench.py --nodes 4[,16] [--managers 3] [--repeat 3] [--profile] [--sides project,plain] [--keep]

--profile adds where the project's first converge, no-op re-run and removal spend their
time (per role and task file, then the slowest tasks), from lab/bench/callback_plugins.
Playbook logs, timing files and results.json stay in --out (default: a new temp dir).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from runner import ROOT, labctl, run_playbook  # noqa: E402

SIDES = {
    "project": {"converge": "site.yml", "remove": "playbooks/swarm_remove_node.yml",
                "remove_var": "swarm_remove_nodes"},
    "plain": {"converge": "lab/bench/plain/converge.yml", "remove": "lab/bench/plain/remove.yml",
              "remove_var": "plain_remove_node"},
}
FIGURES = [("converge", "first converge"), ("noop", "no-op re-run"), ("removal", "removal of a worker")]
FORKS = 10


# --------------------------------------------------------------------------- pure parts


def median(values):
    """Median of the numbers given (None where a run failed is left out); None if none."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2.0


def ratio(project, plain):
    if project is None or not plain:
        return None
    return project / plain


def _secs(v):
    return "%.1f s" % v if v is not None else "failed"


def format_report(results, nodes, managers, repeat, stamp=""):
    """results: {side: [{figure: seconds or None, 'noop_changed': int, 'victim_tasks': int}, ...]}.

    One line per figure: median per side (the single runs in brackets when more than one)
    and the ratio project/plain of the medians.
    """
    lines = ["bench: nodes=%d managers=%d repetitions=%d (median) forks=%d connection=community.docker.docker %s"
             % (nodes, managers, repeat, FORKS, stamp),
             "  %-34s %-26s %-26s %s" % ("figure", "project", "plain", "project/plain")]
    for key, label in FIGURES:
        cells, meds = [], {}
        for side in ("project", "plain"):
            done = results.get(side, [])
            runs = [r.get(key) for r in done]
            meds[side] = median(runs)
            # "-": not measured (no run, or no worker to remove); "failed": a run broke before it.
            measured = any(key in r or r.get("error") for r in done)
            cell = _secs(meds[side]) if measured else "-"
            if len(runs) > 1:
                cell += " (%s)" % " ".join("%.1f" % v if v is not None else "x" for v in runs)
            cells.append(cell)
        r = ratio(meds["project"], meds["plain"])
        extra = ""
        runs = {side: [x["%s_runs" % key] for x in results.get(side, []) if x.get("%s_runs" % key) is not None]
                for side in ("project", "plain")}
        if any(runs.values()):
            extra += "  module runs: " + ", ".join("%s %s" % (side, "/".join(str(n) for n in sorted(set(v))))
                                                   for side, v in runs.items() if v)
        if key == "noop":
            extra += "  changed: " + ", ".join(
                "%s %s" % (side, "/".join(str(x.get("noop_changed", "?")) for x in results.get(side, [])))
                for side in ("project", "plain") if results.get(side))
        if key == "removal":
            tasks = sorted({x["victim_tasks"] for side in results.values() for x in side if x.get("victim_tasks")})
            if tasks:
                label += " (%s tasks)" % "/".join(str(t) for t in tasks)
        lines.append("  %-34s %-26s %-26s %s%s" % (label, cells[0], cells[1], "%.2fx" % r if r is not None else "-",
                                                   extra))
    return "\n".join(lines)


def read_timing(path):
    """The JSON lines of the bench_timing callback: (tasks, end offset)."""
    tasks, end = [], None
    with open(path) as fh:
        for line in fh:
            rec = json.loads(line)
            if "end" in rec:
                end = rec["end"]
            else:
                tasks.append(rec)
    return tasks, end


# Actions that run on the controller: no round trip to a host.
LOCAL_ACTIONS = {
    "assert", "debug", "fail", "set_fact", "include_tasks", "import_tasks", "include_role", "import_role",
    "validate_argument_spec", "meta", "include_vars", "set_stats", "group_by", "add_host", "pause",
}


def remote_runs(task):
    """How many times a task ran a module on a host (loop items counted one by one)."""
    if task.get("action", "").rsplit(".", 1)[-1] in LOCAL_ACTIONS:
        return 0
    if task.get("items"):
        return task["items"]
    h = task["hosts"]
    return h["ok"] + h["changed"] + h["failed"]


def step_of(task):
    """Where a task belongs: 'role/tasks file' for role tasks, 'play: name' otherwise."""
    path = task.get("path", "").rsplit(":", 1)[0]
    base = os.path.basename(path)
    if task.get("role"):
        return "%s/%s%s" % (task["role"], base, " (handler)" if task.get("handler") else "")
    return "play: %s" % task.get("play", "?")


def group_profile(tasks, key=step_of):
    """[(group, seconds, task count, remote runs)] sorted by seconds, largest first."""
    acc = {}
    for t in tasks:
        g = key(t)
        s, n, r = acc.get(g, (0.0, 0, 0))
        acc[g] = (s + t["seconds"], n + 1, r + remote_runs(t))
    return sorted(((g, s, n, r) for g, (s, n, r) in acc.items()), key=lambda x: (-x[1], x[0]))


def format_profile(title, tasks, run_seconds, top=15):
    """Where a run's time went: per role, per role/tasks file, then the slowest tasks.

    run_seconds is the wall time of the whole ansible-playbook process; what the tasks do
    not account for is start-up (parsing, inventory, plugin loading) and exit.
    """
    total = sum(t["seconds"] for t in tasks)
    lines = ["profile: %s - %d tasks, %d module runs on hosts, %.1f s in tasks, %.1f s start-up and exit (of %.1f s)"
             % (title, len(tasks), sum(remote_runs(t) for t in tasks), total, max(run_seconds - total, 0.0),
                run_seconds)]
    lines.append("  by role:%s seconds  tasks  runs on hosts" % (" " * 45))
    for g, s, n, r in group_profile(tasks, key=lambda t: t.get("role") or "play: %s" % t.get("play", "?")):
        lines.append("    %-50s %6.2f s %6d %6d" % (g, s, n, r))
    lines.append("  by role/tasks file:")
    for g, s, n, r in group_profile(tasks):
        lines.append("    %-50s %6.2f s %6d %6d" % (g, s, n, r))
    lines.append("  slowest %d tasks:" % top)
    for t in sorted(tasks, key=lambda t: -t["seconds"])[:top]:
        h = t["hosts"]
        lines.append("    %6.2f s  %-62s %s  runs=%d changed=%d skipped=%d" % (
            t["seconds"], t["task"][:62], t["path"].replace(ROOT + "/", ""), remote_runs(t), h["changed"],
            h["skipped"]))
    return "\n".join(lines)


def docker_connection_inventory(inv):
    """labctl's SSH inventory turned into one reached with community.docker.docker.

    ansible_host stays the node's address (the roles and the plain playbook use it as the
    address other nodes reach); ansible_docker_host names the container.
    """
    inv = json.loads(json.dumps(inv))
    av = inv["all"].setdefault("vars", {})
    for k in ("ansible_ssh_private_key_file",):
        av.pop(k, None)
    av.update({"ansible_connection": "community.docker.docker", "ansible_user": "root", "ansible_become": False})

    def walk(group):
        for name, hv in (group.get("hosts") or {}).items():
            if hv is None:
                continue
            hv["ansible_docker_host"] = name
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(inv["all"])
    return inv


# --------------------------------------------------------------------------- lab side


def node_docker(node, *args):
    """The docker CLI inside a lab node (bench set-up only: the product uses modules)."""
    return subprocess.run(["docker", "exec", node, "docker"] + list(args), capture_output=True, text=True,
                          check=True, timeout=180).stdout


def wait_service(manager, service, replicas, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = node_docker(manager, "service", "ps", service, "--filter", "desired-state=running",
                          "--format", "{{json .}}")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        running = [r for r in rows if r["CurrentState"].startswith("Running")]
        if len(running) >= replicas:
            return running
        time.sleep(1)
    raise RuntimeError("service %s did not reach %d running replicas in %ds" % (service, replicas, timeout))


class Lab:
    def __init__(self, name, nodes, managers):
        self.name = name
        self.nodes = nodes
        self.managers = managers
        self.inv_dir = os.path.join(ROOT, "lab", ".state", name)
        self.args = ["--name", name, "--network", name, "--inventory", os.path.join(self.inv_dir, "hosts.yml")]

    def up(self):
        import yaml  # the venv's; labctl itself is stdlib only

        self.down()  # fresh nodes: a lab left by a killed bench would otherwise be reused as it is
        labctl("up", *self.args, "--nodes", str(self.nodes), "--managers", str(self.managers))
        path = os.path.join(self.inv_dir, "hosts.yml")
        with open(path) as fh:
            inv = yaml.safe_load(fh)
        with open(path, "w") as fh:
            fh.write("---\n# Generated by lab/bench.py from labctl's inventory: community.docker.docker\n")
            yaml.safe_dump(docker_connection_inventory(inv), fh, default_flow_style=False, sort_keys=False)

    def down(self):
        try:
            labctl("down", *self.args)
        except subprocess.CalledProcessError as exc:
            print("bench: warning: lab down %s failed: %s" % (self.name, exc), flush=True)


def ansible_env(timing_file):
    return {
        "ANSIBLE_FORKS": str(FORKS),
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "bench", "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks,bench_timing",
        "BENCH_TIMING_FILE": timing_file,
    }


def run_side(side, rep, nodes, managers, keep, tmp, log):
    """One repetition of one side on fresh nodes: {'converge': s, 'noop': s, 'removal': s, ...}."""
    spec = SIDES[side]
    lab = Lab("bench-%s" % side, nodes, managers)
    out = {}

    def play(tag, playbook, *extra):
        timing = os.path.join(tmp, "%s-%d-%s.jsonl" % (side, rep, tag))
        res = run_playbook(lab.inv_dir, playbook, *extra, env=ansible_env(timing))
        with open(os.path.join(tmp, "%s-%d-%s.log" % (side, rep, tag)), "w") as fh:
            fh.write(res.output)
        log("%s rep %d: %-8s %6.1f s  tasks=%d changed=%d%s" % (
            side, rep, tag, res.seconds, res.tasks, res.total("changed"), "" if res.ok else "  FAILED"))
        if not res.ok:
            print(res.output[-4000:], flush=True)
            raise RuntimeError("%s %s failed (log: %s)" % (side, playbook, fh.name))
        out["%s_timing" % tag] = timing
        if os.path.exists(timing):
            out["%s_runs" % tag] = sum(remote_runs(t) for t in read_timing(timing)[0])
        return res

    try:
        t = time.monotonic()
        lab.up()
        with open("/proc/loadavg") as fh:
            log("%s rep %d: lab up in %.1f s (load %s)" % (side, rep, time.monotonic() - t, fh.read().split()[0]))
        out["converge"] = play("converge", spec["converge"]).seconds
        again = play("noop", spec["converge"])
        out["noop"], out["noop_changed"] = again.seconds, again.total("changed")
        if nodes > managers:
            mgr = "%s-mgr1" % lab.name
            replicas = 2 * nodes
            node_docker(mgr, "service", "create", "-d", "--name", "bench-web", "--replicas", str(replicas),
                        "fleet-lab/app:1")
            running = wait_service(mgr, "bench-web", replicas)
            workers = sorted({r["Node"] for r in running if "-wrk" in r["Node"]})
            if not workers:
                raise RuntimeError("no worker runs a task of bench-web")
            victim = workers[0]
            out["victim_tasks"] = sum(1 for r in running if r["Node"] == victim)
            out["removal"] = play("removal", spec["remove"], "-e", "%s=%s" % (spec["remove_var"], victim)).seconds
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log("%s rep %d: FAILED: %s" % (side, rep, exc))
        out["error"] = str(exc)
    finally:
        if not keep:
            lab.down()
    return out


def parse_sizes(text):
    """'4' or '4,16' -> [4, 16] (node counts, each >= 1)."""
    sizes = [int(x) for x in str(text).split(",") if x.strip()]
    if not sizes or min(sizes) < 1:
        raise ValueError("node counts must be >= 1: %r" % text)
    return sizes


def format_scaling(by_size):
    """The project's (and plain's) first converge at the largest size over the smallest."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return ""
    lo, hi = sizes[0], sizes[-1]
    parts = []
    for side in ("project", "plain"):
        a = median([r.get("converge") for r in by_size[lo].get(side, [])])
        b = median([r.get("converge") for r in by_size[hi].get(side, [])])
        q = ratio(b, a)
        if q is not None:
            parts.append("%s %.1f s -> %.1f s = %.2fx" % (side, a, b, q))
    return "bench: first converge at %d nodes over %d nodes: %s" % (hi, lo, "; ".join(parts) or "-")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", default=os.environ.get("LAB_NODES", "4"), help="node count(s): 4 or 4,16")
    ap.add_argument("--managers", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "3")))
    ap.add_argument("--sides", default="project,plain", help="comma-separated: project, plain")
    ap.add_argument("--profile", action="store_true", help="print where the project's runs spend their time")
    ap.add_argument("--keep", action="store_true", help="leave the last labs up (for debugging)")
    ap.add_argument("--out", help="directory for the playbook logs and timing files (default: a temp dir)")
    args = ap.parse_args(argv)
    try:
        sizes = parse_sizes(args.nodes)
    except ValueError as exc:
        ap.error(str(exc))
    os.environ.pop("LAB_NODES", None)  # labctl reads it as one integer; the bench passes --nodes
    sides = [s for s in args.sides.split(",") if s]
    for s in sides:
        if s not in SIDES:
            ap.error("unknown side %r (project, plain)" % s)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the labs come down
    out_dir = args.out or tempfile.mkdtemp(prefix="fleet-bench-")
    t0 = time.monotonic()

    def log(msg):
        print("[bench %6.0fs] %s" % (time.monotonic() - t0, msg), flush=True)

    def load():
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])

    by_size, failed = {}, []
    for nodes in sizes:
        managers = min(args.managers, nodes)
        tmp = os.path.join(out_dir, "n%d" % nodes)
        os.makedirs(tmp, exist_ok=True)
        log("nodes=%d managers=%d repeat=%d sides=%s logs=%s; load %s" % (
            nodes, managers, args.repeat, ",".join(sides), tmp, load()))
        results = by_size[nodes] = {s: [] for s in sides}
        for rep in range(1, args.repeat + 1):
            order = sides if rep % 2 else list(reversed(sides))  # alternate, so drift hits both sides
            for side in order:
                keep = args.keep and rep == args.repeat and nodes == sizes[-1]
                results[side].append(run_side(side, rep, nodes, managers, keep, tmp, log))
        with open(os.path.join(tmp, "results.json"), "w") as fh:
            json.dump({"nodes": nodes, "managers": managers, "repeat": args.repeat, "results": results}, fh, indent=1)
        print()
        print(format_report(results, nodes, managers, args.repeat,
                            stamp="%s load %s" % (time.strftime("%Y-%m-%d %H:%M"), load())))
        if args.profile and "project" in results:
            for tag, title in (("converge", "project first converge"), ("noop", "project no-op re-run"),
                               ("removal", "project removal of a worker")):
                runs = [r for r in results["project"] if r.get("%s_timing" % tag)]
                if not runs:
                    continue
                # The run whose time is the median (the profile of a real run, not a blend).
                pick = sorted(runs, key=lambda r: r[tag])[(len(runs) - 1) // 2]
                tasks, _ = read_timing(pick["%s_timing" % tag])
                print()
                print(format_profile("%s, %d nodes" % (title, nodes), tasks, pick[tag]))
        print()
        failed += [(nodes, s, i + 1, r["error"]) for s, rs in results.items() for i, r in enumerate(rs)
                   if r.get("error")]
    scaling = format_scaling(by_size)
    if scaling:
        print(scaling)
    for nodes, s, i, err in failed:
        print("bench: %d nodes, %s repetition %d failed: %s" % (nodes, s, i, err))
    print("bench: logs and timing files in %s" % out_dir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
